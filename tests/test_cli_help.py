"""`carnet <command> --help` explains every command: read from the parser itself, so a new
command or option is covered as soon as it exists."""

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from carnet.cli import build_parser
from carnet.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SETTING = re.compile(r"CARNET_[A-Z0-9_*]+")


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def _setting_exists(name: str) -> bool:
    fields = [f"CARNET_{field.upper()}" for field in Settings.model_fields]
    pattern = re.compile("^" + re.escape(name).replace(r"\*", ".+") + "$")
    return any(pattern.match(field) for field in fields)


COMMANDS = _commands()


def test_every_command_is_covered():
    assert {"dev", "serve", "worker", "migrate", "schema", "outbox"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_command_explains_itself(name):
    command = COMMANDS[name]
    assert command.description and len(command.description.split()) >= 5, name
    help_text = command.format_help()
    assert "Settings read:" in help_text, help_text
    for action in command._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"carnet {name} {action.option_strings} has no help"
        has_default = not any(action.default is v for v in (None, False, argparse.SUPPRESS))
        if has_default:
            assert f"(default: {action.default})" in " ".join(help_text.split()), (
                f"carnet {name} {action.option_strings} does not show its default"
            )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_settings_a_command_names_exist(name):
    epilog = COMMANDS[name].epilog or ""
    named = SETTING.findall(epilog)
    if "Settings read: none" not in epilog:
        assert named, f"carnet {name} names no setting"
    unknown = [setting for setting in named if not _setting_exists(setting)]
    assert unknown == [], f"carnet {name} names settings that do not exist: {unknown}"


def test_help_runs_from_the_command_line():
    result = subprocess.run([sys.executable, "-m", "carnet.cli", "serve", "--help"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--workers N" in result.stdout and "CARNET_PORT" in result.stdout
