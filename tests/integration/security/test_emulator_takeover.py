"""Becoming the emulator's administrator without its key, and reaching it by another name.

Its interactive sign-in page signed in any subject with any groups, the administrator's
included, and that session answered the admin APIs (a new identity provider with the
attacker's key, then any user). And it answered any ``Host``: a DNS-rebinding page on a name
its owner points at 127.0.0.1 could drive a plain-HTTP emulator on a developer's machine.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.testclient import TestClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from qlik_jwt.emulator import create_app
from qlik_jwt.emulator.state.users import ADMIN_SUBJECT
from tests.support.emulator import RunningEmulator, running_emulator


@pytest.fixture(scope="module")
def tenant() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        yield running


def sign_in_form(client: httpx.Client) -> str:
    """Start an interactive login; the state the sign-in page posts back."""
    start = client.get("/login")
    return parse_qs(urlsplit(start.headers["location"]).query)["state"][0]


def reasons(response: httpx.Response) -> list[str]:
    return [e["meta"]["reason"] for e in response.json()["errors"]]


def subjects(tenant: RunningEmulator) -> set[str]:
    return {u["subject"] for u in tenant.admin.get("/api/v1/users").json()["data"]}


def test_the_sign_in_page_refuses_a_subject_it_does_not_offer(tenant: RunningEmulator) -> None:
    with tenant.client() as client:
        state = sign_in_form(client)
        page = client.get(f"/login/emulator?state={state}")
        assert 'name="name"' not in page.text and 'name="groups"' not in page.text
        for subject in ("attacker|mallory", ADMIN_SUBJECT):
            form = {"state": state, "subject": subject, "name": "M", "email": "m@x.example"}
            refused = client.post("/login/emulator", data=form)
            assert refused.status_code == 401 and reasons(refused) == ["not_offered"]
            assert "set-cookie" not in refused.headers
        # the state was not used up: a user the page offers still signs in with it
        ada = client.post("/login/emulator", data={"state": state, "subject": "emulator|ada"})
        assert ada.status_code == 303
    assert "attacker|mallory" not in subjects(tenant)


def test_the_sign_in_page_takes_who_not_what_from_the_form(tenant: RunningEmulator) -> None:
    forged = {"name": "Root", "email": "root@x.example", "groups": "Admins,Finance,Engineering"}
    tenant.admin.patch(
        "/api/v1/groups/settings",
        json=[{"op": "replace", "path": "/autoCreateGroups", "value": True}],
    ).raise_for_status()
    with tenant.client() as client:
        state = sign_in_form(client)
        form = {"state": state, "subject": "emulator|grace", **forged}
        assert client.post("/login/emulator", data=form).status_code == 303
        me = client.get("/api/v1/users/me", follow_redirects=True).json()
        assert client.get("/api/v1/users").status_code == 403
    assert me["name"] == "Grace Hopper" and me["email"] == "grace@emulator.invalid"
    assert [g["name"] for g in me["assignedGroups"]] == ["Engineering"]


def test_the_administrator_offered_on_the_sign_in_page_still_gets_no_session(
    tenant: RunningEmulator,
) -> None:
    person = {"subject": ADMIN_SUBJECT, "name": "Admin", "email": "a@x.example", "groups": []}
    assert tenant.admin.post("/_emulator/sign-in-users", json=person).status_code == 201
    with tenant.client() as client:
        state = sign_in_form(client)
        refused = client.post("/login/emulator", data={"state": state, "subject": ADMIN_SUBJECT})
        assert refused.status_code == 403 and reasons(refused) == ["administrator_login"]
        assert "set-cookie" not in refused.headers
        assert client.get("/api/v1/identity-providers").status_code == 401


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:{port}", "127.0.0.1.nip.io"]
)
def test_a_host_the_emulator_does_not_serve_is_421(tenant: RunningEmulator, host: str) -> None:
    port = urlsplit(tenant.url).port
    headers = {"Host": host.format(port=port), "Authorization": f"Bearer {tenant.admin_key}"}
    with httpx.Client(base_url=tenant.url) as client:
        for answer in (
            client.get("/api/v1/users", headers=headers),
            client.post("/login/jwt-session", headers=headers),
            client.get("/login", headers=headers),
        ):
            assert answer.status_code == 421
            (error,) = answer.json()["errors"]
            assert error["code"] == "HTTP-421" and error["meta"]["reason"] == "unknown_host"
    # the engine websocket, its handshake's Host the attacker's name
    named = f"ws://{host.format(port=port)}/app/{tenant.app_id}"
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        pytest.raises(InvalidStatus) as refused,
    ):
        connect(named, sock=sock, additional_headers={"Authorization": headers["Authorization"]})
    assert refused.value.response.status_code == 421


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST.", "[::1]", "x.localhost"])
def test_addresses_and_localhost_are_served_on_any_port(tenant: RunningEmulator, name: str) -> None:
    with httpx.Client(base_url=tenant.url) as client:
        for host in (name, f"{name}:1"):
            answer = client.get("/api/v1/users/me", headers={"Host": host})
            assert answer.status_code == 401, (host, answer.text)  # the route answered


def test_host_names_add_the_names_a_proxy_or_dns_gives_the_emulator() -> None:
    app = create_app(host_names=["tenant.example.com"])
    with TestClient(app, base_url="http://10.0.0.5:8080") as client:
        assert client.get("/openapi.json", headers={"Host": "tenant.example.com"}).is_success
        assert client.get("/openapi.json", headers={"Host": "other.example"}).status_code == 421
