"""``qlik-jwt rotate-key``: replace the signing key with no moment at which logins fail.

A JWT identity provider holds one key, so rotation runs two providers side by side
(reference §1.7):

1. ``check``    the current issuer and key id match an active provider holding our key;
2. ``generate`` a new key pair, written next to the old one (the old stays untouched);
3. ``register`` a second provider: same issuer, the new key id and certificate;
4. ``verify``   a login signed with the new key succeeds (before anything switches);
5. ``switch``   the settings file points at the new key and key id (atomically);
6. ``confirm``  a login signed by the signer re-read from the settings file succeeds; only
   then ``on_switch`` hands that signer to a running process;
7. ``drain``    wait until every token signed with the old key has expired (its lifetime
   plus the clock tolerance), so logins already in flight still succeed; running apps
   reload their settings in this window;
8. ``retire``   delete the old provider.

A failure up to ``confirm`` undoes everything: the settings file is restored, the new
provider and key files are deleted. The old key keeps working throughout.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from qlik_jwt import keys
from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.connect import signer_from_settings
from qlik_jwt.admin.groups import delete_user
from qlik_jwt.admin.identity_providers import (
    delete_identity_provider,
    ensure_identity_provider,
    find_jwt_provider,
    list_jwt_providers,
    provider_clock_tolerance,
)
from qlik_jwt.admin.login import jwt_login
from qlik_jwt.env_file import read_env_text, restore_env_file, update_env_file
from qlik_jwt.errors import ConfigurationError
from qlik_jwt.settings import ENV_PREFIX, Settings
from qlik_jwt.signer import TokenSigner, UserClaims

__all__ = ["STEPS", "RotationResult", "default_key_dir", "rotate_key"]

STEPS = ("check", "generate", "register", "verify", "switch", "confirm", "drain", "retire")
_SWITCHED = (f"{ENV_PREFIX}PRIVATE_KEY", f"{ENV_PREFIX}KEY_ID")
VERIFY_SUBJECT_PREFIX = "qlik-jwt-rotation-"
_STAMPED = re.compile(r"-\d{8}T\d{6}Z$")


@dataclass(frozen=True)
class RotationResult:
    old_key_id: str
    new_key_id: str
    old_provider_id: str
    new_provider_id: str
    private_key: Path
    certificate: Path
    retired: bool
    drained_seconds: float


def default_key_dir(settings: Settings, now: dt.datetime | None = None) -> Path:
    """A dated sibling of the current key's directory: ``keys`` → ``keys-20260101T120000Z``.

    A date left by an earlier rotation is replaced, not appended to. With the key given as
    PEM text: ``.qlik-jwt/keys-<date>``.
    """
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    source = settings.private_key_source()
    current = (
        Path(".qlik-jwt/keys")
        if keys.is_pem_text(source)
        else Path(source).expanduser().resolve().parent
    )
    base = _STAMPED.sub("", current.name) or "keys"
    return current.parent / f"{base}-{stamp}"


def _refuse_environment_overrides() -> None:
    overriding = [name for name in _SWITCHED if name in os.environ]
    if overriding:
        raise ConfigurationError(
            overriding[0],
            "is set in the environment, which overrides the settings file rotate-key switches",
            None,
            f"Unset {' and '.join(overriding)} and keep them in the settings file, or rotate "
            "by hand: register the new key with `qlik-jwt setup`, switch, then delete the old "
            "provider.",
        )


def _verify_login(client: TenantClient, signer: TokenSigner, subject: str | None) -> None:
    """4. A login signed by ``signer`` works (6 again, with the re-read signer); a temporary
    subject's user is deleted after."""
    temporary = subject is None
    sub = subject or VERIFY_SUBJECT_PREFIX + secrets.token_hex(8)
    user = UserClaims(sub, "qlik-jwt key rotation check", f"{sub}@example.invalid", False)
    result = jwt_login(client, signer.mint(user))
    if temporary:
        delete_user(client, result.user_id)


def rotate_key(
    client: TenantClient,
    *,
    env_file: str | Path,
    key_dir: str | Path | None = None,
    bits: int = keys.DEFAULT_BITS,
    grace: float | None = None,
    keep_old: bool = False,
    verify_subject: str | None = None,
    drain: Callable[[float], None] = time.sleep,
    on_step: Callable[[str], None] | None = None,
    on_switch: Callable[[TokenSigner], None] | None = None,
) -> RotationResult:
    """Rotate the signing key configured in ``env_file`` (see the module docstring).

    ``key_dir`` receives the new ``private.pem``/``certificate.pem`` (default
    :func:`default_key_dir`, a dated sibling of the current key's directory). ``grace`` is
    the drain time in seconds (default: token lifetime + the provider's clock tolerance);
    ``drain`` waits it (tests inject their own). ``keep_old`` skips ``retire``.
    ``verify_subject`` logs in as that user instead of a temporary one. ``on_step`` is told
    each step name of :data:`STEPS` as it starts; ``on_switch`` gets the new signer once
    ``confirm`` has passed.

    Raises ConfigurationError (bad settings, key directory taken, environment overriding
    the settings file) and TenantError (the tenant refused a step).
    """

    def step(name: str) -> None:
        if on_step is not None:
            on_step(name)

    step("check")
    current = _check(client, env_file)
    step("generate")
    key = _generate(current, key_dir, bits)

    previous = read_env_text(env_file)
    new: dict[str, Any] | None = None
    switched_file = False
    try:
        step("register")
        new = _register(client, current, key)
        step("verify")
        _verify_login(client, key.signer, verify_subject)
        step("switch")
        _switch(env_file, key)
        switched_file = True
        step("confirm")
        switched = _confirm(client, env_file, key, verify_subject)
    except BaseException:
        _undo(client, key, new, env_file, previous, switched_file)
        raise
    if on_switch is not None:
        on_switch(switched)

    step("drain")
    wait = _drain_seconds(current, grace)
    drain(wait)

    if not keep_old:
        step("retire")
        delete_identity_provider(client, str(current.provider["id"]))
    return RotationResult(
        old_key_id=current.signer.key_id,
        new_key_id=key.signer.key_id,
        old_provider_id=str(current.provider["id"]),
        new_provider_id=str(new["id"]),
        private_key=key.files.private_key,
        certificate=key.files.certificate,
        retired=not keep_old,
        drained_seconds=wait,
    )


@dataclass(frozen=True)
class _Current:
    """What is rotated from: the settings, their signer, its provider and tolerance."""

    settings: Settings
    signer: TokenSigner
    provider: dict[str, Any]
    tolerance: int


@dataclass(frozen=True)
class _NewKey:
    signer: TokenSigner
    certificate: x509.Certificate
    files: keys.KeyPairFiles


def _check(client: TenantClient, env_file: str | Path) -> _Current:
    """1. The settings file's issuer and key id match an active provider holding our key."""
    _refuse_environment_overrides()
    settings = Settings.load(env_file=env_file)
    signer = signer_from_settings(settings)
    provider = find_jwt_provider(
        list_jwt_providers(client), issuer=signer.issuer, key_id=signer.key_id
    )
    if provider is None or provider.get("active") is False:
        raise ConfigurationError(
            "key_id",
            f"has no active identity provider for issuer {signer.issuer!r}",
            signer.key_id,
            "Nothing to rotate from: run `qlik-jwt setup` first, or `qlik-jwt doctor`.",
        )
    registered = provider_clock_tolerance(provider)
    tolerance = settings.clock_tolerance if registered is None else registered
    return _Current(settings, signer, provider, tolerance)


def _generate(current: _Current, key_dir: str | Path | None, bits: int) -> _NewKey:
    """2. A new key pair and certificate, written to ``key_dir`` (the old key untouched)."""
    settings, old = current.settings, current.signer
    directory = Path(key_dir) if key_dir is not None else default_key_dir(settings)
    keys.key_pair_files(directory)  # refuse an occupied directory before the slow part
    private_key = keys.generate_private_key(bits)
    certificate = keys.self_signed_certificate(private_key, common_name=old.issuer)
    files = keys.write_key_pair(directory, private_key, certificate)
    signer = TokenSigner(
        private_key,
        None,
        old.issuer,
        lifetime=settings.token_lifetime,
        backdate=settings.token_backdate,
    )
    if signer.key_id == old.key_id:  # only if the old kid was set to this thumbprint
        raise ConfigurationError(
            "key_id", "of the new key equals the old one", signer.key_id, "Run it again."
        )
    return _NewKey(signer, certificate, files)


def _register(client: TenantClient, current: _Current, key: _NewKey) -> dict[str, Any]:
    """3. A second provider: the same issuer and tolerance, the new key id and certificate."""
    return ensure_identity_provider(
        client,
        issuer=key.signer.issuer,
        key_id=key.signer.key_id,
        certificate_pem=keys.certificate_pem(key.certificate),
        clock_tolerance=current.tolerance,
        description=f"qlik-jwt: {key.signer.issuer} (key {key.signer.key_id})",
    )


def _switch(env_file: str | Path, key: _NewKey) -> None:
    """5. The settings file names the new key and key id (written atomically)."""
    update_env_file(
        env_file,
        {_SWITCHED[0]: str(key.files.private_key.resolve()), _SWITCHED[1]: key.signer.key_id},
    )


def _confirm(
    client: TenantClient, env_file: str | Path, key: _NewKey, verify_subject: str | None
) -> TokenSigner:
    """6. The signer re-read from the settings file has the new key id and logs in."""
    switched = signer_from_settings(Settings.load(env_file=env_file))
    if switched.key_id != key.signer.key_id:
        raise ConfigurationError(
            "env_file",
            f"still gives key id {switched.key_id!r} after the switch",
            str(env_file),
            f"Remove duplicate {ENV_PREFIX}KEY_ID settings from other sources.",
        )
    _verify_login(client, switched, verify_subject)
    return switched


def _drain_seconds(current: _Current, grace: float | None) -> float:
    """7. How long a token signed with the old key may still be in flight."""
    if grace is not None:
        return max(0.0, grace)
    return float(current.settings.token_lifetime + current.tolerance)


def _undo(
    client: TenantClient,
    key: _NewKey,
    provider: dict[str, Any] | None,
    env_file: str | Path,
    previous: str | None,
    switched: bool,
) -> None:
    """A failure before ``on_switch``: nothing signs with the new key yet, so a
    ``switched`` settings file gets its ``previous`` text back, the new provider and key
    files go; the old key never stopped working."""
    if switched:
        restore_env_file(env_file, previous)
    if provider is not None:
        delete_identity_provider(client, str(provider["id"]))
    key.files.private_key.unlink(missing_ok=True)
    key.files.certificate.unlink(missing_ok=True)
