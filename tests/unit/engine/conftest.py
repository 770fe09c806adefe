"""Fixtures for the engine's unit tests: the packaged apps, loaded once."""

from __future__ import annotations

import pytest

from qlik_jwt.emulator.engine import SampleApp, sample_apps


@pytest.fixture(scope="session")
def apps() -> dict[str, SampleApp]:
    return {app.id: app for app in sample_apps()}


@pytest.fixture(scope="session")
def sales(apps: dict[str, SampleApp]) -> SampleApp:
    return next(iter(apps.values()))


@pytest.fixture(scope="session")
def support(apps: dict[str, SampleApp]) -> SampleApp:
    return list(apps.values())[1]
