"""Reading Qlik's error bodies and naming the fix for the failures of reference §7."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from qlik_jwt.admin.client import MAX_RETRY_WAIT, http_error, parse_retry_after
from qlik_jwt.admin.failures import CODE_FIXES, ErrorEntry, first_error, fix_for
from qlik_jwt.contract import RULES

REQUEST = httpx.Request("POST", "https://t.example.com/login/jwt-session?x=secret-ish")


def response(status: int, body: object = None, **kwargs: object) -> httpx.Response:
    if body is None:
        return httpx.Response(status, request=REQUEST, **kwargs)  # type: ignore[arg-type]
    return httpx.Response(status, json=body, request=REQUEST)


def test_first_error_reads_qlik_error_shape_with_the_emulator_reason() -> None:
    body = {
        "errors": [
            {
                "code": "INTERNAL-TOKEN-1",
                "title": "Invalid token request",
                "detail": "JWT_LOGIN_VALIDATIONS Missing required claim: nbf",
                "status": "400",
                "meta": {"reason": "missing_claim"},
            },
            {"code": "IGNORED"},
        ],
        "traceId": "d4f3256ebd3ca1e7c7d71eadd70c4386",
    }
    error = first_error(response(400, body))
    assert error == ErrorEntry(
        "INTERNAL-TOKEN-1",
        "Invalid token request",
        "JWT_LOGIN_VALIDATIONS Missing required claim: nbf",
        "missing_claim",
    )


@pytest.mark.parametrize(
    "body", [{"errors": []}, {"errors": "x"}, ["x"], {"message": "nope"}, {"errors": [1]}]
)
def test_first_error_of_other_bodies_is_empty(body: object) -> None:
    assert first_error(response(500, body)) == ErrorEntry()


def test_first_error_of_a_non_json_body_is_empty() -> None:
    assert first_error(response(502, content=b"<html>bad gateway</html>")) == ErrorEntry()


def test_fix_prefers_reason_then_code_then_detail_then_status() -> None:
    assert fix_for(401, ErrorEntry(reason="unknown_kid")) == RULES["kid-mismatch"].fix
    assert fix_for(400, ErrorEntry(code="INTERNAL-TOKEN-1")) == CODE_FIXES["INTERNAL-TOKEN-1"]
    real_tenant = ErrorEntry(code="INTERNAL-TOKEN-1", detail="Missing required claim: jti")
    assert fix_for(400, real_tenant) == RULES["missing-claim"].fix
    cors = ErrorEntry(detail="Origin has not been granted access")
    assert "validOrigins" in fix_for(403, cors)
    assert "TenantAdmin" in fix_for(403, ErrorEntry())
    assert "retry later" in fix_for(503, ErrorEntry())
    assert fix_for(418, ErrorEntry()) == ""


def test_http_error_carries_status_code_and_fix_but_not_the_query() -> None:
    exc = http_error(response(401, {"errors": [{"code": "LOGIN-2", "title": "No auth"}]}))
    assert (exc.status, exc.code, exc.title) == (401, "LOGIN-2", "No auth")
    assert exc.url == "https://t.example.com/login/jwt-session"
    assert "secret-ish" not in str(exc)
    assert "QLIK_TENANT_URL" in exc.fix


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = 1_767_225_600.0
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after(" 0 ", now=now) == 0.0
    later = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(30.0)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0
    for unusable in (None, "", "soon", "-3", "1.5", "\u00b2"):
        assert parse_retry_after(unusable, now=now) is None
    assert MAX_RETRY_WAIT == 60.0
