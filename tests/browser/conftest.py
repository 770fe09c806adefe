from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from qlik_jwt.demo.run import Demo, DemoInfo, DemoOptions
from qlik_jwt.web.tokens import AUDIT_LOGGER


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.browser)


class MintCounter(logging.Handler):
    """Counts the web app's audit lines for minted tokens, per subject."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.subjects: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        entry = json.loads(record.getMessage())
        if entry.get("event") == "token-minted":
            self.subjects.append(entry["sub"])

    def count(self, subject: str) -> int:
        return self.subjects.count(subject)


@pytest.fixture()
def mints() -> Iterator[MintCounter]:
    counter = MintCounter()
    audit = logging.getLogger(AUDIT_LOGGER)
    previous = audit.level
    audit.setLevel(logging.INFO)
    audit.addHandler(counter)
    yield counter
    audit.removeHandler(counter)
    audit.setLevel(previous)


def start_demo(state_dir: Path, **options: object) -> Demo:
    return Demo(DemoOptions(state_dir=state_dir, web_port=0, emulator_port=0, **options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoInfo]:
    """The demo in JWT login mode and direct mode (the browser talks to the tenant), shared
    by a module's tests (each test uses a fresh browser)."""
    with start_demo(tmp_path_factory.mktemp("demo"), web_mode="direct") as info:
        yield info


@pytest.fixture(scope="module")
def proxy_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoInfo]:
    """The demo as `qlik-jwt demo` runs it: proxy mode (the browser talks only to the app)."""
    with start_demo(tmp_path_factory.mktemp("proxy-demo")) as info:
        assert info.web_mode == "proxy"
        yield info
