"""Content-Security-Policy origins: which hosts may frame, script or connect to the tenant.

Qlik accepts ``domain.com`` or ``*.domain.com`` (wildcards allowed here, unlike web
integrations). The API shows an origin as ``host[:port]`` (the reference's reading of Qlik's
scripts); a scheme given at creation is remembered and kept in the compiled header, because
a scheme-less source would not match an ``http://`` page framing an ``https://`` tenant.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.state.db import Database, from_json, new_id, to_json

__all__ = ["DIRECTIVES", "CspEntry", "CspOrigins", "NewCspEntry", "parse_csp_origin"]

# API field -> CSP directive, in the order compiled headers list them.
DIRECTIVES: dict[str, str] = {
    "childSrc": "child-src",
    "connectSrc": "connect-src",
    "connectSrcWSS": "connect-src",
    "fontSrc": "font-src",
    "formAction": "form-action",
    "frameAncestors": "frame-ancestors",
    "frameSrc": "frame-src",
    "imgSrc": "img-src",
    "mediaSrc": "media-src",
    "objectSrc": "object-src",
    "scriptSrc": "script-src",
    "styleSrc": "style-src",
    "workerSrc": "worker-src",
}

_ORIGIN = re.compile(
    r"(?:(?P<scheme>https?|wss?)://)?"
    r"(?P<host>(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)"
    r"(?::(?P<port>\d{1,5}))?"
)


def parse_csp_origin(value: str) -> tuple[str | None, str]:
    """``(scheme or None, "host[:port]")`` for a CSP origin; QlikError 400 otherwise."""
    match = _ORIGIN.fullmatch(value)
    port = match and match.group("port")
    if not match or (port and not 0 < int(port) < 65536):
        raise QlikError(
            400,
            detail=f"origin: {value!r} is not a host such as app.example.com, "
            "*.example.com or https://app.example.com:8443 (no path, no spaces).",
            reason="invalid_origin",
        )
    host = match.group("host").lower() + (f":{port}" if port else "")
    scheme = match.group("scheme")
    return (scheme.lower() if scheme else None), host


@dataclass(frozen=True)
class NewCspEntry:
    origin: str
    name: str
    description: str
    directives: Mapping[str, bool]


@dataclass(frozen=True)
class CspEntry:
    id: str
    host: str
    scheme: str | None
    name: str
    description: str
    directives: dict[str, bool]
    created: float
    modified: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CspEntry:
        return cls(
            row["id"],
            row["origin"],
            row["scheme"],
            row["name"],
            row["description"],
            from_json(row["directives"]),
            row["created"],
            row["modified"],
        )

    def origin(self, keep_scheme: bool) -> str:
        """The origin as the API shows it."""
        return f"{self.scheme}://{self.host}" if keep_scheme and self.scheme else self.host

    def source(self, field: str) -> str:
        """This entry as a CSP source expression for the directive behind ``field``."""
        if field == "connectSrcWSS":
            return f"wss://{self.host}"
        return f"{self.scheme}://{self.host}" if self.scheme else self.host


class CspOrigins:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _write(self, entry_id: str | None, new: NewCspEntry, now: float) -> CspEntry:
        scheme, host = parse_csp_origin(new.origin)
        directives = {name: bool(new.directives.get(name, False)) for name in DIRECTIVES}
        with self._db.transaction() as conn:
            clash = conn.execute(
                "SELECT id FROM csp_origins WHERE origin = ? AND id IS NOT ?", (host, entry_id)
            ).fetchone()
            if clash:
                raise QlikError(
                    409,
                    detail=f"CSP origin {clash['id']} already holds {host!r}; update it instead.",
                    reason="duplicate_origin",
                )
            if entry_id is None:
                entry_id = new_id()
                conn.execute(
                    "INSERT INTO csp_origins VALUES (?,?,?,?,?,?,?,?)",
                    (
                        entry_id,
                        host,
                        scheme,
                        new.name,
                        new.description,
                        to_json(directives),
                        now,
                        now,
                    ),
                )
            else:
                self.get(entry_id)
                conn.execute(
                    "UPDATE csp_origins SET origin = ?, scheme = ?, name = ?, description = ?, "
                    "directives = ?, modified = ? WHERE id = ?",
                    (host, scheme, new.name, new.description, to_json(directives), now, entry_id),
                )
        return self.get(entry_id)

    def create(self, new: NewCspEntry, *, now: float) -> CspEntry:
        """Store an entry; 400 for a bad origin, 409 when the origin is already listed."""
        return self._write(None, new, now)

    def replace(self, entry_id: str, new: NewCspEntry, *, now: float) -> CspEntry:
        """Replace every field of an entry (PUT); 404, 400 or 409 as for create."""
        return self._write(entry_id, new, now)

    def all(self) -> list[CspEntry]:
        rows = self._db.query("SELECT * FROM csp_origins ORDER BY created, rowid")
        return [CspEntry.from_row(r) for r in rows]

    def get(self, entry_id: str) -> CspEntry:
        row = self._db.one("SELECT * FROM csp_origins WHERE id = ?", (entry_id,))
        if row is None:
            raise QlikError(404, detail=f"No CSP origin with id {entry_id!r}.", reason="not_found")
        return CspEntry.from_row(row)

    def delete(self, entry_id: str) -> None:
        with self._db.transaction() as conn:
            self.get(entry_id)
            conn.execute("DELETE FROM csp_origins WHERE id = ?", (entry_id,))

    def sources(self, directive: str) -> list[str]:
        """Every source listed for a CSP directive (e.g. ``frame-ancestors``)."""
        found: list[str] = []
        entries = self.all()
        for field, name in DIRECTIVES.items():
            if name != directive:
                continue
            for entry in entries:
                source = entry.source(field)
                if entry.directives.get(field) and source not in found:
                    found.append(source)
        return found

    def compile_header(self) -> str:
        """The whole policy: ``<directive> 'self' <sources>;`` for every directive in use."""
        parts = []
        for directive in dict.fromkeys(DIRECTIVES.values()):
            sources = self.sources(directive)
            if sources:
                parts.append(f"{directive} 'self' {' '.join(sources)};")
        return " ".join(parts)
