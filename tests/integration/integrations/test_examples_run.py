"""The README's way to run the examples, as real processes: ``qlik-jwt demo --app-origin ...``
provisions the emulated tenant and writes ``host-app.env``; each example, started with that
file sourced, signs Ada in and hands out a token the demo's tenant accepts."""

from __future__ import annotations

import shlex
import ssl
import stat
import sys
from pathlib import Path

import httpx

from tests.support.hosts import EXAMPLES, page_bootstrap, sign_in, token_headers
from tests.support.servers import ServerProcess, demo_command, free_port
from tests.support.webapp import ADA


def example_command(framework: str, env_file: Path, port: int) -> list[str]:
    """The README's commands for one example, in a shell that sourced ``env_file``."""
    python = shlex.quote(sys.executable)
    if framework == "django":
        manage = f"{python} {shlex.quote(str(EXAMPLES / 'django' / 'manage.py'))}"
        run = (
            f"{manage} migrate -v 0 && {manage} demo_users >/dev/null && "
            f"exec {manage} runserver 127.0.0.1:{port} --noreload"
        )
    else:
        run = f"PORT={port} exec {python} {shlex.quote(str(EXAMPLES / framework / 'app.py'))}"
    return ["bash", "-c", f"set -a; . {shlex.quote(str(env_file))}; set +a; {run}"]


def test_examples_run_against_the_demo_tenant(tmp_path: Path) -> None:
    ports = {framework: free_port() for framework in ("fastapi", "flask", "django")}
    web_port, emulator_port = free_port(), free_port()
    state = tmp_path / "state"
    origins = [arg for p in ports.values() for arg in ("--app-origin", f"http://localhost:{p}")]
    demo = ServerProcess(
        demo_command(web_port, emulator_port, state, *origins),
        f"http://127.0.0.1:{web_port}/healthz",
        cwd=tmp_path,
    )
    env_file = state / "host-app.env"
    tenant = f"https://127.0.0.1:{emulator_port}"
    with demo:
        trust = ssl.create_default_context(cafile=state / "tls" / "certificate.pem")
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        for framework, port in ports.items():
            example = ServerProcess(
                example_command(framework, env_file, port),
                f"http://127.0.0.1:{port}/qlik/config",
                env={"DJANGO_DB": str(tmp_path / "django.sqlite3")},
                cwd=tmp_path,
            )
            with example, httpx.Client(base_url=f"http://localhost:{port}", timeout=20) as client:
                assert sign_in(client, ADA.username, ADA.password).status_code in (302, 303)
                bootstrap = page_bootstrap(client)
                assert bootstrap["config"]["tenantUrl"] == tenant
                answer = client.post(
                    bootstrap["tokenUrl"], headers=token_headers(client, bootstrap)
                )
                assert answer.status_code == 200, (framework, answer.text)
                with httpx.Client(base_url=tenant, verify=trust) as qlik:
                    token = answer.json()["token"]
                    login = qlik.post(
                        "/login/jwt-session", headers={"Authorization": f"Bearer {token}"}
                    )
                    assert login.status_code == 200, (framework, login.text)
                    me = qlik.get("/api/v1/users/me", follow_redirects=True).json()
                    assert me["subject"] == "demo|ada"
            assert "Traceback" not in example.output, example.output
    assert f"host app env    : {env_file}" in demo.output
    assert "also allowed    : " + ", ".join(f"http://localhost:{p}" for p in ports.values()) in (
        demo.output
    )
