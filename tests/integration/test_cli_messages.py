"""Every flag a message or a help text names exists on the command that prints it, and an
unreadable settings file is one clear error in every command that reads one.

Generic on purpose: the commands come from the Typer app and the settings from the
Settings model, so commands and settings added later are covered without touching this file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
import typer
from typer.testing import CliRunner

from qlik_jwt.cli import app
from qlik_jwt.cli.app import field_flags
from qlik_jwt.settings import Settings

runner = CliRunner()
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
COMMANDS: dict[str, Any] = dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
# The commands that read QLIK_* settings: they all take --env-file (the others read none).
SETTINGS_COMMANDS = sorted(
    name for name, command in COMMANDS.items() if "env_file" in field_flags(command)
)
# What each needs besides settings to get as far as reading them.
ARGS = {"token": ["--sub", "app|1", "--name", "Ada", "--email", "ada@example.com"]}
# A value every validated setting refuses (blank after trimming, not a number, not a choice).
BLANK = "  "


def flags_of(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", ())} | {"--help"}


def named_flags(text: str) -> set[str]:
    return set(FLAG.findall(text))


def run(name: str, *extra: str) -> str:
    result = runner.invoke(app, [name, *ARGS.get(name, []), *extra])
    assert "Traceback" not in result.output
    return result.output


def test_the_settings_commands_are_found() -> None:
    assert {"config", "serve", "token", "setup", "doctor", "rotate-key"} <= set(SETTINGS_COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_texts_name_only_flags_the_command_has(name: str) -> None:
    command = COMMANDS[name]
    texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
    assert named_flags(" ".join(texts)) <= flags_of(command)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_shows_no_python_types_as_metavars(name: str) -> None:
    """Typer shows a list option's type, <list[str]>, unless the option names its value."""
    output = runner.invoke(app, [name, "--help"]).output
    assert "list[" not in output and "[str]" not in output, output


@pytest.mark.parametrize("name", SETTINGS_COMMANDS)
def test_every_setting_problem_names_only_this_commands_flags(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each setting given a value it refuses (or left unset), one at a time: every flag the
    output suggests exists on this command, and an error about the setting names the
    command's own flag for it."""
    command = COMMANDS[name]
    own = field_flags(command)
    seen_refusals = 0
    for setting in [*Settings.model_fields, None]:
        with monkeypatch.context() as env:
            if setting is not None:
                env.setenv(f"QLIK_{setting.upper()}", BLANK)
            output = run(name)
        assert named_flags(output) <= flags_of(command), (setting, output)
        if setting is not None and re.search(rf"\b{setting}:? (is|must|has|needs)", output):
            seen_refusals += 1
            if setting in own and "error:" in output:  # doctor reports checks instead
                assert own[setting] in output, (setting, output)
    assert seen_refusals >= 10


def test_serve_and_token_no_longer_suggest_flags_they_lack() -> None:
    served = run("serve")
    assert "tenant_url: is not set" in served and "--tenant-url" not in served
    minted = run("token")
    assert "private_key: is not set" in minted
    assert "Or pass --key." in minted and "--private-key" not in minted


@pytest.mark.parametrize("name", SETTINGS_COMMANDS)
def test_an_unreadable_settings_file_is_one_clear_error(name: str, tmp_path: Path) -> None:
    env_file = tmp_path / "settings.env"
    env_file.write_bytes(b"QLIK_ISSUER=\xff\xfe\n")
    output = run(name, "--env-file", str(env_file))
    assert re.search(r"env_file:? cannot be read \(not UTF-8 text", output), output
    assert "Traceback" not in output


def test_setup_lists_every_missing_setting_at_once() -> None:
    output = run("setup")
    for setting in ("tenant_url", "private_key", "issuer", "admin_api_key", "app_origins"):
        assert f"{setting}: is" in output, output
