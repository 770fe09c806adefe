"""The web app's published API under generated requests, on a real server.

1. schemathesis drives every operation of ``/openapi.json``, signed out and signed in: never
   a 500, and every answer's status, content type and body are the documented ones.
2. hypothesis sends ``POST /token`` arbitrary bodies, content types, origins, fetch metadata
   and CSRF headers from a signed-in client: each answer is 200 with a token, or a documented
   refusal in the error shape; never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qlik_jwt.web.errors import ErrorBody
from tests.support.openapi_fuzz import check_every_operation
from tests.support.servers import ServerThread
from tests.support.webapp import ADA, make_app, page_csrf_token, sign_in, web_settings

REFUSALS = {400, 401, 403, 429}


@pytest.fixture(scope="module")
def server(key_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    db = tmp_path_factory.mktemp("web") / "web.sqlite3"
    with ServerThread(make_app(web_settings(key_dir, db=db, token_rate_limit=20))) as running:
        yield running


@pytest.fixture(scope="module")
def ada(server: ServerThread) -> Iterator[tuple[httpx.Client, str]]:
    """A signed-in client and its session's CSRF token."""
    with httpx.Client(base_url=server.url) as client:
        assert sign_in(client, ADA.username, ADA.password).status_code == 303
        yield client, page_csrf_token(client)


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_every_operation_answers_as_documented(
    server: ServerThread, ada: tuple[httpx.Client, str], signed_in: bool
) -> None:
    client, csrf = ada
    headers = {"Origin": server.url}
    if signed_in:
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        headers.update({"Cookie": cookie, "X-CSRF-Token": csrf})
    document = httpx.get(f"{server.url}/openapi.json").json()
    operations, failures = check_every_operation(document, server.url, headers, max_examples=15)
    assert sorted(operations) == ["GET /config", "POST /token"]
    assert failures == {}


header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(
    str.strip
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.binary(max_size=2048) | st.sampled_from([b"", b"{}", b" {} ", b"[]", b'{"sub":"x"}']),
    content_type=st.none() | st.sampled_from(["application/json", "text/plain", "a/b"]),
    origin=st.none() | st.just("SELF") | header_text,
    fetch_site=st.none() | st.sampled_from(["same-origin", "cross-site", "none", "x"]),
    csrf=st.none() | st.just("SESSION") | header_text,
)
def test_any_token_request_is_answered_or_refused_in_shape(
    server: ServerThread,
    ada: tuple[httpx.Client, str],
    body: bytes,
    content_type: str | None,
    origin: str | None,
    fetch_site: str | None,
    csrf: str | None,
) -> None:
    client, session_csrf = ada
    headers = {
        "Content-Type": content_type,
        "Origin": server.url if origin == "SELF" else origin,
        "Sec-Fetch-Site": fetch_site,
        "X-CSRF-Token": session_csrf if csrf == "SESSION" else csrf,
    }
    sent = {name: value for name, value in headers.items() if value is not None}
    response = client.post("/token", content=body, headers=sent)
    if response.status_code == 200:
        assert set(response.json()) == {"token", "expiresAt"}
        assert response.headers["cache-control"] == "no-store"
    else:
        assert response.status_code in REFUSALS, response.text
        ErrorBody.model_validate(response.json())
