"""OAuth2 user impersonation: a Qlik access token for a ``UserClaims`` user, from an OAuth
client, beside :class:`~qlik_jwt.signer.TokenSigner` (the JWT route).

Qlik impersonates existing users only and reads their groups from the tenant, not from
the grant. So, given an admin :class:`~qlik_jwt.admin.client.TenantClient`, the client
finds or creates the user (Users API: subject, name, e-mail) and keeps the user's tenant
groups equal to the host app's (custom groups created with ``POST /api/v1/groups`` and
assigned with ``PATCH /api/v1/users/{id}`` ``/assignedGroups``), so groups still decide
app access as they do with JWT.

Tokens are cached per user until :attr:`ImpersonationClient.refresh_margin` seconds
before ``expires_at``: a page view costs no grant, and a user never piles up the tokens
Qlik limits per user. However many threads or tasks ask for one user at once, one grant is
in flight. The client secret and the tokens never reach a log line or an error message.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx

from qlik_jwt.admin import failures
from qlik_jwt.admin.client import TenantClient
from qlik_jwt.errors import ConfigurationError, OAuthGrantError, TenantError, describe
from qlik_jwt.signer import UserClaims

__all__ = [
    "IMPERSONATION_GRANT",
    "TOKEN_EXCHANGE_GRANT",
    "AccessToken",
    "ImpersonationClient",
]

log = logging.getLogger("qlik_jwt.impersonation")

IMPERSONATION_GRANT = "urn:qlik:oauth:user-impersonation"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
Purpose = Literal["websocket", "webresource"]


@dataclass(frozen=True)
class AccessToken:
    """A Qlik access token and the facts about it that are safe to log.

    ``token`` is the secret (send it as ``Authorization: Bearer``; never log it).
    ``expires_at`` is UNIX time. ``purpose`` is ``access`` for a grant's token,
    ``websocket`` or ``webresource`` for an exchanged one. ``user_id`` is the tenant's id of
    the user when the client provisioned it, else None.
    """

    token: str = field(repr=False)
    expires_at: float
    scope: str
    subject: str
    user_id: str | None = None
    purpose: str = "access"

    def expires_in(self, now: float) -> float:
        """Seconds left at ``now`` (negative once expired)."""
        return self.expires_at - now

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self.token}"


@dataclass
class _Cached:
    token: AccessToken
    groups: tuple[str, ...]


class ImpersonationClient:
    """Access tokens for host-app users from one OAuth client allowing
    ``urn:qlik:oauth:user-impersonation``.

    ``admin`` is a TenantClient with an admin credential (API key or an admin OAuth client,
    which Qlik advises to keep apart from this one): with it, users are found or created
    and their groups kept in step (``sync_groups``); without it, users must exist already
    and their tenant groups are left as they are. ``scope`` is asked for in every grant.
    ``transport``, ``verify`` (True, a CA bundle path, or False), ``timeout`` and
    ``max_retries`` (429 answers, after ``Retry-After``) work as for TenantClient; ``sleep``
    and ``clock`` are injected for tests.

    Thread-safe and async-safe; the ``*_async`` methods never block the event loop.
    Raises ConfigurationError for an unusable ``tenant_url`` or an empty id or secret.
    """

    def __init__(
        self,
        tenant_url: str,
        client_id: str,
        client_secret: str,
        *,
        admin: TenantClient | None = None,
        scope: str = "user_default",
        sync_groups: bool = True,
        refresh_margin: float = 60,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        verify: bool | str = True,
        timeout: float = 10,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(
                    name,
                    "is empty",
                    None,
                    "Give the id and secret of an OAuth client (appType web) that allows "
                    f"{IMPERSONATION_GRANT}.",
                )
        self._http = TenantClient(
            tenant_url,
            transport=transport,
            verify=verify,
            timeout=timeout,
            max_retries=max_retries,
            sleep=sleep,
            clock=clock,
        )
        self.tenant_url = self._http.tenant_url
        self.client_id = client_id
        self._secret = client_secret
        self.admin = admin
        self.scope = scope
        self.sync_groups = sync_groups
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, _Cached] = {}
        self._in_flight: dict[str, concurrent.futures.Future[AccessToken]] = {}
        self._group_ids: dict[str, str] = {}
        self.grants = 0  # grants asked of the tenant, for figures and tests

    # -- the public verbs ---------------------------------------------------------------------

    def access_token(self, user: UserClaims) -> AccessToken:
        """A live access token for ``user``: the cached one, or a new grant.

        Raises OAuthGrantError when the tenant refuses (with the fix), TenantHTTPError when
        provisioning the user fails, TenantUnreachableError without an answer.
        """
        future, mine = self._claim(user)
        if mine:
            self._fulfil(user, future)
        return future.result()

    async def access_token_async(self, user: UserClaims) -> AccessToken:
        """:meth:`access_token` for async code: waits without blocking the event loop."""
        future, mine = self._claim(user)
        if mine:
            await asyncio.to_thread(self._fulfil, user, future)
        return await asyncio.wrap_future(future)

    def exchange(self, token: AccessToken, purpose: Purpose) -> AccessToken:
        """A short-lived token for ``purpose``: ``websocket`` (the engine's ``accessToken``
        query, where a browser cannot send headers) or ``webresource`` (RFC 8693 exchange).
        Raises OAuthGrantError when refused."""
        if purpose not in ("websocket", "webresource"):
            raise ValueError(f"purpose must be 'websocket' or 'webresource', got {purpose!r}")
        answer = self._post(
            "/oauth/token",
            {
                "grant_type": TOKEN_EXCHANGE_GRANT,
                "subject_token": token.token,
                "subject_token_type": ACCESS_TOKEN_TYPE,
                "purpose": purpose,
                "client_id": self.client_id,
            },
            subject=token.subject,
        )
        return self._token(answer, token.subject, token.user_id, purpose=purpose)

    async def exchange_async(self, token: AccessToken, purpose: Purpose) -> AccessToken:
        """:meth:`exchange` for async code."""
        return await asyncio.to_thread(self.exchange, token, purpose)

    def revoke(self, subject: str) -> bool:
        """Sign-out: forget and revoke ``subject``'s cached token. False when none was cached.

        The token is forgotten even when revoking fails (TenantError is raised then)."""
        with self._lock:
            cached = self._cache.pop(subject, None)
        if cached is None:
            return False
        self._post(
            "/oauth/revoke",
            {
                "token": cached.token.token,
                "token_type_hint": "access_token",
                "client_id": self.client_id,
                "client_secret": self._secret,
            },
            subject=subject,
        )
        return True

    async def revoke_async(self, subject: str) -> bool:
        """:meth:`revoke` for async code."""
        return await asyncio.to_thread(self.revoke, subject)

    def discard(self, token: AccessToken) -> None:
        """Forget ``token`` if it is the cached one (the tenant refused it: expired early or
        revoked elsewhere), so the next :meth:`access_token` makes a new grant."""
        with self._lock:
            cached = self._cache.get(token.subject)
            if cached is not None and cached.token.token == token.token:
                del self._cache[token.subject]

    def cached(self, subject: str) -> AccessToken | None:
        """The cached token of ``subject`` while it is fresh, else None."""
        with self._lock:
            entry = self._cache.get(subject)
        return entry.token if entry and self._fresh(entry.token) else None

    def close(self) -> None:
        """Close the HTTP connections (not the ``admin`` client, which the caller owns)."""
        self._http.close()

    def __enter__(self) -> ImpersonationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ImpersonationClient({self.tenant_url!r}, client_id={self.client_id!r})"

    # -- one grant in flight per user ----------------------------------------------------------

    def _fresh(self, token: AccessToken) -> bool:
        return token.expires_in(self._clock()) > self.refresh_margin

    def _claim(self, user: UserClaims) -> tuple[concurrent.futures.Future[AccessToken], bool]:
        """The future that will hold ``user``'s token, and whether this caller must fill it."""
        with self._lock:
            entry = self._cache.get(user.sub)
            if entry and self._fresh(entry.token) and entry.groups == user.groups:
                done: concurrent.futures.Future[AccessToken] = concurrent.futures.Future()
                done.set_result(entry.token)
                return done, False
            running = self._in_flight.get(user.sub)
            if running is not None:
                return running, False
            future: concurrent.futures.Future[AccessToken] = concurrent.futures.Future()
            self._in_flight[user.sub] = future
            return future, True

    def _fulfil(self, user: UserClaims, future: concurrent.futures.Future[AccessToken]) -> None:
        try:
            token = self._obtain(user)
        except BaseException as exc:
            with self._lock:
                del self._in_flight[user.sub]
            future.set_exception(exc)
            return
        with self._lock:
            self._cache[user.sub] = _Cached(token, user.groups)
            del self._in_flight[user.sub]
        future.set_result(token)

    def _obtain(self, user: UserClaims) -> AccessToken:
        with self._lock:
            entry = self._cache.get(user.sub)
        user_id, created = self._provision(user) if self.admin is not None else (None, False)
        if entry is not None and self._fresh(entry.token):
            return entry.token  # only the groups changed: the user now has the new ones
        try:
            answer = self._post(
                "/oauth/token",
                {
                    "grant_type": IMPERSONATION_GRANT,
                    "client_id": self.client_id,
                    "client_secret": self._secret,
                    "scope": self.scope,
                    "user_lookup": {"field": "subject", "value": user.sub},
                },
                subject=user.sub,
            )
        except TenantError as failed:  # refused, or no answer: undo the user made for it
            if created and user_id is not None:
                left = self._delete_user(self.admin, user_id) if self.admin else None
                if isinstance(failed, OAuthGrantError):
                    raise failed.with_user_left(left) from None
            raise
        with self._lock:
            self.grants += 1
        log.info("impersonation grant for sub=%s", describe(user.sub))
        return self._token(answer, user.sub, user_id)

    # -- the tenant's user and groups ----------------------------------------------------------

    def _provision(self, user: UserClaims) -> tuple[str, bool]:
        """The tenant user for ``user`` (found by subject, else created) with its groups in
        step; returns ``(user_id, created)``."""
        admin = self.admin
        assert admin is not None
        record, created = self._find_user(admin, user.sub), False
        if record is None:
            body = {"subject": user.sub, "name": user.name, "email": user.email}
            made = admin.create("/api/v1/users", body)
            record, created = (made, True) if made else (self._find_user(admin, user.sub), False)
        if record is None:
            raise TenantError(
                f"{self.tenant_url}/api/v1/users: user {user.sub!r} could neither be created "
                "nor found; check the admin credential's permissions."
            )
        user_id = str(record["id"])
        if self.sync_groups:
            try:
                self._sync_groups(admin, user_id, record, user.groups)
            except TenantError as failed:
                if created:
                    self._delete_user(admin, user_id)
                raise failed
        return user_id, created

    @staticmethod
    def _find_user(admin: TenantClient, subject: str) -> dict[str, Any] | None:
        quoted = subject.replace("\\", "\\\\").replace('"', '\\"')
        for record in admin.paginate("/api/v1/users", params={"filter": f'subject eq "{quoted}"'}):
            if isinstance(record, dict) and record.get("subject") == subject:
                return record
        return None

    def _sync_groups(
        self, admin: TenantClient, user_id: str, record: dict[str, Any], wanted: tuple[str, ...]
    ) -> None:
        assigned = record.get("assignedGroups") or []
        have = {g.get("name") for g in assigned if isinstance(g, dict)}
        if have == set(wanted):
            return
        ids = [{"id": self._group_id(admin, name)} for name in dict.fromkeys(wanted)]
        admin.patch(
            f"/api/v1/users/{user_id}",
            [{"op": "replace", "path": "/assignedGroups", "value": ids}],
        )
        log.info("groups of user %s set to %d group(s)", user_id, len(ids))

    def _group_id(self, admin: TenantClient, name: str) -> str:
        with self._lock:
            known = self._group_ids.get(name)
        if known:
            return known
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        found = [
            g
            for g in admin.paginate("/api/v1/groups", params={"filter": f'name eq "{quoted}"'})
            if isinstance(g, dict) and g.get("name") == name
        ]
        if not found:
            made = admin.create("/api/v1/groups", {"name": name, "providerType": "custom"})
            found = [made] if made else []
        if not found:  # created meanwhile by another instance (409): read it back
            found = [
                g
                for g in admin.paginate("/api/v1/groups", params={"filter": f'name eq "{quoted}"'})
                if isinstance(g, dict) and g.get("name") == name
            ]
        if not found:
            raise TenantError(f"{self.tenant_url}/api/v1/groups: group {name!r} cannot be made")
        group_id = str(found[0]["id"])
        with self._lock:
            self._group_ids[name] = group_id
        return group_id

    @staticmethod
    def _delete_user(admin: TenantClient, user_id: str) -> str | None:
        """Delete a user this client created; its id when that fails too."""
        try:
            admin.delete(f"/api/v1/users/{user_id}", missing_ok=True)
        except TenantError:
            return user_id
        return None

    # -- HTTP ----------------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any], *, subject: str) -> Any:
        response = self._http.send("POST", path, json=body, headers={"Accept": "application/json"})
        if response.status_code >= 400:
            first = failures.first_error(response)
            reason = first.reason or _reason_of(first)
            raise OAuthGrantError(
                "POST",
                str(response.request.url.copy_with(query=None)),
                response.status_code,
                first.code,
                first.title,
                first.detail,
                failures.fix_for(response.status_code, dataclasses.replace(first, reason=reason)),
                reason=reason,
                subject=subject,
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise TenantError(
                f"{self.tenant_url}{path} answered {response.status_code} with a body that is "
                "not JSON; is the tenant URL right?"
            ) from None

    def _token(
        self, answer: Any, subject: str, user_id: str | None, *, purpose: str = "access"
    ) -> AccessToken:
        if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
            raise TenantError(
                f"{self.tenant_url}/oauth/token answered without an access_token; is the "
                "tenant URL right?"
            )
        now = self._clock()
        expires_at = _expiry(answer, now)
        return AccessToken(
            answer["access_token"],
            expires_at,
            str(answer.get("scope") or self.scope),
            subject,
            user_id,
            purpose,
        )


def _reason_of(error: failures.ErrorEntry) -> str | None:
    """The OAuth reason a real tenant's answer implies (it sends no ``meta.reason``)."""
    detail = (error.detail or "").lower()
    return next((reason for hint, reason in failures.DETAIL_HINTS if hint in detail), None)


def _expiry(answer: dict[str, Any], now: float) -> float:
    """UNIX time of ``expires_at`` (ISO 8601), else now + ``expires_in``, else one hour."""
    text = answer.get("expires_at")
    if isinstance(text, str):
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    seconds = answer.get("expires_in")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return now + float(seconds)
    return now + 3600
