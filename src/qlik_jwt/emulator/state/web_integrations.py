"""Web integrations: the tenant's allow-lists of browser origins (CORS, returnto, websocket).

An origin is ``scheme://host[:port]``, exactly as a browser's ``Origin`` header writes it:
no wildcard, no path, no trailing slash; the default port is dropped and scheme and host are
lower-cased, so a stored origin compares equal to the header a browser sends.
"""

from __future__ import annotations

import ipaddress
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.state.db import Database, from_json, new_key, to_json

__all__ = ["WebIntegration", "WebIntegrations", "header_origin", "normalize_origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def normalize_origin(value: str, *, field: str = "validOrigins") -> str:
    """The canonical ``scheme://host[:port]`` of ``value``; QlikError 400 naming ``field``."""

    def bad(problem: str, fix: str) -> QlikError:
        return QlikError(
            400, detail=f"{field}: {value!r} {problem}. {fix}", reason="invalid_origin"
        )

    if value != value.strip() or not value:
        raise bad("is empty or has surrounding whitespace", "Remove the whitespace.")
    if "*" in value:
        raise bad("holds a wildcard", "List every origin exactly, e.g. https://app.example.com.")
    parts = urlsplit(value)
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
        raise bad(
            "is not an http(s) origin", "Write scheme://host[:port], e.g. https://app.example.com."
        )
    if parts.path or parts.query or parts.fragment or value.endswith(("?", "#")):
        raise bad(
            "has a path, query or trailing slash",
            f"Use only the origin: {parts.scheme}://{parts.netloc}.",
        )
    if parts.username or parts.password or not parts.hostname:
        raise bad("has credentials or no host", "Write scheme://host[:port].")
    try:
        port = parts.port
    except ValueError:
        raise bad("has an invalid port", "Use a port from 1 to 65535.") from None
    scheme = parts.scheme.lower()
    if not _HOST.fullmatch(parts.hostname):
        try:
            ipaddress.ip_address(parts.hostname)
        except ValueError:
            raise bad(
                "has an invalid host name", "Use letters, digits, dots and hyphens."
            ) from None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def header_origin(value: str) -> str | None:
    """A request's ``Origin`` header in canonical form, or None when it is not an origin."""
    try:
        return normalize_origin(value)
    except QlikError:
        return None


@dataclass(frozen=True)
class WebIntegration:
    id: str
    name: str
    valid_origins: list[str]
    created_by: str
    created: float
    last_updated: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> WebIntegration:
        return cls(
            row["id"],
            row["name"],
            from_json(row["valid_origins"]),
            row["created_by"],
            row["created"],
            row["last_updated"],
        )


def _origins(values: Sequence[str]) -> list[str]:
    result: list[str] = []
    for value in values:
        origin = normalize_origin(value)
        if origin not in result:
            result.append(origin)
    return result


class WebIntegrations:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self, name: str, origins: Sequence[str], *, created_by: str, now: float
    ) -> WebIntegration:
        """Store an integration with a fresh 32-character id; 400 for a bad origin."""
        if not name.strip():
            raise QlikError(
                400, detail="name is empty; give the integration a name.", reason="invalid_request"
            )
        integration = WebIntegration(new_key(32), name, _origins(origins), created_by, now, now)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO web_integrations VALUES (?,?,?,?,?,?)",
                (integration.id, name, to_json(integration.valid_origins), created_by, now, now),
            )
        return integration

    def all(self) -> list[WebIntegration]:
        rows = self._db.query("SELECT * FROM web_integrations ORDER BY created, rowid")
        return [WebIntegration.from_row(r) for r in rows]

    def find(self, integration_id: str) -> WebIntegration | None:
        row = self._db.one("SELECT * FROM web_integrations WHERE id = ?", (integration_id,))
        return WebIntegration.from_row(row) if row else None

    def get(self, integration_id: str) -> WebIntegration:
        found = self.find(integration_id)
        if found is None:
            raise QlikError(
                404,
                detail=f"No web integration with id {integration_id!r}.",
                reason="not_found",
            )
        return found

    def update(
        self,
        integration_id: str,
        *,
        name: str | None,
        origins: Sequence[str] | None,
        now: float,
    ) -> None:
        """Replace the name and/or the origins, together or not at all."""
        if name is not None and not name.strip():
            raise QlikError(400, detail="/name: the name is empty.", reason="invalid_patch")
        clean = _origins(origins) if origins is not None else None
        with self._db.transaction() as conn:
            current = self.get(integration_id)
            conn.execute(
                "UPDATE web_integrations SET name = ?, valid_origins = ?, last_updated = ? "
                "WHERE id = ?",
                (
                    current.name if name is None else name,
                    to_json(current.valid_origins if clean is None else clean),
                    now,
                    integration_id,
                ),
            )

    def delete(self, integration_id: str) -> None:
        with self._db.transaction() as conn:
            self.get(integration_id)
            conn.execute("DELETE FROM web_integrations WHERE id = ?", (integration_id,))

    def allows(self, origin: str, integration_id: str | None) -> bool:
        """True when ``origin`` is listed: in that integration if an id is given, else in any.

        An unknown integration id allows nothing.
        """
        canonical = header_origin(origin)
        if canonical is None:
            return False
        if integration_id:
            found = self.find(integration_id)
            return found is not None and canonical in found.valid_origins
        return any(canonical in wi.valid_origins for wi in self.all())
