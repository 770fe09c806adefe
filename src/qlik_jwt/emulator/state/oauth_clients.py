"""OAuth clients created through ``/api/v1/oauth-clients``, and their secrets.

A client's secret is shown once, in the answer that creates it; the tenant keeps only its
SHA-256 digest and a hint (its last four characters), as Qlik lists ``clientSecrets``. A
client may hold several secrets at once (rotation), at most :data:`MAX_SECRETS`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.state.db import Database, from_json, to_json

__all__ = [
    "CLIENT_CREDENTIALS",
    "GRANT_TYPES",
    "IMPERSONATION",
    "MAX_SECRETS",
    "ClientSecretHint",
    "NewClient",
    "OAuthClientRecord",
    "OAuthClients",
]

CLIENT_CREDENTIALS = "client_credentials"
IMPERSONATION = "urn:qlik:oauth:user-impersonation"
GRANT_TYPES = (CLIENT_CREDENTIALS, IMPERSONATION)
MAX_SECRETS = 5


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ClientSecretHint:
    hint: str
    created_by: str
    created: float


@dataclass(frozen=True)
class NewClient:
    """What a client is created with (the API's fields, checked by the route)."""

    client_name: str
    app_type: str
    description: str = ""
    client_uri: str = ""
    allowed_grant_types: Sequence[str] = ()
    allowed_scopes: Sequence[str] = ("user_default",)
    allowed_origins: Sequence[str] = ()
    redirect_uris: Sequence[str] = ()
    consent_method: str = "trusted"
    token_lifetime_minutes: int = 360


@dataclass(frozen=True)
class OAuthClientRecord:
    client_id: str
    client_name: str
    app_type: str
    description: str
    client_uri: str
    allowed_grant_types: list[str]
    allowed_scopes: list[str]
    allowed_origins: list[str]
    redirect_uris: list[str]
    consent_method: str
    token_lifetime_minutes: int
    created_by: str
    created: float
    updated: float
    secrets: list[ClientSecretHint] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: sqlite3.Row, hints: list[ClientSecretHint]) -> OAuthClientRecord:
        return cls(
            row["client_id"],
            row["client_name"],
            row["app_type"],
            row["description"],
            row["client_uri"],
            from_json(row["allowed_grant_types"]),
            from_json(row["allowed_scopes"]),
            from_json(row["allowed_origins"]),
            from_json(row["redirect_uris"]),
            row["consent_method"],
            row["token_lifetime_minutes"],
            row["created_by"],
            row["created"],
            row["updated"],
            hints,
        )


class OAuthClients:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _hints(self, client_id: str) -> list[ClientSecretHint]:
        rows = self._db.query(
            "SELECT hint, created_by, created FROM oauth_client_secrets WHERE client_id = ? "
            "ORDER BY created, rowid",
            (client_id,),
        )
        return [ClientSecretHint(r["hint"], r["created_by"], r["created"]) for r in rows]

    def find(self, client_id: str) -> OAuthClientRecord | None:
        row = self._db.one("SELECT * FROM oauth_clients WHERE client_id = ?", (client_id,))
        return OAuthClientRecord.from_row(row, self._hints(client_id)) if row else None

    def get(self, client_id: str) -> OAuthClientRecord:
        found = self.find(client_id)
        if found is None:
            raise QlikError(
                404, detail=f"No OAuth client with id {client_id!r}.", reason="not_found"
            )
        return found

    def all(self) -> list[OAuthClientRecord]:
        rows = self._db.query("SELECT * FROM oauth_clients ORDER BY created, rowid")
        return [OAuthClientRecord.from_row(r, self._hints(r["client_id"])) for r in rows]

    def create(self, new: NewClient, *, created_by: str, now: float) -> tuple[str, str]:
        """Store ``new``; returns ``(client_id, client_secret)`` (the secret only this once)."""
        client_id = secrets.token_hex(16)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO oauth_clients VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    client_id,
                    new.client_name,
                    new.app_type,
                    new.description,
                    new.client_uri,
                    to_json(list(new.allowed_grant_types)),
                    to_json(list(new.allowed_scopes)),
                    to_json(list(new.allowed_origins)),
                    to_json(list(new.redirect_uris)),
                    new.consent_method,
                    new.token_lifetime_minutes,
                    created_by,
                    now,
                    now,
                ),
            )
            secret = self.add_secret(client_id, created_by=created_by, now=now)
        return client_id, secret

    def add_secret(self, client_id: str, *, created_by: str, now: float) -> str:
        """A new secret for the client (rotation); 400 once it holds :data:`MAX_SECRETS`."""
        with self._db.transaction() as conn:
            held = conn.execute(
                "SELECT count(*) AS n FROM oauth_client_secrets WHERE client_id = ?", (client_id,)
            ).fetchone()["n"]
            if held >= MAX_SECRETS:
                raise QlikError(
                    400,
                    detail=f"OAuth client {client_id!r} already holds {MAX_SECRETS} secrets; "
                    "delete one first.",
                    reason="too_many_secrets",
                )
            secret = secrets.token_hex(32)
            conn.execute(
                "INSERT INTO oauth_client_secrets VALUES (?,?,?,?,?)",
                (_digest(secret), client_id, secret[-4:], created_by, now),
            )
        return secret

    def delete_secret(self, client_id: str, hint: str) -> None:
        """Delete the client's secret with this hint; 404 when it has none."""
        with self._db.transaction() as conn:
            self.get(client_id)
            gone = conn.execute(
                "DELETE FROM oauth_client_secrets WHERE client_id = ? AND hint = ?",
                (client_id, hint),
            )
            if gone.rowcount == 0:
                raise QlikError(
                    404,
                    detail=f"OAuth client {client_id!r} has no secret with hint {hint!r}.",
                    reason="not_found",
                )

    def update(self, client_id: str, changed: NewClient, *, now: float) -> None:
        """Store ``changed`` (the whole client as it should be) for ``client_id``."""
        with self._db.transaction() as conn:
            self.get(client_id)
            conn.execute(
                "UPDATE oauth_clients SET client_name = ?, description = ?, client_uri = ?, "
                "allowed_grant_types = ?, allowed_scopes = ?, allowed_origins = ?, "
                "redirect_uris = ?, token_lifetime_minutes = ?, updated = ? WHERE client_id = ?",
                (
                    changed.client_name,
                    changed.description,
                    changed.client_uri,
                    to_json(list(changed.allowed_grant_types)),
                    to_json(list(changed.allowed_scopes)),
                    to_json(list(changed.allowed_origins)),
                    to_json(list(changed.redirect_uris)),
                    changed.token_lifetime_minutes,
                    now,
                    client_id,
                ),
            )

    def authenticate(self, client_id: str, secret: str) -> OAuthClientRecord | None:
        """The client when ``secret`` is one of its secrets, else None (compared in constant
        time, the same work for an unknown client)."""
        digest = _digest(secret)
        rows = self._db.query(
            "SELECT secret_hash FROM oauth_client_secrets WHERE client_id = ?", (client_id,)
        )
        held = [str(row["secret_hash"]) for row in rows] or ["0" * 64]
        matched = False
        for stored in held:
            matched |= hmac.compare_digest(stored, digest)
        return self.find(client_id) if matched and rows else None

    def allows_origin(self, origin: str) -> bool:
        """Whether any OAuth client lists ``origin`` (canonical form) in allowedOrigins."""
        rows = self._db.query("SELECT allowed_origins FROM oauth_clients")
        return any(origin in from_json(r["allowed_origins"]) for r in rows)

    def delete(self, client_id: str) -> None:
        """Delete the client, its secrets and every token it issued; 404 when unknown."""
        with self._db.transaction() as conn:
            self.get(client_id)
            conn.execute("DELETE FROM access_tokens WHERE client_id = ?", (client_id,))
            conn.execute("DELETE FROM oauth_clients WHERE client_id = ?", (client_id,))
