from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qlik_jwt.settings import Settings
from tests.support.webapp import FakeClock, make_app, web_settings


@pytest.fixture()
def settings(key_dir: Path) -> Settings:
    return web_settings(key_dir)


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(make_app(settings, clock=clock, rate_clock=clock)) as test_client:
        yield test_client
