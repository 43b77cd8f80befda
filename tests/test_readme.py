"""Every GraphQL example in the README is valid against the schema, so the docs stay true."""

import re
from pathlib import Path

from graphql import DocumentNode, parse, validate

from carnet.settings import Settings
from schema import build_schema

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_validate_against_the_schema():
    schema = build_schema(Settings())._schema
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 10
    problems = []
    for block in blocks:
        for definition in parse(block).definitions:
            for error in validate(schema, DocumentNode(definitions=(definition,))):
                problems.append(f"{error.message} in:\n{block.strip()[:120]}")
    assert not problems, "\n\n".join(problems)


def test_readme_lists_every_import_column_with_its_headers():
    """The import headers table names each column an import reads, in both languages."""
    from resolvers.transfers.csv_columns import COLUMNS

    rows = {
        cells[0].strip(" `"): (cells[1].strip(), cells[2].strip())
        for line in README.read_text().splitlines()
        if line.startswith("| `") and len(cells := line.strip("|").split(" | ")) >= 3
    }
    for info in COLUMNS:
        assert rows.get(info.column.value) == (info.header, info.header_fr), info.column
