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
