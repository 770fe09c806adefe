"""The run-wide secret scan fails a pytest run that logged a secret, and passes a clean one.

Each case runs pytest in a subprocess on a small test file, with only the scan's hooks
(``-p tests.support.log_audit``), as the suite itself runs them from ``tests/conftest.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

LEAKY = """
import logging, secrets
import httpx
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0." + "A" * 40
COOKIE = secrets.token_urlsafe(32)

def test_a_product_logger_logs_a_whole_token():
    logging.getLogger("qlik_jwt.web.audit").info("minted %s", JWT)

def test_a_product_logger_logs_a_cookie_a_server_handed_out():
    app = FastAPI()

    @app.get("/")
    def index(response: Response) -> dict:
        response.set_cookie("session", COOKIE)
        logging.getLogger("qlik_jwt.web").debug("new session %s", COOKIE)
        return {}

    assert TestClient(app).get("/").status_code == 200

def test_a_tests_own_client_may_log_what_it_chose():
    logging.getLogger("httpx").info("GET /single/?qlik-csrf-token=%s", COOKIE)
"""

CLEAN = """
import logging

def test_quiet():
    logging.getLogger("qlik_jwt.web.audit").info('{"event": "token-minted", "jti": "0f1e"}')
"""


def run_pytest(tmp_path: Path, source: str, *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(source)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.support.log_audit",
            "-p",
            "no:cacheprovider",
            "-c",
            str(tmp_path / "pytest.ini"),
            str(tmp_path / "test_sample.py"),
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("workers", [(), ("-n", "1")], ids=["in-process", "xdist"])
def test_a_run_that_logged_secrets_fails_and_names_each_leak_masked(
    tmp_path: Path, workers: tuple[str, ...]
) -> None:
    result = run_pytest(tmp_path, LEAKY, *workers)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    assert "2 leaks" in result.stdout
    assert "whole JWT in log qlik_jwt.web.audit INFO" in result.stdout
    assert "secret value in log qlik_jwt.web DEBUG" in result.stdout
    assert "in log httpx" not in result.stdout
    assert "A" * 40 not in result.stdout  # the report masks what it found


def test_a_clean_run_passes(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, CLEAN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 leaks" in result.stdout
