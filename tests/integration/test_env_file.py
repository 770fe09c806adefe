"""Updating a settings file: atomically, keeping every other line, readable by Settings."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qlik_jwt.env_file import format_value, read_env_text, restore_env_file, update_env_file
from qlik_jwt.errors import ConfigurationError
from qlik_jwt.settings import Settings

ORIGINAL = """# tenant
QLIK_TENANT_URL=https://t.example.com
export QLIK_WEB_INTEGRATION_ID=old-id

QLIK_ISSUER=app.example.com  # spaces around are fine
"""


def test_a_changed_key_keeps_its_line_and_everything_else_stays(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(ORIGINAL)
    update_env_file(env, {"QLIK_WEB_INTEGRATION_ID": "new-id", "QLIK_KEY_ID": "kid-2"})
    lines = env.read_text().splitlines()
    assert lines == [
        "# tenant",
        "QLIK_TENANT_URL=https://t.example.com",
        "QLIK_WEB_INTEGRATION_ID=new-id",
        "",
        "QLIK_ISSUER=app.example.com  # spaces around are fine",
        "QLIK_KEY_ID=kid-2",
    ]
    settings = Settings.load(env_file=env)
    assert (settings.web_integration_id, settings.key_id) == ("new-id", "kid-2")


def test_values_that_need_quoting_read_back_unchanged(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    values = {
        "QLIK_PRIVATE_KEY": "/keys/my key #1/private.pem",
        "QLIK_ISSUER": 'it\'s "quoted"',
    }
    update_env_file(env, values)
    settings = Settings.load(env_file=env)
    assert settings.private_key is not None
    assert settings.private_key.get_secret_value() == values["QLIK_PRIVATE_KEY"]
    assert settings.issuer == values["QLIK_ISSUER"]


def test_format_value_refuses_line_breaks() -> None:
    assert format_value("abc-123_/x:y@z") == "abc-123_/x:y@z"
    with pytest.raises(ValueError, match="span lines"):
        format_value("-----BEGIN\nX")


def test_a_new_file_is_private_and_an_existing_one_keeps_its_mode(tmp_path: Path) -> None:
    new = tmp_path / "new.env"
    update_env_file(new, {"QLIK_KEY_ID": "k"})
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    shared = tmp_path / "shared.env"
    shared.write_text("A=1\n")
    shared.chmod(0o640)
    update_env_file(shared, {"A": "2"})
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640
    assert shared.read_text() == "A=2\n"


def test_a_failed_write_leaves_the_file_untouched(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(ORIGINAL)
    # The temporary file's name is taken by a directory, so writing it fails (even as root).
    blocker = tmp_path / f".{env.name}.{os.getpid()}.tmp"
    blocker.mkdir()
    with pytest.raises(ConfigurationError) as caught:
        update_env_file(env, {"QLIK_WEB_INTEGRATION_ID": "new-id"})
    assert caught.value.field == "env_file"
    assert "cannot be written" in caught.value.problem
    assert env.read_text() == ORIGINAL


def test_a_link_planted_at_the_temporary_name_is_not_written_through(tmp_path: Path) -> None:
    """Settings files hold secrets: the temporary file is created exclusively, never opened
    through a link someone else placed there."""
    env = tmp_path / ".env"
    env.write_text(ORIGINAL)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("")
    (tmp_path / f".{env.name}.{os.getpid()}.tmp").symlink_to(elsewhere)
    with pytest.raises(ConfigurationError, match="cannot be written"):
        update_env_file(env, {"QLIK_ADMIN_API_KEY": "a-secret-admin-key"})
    assert elsewhere.read_text() == ""
    assert env.read_text() == ORIGINAL


def test_restore_puts_back_the_snapshot_or_removes_a_new_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(ORIGINAL)
    snapshot = read_env_text(env)
    update_env_file(env, {"QLIK_ISSUER": "changed"})
    restore_env_file(env, snapshot)
    assert env.read_text() == ORIGINAL
    missing = tmp_path / "missing.env"
    assert read_env_text(missing) is None
    update_env_file(missing, {"A": "1"})
    restore_env_file(missing, None)
    assert not missing.exists()
