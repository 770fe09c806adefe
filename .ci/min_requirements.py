"""Print pip requirements that pin every runtime dependency at the floor pyproject.toml declares.

``make test-min-deps`` installs these in a second virtualenv and runs the unit and CLI tests
there, so a floor that the code has outgrown fails CI. Every runtime dependency (the extras
included) must have a ``>=`` floor; the test tools keep the versions of requirements.lock.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXTRAS = ("redis", "flask", "django")  # optional runtime dependencies, tested at their floor too
TEST_TOOLS = ("pytest", "pytest-timeout", "pytest-xdist", "hypothesis")
FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*>=\s*([^,;\s]+)\s*$")


def floor_pins(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """``name[extras]==floor`` for each runtime dependency and each of :data:`EXTRAS`."""
    project = tomllib.loads(pyproject.read_text())["project"]
    declared = list(project["dependencies"])
    for extra in EXTRAS:
        declared += project["optional-dependencies"][extra]
    pins = []
    for requirement in declared:
        match = FLOOR.match(requirement)
        if match is None:
            raise SystemExit(f"{requirement!r}: give it one floor, as name>=version")
        name, extras, version = match.groups()
        pins.append(f"{name}{extras or ''}=={version}")
    return pins


def locked(names: tuple[str, ...], lock: Path = REPO / "requirements.lock") -> list[str]:
    """The pins of ``names`` in requirements.lock."""
    pins = {}
    for line in lock.read_text().splitlines():
        name, sep, _ = line.partition("==")
        if sep and name.strip().lower() in names:
            pins[name.strip().lower()] = line.strip()
    missing = sorted(set(names) - set(pins))
    if missing:
        raise SystemExit(f"requirements.lock pins none of {missing}")
    return [pins[name] for name in names]


if __name__ == "__main__":
    sys.stdout.write("\n".join([*floor_pins(), *locked(TEST_TOOLS)]) + "\n")
