"""Making migrations with Tortoise's own tool, plus one repair it needs.

Tortoise 1.1's `CreateModel` ignores `Meta.constraints`, so a new model's unique and check
constraints would exist in the migration state but never in the database. After
`tortoise makemigrations`, this moves them into explicit `AddConstraint` operations.
`tests/test_migrations.py` checks the migrated database has every declared constraint.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "models" / "migrations"

_CREATE_MODEL = re.compile(r"ops\.CreateModel\(\s*name='(?P<name>\w+)'")
_CONSTRAINTS = re.compile(r", 'constraints': \[(?P<items>.*?)\](?=, '|\})")
_ITEM = re.compile(r"(?:UniqueConstraint|CheckConstraint)\((?:[^()]|\([^()]*\))*\)")


def move_constraints(source: str) -> str:
    """Rewrites CreateModel options' constraints as AddConstraint operations."""
    added: list[str] = []
    out, position = [], 0
    for match in _CREATE_MODEL.finditer(source):
        start = match.start()
        end = source.find("ops.CreateModel(", match.end())
        end = len(source) if end == -1 else end
        block = source[start:end]
        found = _CONSTRAINTS.search(block)
        if found:
            for item in _ITEM.findall(found.group("items")):
                added.append(f"        ops.AddConstraint(model_name='{match.group('name')}', "
                             f"constraint={item}),\n")
            block = block[:found.start()] + block[found.end():]
        out.append(source[position:start] + block)
        position = end
    out.append(source[position:])
    result = "".join(out)
    if not added:
        return result
    closing = result.rfind("\n", 0, result.rstrip().rfind("]")) + 1
    note = "        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).\n"
    return result[:closing] + note + "".join(added) + result[closing:]


def makemigrations(name: str | None) -> int:
    before = set(MIGRATIONS_DIR.glob("*.py"))
    command = [sys.executable, "-m", "tortoise", "makemigrations"]
    if name:
        command += ["--name", name]
    code = subprocess.call(command)
    for path in sorted(set(MIGRATIONS_DIR.glob("*.py")) - before):
        path.write_text(move_constraints(path.read_text()))
    return code
