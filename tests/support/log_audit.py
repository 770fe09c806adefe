"""Every log line of the test run is scanned for secrets at the end; one leak fails the run.

``tests/conftest.py`` imports the pytest hooks below, so this runs for any selection of tests.

1. **Every record.** :func:`pytest_configure` wraps ``logging.Logger.callHandlers``: every
   record of every logger passes there once, after its logger's level and filters (so after
   :mod:`qlik_jwt.log_redaction`) and before any handler, whatever the handlers or
   ``propagate`` say (uvicorn's loggers do not propagate). The record's final text (message,
   exception and stack text) is kept. Levels are opened up for the run: ``qlik_jwt`` at
   DEBUG, ``httpx`` and ``websockets`` at INFO; the test servers run uvicorn at INFO with
   access lines (``tests/support/servers.py``).
2. **Whose record.** Records of ``qlik_jwt.*`` and ``uvicorn.*`` are always kept, at every
   level. Another library's record is kept at INFO and above when our code
   (``src/qlik_jwt``) is on the stack that logged it: the proxy's httpx request line is
   ours; a test's own client logging a URL the test chose is not, nor are wire traces at
   DEBUG (httpcore's and websockets' print headers, cookies included, by design: never
   for production, as the README says).
3. **The run's secrets.** ``Starlette.__call__`` is wrapped so every request and response of
   every in-process app (threaded servers and ``TestClient`` alike) hands its session
   cookies, CSRF tokens, bearer credentials, and the OAuth secrets and tokens of ``/oauth/*``
   and ``/api/v1/oauth-clients`` bodies to :class:`~tests.support.secret_scan.SecretScan`.
4. **Subprocesses.** Server subprocesses (``ServerProcess``) give their output at stop.
5. **The verdict.** :func:`pytest_sessionfinish` runs the scan; each finding is printed
   masked and the exit status becomes 1. Under xdist, workers send findings to the controller.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

import qlik_jwt
from tests.support.secret_scan import OAUTH_PATHS, SecretScan

__all__ = ["SCAN", "record_process_output"]

SCAN = SecretScan()
OUR_CODE = str(Path(qlik_jwt.__file__).parent)
ALWAYS_KEPT = ("qlik_jwt", "uvicorn")
OPENED_LEVELS = {"qlik_jwt": logging.DEBUG, "httpx": logging.INFO, "websockets": logging.INFO}
RESPONSE_STARTS = frozenset({"http.response.start", "websocket.accept"})
_findings_from_workers: list[str] = []


def _ours_on_stack() -> bool:
    frame = sys._getframe(3)
    while frame is not None:
        if frame.f_code.co_filename.startswith(OUR_CODE):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _text(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:  # a record that cannot format is still scanned by its parts
        text = f"{record.msg!r} {record.args!r}"
    if record.exc_info:
        text += "\n" + "".join(traceback.format_exception(*record.exc_info))
    if record.stack_info:
        text += "\n" + record.stack_info
    return text


def _install_record_capture() -> None:
    original = logging.Logger.callHandlers

    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        if record.name.startswith(ALWAYS_KEPT) or (
            record.levelno >= logging.INFO and _ours_on_stack()
        ):
            SCAN.record(f"log {record.name} {record.levelname}", _text(record))
        original(self, record)

    logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
    for name, level in OPENED_LEVELS.items():
        logging.getLogger(name).setLevel(level)


def _install_secret_harvest() -> None:
    original = Starlette.__call__

    async def observed(self: Starlette, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await original(self, scope, receive, send)
            return
        SCAN.harvest_request(scope.get("headers") or (), scope.get("query_string") or b"")
        oauth = scope["type"] == "http" and str(scope.get("path", "")).startswith(OAUTH_PATHS)

        async def observed_receive() -> Message:
            message = await receive()
            if oauth and message["type"] == "http.request" and message.get("body"):
                SCAN.harvest_body(message["body"])
            return message

        async def observed_send(message: Message) -> None:
            if message["type"] in RESPONSE_STARTS or message["type"].endswith("response.start"):
                SCAN.harvest_response(message.get("headers") or ())
            elif oauth and message["type"] == "http.response.body" and message.get("body"):
                SCAN.harvest_body(message["body"])
            await send(message)

        await original(self, scope, observed_receive, observed_send)

    Starlette.__call__ = observed  # type: ignore[method-assign]


def record_process_output(args: list[str], output: str) -> None:
    """Scan what a server subprocess printed (its banner and its log lines)."""
    SCAN.record(f"output of {' '.join(args[1:4])}", output)


def pytest_configure(config: pytest.Config) -> None:
    _install_record_capture()
    _install_secret_harvest()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _findings_from_workers.extend(getattr(node, "workeroutput", {}).get("secret_findings", []))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    started = time.perf_counter()
    findings = [str(f) for f in SCAN.findings()] + _findings_from_workers
    took = time.perf_counter() - started
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: the controller reports
        worker_output["secret_findings"] = findings
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"secret scan: {len(SCAN.texts)} log texts, {len(SCAN.secrets)} secrets, "
            f"{len(findings)} leaks ({took:.2f} s)"
        )
    if not findings:
        return
    if reporter is not None:
        reporter.write_sep("=", "secrets found in log lines", red=True)
        for finding in findings[:50]:
            reporter.write_line(finding)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
