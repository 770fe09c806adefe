"""``qlik-jwt setup``: everything a tenant needs for this app, planned first, then applied.

The plan only reads the tenant. Applying it creates or updates only what the plan said,
in an order where each step can rely on the previous ones (the identity provider exists
before a group is bootstrapped with a login). Running it again plans ``keep`` everywhere.

Login mode ``jwt`` needs the JWT identity provider and the web integration; ``impersonation``
needs the impersonation OAuth client (:mod:`qlik_jwt.admin.oauth_clients`), and the JWT pieces
too when a signing key is set (to bootstrap groups with a JWT login). Both need the CSP
origins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import keys
from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.connect import missing_credential, signer_from_settings
from qlik_jwt.admin.csp_origins import plan_csp_origin
from qlik_jwt.admin.groups import plan_auto_create_groups
from qlik_jwt.admin.identity_providers import plan_identity_provider
from qlik_jwt.admin.oauth_clients import OAuthClientResult, plan_impersonation_client
from qlik_jwt.admin.origins import normalize_origin
from qlik_jwt.admin.plan import Step
from qlik_jwt.admin.spaces import app_space_id, plan_group_grant
from qlik_jwt.admin.web_integrations import plan_web_integration
from qlik_jwt.env_file import update_env_file
from qlik_jwt.errors import ConfigurationError, PrivateKeyError
from qlik_jwt.settings import ENV_PREFIX, Settings
from qlik_jwt.signer import TokenSigner

__all__ = [
    "OAuthClientRequest",
    "SetupPlan",
    "SetupRequest",
    "SetupResult",
    "apply_setup",
    "certificate_for",
    "plan_setup",
    "record_web_integration_id",
    "request_from_settings",
    "setup_problems",
]


def _no_origins() -> ConfigurationError:
    return ConfigurationError(
        "app_origins",
        "is empty",
        None,
        f"Set {ENV_PREFIX}APP_ORIGINS to the origin of the pages that embed Qlik, "
        "e.g. https://app.example.com.",
    )


def setup_problems(settings: Settings) -> list[ConfigurationError]:
    """Every setting that setup needs and ``settings`` lack, all at once (the signing key
    and issuer are optional in login mode ``impersonation``, but go together)."""
    jwt_pieces = settings.login_mode != "impersonation" or settings.private_key is not None
    found = settings.missing("tenant_url", *(("private_key", "issuer") if jwt_pieces else ()))
    credential = missing_credential(settings)
    if credential is not None:
        found.append(credential)
    if not settings.app_origins:
        found.append(_no_origins())
    return found


@dataclass(frozen=True)
class OAuthClientRequest:
    """The impersonation OAuth client to find (by ``client_id``, else ``name``) or create;
    ``secret_known``: the settings hold its secret (else a new one is made)."""

    name: str = "qlik-jwt-impersonation"
    client_id: str | None = None
    secret_known: bool = False


@dataclass(frozen=True)
class SetupRequest:
    """What the tenant should hold for this app. ``signer`` signs bootstrap logins; without
    one (login mode ``impersonation`` without a key) no JWT piece is planned."""

    signer: TokenSigner | None
    certificate_pem: bytes | None
    origins: tuple[str, ...]
    web_integration_name: str = "qlik-jwt"
    web_integration_id: str | None = None
    clock_tolerance: int = 5
    frame_src: bool = True
    auto_create_groups: bool = False
    grants: tuple[str, ...] = ()
    space_id: str | None = None
    app_id: str | None = None
    roles: tuple[str, ...] = ("consumer",)
    oauth_client: OAuthClientRequest | None = None

    def __post_init__(self) -> None:
        if not self.origins:
            raise _no_origins()
        object.__setattr__(self, "origins", tuple(normalize_origin(o) for o in self.origins))
        if self.grants and self.signer is None:
            raise ConfigurationError(
                "private_key",
                "is needed to grant groups (a JWT login creates each group), and is not set",
                None,
                f"Set {ENV_PREFIX}PRIVATE_KEY and {ENV_PREFIX}ISSUER, or drop --grant.",
            )
        if self.grants and not (self.space_id or self.app_id):
            raise ConfigurationError(
                "space_id",
                "is needed to grant groups, and neither it nor the app id is set",
                None,
                f"Pass --space-id, or set {ENV_PREFIX}APP_ID so the app's space is used.",
            )


@dataclass(frozen=True)
class SetupPlan:
    """The steps, in the order they will be applied; ``groups`` in the order of their
    ``space_assignment`` steps."""

    steps: tuple[Step, ...]
    groups: tuple[str, ...] = ()

    @property
    def changes(self) -> int:
        """How many steps create or update something."""
        return sum(1 for step in self.steps if step.action != "keep")


@dataclass(frozen=True)
class SetupResult:
    """What the tenant holds after :func:`apply_setup` (None: not planned in this mode)."""

    web_integration_id: str | None
    identity_provider: dict[str, Any] | None
    csp_origins: list[dict[str, Any]] = field(default_factory=list)
    group_ids: dict[str, str] = field(default_factory=dict)
    oauth_client: OAuthClientResult | None = None


def certificate_for(
    settings: Settings, key: rsa.RSAPrivateKey, cert_path: str | Path | None = None
) -> bytes:
    """The certificate PEM to register for the signing key.

    ``cert_path`` when given; else ``certificate.pem`` beside the private key file when it
    belongs to that key; else a fresh self-signed certificate for the key (Qlik reads only
    the public key from it). Raises PrivateKeyError when ``cert_path`` holds another key.
    """
    public = key.public_key()
    if cert_path is not None:
        # Loading first turns an unreadable or unusable path into a PrivateKeyError.
        if keys.load_public_key(Path(cert_path), field="cert").public_numbers() != (
            public.public_numbers()
        ):
            raise PrivateKeyError(
                "cert",
                "belongs to another key than the private key",
                str(cert_path),
                "Give the certificate written next to the private key by `qlik-jwt keygen`.",
            )
        return keys.normalize_pem(Path(cert_path).expanduser().read_bytes())
    source = settings.private_key_source()
    if not keys.is_pem_text(source):
        beside = Path(source).expanduser().with_name(keys.CERTIFICATE_FILE)
        if beside.is_file():
            pem = keys.normalize_pem(beside.read_bytes())
            try:
                matches = keys.load_public_key(pem).public_numbers() == public.public_numbers()
            except PrivateKeyError:
                matches = False
            if matches:
                return pem
    certificate = keys.self_signed_certificate(key, common_name=settings.issuer or "qlik-jwt")
    return keys.certificate_pem(certificate)


def request_from_settings(
    settings: Settings, *, cert_path: str | Path | None = None, **options: Any
) -> SetupRequest:
    """A SetupRequest from the settings: the signing key loaded once, its certificate
    found or made (:func:`certificate_for`); ``options`` override SetupRequest fields.

    Raises SettingsError for a missing private key or issuer, PrivateKeyError for an
    unusable key or certificate, ConfigurationError for bad origins.
    """
    values: dict[str, Any] = {
        "origins": tuple(settings.app_origins),
        "web_integration_name": settings.web_integration_name,
        "web_integration_id": settings.web_integration_id,
        "clock_tolerance": settings.clock_tolerance,
        "app_id": settings.app_id,
    }
    if settings.login_mode == "impersonation":
        values["oauth_client"] = OAuthClientRequest(
            settings.oauth_client_name,
            settings.oauth_client_id,
            secret_known=settings.oauth_client_secret is not None,
        )
        if settings.private_key is None:
            values.update({k: v for k, v in options.items() if v is not None})
            return SetupRequest(signer=None, certificate_pem=None, **values)
    settings.require("private_key", "issuer")
    key = keys.load_private_key(settings.private_key_source())
    signer = signer_from_settings(settings, key=key)
    values.update({k: v for k, v in options.items() if v is not None})
    return SetupRequest(
        signer=signer, certificate_pem=certificate_for(settings, key, cert_path), **values
    )


def plan_setup(client: TenantClient, request: SetupRequest) -> SetupPlan:
    """Look at the tenant and decide every step. Makes no change."""
    signer = request.signer
    steps = []
    if signer is not None:
        assert request.certificate_pem is not None
        steps += [
            plan_identity_provider(
                client,
                issuer=signer.issuer,
                key_id=signer.key_id,
                certificate_pem=request.certificate_pem,
                clock_tolerance=request.clock_tolerance,
            ),
            plan_web_integration(
                client,
                name=request.web_integration_name,
                origins=list(request.origins),
                web_integration_id=request.web_integration_id,
            ),
        ]
    if request.oauth_client is not None:
        steps.append(
            plan_impersonation_client(
                client,
                name=request.oauth_client.name,
                origins=list(request.origins),
                client_id=request.oauth_client.client_id,
                secret_known=request.oauth_client.secret_known,
            )
        )
    steps += [
        plan_csp_origin(client, origin=origin, frame_ancestors=True, frame_src=request.frame_src)
        for origin in request.origins
    ]
    if request.auto_create_groups:
        steps.append(plan_auto_create_groups(client))
    if request.grants:
        assert signer is not None  # checked by SetupRequest
        space_id = request.space_id or app_space_id(client, str(request.app_id))
        steps += [
            plan_group_grant(
                client, signer=signer, group=group, space_id=space_id, roles=request.roles
            )
            for group in request.grants
        ]
    return SetupPlan(tuple(steps), request.grants)


def apply_setup(plan: SetupPlan, *, on_step: Callable[[Step], None] | None = None) -> SetupResult:
    """Apply every step in order (``on_step`` is told before each) and collect the results.

    Stops at the first failure and raises it; the steps already applied stay applied, and
    running setup again plans only what is left.
    """
    results: dict[str, list[Any]] = {}
    for step in plan.steps:
        if on_step is not None:
            on_step(step)
        results.setdefault(step.kind, []).append(step.apply())
    group_ids = dict(zip(plan.groups, map(str, results.get("space_assignment", [])), strict=True))
    first = {kind: found[0] for kind, found in results.items()}
    return SetupResult(
        web_integration_id=str(first["web_integration"]) if "web_integration" in first else None,
        identity_provider=dict(first["identity_provider"])
        if "identity_provider" in first
        else None,
        csp_origins=[dict(e) for e in results.get("csp_origin", [])],
        group_ids=group_ids,
        oauth_client=first.get("oauth_client"),
    )


def record_web_integration_id(env_file: str | Path, web_integration_id: str) -> None:
    """Write ``QLIK_WEB_INTEGRATION_ID`` into the settings file, keeping its other lines."""
    update_env_file(env_file, {f"{ENV_PREFIX}WEB_INTEGRATION_ID": web_integration_id})
