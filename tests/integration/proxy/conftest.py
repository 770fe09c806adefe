from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.proxy import ProxiedTenant, proxied_tenant, proxy_web_app
from tests.support.servers import ServerThread


@pytest.fixture()
def tenant(key_dir: Path) -> Iterator[ProxiedTenant]:
    """A fresh provisioned emulator recording what it receives (see tests.support.proxy)."""
    with proxied_tenant(key_dir) as running:
        yield running


@pytest.fixture()
def web(tenant: ProxiedTenant, tmp_path: Path) -> Iterator[ServerThread]:
    """The web app in proxy mode in front of ``tenant``."""
    with proxy_web_app(tenant, tenant.settings(tmp_path)) as server:
        yield server
