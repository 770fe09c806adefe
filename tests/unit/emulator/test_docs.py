"""The README's emulator section documents every option and every refusal reason."""

from __future__ import annotations

import re
from pathlib import Path

import qlik_jwt.emulator
from qlik_jwt.emulator.jwt_login import REASONS
from qlik_jwt.emulator.options import option_fields

README = (Path(__file__).parents[3] / "README.md").read_text()
SOURCE = Path(qlik_jwt.emulator.__file__).parent


def test_every_option_is_in_the_options_table() -> None:
    missing = [f.name for f in option_fields() if f"| `{f.name}` |" not in README]
    assert missing == []


def test_every_meta_reason_is_documented() -> None:
    code = "\n".join(p.read_text() for p in SOURCE.rglob("*.py") if "engine" not in p.parts)
    literals = set(re.findall(r'reason="([a-z_]+)"', code))
    literals |= set(re.findall(r'session_problem = "([a-z_]+)"', code))
    literals |= set(re.findall(r'return None, "([a-z_]+)"', code))
    literals |= set(
        re.findall(r'_login_error\(\s*"[A-Z0-9-]+",\s*"[^"]*",\s*[^,]+,\s*"([a-z_]+)"', code, re.S)
    )
    literals |= set(REASONS.values())
    assert len(literals) > 40
    missing = sorted(r for r in literals if f"`{r}`" not in README)
    assert missing == []


def test_every_fault_is_documented() -> None:
    from qlik_jwt.emulator.faults import FaultSettings

    missing = [name for name in FaultSettings.model_fields if f"`{name}`" not in README]
    assert missing == []
