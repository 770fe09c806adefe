"""``qlik-jwt doctor``: find why logins would fail, before a user meets it.

Runs every check of :mod:`qlik_jwt.admin.checks` against the settings and reports one
result per check: ``pass``, ``fail`` (with its fix) or ``skip`` (a prerequisite is missing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from qlik_jwt.admin.checks import ALL_CHECKS, CheckContext, CheckResult, problem_text
from qlik_jwt.admin.connect import client_from_settings
from qlik_jwt.admin.impersonation_checks import IMPERSONATION_CHECKS
from qlik_jwt.errors import ConfigurationError, SettingsError
from qlik_jwt.settings import Settings

__all__ = ["CHECKS", "CheckResult", "DoctorReport", "run_doctor"]

EVERY_CHECK = ALL_CHECKS + IMPERSONATION_CHECKS
CHECKS = tuple(check.__name__.removeprefix("check_") for check in EVERY_CHECK)


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed (skipped checks do not count)."""
        return all(c.status != "fail" for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


def run_doctor(
    env_file: str | Path | None = ".env",
    *,
    overrides: Mapping[str, Any] | None = None,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
    login_subject: str | None = None,
    timeout: float = 10,
    on_check: Callable[[CheckResult], None] | None = None,
) -> DoctorReport:
    """Run every check against the settings from ``env_file`` plus ``overrides``.

    ``login_subject`` turns on the live login (it creates or updates that user on the
    tenant). ``on_check`` is told each result as it is made. Never raises for a problem it
    can describe: problems are failed checks.
    """
    results: list[CheckResult] = []

    def record(result: CheckResult) -> None:
        results.append(result)
        if on_check is not None:
            on_check(result)

    ctx = CheckContext(clock=clock, login_subject=login_subject)
    try:
        ctx.settings = Settings.load(env_file=env_file, **dict(overrides or {}))
    except SettingsError as exc:
        record(
            CheckResult(
                "settings",
                "fail",
                "; ".join(problem_text(p) for p in exc.problems),
                " ".join(p.fix for p in exc.problems),
            )
        )
        for later in CHECKS[1:]:
            record(CheckResult(later, "skip", "the settings could not be read"))
        return DoctorReport(tuple(results))
    if ctx.settings.tenant_url is not None:
        try:
            ctx.client = client_from_settings(
                ctx.settings, transport=transport, require_credential=False, timeout=timeout
            )
        except ConfigurationError as exc:  # an unusable QLIK_TENANT_CA_FILE: the tenant check
            ctx.client_problem = exc
    try:
        for check in EVERY_CHECK:
            record(check(ctx))
    finally:
        if ctx.client is not None:
            ctx.client.close()
    return DoctorReport(tuple(results))
