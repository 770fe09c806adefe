"""``qlik-jwt demo`` as a real subprocess: starts, prints a URL that serves the page, and
stops both servers on SIGINT (Ctrl-C)."""

from __future__ import annotations

import re
import socket
import ssl
from pathlib import Path

import httpx

from tests.support.servers import ServerProcess, demo_command, free_port


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def demo_process(tmp_path: Path, *flags: str) -> tuple[ServerProcess, int, int]:
    """``qlik-jwt demo`` on free ports with ``flags``; its web and emulator ports."""
    web_port, emulator_port = free_port(), free_port()
    args = demo_command(web_port, emulator_port, tmp_path / "state", *flags)
    process = ServerProcess(args, f"http://127.0.0.1:{web_port}/healthz", cwd=tmp_path)
    return process, web_port, emulator_port


def test_demo_starts_prints_its_url_and_stops_on_sigint(tmp_path: Path) -> None:
    demo, web_port, emulator_port = demo_process(tmp_path)
    with demo:
        url = f"http://localhost:{web_port}"
        with httpx.Client(base_url=url) as client:
            assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"
            signed_in = client.post(
                "/sign-in",
                data={"username": "ada", "password": "ada-demo"},
                headers={"Origin": url},
            )
            assert signed_in.status_code == 303
            page = client.get("/")
            assert page.status_code == 200 and "Ada Lovelace" in page.text
            assert f"https://127.0.0.1:{emulator_port}" in page.text
            # Proxy mode by default: Qlik's paths answer on the web app's own origin.
            assert f'"qlikBaseUrl":"{url}"' in page.text
            me = client.get("/api/v1/users/me", follow_redirects=True)
            assert me.status_code == 200 and me.json()["subject"] == "demo|ada"
        certificate = str(tmp_path / "state" / "tls" / "certificate.pem")
        tenant = httpx.get(
            f"https://127.0.0.1:{emulator_port}/api/v1/csrf-token",
            verify=ssl.create_default_context(cafile=certificate),
        )
        assert tenant.status_code == 401  # the emulated tenant answers, with no session
    output = demo.output
    assert demo.proc is not None and demo.proc.returncode == 0, output
    assert f"open {url}" in output
    assert "mode            : proxy" in output
    assert "ada-demo" in output and "eve-demo" in output
    assert "stopped." in output and "Traceback" not in output
    assert (tmp_path / "state" / "signing" / "private.pem").exists()
    assert _port_is_free(web_port) and _port_is_free(emulator_port)


def test_demo_direct_flag_runs_the_direct_mode(tmp_path: Path) -> None:
    process, web_port, emulator_port = demo_process(tmp_path, "--direct")
    with process as demo:
        url = f"http://localhost:{web_port}"
        with httpx.Client(base_url=url) as client:
            client.post(
                "/sign-in",
                data={"username": "ada", "password": "ada-demo"},
                headers={"Origin": url},
            )
            page = client.get("/").text
            assert f'"qlikBaseUrl":"https://127.0.0.1:{emulator_port}"' in page
            assert client.get("/api/v1/users/me").status_code == 404  # nothing proxied
    assert "mode            : direct" in demo.output
    assert "accept its self-signed certificate" in demo.output


def test_demo_runs_the_impersonation_flow_in_both_modes(tmp_path: Path) -> None:
    """`qlik-jwt demo --login-mode impersonation` (proxy) and with `--direct`: the app gets
    Ada's access token from the emulator; a second run reuses the demo's OAuth client."""
    for flags in (("--login-mode", "impersonation"), ("--login-mode", "impersonation", "--direct")):
        process, web_port, _ = demo_process(tmp_path, *flags)
        with process:
            url = f"http://localhost:{web_port}"
            with httpx.Client(base_url=url) as client:
                client.post(
                    "/sign-in",
                    data={"username": "ada", "password": "ada-demo"},
                    headers={"Origin": url},
                )
                page = client.get("/").text
                assert "login mode <code>impersonation</code>" in page
                if "--direct" in flags:
                    token = re.search(r'"csrfToken":"([^"]*)"', page)
                    assert token and '"auth":"bearer"' in page
                    headers = {"Origin": url, "X-CSRF-Token": token.group(1)}
                    answer = client.post("/access-token", headers=headers)
                    assert answer.status_code == 200, answer.text
                else:
                    me = client.get("/api/v1/users/me", follow_redirects=True)
                    assert me.status_code == 200 and me.json()["subject"] == "demo|ada"
        assert "Traceback" not in process.output
    kept = (tmp_path / "state" / "impersonation.env").stat().st_mode & 0o777
    assert kept == 0o600
