"""JWT identity providers (``protocol: jwtAuth``): one issuer and one static key each.

The ``pem`` may arrive as a certificate or an SPKI public key, single-line or wrapped; it is
loaded once here (refused with a 400 when it is not a usable RSA key) and stored in the
single-line form Qlik's API examples use.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from qlik_jwt import keys
from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.state.db import Database, from_json, new_id, to_json
from qlik_jwt.errors import PrivateKeyError

__all__ = ["IdentityProvider", "IdentityProviders", "NewIdentityProvider"]


@dataclass(frozen=True)
class IdentityProvider:
    id: str
    issuer: str
    kid: str
    pem: str
    clock_tolerance: int
    active: bool
    interactive: bool
    jwt_login_enabled: bool
    description: str
    tenant_ids: list[str]
    created: float
    last_updated: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> IdentityProvider:
        return cls(
            row["id"],
            row["issuer"],
            row["kid"],
            row["pem"],
            row["clock_tolerance"],
            bool(row["active"]),
            bool(row["interactive"]),
            bool(row["jwt_login_enabled"]),
            row["description"],
            from_json(row["tenant_ids"]),
            row["created"],
            row["last_updated"],
        )


@dataclass(frozen=True)
class NewIdentityProvider:
    """What a create request asks for, already shape-checked by the API model."""

    issuer: str
    kid: str
    pem: str
    clock_tolerance: float
    active: bool = True
    jwt_login_enabled: bool = True
    description: str = ""
    tenant_ids: Sequence[str] = ()


def _bad(detail: str) -> QlikError:
    return QlikError(400, detail=detail, reason="invalid_identity_provider")


def _exact_text(value: str, field: str) -> str:
    if not value.strip():
        raise _bad(f"{field} is empty; give the value your tokens carry.")
    if value != value.strip():
        raise _bad(
            f"{field} {value!r} has leading or trailing whitespace; Qlik compares it exactly."
        )
    return value


class IdentityProviders:
    """The tenant's JWT identity providers, with each provider's public key loaded once."""

    def __init__(self, db: Database, *, min_rsa_bits: int, strict_single_line_pem: bool) -> None:
        self._db = db
        self._min_bits = min_rsa_bits
        self._strict_pem = strict_single_line_pem
        self._keys: dict[tuple[str, str], RSAPublicKey] = {}

    def load_pem(self, pem: str) -> tuple[str, RSAPublicKey]:
        """The single-line form of ``pem`` and its key; QlikError 400 when unusable."""
        if self._strict_pem and ("\n" in pem or "\r" in pem):
            raise _bad(
                "options.staticKeys[0].pem has line breaks; send it on one line "
                "(`qlik-jwt keygen` prints that form)."
            )
        if "PRIVATE KEY" in pem:
            raise _bad(
                "options.staticKeys[0].pem holds a private key; register the certificate "
                "or public key, and keep the private key secret."
            )
        if "-----BEGIN" not in pem:
            raise _bad(
                "options.staticKeys[0].pem is not PEM text; send "
                "-----BEGIN CERTIFICATE-----...-----END CERTIFICATE----- on one line."
            )
        try:
            # bytes, never str: a short str would be taken for a file path on this machine
            key = keys.load_public_key(pem.encode("utf-8"), field="options.staticKeys[0].pem")
        except PrivateKeyError as exc:
            raise _bad(f"{exc.field}: {exc.problem}. {exc.fix}") from None
        if key.key_size < self._min_bits:
            raise _bad(
                f"options.staticKeys[0].pem is a {key.key_size}-bit key; at least "
                f"{self._min_bits} bits are required."
            )
        return keys.single_line_pem(keys.normalize_pem(pem)), key

    def public_key(self, idp: IdentityProvider) -> RSAPublicKey:
        cached = self._keys.get((idp.id, idp.pem))
        if cached is None:
            cached = self.load_pem(idp.pem)[1]
            self._keys[(idp.id, idp.pem)] = cached
        return cached

    def create(
        self, new: NewIdentityProvider, *, now: float, tenant_id: str, several_allowed: bool
    ) -> IdentityProvider:
        """Store a provider. 400 for a bad value, 403 for a foreign tenant, 409 for a clash."""
        issuer = _exact_text(new.issuer, "options.issuer")
        kid = _exact_text(new.kid, "options.staticKeys[0].kid")
        pem, key = self.load_pem(new.pem)
        tenant_ids = list(new.tenant_ids) or [tenant_id]
        if tenant_id not in tenant_ids:
            raise QlikError(
                403,
                detail=f"tenantIds {tenant_ids!r} does not include this tenant ({tenant_id}).",
                reason="foreign_tenant",
            )
        idp = IdentityProvider(
            new_id(),
            issuer,
            kid,
            pem,
            round(new.clock_tolerance),
            new.active,
            False,
            new.jwt_login_enabled,
            new.description,
            tenant_ids,
            now,
            now,
        )
        with self._db.transaction() as conn:
            if new.active:
                clash = conn.execute(
                    "SELECT id FROM identity_providers WHERE active = 1 AND issuer = ? AND kid = ?",
                    (issuer, kid),
                ).fetchone()
                if clash:
                    raise QlikError(
                        409,
                        detail=f"Active identity provider {clash['id']} already has issuer "
                        f"{issuer!r} and key id {kid!r}; use a new key id for a new key.",
                        reason="duplicate_identity_provider",
                    )
                other = conn.execute(
                    "SELECT id FROM identity_providers WHERE active = 1"
                ).fetchone()
                if other and not several_allowed:
                    raise QlikError(
                        409,
                        detail=f"Identity provider {other['id']} is already active and this "
                        "tenant allows one active JWT identity provider; delete it first.",
                        reason="duplicate_identity_provider",
                    )
            conn.execute(
                "INSERT INTO identity_providers VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    idp.id,
                    idp.issuer,
                    idp.kid,
                    idp.pem,
                    idp.clock_tolerance,
                    int(idp.active),
                    0,
                    int(idp.jwt_login_enabled),
                    idp.description,
                    to_json(idp.tenant_ids),
                    now,
                    now,
                ),
            )
        self._keys[(idp.id, idp.pem)] = key
        return idp

    def all(self, *, active: bool | None = None) -> list[IdentityProvider]:
        rows = self._db.query("SELECT * FROM identity_providers ORDER BY created, rowid")
        found = [IdentityProvider.from_row(r) for r in rows]
        return [p for p in found if active is None or p.active == active]

    def get(self, idp_id: str) -> IdentityProvider:
        row = self._db.one("SELECT * FROM identity_providers WHERE id = ?", (idp_id,))
        if row is None:
            raise QlikError(
                404, detail=f"No identity provider with id {idp_id!r}.", reason="not_found"
            )
        return IdentityProvider.from_row(row)

    def set_description(self, idp_id: str, description: str, *, now: float) -> None:
        with self._db.transaction() as conn:
            self.get(idp_id)
            conn.execute(
                "UPDATE identity_providers SET description = ?, last_updated = ? WHERE id = ?",
                (description, now, idp_id),
            )

    def delete(self, idp_id: str) -> None:
        with self._db.transaction() as conn:
            self.get(idp_id)
            conn.execute("DELETE FROM identity_providers WHERE id = ?", (idp_id,))

    def for_login(self, issuer: str, kid: str) -> tuple[IdentityProvider | None, str]:
        """The active JWT provider for ``issuer`` + ``kid``, or None and why not.

        The reason is ``unknown_issuer`` when no active provider has the issuer, else
        ``unknown_kid``.
        """
        rows = self._db.query(
            "SELECT * FROM identity_providers WHERE active = 1 AND jwt_login_enabled = 1 "
            "AND issuer = ? ORDER BY created DESC",
            (issuer,),
        )
        if not rows:
            return None, "unknown_issuer"
        for row in rows:
            if row["kid"] == kid:
                return IdentityProvider.from_row(row), ""
        return None, "unknown_kid"
