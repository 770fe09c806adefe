"""Every setting is documented in the README's settings table."""

from __future__ import annotations

from pathlib import Path

from qlik_jwt.settings import settings_env_names

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_row_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip().strip("`")
        for line in text.splitlines()
        if line.startswith("| `QLIK_")
    }
    missing = sorted(set(settings_env_names().values()) - rows)
    assert not missing, f"settings missing from the README's settings table: {missing}"
