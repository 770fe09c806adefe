"""The README documents every violation code and every setting (it is read, not generated)."""

from __future__ import annotations

from pathlib import Path

from qlik_jwt.contract import RULES
from qlik_jwt.settings import Settings, settings_env_names

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_every_violation_code_is_documented() -> None:
    missing = [code for code in RULES if f"| `{code}` |" not in README]
    assert missing == []


def test_every_setting_is_documented() -> None:
    names = settings_env_names()
    assert set(names) == set(Settings.model_fields)
    missing = [env for env in names.values() if f"| `{env}` |" not in README]
    assert missing == []
