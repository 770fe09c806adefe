"""The engine websocket ``/app/{appId}`` with a real client (the ``websockets`` package)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.emulator.helpers import ORIGIN
from tests.support.emulator import Provisioned, RunningEmulator
from tests.support.node import require_node_modules, run_node_json

pytestmark = pytest.mark.usefixtures("provisioned")


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def call(
    socket: ClientConnection, request_id: int, method: str, handle: int, *params: Any
) -> dict[str, Any]:
    """Send one JSON-RPC request and return its response (skipping notifications)."""
    socket.send(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": method,
                "handle": handle,
                "params": list(params),
            }
        )
    )
    while True:
        message = json.loads(socket.recv(timeout=10))
        if message.get("id") == request_id:
            return message


@pytest.fixture
def session(emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims) -> httpx.Client:
    return emulator.login(signer, ada)


@pytest.fixture
def socket(emulator: RunningEmulator, session: httpx.Client) -> Iterator[ClientConnection]:
    """Server-to-server: cookie and CSRF header, no Origin."""
    headers = {"Cookie": cookie_header(session), "qlik-csrf-token": emulator.csrf_token(session)}
    with connect(emulator.websocket_url(), additional_headers=headers) as ws:
        yield ws


def refusal(emulator: RunningEmulator, url: str, **headers: str) -> tuple[int, dict[str, Any]]:
    with pytest.raises(InvalidStatus) as caught, connect(url, additional_headers=headers):
        pass  # pragma: no cover - the handshake is refused
    response = caught.value.response
    return response.status_code, json.loads(response.body or b"{}")


def test_the_engine_greets_with_on_connected(socket: ClientConnection) -> None:
    greeting = json.loads(socket.recv(timeout=10))
    assert greeting["method"] == "OnConnected"
    assert greeting["params"]["qSessionState"] == "SESSION_CREATED"


def test_a_granted_user_opens_the_sample_app(
    emulator: RunningEmulator, socket: ClientConnection
) -> None:
    opened = call(socket, 1, "OpenDoc", -1, emulator.app_id)
    assert "error" not in opened, opened
    assert opened["result"]["qReturn"]["qType"] == "Doc"


def test_the_engine_knows_who_is_connected(socket: ClientConnection) -> None:
    assert call(socket, 1, "GetAuthenticatedUser", -1)["result"]["qReturn"] == "app|ada"


def test_a_user_without_the_group_is_refused_with_access_denied(
    emulator: RunningEmulator, signer: TokenSigner
) -> None:
    outsider = emulator.login(
        signer, UserClaims("app|out", "Out", "out@example.com", True, ("Sales",))
    )
    headers = {"Cookie": cookie_header(outsider), "qlik-csrf-token": emulator.csrf_token(outsider)}
    with connect(emulator.websocket_url(), additional_headers=headers) as ws:
        answer = call(ws, 1, "OpenDoc", -1, emulator.app_id)
    assert answer["error"]["code"] == 5
    assert answer["error"]["message"] == "Access denied"


def test_revoking_the_assignment_takes_effect_at_the_next_open(
    emulator: RunningEmulator, provisioned: Provisioned, socket: ClientConnection
) -> None:
    (assignment_id,) = provisioned.assignment_ids
    emulator.admin.delete(
        f"/api/v1/spaces/{emulator.space_id}/assignments/{assignment_id}"
    ).raise_for_status()
    assert call(socket, 1, "OpenDoc", -1, emulator.app_id)["error"]["code"] == 5


def test_no_session_is_refused_with_401(emulator: RunningEmulator) -> None:
    status, body = refusal(emulator, emulator.websocket_url())
    assert status == 401
    assert body["errors"][0]["meta"]["reason"] == "no_session"


def test_no_csrf_token_is_refused_with_403(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    status, body = refusal(emulator, emulator.websocket_url(), Cookie=cookie_header(session))
    assert status == 403
    assert body["errors"][0]["code"] == "CSRF-TOKEN-2"


def test_a_wrong_csrf_token_is_refused(emulator: RunningEmulator, session: httpx.Client) -> None:
    url = emulator.websocket_url(**{"qlik-csrf-token": "x" * 36})
    status, body = refusal(emulator, url, Cookie=cookie_header(session))
    assert status == 403 and body["errors"][0]["meta"]["reason"] == "csrf_mismatch"


def test_a_browser_from_a_listed_origin_with_query_parameters_connects(
    emulator: RunningEmulator, provisioned: Provisioned, session: httpx.Client
) -> None:
    url = emulator.websocket_url(
        **{
            "qlik-web-integration-id": str(provisioned.web_integration_id),
            "qlik-csrf-token": emulator.csrf_token(session),
        }
    )
    with connect(url, origin=ORIGIN, additional_headers={"Cookie": cookie_header(session)}) as ws:  # type: ignore[arg-type]
        assert json.loads(ws.recv(timeout=10))["method"] == "OnConnected"


def test_a_browser_must_send_the_csrf_token_in_the_query(
    emulator: RunningEmulator, provisioned: Provisioned, session: httpx.Client
) -> None:
    url = emulator.websocket_url(**{"qlik-web-integration-id": str(provisioned.web_integration_id)})
    status, body = refusal(
        emulator,
        url,
        Origin=ORIGIN,
        Cookie=cookie_header(session),
        **{"qlik-csrf-token": emulator.csrf_token(session)},
    )
    # the header is what a server sends; a browser's token counts only in the query
    assert status == 403 and body["errors"][0]["meta"]["reason"] == "csrf_missing"
    assert "needs query parameter qlik-csrf-token" in body["errors"][0]["detail"]


def test_a_browser_without_the_web_integration_id_is_refused(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    url = emulator.websocket_url(**{"qlik-csrf-token": emulator.csrf_token(session)})
    status, body = refusal(emulator, url, Origin=ORIGIN, Cookie=cookie_header(session))
    assert status == 403 and body["errors"][0]["code"] == "CORS-1"


def test_a_browser_from_an_unlisted_origin_is_refused(
    emulator: RunningEmulator, provisioned: Provisioned, session: httpx.Client
) -> None:
    url = emulator.websocket_url(
        **{
            "qlik-web-integration-id": str(provisioned.web_integration_id),
            "qlik-csrf-token": emulator.csrf_token(session),
        }
    )
    status, body = refusal(
        emulator, url, Origin="https://evil.example", Cookie=cookie_header(session)
    )
    assert status == 403 and body["errors"][0]["meta"]["reason"] == "origin_not_allowed"


def test_the_admin_key_opens_any_app_without_csrf(emulator: RunningEmulator) -> None:
    headers = {"Authorization": f"Bearer {emulator.admin_key}"}
    with connect(emulator.websocket_url(), additional_headers=headers) as ws:
        assert "error" not in call(ws, 1, "OpenDoc", -1, emulator.app_ids[-1])


def test_a_forced_close_fault_closes_the_next_socket(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    emulator.admin.put("/_emulator/faults", json={"engine_close_next": 1}).raise_for_status()
    headers = {"Cookie": cookie_header(session), "qlik-csrf-token": emulator.csrf_token(session)}
    with (
        connect(emulator.websocket_url(), additional_headers=headers) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
    with connect(emulator.websocket_url(), additional_headers=headers) as ws:
        assert json.loads(ws.recv(timeout=10))["method"] == "OnConnected"


def test_enigma_js_reads_the_sample_app_through_the_authenticated_socket(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    require_node_modules("enigma.js", "ws")
    url = emulator.websocket_url()
    out = run_node_json(
        "enigma_authenticated.js",
        url,
        emulator.app_id,
        cookie_header(session),
        emulator.csrf_token(session),
    )
    assert out == {"user": "app|ada", "title": "Sales", "rows": 3}


def test_enigma_js_meets_access_denied_for_an_ungranted_user(
    emulator: RunningEmulator, signer: TokenSigner
) -> None:
    require_node_modules("enigma.js", "ws")
    outsider = emulator.login(signer, UserClaims("app|x", "X", "x@example.com", True))
    out = run_node_json(
        "enigma_authenticated.js",
        emulator.websocket_url(),
        emulator.app_id,
        cookie_header(outsider),
        emulator.csrf_token(outsider),
    )
    assert out["error"] == {"code": 5, "message": "Access denied"}
