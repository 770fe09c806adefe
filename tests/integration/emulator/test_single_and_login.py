"""``/single/`` (CSP frame-ancestors, session, access) and the interactive ``GET /login``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.emulator.helpers import ORIGIN, provisioned_tenant, reasons
from tests.support.emulator import Provisioned, RunningEmulator

pytestmark = pytest.mark.usefixtures("provisioned")


@pytest.fixture
def session(emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims) -> httpx.Client:
    return emulator.login(signer, ada)


def object_id(emulator: RunningEmulator) -> str:
    app = emulator.tenant.apps[emulator.app_id]
    return next(oid for oid, props in app.objects.items() if props["qInfo"]["qType"] != "sheet")


# --- /single/ ----------------------------------------------------------------------------------


def test_single_sends_frame_ancestors_from_the_csp_origins(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    answer = session.get(
        "/single/",
        params={"appid": emulator.app_id, "obj": object_id(emulator), "opt": "ctxmenu,currsel"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == f"frame-ancestors 'self' {ORIGIN}"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "<html" in answer.text


def test_without_csp_entries_only_the_tenant_may_frame(
    emulator: RunningEmulator, provisioned: Provisioned, session: httpx.Client
) -> None:
    for entry_id in provisioned.csp_origin_ids:
        emulator.admin.delete(f"/api/v1/csp-origins/{entry_id}").raise_for_status()
    answer = session.get("/single/", params={"appid": emulator.app_id, "obj": object_id(emulator)})
    assert answer.headers["content-security-policy"] == "frame-ancestors 'self'"


def test_only_entries_with_frame_ancestors_are_listed(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    emulator.admin.post(
        "/api/v1/csp-origins", json={"origin": "https://img.example", "imgSrc": True}
    )
    emulator.admin.post(
        "/api/v1/csp-origins", json={"origin": "*.partner.example", "frameAncestors": True}
    )
    answer = session.get("/single/", params={"appid": emulator.app_id, "obj": object_id(emulator)})
    policy = answer.headers["content-security-policy"]
    assert policy == f"frame-ancestors 'self' {ORIGIN} *.partner.example"


def test_single_shows_a_sheet(emulator: RunningEmulator, session: httpx.Client) -> None:
    app = emulator.tenant.apps[emulator.app_id]
    sheet = next(oid for oid, props in app.objects.items() if props["qInfo"]["qType"] == "sheet")
    assert (
        session.get("/single/", params={"appid": emulator.app_id, "sheet": sheet}).status_code
        == 200
    )


def test_single_without_a_session_redirects_to_login_and_back(
    emulator: RunningEmulator, provisioned: Provisioned
) -> None:
    wiid = str(provisioned.web_integration_id)
    with emulator.client() as client:
        answer = client.get(
            "/single/",
            params={"appid": emulator.app_id, "obj": "x", "qlik-web-integration-id": wiid},
        )
    assert answer.status_code == 302
    target = urlsplit(answer.headers["location"])
    assert target.path == "/login"
    query = parse_qs(target.query)
    assert query["qlik-web-integration-id"] == [wiid]
    assert query["returnto"][0].startswith("/single/?appid=")


def test_single_for_a_user_without_access_is_403(
    emulator: RunningEmulator, signer: TokenSigner
) -> None:
    outsider = emulator.login(signer, UserClaims("app|o", "O", "o@example.com", True))
    answer = outsider.get("/single/", params={"appid": emulator.app_id, "obj": object_id(emulator)})
    assert answer.status_code == 403 and reasons(answer) == ["no_access"]


def test_single_for_unknown_apps_and_objects_is_404(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    assert session.get("/single/", params={"appid": "nope", "obj": "x"}).status_code == 404
    assert (
        session.get(
            "/single/", params={"appid": emulator.app_id, "obj": "no-such-object"}
        ).status_code
        == 404
    )
    assert session.get("/single/", params={"obj": "x"}).status_code == 400


def test_single_may_require_the_csrf_token(
    rsa_key: object, certificate_pem: str, ada: UserClaims
) -> None:
    options = EmulatorOptions(single_requires_csrf=True)
    with provisioned_tenant(rsa_key, certificate_pem, options=options, groups=("Finance",)) as (
        tenant,
        signer,
    ):  # type: ignore[arg-type]
        client = tenant.login(signer, ada)
        params = {"appid": tenant.app_id, "obj": object_id(tenant)}
        refused = client.get("/single/", params=params)
        assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "CSRF-TOKEN-2"
        assert reasons(refused) == ["csrf_missing"]
        wrong = client.get("/single/", params={**params, "qlik-csrf-token": "x" * 36})
        assert wrong.status_code == 403 and reasons(wrong) == ["csrf_mismatch"]
        params["qlik-csrf-token"] = tenant.csrf_token(client)
        assert client.get("/single/", params=params).status_code == 200


# --- GET /login --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "returnto",
    [
        "//evil.example/x",
        "javascript:alert(1)",
        "https:///nohost",
        "http://a b.example/",
        "/x\\y",
        "ftp://h.example/",
    ],
)
def test_a_malformed_returnto_is_401_login_8(emulator: RunningEmulator, returnto: str) -> None:
    with emulator.client() as client:
        answer = client.get("/login", params={"returnto": returnto})
    assert answer.status_code == 401
    (error,) = answer.json()["errors"]
    assert error["code"] == "LOGIN-8" and error["title"] == "Illegal returnto value"


def test_a_returnto_not_in_the_integration_is_401_login_10(
    emulator: RunningEmulator, provisioned: Provisioned
) -> None:
    with emulator.client() as client:
        unnamed = client.get("/login", params={"returnto": f"{ORIGIN}/page"})
        named = client.get(
            "/login",
            params={
                "returnto": "https://elsewhere.example/",
                "qlik-web-integration-id": provisioned.web_integration_id,
            },
        )
    for answer in (unnamed, named):
        assert answer.status_code == 401
        assert answer.json()["errors"][0]["code"] == "LOGIN-10"
        assert (
            answer.json()["errors"][0]["title"]
            == "returnto not included in web integration whitelist"
        )


@pytest.mark.parametrize("returnto", ["/hub", "automations/editor/x", None])
def test_relative_returnto_values_are_accepted(
    emulator: RunningEmulator, returnto: str | None
) -> None:
    with emulator.client() as client:
        answer = client.get("/login", params={"returnto": returnto} if returnto else {})
    assert answer.status_code == 302
    assert answer.headers["location"].startswith("/login/emulator?state=")
    assert any(name.startswith("eas.rfp.") for name in answer.cookies)


def test_the_interactive_flow_signs_in_and_returns(
    emulator: RunningEmulator, provisioned: Provisioned
) -> None:
    returnto = f"{ORIGIN}/mashup?x=1"
    with emulator.client() as client:
        start = client.get(
            "/login",
            params={
                "returnto": returnto,
                "qlik-web-integration-id": provisioned.web_integration_id,
            },
        )
        assert start.status_code == 302
        page = client.get(start.headers["location"])
        assert page.status_code == 200 and "Ada Lovelace" in page.text
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        done = client.post(
            "/login/emulator",
            data={
                "state": state,
                "subject": "emulator|ada",
                "name": "Ada Lovelace",
                "email": "ada@emulator.invalid",
                "groups": "Finance",
            },
        )
        assert done.status_code == 303
        assert done.headers["location"] == returnto
        assert not any(name.startswith("eas.rfp.") for name in client.cookies)
        me = client.get("/api/v1/users/me", follow_redirects=True).json()
    assert me["subject"] == "emulator|ada"
    assert [g["name"] for g in me["assignedGroups"]] == ["Finance"]


def test_the_callback_without_the_state_cookie_is_401_state_1(emulator: RunningEmulator) -> None:
    with emulator.client() as client:
        start = client.get("/login")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        client.cookies.clear()
        answer = client.post(
            "/login/emulator",
            data={"state": state, "subject": "s", "name": "n", "email": "e@x.example"},
        )
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["code"] == "STATE-1"
    assert "set-cookie" not in answer.headers


def test_a_blank_sign_in_field_is_400_naming_it(emulator: RunningEmulator) -> None:
    """Spaces passed the length check and made a user whose subject was empty."""
    with emulator.client() as client:
        start = client.get("/login")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        form = {"state": state, "subject": "   ", "name": "Blank", "email": "b@x.example"}
        answer = client.post("/login/emulator", data=form)
        assert answer.status_code == 400 and reasons(answer) == ["invalid_request"]
        assert answer.json()["errors"][0]["detail"].startswith("subject: ")
        # nothing was used up: the same state signs in with a real subject
        done = client.post("/login/emulator", data={**form, "subject": " emulator|ada "})
        assert done.status_code == 303
    users = emulator.admin.get("/api/v1/users").json()["data"]
    assert "emulator|ada" in {u["subject"] for u in users}
    assert "" not in {u["subject"].strip() for u in users}


def test_a_state_is_used_once(emulator: RunningEmulator) -> None:
    form = {"subject": "emulator|grace", "name": "Grace", "email": "grace@emulator.invalid"}
    with emulator.client() as client:
        start = client.get("/login")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        rfp = {name: value for name, value in client.cookies.items() if name.startswith("eas.rfp.")}
        assert client.post("/login/emulator", data={"state": state, **form}).status_code == 303
        for name, value in rfp.items():
            client.cookies.set(name, value)
        assert client.post("/login/emulator", data={"state": state, **form}).status_code == 401


def test_login_with_a_session_goes_straight_back(
    emulator: RunningEmulator, session: httpx.Client
) -> None:
    answer = session.get("/login", params={"returnto": "/hub"})
    assert answer.status_code == 302 and answer.headers["location"] == "/hub"


def test_sign_in_users_can_be_added(emulator: RunningEmulator) -> None:
    person = {
        "subject": "emulator|linus",
        "name": "Linus",
        "email": "linus@emulator.invalid",
        "groups": ["Ops"],
    }
    assert emulator.admin.post("/_emulator/sign-in-users", json=person).status_code == 201
    listed = emulator.admin.get("/_emulator/sign-in-users").json()
    assert person in listed
    with emulator.client() as client:
        page = client.get(client.get("/login").headers["location"])
    assert "Linus" in page.text
