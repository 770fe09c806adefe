"""``/api/v1/identity-providers``: shapes, statuses, PEM handling and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import keys
from qlik_jwt.emulator import EmulatorOptions
from tests.integration.emulator.helpers import reasons
from tests.support.emulator import RunningEmulator, running_emulator

BASE = "/api/v1/identity-providers"


def payload(pem: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenantIds": [],
        "provider": "external",
        "protocol": "jwtAuth",
        "interactive": False,
        "active": True,
        "description": "Auth for my web app",
        "clockToleranceSec": 5,
        "options": {
            "jwtLoginEnabled": True,
            "issuer": "myorganization.com",
            "staticKeys": [{"pem": pem, "kid": "myorganization20240205"}],
        },
    }
    body.update(changes)
    return body


@pytest.fixture
def single_line(certificate_pem: str) -> str:
    return keys.single_line_pem(certificate_pem)


def test_create_answers_201_with_qliks_shape(emulator: RunningEmulator, single_line: str) -> None:
    answer = emulator.admin.post(BASE, json=payload(single_line))
    assert answer.status_code == 201
    idp = answer.json()
    assert len(idp["id"]) == 24
    assert idp["protocol"] == "jwtAuth" and idp["provider"] == "external"
    assert idp["interactive"] is False and idp["active"] is True
    assert idp["clockToleranceSec"] == 5
    assert idp["tenantIds"] == [emulator.tenant_id]
    assert idp["options"] == {
        "issuer": "myorganization.com",
        "staticKeys": [{"kid": "myorganization20240205", "pem": single_line}],
        "jwtLoginEnabled": True,
    }
    assert idp["created"].endswith("Z") and idp["lastUpdated"] == idp["created"]
    assert emulator.admin.get(f"{BASE}/{idp['id']}").json() == idp


def test_qliks_example_body_with_its_tenant_id_is_accepted(
    emulator: RunningEmulator, single_line: str
) -> None:
    answer = emulator.admin.post(BASE, json=payload(single_line, tenantIds=[emulator.tenant_id]))
    assert answer.status_code == 201


def test_a_foreign_tenant_id_is_403(emulator: RunningEmulator, single_line: str) -> None:
    answer = emulator.admin.post(BASE, json=payload(single_line, tenantIds=["BL4tTJ4S7xrHTcq0"]))
    assert answer.status_code == 403


def test_a_multi_line_pem_is_normalised_to_one_line(
    emulator: RunningEmulator, certificate_pem: str, single_line: str
) -> None:
    answer = emulator.admin.post(BASE, json=payload(certificate_pem))
    assert answer.status_code == 201
    assert answer.json()["options"]["staticKeys"][0]["pem"] == single_line


def test_an_spki_public_key_is_accepted(
    emulator: RunningEmulator, rsa_key: rsa.RSAPrivateKey
) -> None:
    from cryptography.hazmat.primitives import serialization

    spki = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    answer = emulator.admin.post(BASE, json=payload(keys.single_line_pem(spki)))
    assert answer.status_code == 201


def test_strict_pem_refuses_line_breaks(certificate_pem: str) -> None:
    with running_emulator(options=EmulatorOptions(strict_single_line_pem=True)) as tenant:
        answer = tenant.admin.post(BASE, json=payload(certificate_pem))
        assert answer.status_code == 400 and "line breaks" in answer.json()["errors"][0]["detail"]
        assert (
            tenant.admin.post(BASE, json=payload(keys.single_line_pem(certificate_pem))).status_code
            == 201
        )


@pytest.mark.parametrize(
    "pem",
    [
        "not a pem",
        "/etc/passwd",
        "-----BEGIN CERTIFICATE-----bm90IGEgY2VydGlmaWNhdGU=-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----AAAA-----END PUBLIC KEY-----",
    ],
)
def test_an_invalid_pem_is_400(emulator: RunningEmulator, pem: str) -> None:
    answer = emulator.admin.post(BASE, json=payload(pem))
    assert answer.status_code == 400
    assert reasons(answer) == ["invalid_identity_provider"]
    assert emulator.admin.get(BASE).json()["data"] == []


def test_a_private_key_is_refused_and_never_echoed(
    emulator: RunningEmulator, rsa_key: rsa.RSAPrivateKey
) -> None:
    private = keys.private_key_pem(rsa_key).decode()
    answer = emulator.admin.post(BASE, json=payload(private))
    assert answer.status_code == 400
    assert "PRIVATE KEY" in answer.json()["errors"][0]["detail"] or "private key" in answer.text
    assert private.splitlines()[1] not in answer.text


def test_a_small_key_is_refused(emulator: RunningEmulator) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa as rsa_mod

    small = rsa_mod.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    certificate = keys.certificate_pem(keys.self_signed_certificate(small)).decode()  # type: ignore[arg-type]
    answer = emulator.admin.post(BASE, json=payload(certificate))
    assert answer.status_code == 400 and "1024" in answer.text


def test_exactly_one_static_key(emulator: RunningEmulator, single_line: str) -> None:
    body = payload(single_line)
    body["options"]["staticKeys"] *= 2
    answer = emulator.admin.post(BASE, json=body)
    assert answer.status_code == 400
    assert "exactly one static key" in answer.json()["errors"][0]["detail"]
    body["options"]["staticKeys"] = []
    assert emulator.admin.post(BASE, json=body).status_code == 400


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"protocol": "OIDC"}, "protocol"),
        ({"interactive": True}, "interactive"),
        ({"clockToleranceSec": "5"}, "clockToleranceSec"),
        ({"clockToleranceSec": -1}, "clockToleranceSec"),
        ({"active": "yes"}, "active"),
        ({"surprise": 1}, "surprise"),
        ({"options": {"issuer": "x"}}, "options/staticKeys"),
    ],
)
def test_bad_fields_are_400_naming_the_field(
    emulator: RunningEmulator, single_line: str, changes: dict[str, Any], where: str
) -> None:
    answer = emulator.admin.post(BASE, json=payload(single_line, **changes))
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert any(e["detail"].startswith(where) for e in errors), errors
    assert all(e["code"] == "HTTP-400" and e["status"] == "400" for e in errors)


@pytest.mark.parametrize("issuer", [" myorganization.com", "myorganization.com ", " "])
def test_issuer_or_kid_with_surrounding_whitespace_is_400(
    emulator: RunningEmulator, single_line: str, issuer: str
) -> None:
    body = payload(single_line)
    body["options"]["issuer"] = issuer
    assert emulator.admin.post(BASE, json=body).status_code == 400


def test_a_tolerance_over_the_maximum_is_400(emulator: RunningEmulator, single_line: str) -> None:
    assert (
        emulator.admin.post(BASE, json=payload(single_line, clockToleranceSec=3601)).status_code
        == 400
    )


def test_fractional_tolerance_is_rounded(emulator: RunningEmulator, single_line: str) -> None:
    answer = emulator.admin.post(BASE, json=payload(single_line, clockToleranceSec=4.6))
    assert answer.json()["clockToleranceSec"] == 5


def test_the_same_issuer_and_kid_twice_is_409(emulator: RunningEmulator, single_line: str) -> None:
    assert emulator.admin.post(BASE, json=payload(single_line)).status_code == 201
    answer = emulator.admin.post(BASE, json=payload(single_line))
    assert answer.status_code == 409
    assert len(emulator.admin.get(BASE).json()["data"]) == 1


def test_a_second_key_id_for_rotation_is_allowed(
    emulator: RunningEmulator, single_line: str
) -> None:
    emulator.admin.post(BASE, json=payload(single_line)).raise_for_status()
    body = payload(single_line)
    body["options"]["staticKeys"][0]["kid"] = "rotated"
    assert emulator.admin.post(BASE, json=body).status_code == 201


def test_one_active_provider_when_several_are_not_allowed(single_line: str) -> None:
    with running_emulator(options=EmulatorOptions(several_jwt_idps=False)) as tenant:
        tenant.admin.post(BASE, json=payload(single_line)).raise_for_status()
        body = payload(single_line)
        body["options"]["staticKeys"][0]["kid"] = "rotated"
        assert tenant.admin.post(BASE, json=body).status_code == 409


def test_list_filters_by_active_and_pages(emulator: RunningEmulator, single_line: str) -> None:
    for number in range(3):
        body = payload(single_line, active=number != 1)
        body["options"]["staticKeys"][0]["kid"] = f"k{number}"
        emulator.admin.post(BASE, json=body).raise_for_status()
    listed = emulator.admin.get(BASE).json()
    assert [p["options"]["staticKeys"][0]["kid"] for p in listed["data"]] == ["k0", "k1", "k2"]
    assert listed["links"]["self"]["href"].endswith(BASE)
    active = emulator.admin.get(BASE, params={"active": "true"}).json()["data"]
    assert [p["options"]["staticKeys"][0]["kid"] for p in active] == ["k0", "k2"]
    first = emulator.admin.get(BASE, params={"limit": 2}).json()
    assert len(first["data"]) == 2 and "prev" not in first["links"]
    second = emulator.admin.get(first["links"]["next"]["href"]).json()
    assert [p["options"]["staticKeys"][0]["kid"] for p in second["data"]] == ["k2"]
    assert "next" not in second["links"]
    back = emulator.admin.get(second["links"]["prev"]["href"]).json()
    assert back["data"] == first["data"]


def test_a_bad_cursor_or_limit_is_400(emulator: RunningEmulator) -> None:
    assert emulator.admin.get(BASE, params={"next": "garbage"}).status_code == 400
    assert emulator.admin.get(BASE, params={"limit": 0}).status_code == 400
    assert emulator.admin.get(BASE, params={"limit": "ten"}).status_code == 400


def test_patch_replaces_only_the_description(emulator: RunningEmulator, single_line: str) -> None:
    idp = emulator.admin.post(BASE, json=payload(single_line)).json()
    answer = emulator.admin.patch(
        f"{BASE}/{idp['id']}", json=[{"op": "replace", "path": "/description", "value": "new"}]
    )
    assert answer.status_code == 204 and answer.content == b""
    assert emulator.admin.get(f"{BASE}/{idp['id']}").json()["description"] == "new"


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "path": "/options/issuer", "value": "x"}],
        [{"op": "remove", "path": "/description"}],
        [{"op": "replace", "path": "/description", "value": 5}],
        [
            {"op": "replace", "path": "/description", "value": "ok"},
            {"op": "replace", "path": "/active", "value": False},
        ],
        [],
        {"op": "replace", "path": "/description", "value": "not a list"},
    ],
)
def test_other_patches_are_400_and_change_nothing(
    emulator: RunningEmulator, single_line: str, operations: Any
) -> None:
    idp = emulator.admin.post(BASE, json=payload(single_line)).json()
    assert emulator.admin.patch(f"{BASE}/{idp['id']}", json=operations).status_code == 400
    assert emulator.admin.get(f"{BASE}/{idp['id']}").json() == idp


def test_unknown_ids_are_404(emulator: RunningEmulator) -> None:
    for method in ("GET", "DELETE"):
        answer = emulator.admin.request(method, f"{BASE}/5f0c0e0b0a09080706050403")
        assert answer.status_code == 404
        assert answer.json()["errors"][0]["code"] == "HTTP-404"
    patch = [{"op": "replace", "path": "/description", "value": "x"}]
    assert emulator.admin.patch(f"{BASE}/nope", json=patch).status_code == 404


def test_delete_is_204_and_final(emulator: RunningEmulator, single_line: str) -> None:
    idp = emulator.admin.post(BASE, json=payload(single_line)).json()
    assert emulator.admin.delete(f"{BASE}/{idp['id']}").status_code == 204
    assert emulator.admin.get(f"{BASE}/{idp['id']}").status_code == 404
