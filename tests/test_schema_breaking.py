"""`carnet schema --breaking`: a breaking change since the released SDL fails CI unless the
Unreleased section of the changelog lists it; additions and dangerous changes pass."""

from pathlib import Path

import pytest

from carnet import cli

CURRENT = cli.SCHEMA_FILE.read_text()
ORGANIZATION = "type Organization implements Node {\n"
REMOVED_ENTRY = "Breaking: FIELD_REMOVED Field Organization.legacyNickname was removed."


def _released(tmp_path: Path, sdl: str) -> Path:
    path = tmp_path / "released.graphql"
    path.write_text(sdl)
    return path


def _changelog(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(text)
    return path


def _breaking(released: Path, changelog: Path) -> int:
    return cli.main(["schema", "--breaking", "--released", str(released),
                     "--changelog", str(changelog)])


@pytest.fixture
def released_with_a_field_since_removed(tmp_path):
    assert ORGANIZATION in CURRENT
    return _released(tmp_path, CURRENT.replace(ORGANIZATION,
                                               ORGANIZATION + "  legacyNickname: String\n"))


def test_a_removed_field_fails(tmp_path, released_with_a_field_since_removed, capsys):
    changelog = _changelog(tmp_path, "# Changelog\n\n## Unreleased\n\n- Faster searches.\n")
    assert _breaking(released_with_a_field_since_removed, changelog) == 1
    err = capsys.readouterr().err
    assert f"- {REMOVED_ENTRY}" in err  # the line to paste into the changelog


def test_a_removed_field_listed_in_the_changelog_passes(
    tmp_path, released_with_a_field_since_removed, capsys
):
    changelog = _changelog(tmp_path, "# Changelog\n\n## Unreleased\n\n"
                                     f"- {REMOVED_ENTRY} -- use `name`\n\n## 1.0.0\n")
    assert _breaking(released_with_a_field_since_removed, changelog) == 0
    assert f"listed in CHANGELOG.md: {REMOVED_ENTRY}" in capsys.readouterr().out


def test_a_listing_under_an_earlier_release_does_not_count(
    tmp_path, released_with_a_field_since_removed
):
    changelog = _changelog(tmp_path, "# Changelog\n\n## Unreleased\n\n## 1.0.0 (2026-11-01)\n\n"
                                     f"- {REMOVED_ENTRY}\n")
    assert _breaking(released_with_a_field_since_removed, changelog) == 1


def test_without_a_changelog_a_breaking_change_fails(tmp_path, released_with_a_field_since_removed):
    assert _breaking(released_with_a_field_since_removed, tmp_path / "missing.md") == 1


def test_an_added_field_passes(tmp_path, capsys):
    assert "  legalName: String!\n" in CURRENT
    released = _released(tmp_path, CURRENT.replace("  legalName: String!\n", "", 1))
    assert _breaking(released, _changelog(tmp_path, "# Changelog\n\n## Unreleased\n")) == 0
    assert "no unlisted breaking change" in capsys.readouterr().out


def test_a_dangerous_change_is_a_warning(tmp_path, capsys):
    # An enum value added since the release: clients may not know it, but nothing breaks.
    enum_start = CURRENT.index("enum Role {")
    value = CURRENT.index("VIEWER\n", enum_start)
    released = _released(tmp_path, CURRENT[:value] + CURRENT[value + len("VIEWER\n"):])
    assert _breaking(released, _changelog(tmp_path, "")) == 0
    assert "warning: dangerous change VALUE_ADDED_TO_ENUM" in capsys.readouterr().out


def test_the_committed_schema_has_no_unlisted_breaking_change(capsys):
    assert cli.main(["schema", "--breaking"]) == 0, capsys.readouterr().err
