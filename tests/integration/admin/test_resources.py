"""The idempotent ``ensure_*`` functions against the emulator's admin REST API."""

from __future__ import annotations

import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import keys
from qlik_jwt.admin import (
    TenantClient,
    enable_auto_create_groups,
    ensure_csp_origin,
    ensure_identity_provider,
    ensure_web_integration,
)
from qlik_jwt.admin.groups import group_settings
from qlik_jwt.admin.identity_providers import list_jwt_providers, plan_identity_provider
from qlik_jwt.admin.web_integrations import plan_web_integration
from qlik_jwt.errors import ConfigurationError
from tests.integration.admin.conftest import ISSUER, ORIGIN
from tests.support.emulator import RunningEmulator


def test_identity_provider_is_created_once(
    in_process: TenantClient, emulator: RunningEmulator, certificate: bytes
) -> None:
    first = ensure_identity_provider(
        in_process, issuer=ISSUER, key_id="kid-1", certificate_pem=certificate
    )
    again = ensure_identity_provider(
        in_process, issuer=ISSUER, key_id="kid-1", certificate_pem=certificate
    )
    assert again["id"] == first["id"]
    assert [p["id"] for p in list_jwt_providers(in_process)] == [first["id"]]
    assert first["options"]["staticKeys"][0]["pem"].startswith("-----BEGIN CERTIFICATE-----MII")
    assert "\n" not in first["options"]["staticKeys"][0]["pem"]
    assert first["clockToleranceSec"] == 5
    assert first["tenantIds"] == [emulator.tenant_id]


def test_identity_provider_description_is_the_one_thing_patched(
    in_process: TenantClient, certificate: bytes
) -> None:
    created = ensure_identity_provider(
        in_process, issuer=ISSUER, key_id="kid-1", certificate_pem=certificate
    )
    step = plan_identity_provider(
        in_process,
        issuer=ISSUER,
        key_id="kid-1",
        certificate_pem=certificate,
        clock_tolerance=30,
        description="new words",
    )
    assert step.action == "update"
    assert "clockToleranceSec is 5, not 30" in step.detail
    assert step.apply()["description"] == "new words"
    assert in_process.get(f"/api/v1/identity-providers/{created['id']}")["clockToleranceSec"] == 5


def test_a_key_id_registered_with_another_key_is_refused(
    in_process: TenantClient, certificate: bytes, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    ensure_identity_provider(in_process, issuer=ISSUER, key_id="kid-1", certificate_pem=certificate)
    other = keys.certificate_pem(keys.self_signed_certificate(other_rsa_key))
    with pytest.raises(ConfigurationError) as caught:
        ensure_identity_provider(in_process, issuer=ISSUER, key_id="kid-1", certificate_pem=other)
    assert caught.value.field == "key_id"
    assert "another certificate" in caught.value.problem
    assert "rotate-key" in caught.value.fix
    assert len(list_jwt_providers(in_process)) == 1


def test_web_integration_gains_origins_and_never_loses_any(admin: TenantClient) -> None:
    wiid = ensure_web_integration(admin, name="qlik-jwt", origins=["https://other.example.com"])
    assert ensure_web_integration(admin, name="qlik-jwt", origins=[ORIGIN]) == wiid
    assert (
        ensure_web_integration(admin, name="qlik-jwt", origins=["HTTP://LOCALHOST:8001/"]) == wiid
    )
    listed = admin.get(f"/api/v1/web-integrations/{wiid}")["validOrigins"]
    assert sorted(listed) == sorted(["https://other.example.com", ORIGIN])
    assert len(admin.get("/api/v1/web-integrations")["data"]) == 1


class RecordingTransport(httpx.HTTPTransport):
    """A real HTTP transport that also keeps the JSON body of every PATCH it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.patches: list[list[dict[str, object]]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            self.patches.append(json.loads(request.read()))
        return super().handle_request(request)


def test_an_origin_added_between_plan_and_apply_is_not_sent_twice(
    admin: TenantClient, emulator: RunningEmulator
) -> None:
    """The emulator drops repeated origins; a real tenant may not, so look at what is sent."""
    wiid = ensure_web_integration(admin, name="qlik-jwt", origins=["https://other.example.com"])
    recording = RecordingTransport()
    with TenantClient(emulator.url, api_key=emulator.admin_key, transport=recording) as client:
        step = plan_web_integration(
            client, name="qlik-jwt", origins=[ORIGIN, "https://b.example.com"]
        )
        assert step.action == "update"
        # Another run of setup adds one of the two before this plan is applied.
        ensure_web_integration(admin, name="qlik-jwt", origins=[ORIGIN])
        assert step.apply() == wiid
    sent = [op["value"] for body in recording.patches for op in body]
    assert sent == [["https://other.example.com", ORIGIN, "https://b.example.com"]]


def test_web_integration_by_id_wins_over_the_name(admin: TenantClient) -> None:
    wiid = ensure_web_integration(admin, name="chosen", origins=[ORIGIN])
    step = plan_web_integration(admin, name="qlik-jwt", origins=[ORIGIN], web_integration_id=wiid)
    assert (step.action, step.apply()) == ("keep", wiid)
    gone = plan_web_integration(
        admin, name="qlik-jwt", origins=[ORIGIN], web_integration_id="x" * 32
    )
    assert gone.action == "create"


def test_two_web_integrations_with_the_name_are_ambiguous(admin: TenantClient) -> None:
    for _ in range(2):
        admin.post("/api/v1/web-integrations", {"name": "qlik-jwt", "validOrigins": []})
    with pytest.raises(ConfigurationError) as caught:
        ensure_web_integration(admin, name="qlik-jwt", origins=[ORIGIN])
    assert caught.value.field == "web_integration_name"
    assert "QLIK_WEB_INTEGRATION_ID" in caught.value.fix


def test_csp_origin_is_created_with_its_scheme_and_completed_in_place(
    admin: TenantClient,
) -> None:
    partial = admin.post(
        "/api/v1/csp-origins",
        {"origin": "localhost:8001", "name": "mine", "imgSrc": True, "frameAncestors": True},
    )
    entry = ensure_csp_origin(admin, origin=ORIGIN)
    assert entry["id"] == partial["id"]
    assert (entry["frameAncestors"], entry["frameSrc"], entry["imgSrc"]) == (True, True, True)
    assert entry["name"] == "mine"
    fresh = ensure_csp_origin(admin, origin="https://app.example.com:8443", frame_src=False)
    assert (fresh["frameAncestors"], fresh["frameSrc"]) == (True, False)
    assert ensure_csp_origin(admin, origin="https://app.example.com:8443")["id"] == fresh["id"]
    assert len(admin.get("/api/v1/csp-origins")["data"]) == 2
    header = admin.request("GET", "/api/v1/csp-origins/actions/generate-header").json()
    assert "app.example.com:8443" in header["Content-Security-Policy"].split(";")[0]


def test_group_auto_creation_is_turned_on_once(in_process: TenantClient) -> None:
    assert group_settings(in_process).get("autoCreateGroups") is not True
    enable_auto_create_groups(in_process)
    enable_auto_create_groups(in_process)
    assert group_settings(in_process)["autoCreateGroups"] is True


def test_lists_are_followed_across_pages(admin: TenantClient) -> None:
    for number in range(5):
        admin.post("/api/v1/web-integrations", {"name": f"wi-{number}", "validOrigins": []})
    names = [wi["name"] for wi in admin.paginate("/api/v1/web-integrations", params={"limit": 2})]
    assert sorted(names) == [f"wi-{n}" for n in range(5)]


def test_the_admin_client_works_over_https_with_the_certificate_trusted(
    emulator_https: RunningEmulator, emulator_tls: keys.KeyPairFiles
) -> None:
    verify = str(emulator_tls.certificate)
    with TenantClient(emulator_https.url, api_key=emulator_https.admin_key, verify=verify) as c:
        assert c.tenant_id() == emulator_https.tenant_id


def test_an_async_transport_and_a_real_socket_see_the_same_tenant(
    emulator: RunningEmulator, in_process: TenantClient, admin: TenantClient
) -> None:
    wiid = ensure_web_integration(in_process, name="shared", origins=[ORIGIN])
    assert admin.get(f"/api/v1/web-integrations/{wiid}")["name"] == "shared"
    assert isinstance(httpx.ASGITransport(app=emulator.app), httpx.AsyncBaseTransport)
