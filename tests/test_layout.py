"""The package layout the import-linter contracts rely on stays complete."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _contract(name_start: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["name"].startswith(name_start))


def test_every_core_module_of_carnet_is_under_the_core_contract():
    """A module added to carnet/ (outside web/ and cli/) must be declared core, or moved."""
    listed = set(_contract("carnet's core")["source_modules"])
    present = {
        f"carnet.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "carnet").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists() and path.name not in {"web", "cli"})
    }
    assert present == listed


MAX_MODULE_LINES = 400
"""One module per concern: a module that outgrows this is split along its concerns."""


def test_no_module_outside_tests_and_migrations_is_over_400_lines():
    packages = ("carnet", "schema", "resolvers", "models", "jobs")
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
