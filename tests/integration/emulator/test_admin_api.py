"""Web integrations, CSP origins, users, groups, spaces, items, OAuth and admin authentication."""

from __future__ import annotations

from typing import Any

import pytest

from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.emulator.helpers import reasons
from tests.support.emulator import RunningEmulator, running_emulator

WI = "/api/v1/web-integrations"
CSP = "/api/v1/csp-origins"


# --- authentication of the admin APIs ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [WI, CSP, "/api/v1/identity-providers", "/api/v1/users", "/api/v1/groups", "/api/v1/spaces"],
)
def test_admin_apis_need_credentials(emulator: RunningEmulator, path: str) -> None:
    with emulator.client() as client:
        anonymous = client.get(path)
        wrong = client.get(path, headers={"Authorization": "Bearer not-the-key"})
        basic = client.get(path, headers={"Authorization": "Basic YTpi"})
    assert anonymous.status_code == 401 and reasons(anonymous) == ["no_session"]
    assert wrong.status_code == 401 and reasons(wrong) == ["bad_bearer"]
    assert basic.status_code == 401
    assert emulator.admin.get(path).status_code == 200


def test_oauth_client_credentials_give_an_admin_token(emulator: RunningEmulator) -> None:
    client_id, secret = emulator.oauth_client.client_id, emulator.oauth_client.client_secret
    with emulator.client() as client:
        answer = client.post(
            "/oauth/token",
            json={
                "client_id": client_id,
                "client_secret": secret,
                "grant_type": "client_credentials",
            },
        )
        assert answer.status_code == 200
        token = answer.json()
        assert token["token_type"] == "bearer" and token["expires_in"] == 21600
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        me = client.get("/api/v1/users/me", headers=headers, follow_redirects=True)
        assert me.status_code == 200 and me.json()["tenantId"] == emulator.tenant_id
        assert client.get(WI, headers=headers).status_code == 200
        emulator.clock.advance(21600)
        assert client.get(WI, headers=headers).status_code == 401


def test_oauth_accepts_a_form_body(emulator: RunningEmulator) -> None:
    with emulator.client() as client:
        answer = client.post(
            "/oauth/token",
            data={
                "client_id": emulator.oauth_client.client_id,
                "client_secret": emulator.oauth_client.client_secret,
                "grant_type": "client_credentials",
            },
        )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}, 401),
        ({"grant_type": "password"}, 400),
        ([1, 2], 400),
        ("{not json", 400),
    ],
)
def test_oauth_refusals(emulator: RunningEmulator, body: Any, status: int) -> None:
    with emulator.client() as client:
        if isinstance(body, str):
            answer = client.post(
                "/oauth/token", content=body, headers={"content-type": "application/json"}
            )
        else:
            answer = client.post("/oauth/token", json=body)
    assert answer.status_code == status
    assert "access_token" not in answer.text


# --- web integrations --------------------------------------------------------------------------


def test_web_integration_create_get_list(emulator: RunningEmulator) -> None:
    created = emulator.admin.post(
        WI, json={"name": "My app", "validOrigins": ["https://app.example.com"]}
    )
    assert created.status_code == 201
    wi = created.json()
    assert len(wi["id"]) == 32 and wi["id"].isalnum()
    assert wi["tenantId"] == emulator.tenant_id
    assert wi["validOrigins"] == ["https://app.example.com"]
    assert wi["links"]["self"]["href"].endswith(f"{WI}/{wi['id']}")
    assert emulator.admin.get(f"{WI}/{wi['id']}").json() == wi
    assert [w["id"] for w in emulator.admin.get(WI).json()["data"]] == [wi["id"]]


@pytest.mark.parametrize(
    "origin",
    [
        "https://*.example.com",
        "*",
        "https://app.example.com/",
        "https://app.example.com/path",
        "https://app.example.com?x=1",
        "ftp://app.example.com",
        "app.example.com",
        " https://app.example.com",
        "https://user:pw@app.example.com",
        "https://app.example.com:99999",
    ],
)
def test_invalid_origins_are_400(emulator: RunningEmulator, origin: str) -> None:
    answer = emulator.admin.post(WI, json={"name": "x", "validOrigins": [origin]})
    assert answer.status_code == 400
    assert reasons(answer) == ["invalid_origin"]
    assert emulator.admin.get(WI).json()["data"] == []


def test_web_integration_patch_name_and_origins(emulator: RunningEmulator) -> None:
    wi = emulator.admin.post(WI, json={"name": "a"}).json()
    answer = emulator.admin.patch(
        f"{WI}/{wi['id']}",
        json=[
            {"op": "replace", "path": "/name", "value": "b"},
            {"op": "replace", "path": "/validOrigins", "value": ["http://localhost:3000"]},
        ],
    )
    assert answer.status_code == 204
    after = emulator.admin.get(f"{WI}/{wi['id']}").json()
    assert after["name"] == "b" and after["validOrigins"] == ["http://localhost:3000"]


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "path": "/validOrigins", "value": ["https://*.x.com"]}],
        [{"op": "replace", "path": "/validOrigins", "value": "https://x.com"}],
        # over the bounds of POST (100 origins, 256 characters each): PATCH let them in
        [
            {
                "op": "replace",
                "path": "/validOrigins",
                "value": [f"https://a{n}.example" for n in range(101)],
            }
        ],
        [
            {
                "op": "replace",
                "path": "/validOrigins",
                "value": ["https://" + "a" * 250 + ".example"],
            }
        ],
        [{"op": "replace", "path": "/tenantId", "value": "x"}],
        [{"op": "add", "path": "/name", "value": "x"}],
        [{"op": "replace", "path": "/name", "value": ""}],
        [{"op": "replace", "path": "/name", "value": "ok"}, {"op": "replace", "path": "/nope"}],
    ],
)
def test_bad_web_integration_patches_change_nothing(
    emulator: RunningEmulator, operations: list[dict[str, Any]]
) -> None:
    wi = emulator.admin.post(
        WI, json={"name": "keep", "validOrigins": ["https://a.example"]}
    ).json()
    assert emulator.admin.patch(f"{WI}/{wi['id']}", json=operations).status_code == 400
    assert emulator.admin.get(f"{WI}/{wi['id']}").json() == wi


def test_web_integrations_sort_and_page(emulator: RunningEmulator) -> None:
    for name in ("c", "a", "b"):
        emulator.admin.post(WI, json={"name": name}).raise_for_status()
    names = [w["name"] for w in emulator.admin.get(WI).json()["data"]]
    assert names == ["a", "b", "c"]
    reverse = emulator.admin.get(WI, params={"sort": "-name"}).json()["data"]
    assert [w["name"] for w in reverse] == ["c", "b", "a"]
    first = emulator.admin.get(WI, params={"limit": 2}).json()
    assert [w["name"] for w in first["data"]] == ["a", "b"]
    rest = emulator.admin.get(first["links"]["next"]["href"]).json()
    assert [w["name"] for w in rest["data"]] == ["c"] and "next" not in rest["links"]
    back = emulator.admin.get(rest["links"]["prev"]["href"]).json()
    assert [w["name"] for w in back["data"]] == ["a", "b"]
    assert emulator.admin.get(WI, params={"sort": "size"}).status_code == 400


def test_web_integration_delete(emulator: RunningEmulator) -> None:
    wi = emulator.admin.post(WI, json={"name": "x"}).json()
    assert emulator.admin.delete(f"{WI}/{wi['id']}").status_code == 204
    assert emulator.admin.delete(f"{WI}/{wi['id']}").status_code == 404


# --- CSP origins -------------------------------------------------------------------------------


def test_csp_origin_create_stores_host_and_port(emulator: RunningEmulator) -> None:
    answer = emulator.admin.post(
        CSP, json={"origin": "https://localhost:4443", "name": "dev", "frameAncestors": True}
    )
    assert answer.status_code == 201
    entry = answer.json()
    assert entry["origin"] == "localhost:4443"
    assert entry["frameAncestors"] is True and entry["scriptSrc"] is False
    assert set(entry) >= {
        "id",
        "name",
        "description",
        "createdDate",
        "modifiedDate",
        "connectSrcWSS",
    }


def test_csp_origins_may_keep_the_scheme() -> None:
    with running_emulator(options=EmulatorOptions(csp_origin_keeps_scheme=True)) as tenant:
        entry = tenant.admin.post(CSP, json={"origin": "https://localhost:4443"}).json()
    assert entry["origin"] == "https://localhost:4443"


@pytest.mark.parametrize(
    "origin",
    ["https://a.example/path", "a b.example", "", "https://", "*.*.example", "a.example:0"],
)
def test_invalid_csp_origins_are_400(emulator: RunningEmulator, origin: str) -> None:
    assert emulator.admin.post(CSP, json={"origin": origin}).status_code == 400


def test_a_wildcard_csp_origin_is_allowed(emulator: RunningEmulator) -> None:
    assert emulator.admin.post(CSP, json={"origin": "*.example.com"}).status_code == 201


def test_a_duplicate_csp_origin_is_409(emulator: RunningEmulator) -> None:
    emulator.admin.post(CSP, json={"origin": "a.example"}).raise_for_status()
    assert emulator.admin.post(CSP, json={"origin": "https://a.example"}).status_code == 409


def test_csp_put_replaces_the_entry(emulator: RunningEmulator) -> None:
    entry = emulator.admin.post(CSP, json={"origin": "a.example", "frameAncestors": True}).json()
    answer = emulator.admin.put(
        f"{CSP}/{entry['id']}", json={"origin": "b.example", "imgSrc": True}
    )
    assert answer.status_code == 200
    replaced = answer.json()
    assert replaced["origin"] == "b.example"
    assert replaced["frameAncestors"] is False and replaced["imgSrc"] is True
    assert emulator.admin.get(f"{CSP}/{entry['id']}").json() == replaced
    assert emulator.admin.put(f"{CSP}/nope", json={"origin": "c.example"}).status_code == 404


def test_csp_generate_header_json_text_and_406(emulator: RunningEmulator) -> None:
    emulator.admin.post(
        CSP,
        json={"origin": "https://app.example.com", "frameAncestors": True, "connectSrcWSS": True},
    ).raise_for_status()
    emulator.admin.post(CSP, json={"origin": "cdn.example", "scriptSrc": True}).raise_for_status()
    path = f"{CSP}/actions/generate-header"
    as_json = emulator.admin.get(path).json()
    header = as_json["Content-Security-Policy"]
    assert "connect-src 'self' wss://app.example.com;" in header
    assert "frame-ancestors 'self' https://app.example.com;" in header
    assert "script-src 'self' cdn.example;" in header
    text = emulator.admin.get(path, headers={"Accept": "text/plain"})
    assert text.status_code == 200 and text.text == header
    assert emulator.admin.get(path, headers={"Accept": "image/png"}).status_code == 406


def test_csp_list_filters(emulator: RunningEmulator) -> None:
    emulator.admin.post(CSP, json={"origin": "a.example", "name": "Alpha", "frameAncestors": True})
    emulator.admin.post(CSP, json={"origin": "b.example", "name": "Beta"})
    framed = emulator.admin.get(CSP, params={"frameAncestors": "true"}).json()["data"]
    assert [e["origin"] for e in framed] == ["a.example"]
    named = emulator.admin.get(CSP, params={"name": "b*"}).json()["data"]
    assert [e["name"] for e in named] == ["Beta"]
    ordered = emulator.admin.get(CSP, params={"sort": "-origin"}).json()["data"]
    assert [e["origin"] for e in ordered] == ["b.example", "a.example"]
    assert emulator.admin.get(CSP, params={"frameAncestors": "maybe"}).status_code == 400


def test_csp_delete(emulator: RunningEmulator) -> None:
    entry = emulator.admin.post(CSP, json={"origin": "a.example"}).json()
    assert emulator.admin.delete(f"{CSP}/{entry['id']}").status_code == 204
    assert emulator.admin.get(f"{CSP}/{entry['id']}").status_code == 404


# --- users and groups --------------------------------------------------------------------------


@pytest.mark.usefixtures("provisioned")
def test_users_filter_get_and_delete(
    emulator: RunningEmulator, signer: TokenSigner, ada: UserClaims
) -> None:
    emulator.login(signer, ada)
    found = emulator.admin.get("/api/v1/users", params={"filter": 'subject eq "app|ada"'}).json()
    (user,) = found["data"]
    assert set(user) >= {
        "id",
        "name",
        "subject",
        "tenantId",
        "status",
        "assignedGroups",
        "createdAt",
    }
    assert user["status"] == "active"
    by_email = emulator.admin.get("/api/v1/users", params={"filter": 'email eq "ada@example.com"'})
    assert [u["id"] for u in by_email.json()["data"]] == [user["id"]]
    assert emulator.admin.get(f"/api/v1/users/{user['id']}").json()["subject"] == "app|ada"
    assert emulator.admin.delete(f"/api/v1/users/{user['id']}").status_code == 204
    assert emulator.admin.get(f"/api/v1/users/{user['id']}").status_code == 404
    assert emulator.admin.delete(f"/api/v1/users/{user['id']}").status_code == 404


@pytest.mark.parametrize(
    "expression", ['subject = "x"', 'password eq "x"', "subject eq x", 'name eq "a" or id eq "b"']
)
def test_unsupported_filters_are_400(emulator: RunningEmulator, expression: str) -> None:
    answer = emulator.admin.get("/api/v1/users", params={"filter": expression})
    assert answer.status_code == 400


def test_users_can_be_created_ahead_of_login(emulator: RunningEmulator) -> None:
    body = {"name": "Pre", "email": "pre@example.com", "subject": "app|pre", "status": "active"}
    created = emulator.admin.post("/api/v1/users", json=body)
    assert created.status_code == 201 and created.json()["subject"] == "app|pre"
    assert emulator.admin.post("/api/v1/users", json=body).status_code == 409


def test_the_administrator_cannot_be_deleted(emulator: RunningEmulator) -> None:
    me = emulator.admin.get("/api/v1/users/me", follow_redirects=True).json()
    assert emulator.admin.delete(f"/api/v1/users/{me['id']}").status_code == 400


@pytest.mark.usefixtures("provisioned")
def test_groups_filter_by_name(emulator: RunningEmulator) -> None:
    answer = emulator.admin.get("/api/v1/groups", params={"filter": 'name eq "Finance"'})
    (group,) = answer.json()["data"]
    assert group["name"] == "Finance" and group["providerType"] == "idp"
    assert emulator.admin.get(f"/api/v1/groups/{group['id']}").json()["id"] == group["id"]
    none = emulator.admin.get("/api/v1/groups", params={"filter": 'name eq "finance"'})
    assert none.json()["data"] == []


def test_group_settings_get_and_patch(emulator: RunningEmulator) -> None:
    assert emulator.admin.get("/api/v1/groups/settings").json()["autoCreateGroups"] is False
    patch = [
        {"op": "replace", "path": "/autoCreateGroups", "value": True},
        {"op": "replace", "path": "/syncIdpGroups", "value": True},
    ]
    assert emulator.admin.patch("/api/v1/groups/settings", json=patch).status_code == 204
    settings = emulator.admin.get("/api/v1/groups/settings").json()
    assert settings["autoCreateGroups"] is True and settings["syncIdpGroups"] is True
    bad = [{"op": "replace", "path": "/autoCreateGroups", "value": "yes"}]
    assert emulator.admin.patch("/api/v1/groups/settings", json=bad).status_code == 400


# --- spaces, assignments, items ----------------------------------------------------------------


def test_spaces_create_list_get_and_duplicate(emulator: RunningEmulator) -> None:
    created = emulator.admin.post("/api/v1/spaces", json={"name": "Embedded", "type": "shared"})
    assert created.status_code == 201
    space = created.json()
    assert set(space) >= {"id", "name", "type"} and space["type"] == "shared"
    again = emulator.admin.post("/api/v1/spaces", json={"name": "Embedded", "type": "managed"})
    assert again.status_code == 409
    listed = emulator.admin.get("/api/v1/spaces", params={"name": "Embedded"}).json()
    assert [s["id"] for s in listed["data"]] == [space["id"]]
    assert emulator.admin.get(f"/api/v1/spaces/{space['id']}").json()["name"] == "Embedded"
    assert (
        emulator.admin.post("/api/v1/spaces", json={"name": "x", "type": "personal"}).status_code
        == 400
    )


def test_the_sample_space_holds_the_sample_apps(emulator: RunningEmulator) -> None:
    items = emulator.admin.get("/api/v1/items", params={"resourceType": "app"}).json()["data"]
    assert [i["resourceId"] for i in items] == emulator.app_ids
    assert {i["spaceId"] for i in items} == {emulator.space_id}
    assert all(i["resourceType"] == "app" and i["name"] for i in items)
    second = emulator.app_ids[1]
    one = emulator.admin.get("/api/v1/items", params={"resourceId": second}).json()["data"]
    assert [i["resourceId"] for i in one] == [second]


@pytest.mark.usefixtures("provisioned")
def test_assignments_create_list_delete(emulator: RunningEmulator) -> None:
    base = f"/api/v1/spaces/{emulator.space_id}/assignments"
    (existing,) = emulator.admin.get(base).json()["data"]
    assert existing["type"] == "group" and existing["roles"] == ["consumer"]
    duplicate = {"type": "group", "assigneeId": existing["assigneeId"], "roles": ["consumer"]}
    assert emulator.admin.post(base, json=duplicate).status_code == 409
    assert emulator.admin.get(f"{base}/{existing['id']}").json() == existing
    assert emulator.admin.delete(f"{base}/{existing['id']}").status_code == 204
    assert emulator.admin.get(base).json()["data"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"type": "group", "assigneeId": "000000000000000000000000", "roles": ["consumer"]}, 404),
        ({"type": "group", "assigneeId": "x", "roles": ["emperor"]}, 400),
        ({"type": "group", "assigneeId": "x", "roles": []}, 400),
        ({"type": "robot", "assigneeId": "x", "roles": ["consumer"]}, 400),
    ],
)
def test_bad_assignments(emulator: RunningEmulator, body: dict[str, Any], status: int) -> None:
    answer = emulator.admin.post(f"/api/v1/spaces/{emulator.space_id}/assignments", json=body)
    assert answer.status_code == status


def test_assignments_of_an_unknown_space_are_404(emulator: RunningEmulator) -> None:
    assert emulator.admin.get("/api/v1/spaces/nope/assignments").status_code == 404


# --- bad input in general ----------------------------------------------------------------------


def test_malformed_json_is_400(emulator: RunningEmulator) -> None:
    answer = emulator.admin.post(
        WI, content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["detail"].startswith("The body is not valid JSON")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"[" * 60_000, "The body nests too deeply to be read"),
        (b'{"name": ' + b"1" * 5000 + b"}", "The body holds an integer with too many digits"),
        (b'{"name": "\xff"}', "The body is not UTF-8 text"),
    ],
)
def test_unreadable_json_is_400_saying_why(
    emulator: RunningEmulator, body: bytes, detail: str
) -> None:
    """/oauth/token reads its own body: it answered these with a 500."""
    for path in (WI, "/oauth/token"):
        answer = emulator.admin.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["errors"][0]["detail"].startswith(detail), (path, answer.text)
        assert reasons(answer) == ["invalid_request"]


def test_blank_names_are_400_with_a_reason(emulator: RunningEmulator) -> None:
    """They passed the length check and were refused without meta.reason."""
    wi = emulator.admin.post(WI, json={"name": "kept"}).json()
    rename = [{"op": "replace", "path": "/name", "value": "   "}]
    for answer, reason in (
        (emulator.admin.post(WI, json={"name": "   "}), "invalid_request"),
        (emulator.admin.patch(f"{WI}/{wi['id']}", json=rename), "invalid_patch"),
        (
            emulator.admin.post("/api/v1/spaces", json={"name": " ", "type": "shared"}),
            "invalid_request",
        ),
    ):
        assert answer.status_code == 400 and reasons(answer) == [reason], answer.text


def test_a_body_of_the_wrong_type_is_400(emulator: RunningEmulator) -> None:
    assert emulator.admin.post(WI, json=["a list"]).status_code == 400
    assert emulator.admin.post(WI, json={"name": 7}).status_code == 400


def test_unknown_fields_are_400(emulator: RunningEmulator) -> None:
    answer = emulator.admin.post(WI, json={"name": "x", "origins": []})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["detail"] == "origins: unknown field; remove it."


def test_an_oversized_body_is_413(emulator: RunningEmulator) -> None:
    answer = emulator.admin.post(WI, json={"name": "x" * 70_000})
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["code"] == "HTTP-413"


def test_a_too_long_field_is_400(emulator: RunningEmulator) -> None:
    assert emulator.admin.post(WI, json={"name": "x" * 300}).status_code == 400


def test_unknown_paths_and_methods_answer_in_qliks_shape(emulator: RunningEmulator) -> None:
    missing = emulator.admin.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "HTTP-404"
    wrong = emulator.admin.put(WI)
    assert wrong.status_code == 405 and wrong.json()["errors"][0]["status"] == "405"


def test_the_openapi_document_lists_the_endpoints(emulator: RunningEmulator) -> None:
    document = emulator.admin.get("/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/login/jwt-session",
        "/api/v1/csrf-token",
        "/api/v1/users/me",
        "/api/v1/identity-providers",
        "/api/v1/web-integrations/{integration_id}",
        "/api/v1/csp-origins/actions/generate-header",
        "/api/v1/spaces/{space_id}/assignments",
        "/api/v1/items",
        "/single/",
        "/oauth/token",
    ):
        assert path in paths, path
    responses = paths["/api/v1/web-integrations"]["post"]["responses"]
    assert "201" in responses and "400" in responses
    assert "ErrorsBody" in document["components"]["schemas"]


def test_a_streamed_body_over_the_limit_is_413(emulator: RunningEmulator) -> None:
    def chunks() -> Any:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}'

    answer = emulator.admin.post(WI, content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert emulator.admin.get(WI).json()["data"] == []
