"""Content-Security-Policy origins (``/api/v1/csp-origins``, reference §4.3).

The ``/single/`` iframe loads only on pages whose origin the tenant lists with
``frameAncestors``. Entries are created with the page's full origin, scheme included, as
Qlik's own scripts do: a scheme-less source (Qlik's documented ``domain.com`` form) would
not match an ``http://`` page framing an ``https://`` tenant. Existing entries are matched
on host and port, since the API may show them without a scheme. An entry is changed with a
full ``PUT``, never a patch.
"""

from __future__ import annotations

from typing import Any

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.origins import csp_covers, csp_source, normalize_origin
from qlik_jwt.admin.plan import Step
from qlik_jwt.errors import TenantError

__all__ = [
    "PATH",
    "covering_entries",
    "ensure_csp_origin",
    "find_csp_origin",
    "list_csp_origins",
    "plan_csp_origin",
]

PATH = "/api/v1/csp-origins"
READ_ONLY = ("id", "createdDate", "modifiedDate", "links")


def list_csp_origins(client: TenantClient) -> list[dict[str, Any]]:
    return [e for e in client.paginate(PATH, params={"limit": 100}) if isinstance(e, dict)]


def _same_source(entry: dict[str, Any], source: str) -> bool:
    stored = str(entry.get("origin", "")).strip().lower().rstrip("/")
    return stored.split("://", 1)[-1] == source.lower()


def find_csp_origin(entries: list[dict[str, Any]], origin: str) -> dict[str, Any] | None:
    """The entry written for exactly this origin's host and port (scheme ignored)."""
    source = csp_source(origin)
    return next((e for e in entries if _same_source(e, source)), None)


def covering_entries(
    entries: list[dict[str, Any]], origin: str, directive: str = "frameAncestors"
) -> list[dict[str, Any]]:
    """The entries that allow ``origin`` for ``directive`` (wildcards included)."""
    return [
        e
        for e in entries
        if e.get(directive) is True and csp_covers(str(e.get("origin", "")), origin)
    ]


def _wanted_flags(frame_ancestors: bool, frame_src: bool) -> dict[str, bool]:
    flags = {}
    if frame_ancestors:
        flags["frameAncestors"] = True
    if frame_src:
        flags["frameSrc"] = True
    return flags


def plan_csp_origin(
    client: TenantClient,
    *,
    origin: str,
    name: str | None = None,
    frame_ancestors: bool = True,
    frame_src: bool = True,
) -> Step:
    """Plan a CSP entry for ``origin`` with the wanted directives; applying returns it.

    An existing entry for the same host and port keeps every directive it has and gains
    the missing ones. Raises ConfigurationError when ``origin`` is not an origin.
    """
    source = csp_source(origin)
    flags = _wanted_flags(frame_ancestors, frame_src)
    existing = find_csp_origin(list_csp_origins(client), origin)
    if existing is None:
        body = {"origin": normalize_origin(origin), "name": name or f"qlik-jwt {source}", **flags}
        return Step(
            "csp_origin",
            source,
            "create",
            ", ".join(flags) or "no directive",
            lambda: _create(client, body, origin),
        )
    lacking = [flag for flag in flags if existing.get(flag) is not True]
    if not lacking:
        return Step("csp_origin", source, "keep", "directives already set", lambda: existing)
    replacement = {k: v for k, v in existing.items() if k not in READ_ONLY}
    replacement.update(dict.fromkeys(lacking, True))
    entry_id = existing["id"]

    def put() -> dict[str, Any]:
        return dict(client.put(f"{PATH}/{entry_id}", replacement) or {}) or dict(
            client.get(f"{PATH}/{entry_id}")
        )

    return Step("csp_origin", source, "update", "add " + ", ".join(lacking), put)


def ensure_csp_origin(
    client: TenantClient,
    *,
    origin: str,
    name: str | None = None,
    frame_ancestors: bool = True,
    frame_src: bool = True,
) -> dict[str, Any]:
    """Make sure a CSP entry allows ``origin`` to frame the tenant. Idempotent; returns it."""
    step = plan_csp_origin(
        client, origin=origin, name=name, frame_ancestors=frame_ancestors, frame_src=frame_src
    )
    return dict(step.apply())


def _create(client: TenantClient, body: dict[str, Any], origin: str) -> dict[str, Any]:
    created = client.create(PATH, body)
    if created is not None:
        return created
    found = find_csp_origin(list_csp_origins(client), origin)  # confirm a 409
    wanted = [k for k, v in body.items() if v is True]
    if found is None or any(found.get(flag) is not True for flag in wanted):
        raise TenantError(
            f"the CSP origin {body['origin']!r} is not as expected after creating it; "
            "check the tenant's Content Security Policy entries"
        )
    return found
