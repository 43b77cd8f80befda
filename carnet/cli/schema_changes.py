"""Breaking and dangerous changes between the released SDL and the current one.

A breaking change passes only when the "Unreleased" section of CHANGELOG.md lists it with
the line `carnet schema --breaking` prints for it: `Breaking: <TYPE> <description>`, the
type and description being graphql-core's (`find_breaking_changes`). Dangerous changes
(`find_dangerous_changes`) are warnings: they never fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from graphql import build_schema, find_breaking_changes, find_dangerous_changes

MARKER = "Breaking:"
_HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*$")


@dataclass(frozen=True)
class SchemaChange:
    type: str
    description: str

    @property
    def entry(self) -> str:
        """The CHANGELOG line that acknowledges this change."""
        return f"{MARKER} {self.type} {self.description}"


@dataclass(frozen=True)
class SchemaComparison:
    breaking: list[SchemaChange]
    dangerous: list[SchemaChange]
    unlisted: list[SchemaChange]  # breaking changes the changelog does not acknowledge

    @property
    def ok(self) -> bool:
        return not self.unlisted


def compare(released_sdl: str, current_sdl: str, changelog: str) -> SchemaComparison:
    released, current = build_schema(released_sdl), build_schema(current_sdl)
    breaking = [_change(c) for c in find_breaking_changes(released, current)]
    dangerous = [_change(c) for c in find_dangerous_changes(released, current)]
    acknowledged = acknowledged_entries(changelog)
    unlisted = [c for c in breaking if _normalize(c.entry) not in acknowledged]
    return SchemaComparison(breaking=breaking, dangerous=dangerous, unlisted=unlisted)


def acknowledged_entries(changelog: str) -> set[str]:
    """The `Breaking:` lines of the Unreleased section (a list item's bullet and any
    explanation after ` -- ` aside); released sections acknowledge nothing new."""
    entries: set[str] = set()
    in_unreleased = False
    for line in changelog.splitlines():
        heading = _HEADING.match(line)
        if heading:
            in_unreleased = heading.group("title").strip("[] ").lower() == "unreleased"
            continue
        text = line.strip().lstrip("-* ").strip()
        if in_unreleased and text.startswith(MARKER):
            entries.add(_normalize(text.split(" -- ", 1)[0]))
    return entries


def _normalize(entry: str) -> str:
    return " ".join(entry.replace("`", "").split())


def _change(change) -> SchemaChange:
    return SchemaChange(type=change.type.name, description=change.description)


def report(comparison: SchemaComparison, changelog_path: Path) -> tuple[list[str], list[str]]:
    """Lines for stdout and for stderr."""
    out: list[str] = []
    for change in comparison.dangerous:
        out.append(f"warning: dangerous change {change.type}: {change.description}")
    listed = [c for c in comparison.breaking if c not in comparison.unlisted]
    for change in listed:
        out.append(f"breaking change listed in {changelog_path.name}: {change.entry}")
    if not comparison.unlisted:
        out.append("no unlisted breaking change since the released schema")
        return out, []
    err = [f"{len(comparison.unlisted)} breaking change(s) since the released schema are not "
           f"listed in the Unreleased section of {changelog_path.name}; if they are meant, "
           "add these lines there (an explanation may follow ' -- '):"]
    err += [f"- {change.entry}" for change in comparison.unlisted]
    return out, err
