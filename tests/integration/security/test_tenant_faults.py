"""A tenant that is down, slow or answering 5xx, met by our code that calls it server-side
(``qlik-jwt doctor`` and ``setup``): a clear error within a bounded time, no traceback, and
everything works again once the tenant is back.

Faults are the emulator's own (``PUT /_emulator/faults``): latency, forced 503s; "down" is a
port where nothing listens until the emulator starts there.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qlik_jwt.cli import app
from tests.support.emulator import RunningEmulator, running_emulator
from tests.support.forge import ISSUER
from tests.support.servers import free_port

runner = CliRunner()
TIMEOUT = 1.0  # doctor --timeout: seconds to wait for each answer
BOUND = 15.0  # a failing run must end well within this, whatever the fault
ORIGIN = "http://localhost:8001"


@pytest.fixture(autouse=True)
def signing_settings(key_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QLIK_PRIVATE_KEY", str(key_dir / "private.pem"))
    monkeypatch.setenv("QLIK_ISSUER", ISSUER)


def doctor(url: str, admin_key: str) -> tuple[dict[str, dict[str, str]], float]:
    """Run ``qlik-jwt doctor --json``; its checks by name and how long it took."""
    started = time.monotonic()
    result = runner.invoke(
        app,
        [
            *("doctor", "--env-file", "none.env", "--json", "--timeout", str(TIMEOUT)),
            *("--tenant-url", url, "--api-key", admin_key, "--app-origin", ORIGIN),
        ],
    )
    took = time.monotonic() - started
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    return checks, took


def setup(url: str, admin_key: str) -> Any:
    return runner.invoke(
        app,
        [
            *("setup", "--env-file", "tenant.env", "--tenant-url", url),
            *("--api-key", admin_key, "--app-origin", ORIGIN),
        ],
    )


def fault(tenant: RunningEmulator, **settings: Any) -> None:
    tenant.admin.put("/_emulator/faults", json=settings).raise_for_status()


def test_doctor_names_a_tenant_that_is_down_then_sees_it_back() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    checks, took = doctor(url, "admin-key-of-a-tenant-not-yet-started")
    assert checks["tenant"]["status"] == "fail"
    assert "could not be reached" in checks["tenant"]["message"]
    assert checks["tenant"]["fix"]
    assert took < BOUND
    with running_emulator(port=port) as tenant:
        checks, _ = doctor(tenant.url, tenant.admin_key)
        assert checks["tenant"]["status"] == "pass", checks["tenant"]
    print(f"\ntenant down: doctor failed in {took:.2f} s")


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"latency_ms": 4000}, f"no answer within {TIMEOUT:g} s"),
        ({"errors": [{"path": "/api/v1/*", "status": 503, "count": None}]}, "503"),
        ({"errors": [{"path": "/api/v1/*", "status": 500, "count": None}]}, "500"),
    ],
    ids=["slow", "503", "500"],
)
def test_doctor_names_a_slow_or_failing_tenant_then_recovers(
    settings: dict[str, Any], says: str
) -> None:
    with running_emulator() as tenant:
        fault(tenant, **settings)
        checks, took = doctor(tenant.url, tenant.admin_key)
        assert checks["tenant"]["status"] == "fail"
        assert says in checks["tenant"]["message"], checks["tenant"]
        assert checks["tenant"]["fix"]
        assert {checks[name]["status"] for name in ("identity_provider", "csp")} == {"skip"}
        assert took < BOUND
        tenant.admin.delete("/_emulator/faults").raise_for_status()
        checks, _ = doctor(tenant.url, tenant.admin_key)
        assert checks["tenant"]["status"] == "pass", checks["tenant"]
    print(f"\n{says}: doctor failed in {took:.2f} s")


def test_setup_interrupted_by_a_5xx_completes_when_run_again(tmp_path: Path) -> None:
    """The identity provider is created, then creating the web integration fails: a clear
    one-line error (exit 3); run again once the tenant is back, setup finishes and creates
    nothing twice."""
    with running_emulator() as tenant:
        fault(
            tenant, errors=[{"method": "POST", "path": "/api/v1/web-integrations", "status": 503}]
        )
        failed = setup(tenant.url, tenant.admin_key)
        assert failed.exit_code == 3, failed.output
        assert "503" in failed.stderr and "web-integrations" in failed.stderr
        assert "Traceback" not in failed.output and len(failed.stderr.strip().splitlines()) == 1
        providers = tenant.admin.get("/api/v1/identity-providers").json()["data"]
        assert len(providers) == 1  # what was done before the failure stays done

        done = setup(tenant.url, tenant.admin_key)
        assert done.exit_code == 0, done.output
        again = setup(tenant.url, tenant.admin_key)
        assert again.exit_code == 0 and "0 change(s) made" in again.stdout
        assert len(tenant.admin.get("/api/v1/identity-providers").json()["data"]) == 1
        integrations = tenant.admin.get("/api/v1/web-integrations").json()["data"]
        assert [wi["validOrigins"] for wi in integrations] == [[ORIGIN]]
