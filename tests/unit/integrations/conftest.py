from __future__ import annotations

from pathlib import Path

import pytest

from qlik_jwt.settings import Settings
from tests.support.webapp import web_settings


@pytest.fixture()
def settings(key_dir: Path) -> Settings:
    """Complete JWT-mode settings (the tenant is never called in process)."""
    return web_settings(key_dir)
