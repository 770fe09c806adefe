"""An HTTP client for a Qlik Cloud tenant's REST APIs (real tenant or the emulator).

One place translates the transport's and the tenant's failures into the core error tree:
an HTTP error answer becomes :class:`~qlik_jwt.errors.TenantHTTPError` (status, Qlik's error
``code``/``title``/``detail`` and a fix), no answer at all becomes
:class:`~qlik_jwt.errors.TenantUnreachableError`. ``429`` answers are retried after the
tenant's ``Retry-After``, a bounded number of times.

Credentials (API key, OAuth client secret, access tokens) are sent only in the
``Authorization`` header and never logged or put in an error message.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from qlik_jwt.admin import failures
from qlik_jwt.cookieless import cookieless_jar
from qlik_jwt.errors import ConfigurationError, TenantError, TenantHTTPError, TenantUnreachableError
from qlik_jwt.settings import hide_url_password, normalize_tenant_url
from qlik_jwt.tls import tls_context

__all__ = ["MAX_RETRY_WAIT", "TenantClient", "parse_retry_after"]

log = logging.getLogger("qlik_jwt.admin")

MAX_RETRY_WAIT = 60.0  # never wait longer than this for one Retry-After
DEFAULT_RETRY_WAIT = 1.0  # a 429 without a usable Retry-After
MAX_PAGES = 1000  # a broken `next` link must not loop forever

Json = Any


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP date).

    Returns None when the value is absent or unusable; never a negative number.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # "²" passes isdigit() alone, not float()
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


class _Borrowed(httpx.BaseTransport):
    """A transport shared by several short-lived clients; only its owner closes it."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._transport.handle_request(request)

    def close(self) -> None:
        """Closing a borrower leaves the shared transport open."""


class _AsyncBridge(httpx.BaseTransport):
    """Lets the synchronous client use an async transport such as ``httpx.ASGITransport``.

    Requests run on one event loop in a daemon helper thread that lives as long as the
    bridge, so an in-process ASGI app keeps one loop throughout, and a client that is never
    closed does not keep the interpreter from exiting.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="qlik-jwt-asgi-bridge", daemon=True
        )
        self._thread.start()

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self._transport.handle_async_request(request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._loop.is_closed():
            raise RuntimeError("the TenantClient was closed")
        return asyncio.run_coroutine_threadsafe(self._handle(request), self._loop).result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self._transport.aclose(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class TenantClient:
    """Calls ``{tenant_url}/api/v1/...`` with an admin credential and returns parsed JSON.

    Give either ``api_key`` (sent as a Bearer token) or ``oauth_client_id`` and
    ``oauth_client_secret`` (a client-credentials token is fetched from ``/oauth/token`` on
    first use and fetched again once when the tenant answers 401). With neither, only
    unauthenticated calls (and :meth:`session_client`) are useful.

    ``transport`` plugs in any httpx transport, sync or async (tests pass
    ``httpx.ASGITransport(app=...)`` to reach an in-process app); by
    default a pooled HTTPS transport that checks certificates against ``verify`` (True, a
    CA bundle path, or False). ``timeout`` bounds every request in seconds; a 429 is
    retried up to ``max_retries`` times after its ``Retry-After`` (capped at
    :data:`MAX_RETRY_WAIT` seconds). ``sleep`` and ``clock`` are injected for tests.

    Raises ConfigurationError for an unusable ``tenant_url`` or half an OAuth client.
    """

    def __init__(
        self,
        tenant_url: str,
        *,
        api_key: str | None = None,
        oauth_client_id: str | None = None,
        oauth_client_secret: str | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        verify: bool | str = True,
        timeout: float = 10,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            self.tenant_url = normalize_tenant_url(tenant_url)
        except ValueError as exc:
            raise ConfigurationError(
                "tenant_url",
                str(exc),
                hide_url_password(tenant_url),
                "Give e.g. https://mytenant.eu.qlikcloud.com.",
            ) from None
        if (oauth_client_id is None) != (oauth_client_secret is None):
            raise ConfigurationError(
                "oauth_client_secret" if oauth_client_id else "oauth_client_id",
                "is not set, but the other half of the OAuth client is",
                None,
                "Give both the OAuth client id and its secret, or an API key instead.",
            )
        if api_key is not None and oauth_client_id is not None:
            raise ConfigurationError(
                "api_key",
                "is given together with an OAuth client",
                None,
                "Give one admin credential: an API key or an OAuth client, not both.",
            )
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self._api_key = api_key
        self._oauth = (oauth_client_id, oauth_client_secret) if oauth_client_id else None
        self._access_token: str | None = None
        self._token_lock = threading.Lock()
        self._owns_transport = transport is None or isinstance(transport, httpx.AsyncBaseTransport)
        self._transport: httpx.BaseTransport
        if transport is None:
            self._transport = httpx.HTTPTransport(verify=tls_context(verify))
        elif isinstance(transport, httpx.AsyncBaseTransport):
            self._transport = _AsyncBridge(transport)
        else:
            self._transport = transport
        self.verify = verify
        self.timeout = timeout
        self.max_retries = max_retries
        self._sleep = sleep
        self._clock = clock
        self._http = self.session_client()
        self._tenant_id: str | None = None

    @property
    def has_credential(self) -> bool:
        """Whether an API key or OAuth client was given."""
        return self._api_key is not None or self._oauth is not None

    def session_client(self) -> httpx.Client:
        """A fresh client on the same tenant and transport.

        Used for cookie sessions (``/login/jwt-session``), which must not mix with the
        admin credential. Like this client's own, it keeps no cookies: a session's calls
        send its cookies in their own ``Cookie`` header. Closing it leaves this client's
        transport open.
        """
        return httpx.Client(
            base_url=self.tenant_url,
            transport=_Borrowed(self._transport),
            cookies=cookieless_jar(),
            timeout=self.timeout,
            follow_redirects=False,
        )

    # -- the verbs ------------------------------------------------------------------------

    def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Json:
        """GET ``path`` and return its JSON (None for an empty body)."""
        return _json(self.request("GET", path, params=params))

    def post(
        self, path: str, json: Json = None, *, params: Mapping[str, Any] | None = None
    ) -> Json:
        return _json(self.request("POST", path, json=json, params=params))

    def create(self, path: str, body: Json) -> dict[str, Any] | None:
        """POST a new resource; return it, or None when the tenant answered 409 Conflict.

        None means "something with that identity exists": the caller must read it back
        and confirm it is the expected state before counting it as success.
        """
        try:
            created = self.post(path, body)
        except TenantHTTPError as exc:
            if exc.status == 409:
                return None
            raise
        return created if isinstance(created, dict) and created.get("id") else None

    def put(self, path: str, json: Json = None) -> Json:
        return _json(self.request("PUT", path, json=json))

    def patch(self, path: str, json: Json = None) -> Json:
        return _json(self.request("PATCH", path, json=json))

    def delete(self, path: str, *, missing_ok: bool = False) -> Json:
        """DELETE ``path``; with ``missing_ok`` a 404 (already gone) counts as done."""
        try:
            return _json(self.request("DELETE", path))
        except TenantHTTPError as exc:
            if missing_ok and exc.status == 404:
                return None
            raise

    def paginate(self, path: str, *, params: Mapping[str, Any] | None = None) -> Iterator[Json]:
        """Every item of a Qlik list answer (``{data: [...], links: {next: {href}}}``).

        Raises TenantError for an answer of another shape (a JSON list, say)."""
        page = self.get(path, params=params)
        for _ in range(MAX_PAGES):
            if page is None:  # an empty body
                return
            if not isinstance(page, dict):
                raise TenantError(
                    f"{self.tenant_url}{path} answered {type(page).__name__} JSON where Qlik "
                    "sends a list page ({data, links}); is the tenant URL right?"
                )
            yield from page.get("data") or []
            links = page.get("links")
            following = links.get("next") if isinstance(links, dict) else None
            href = following.get("href") if isinstance(following, dict) else None
            if not href:
                return
            page = self.get(self._relative(href))
        raise TenantError(f"{path}: more than {MAX_PAGES} pages; the `next` links loop")

    def tenant_id(self) -> str:
        """The tenant's id (``tenantId`` of ``users/me`` for the admin credential), cached."""
        if self._tenant_id is None:
            me = self.get("/api/v1/users/me")
            tenant = me.get("tenantId") if isinstance(me, dict) else None
            if not isinstance(tenant, str) or not tenant:
                raise TenantError(
                    f"{self.tenant_url}/api/v1/users/me answered without a tenantId; "
                    "is this a Qlik Cloud tenant?"
                )
            self._tenant_id = tenant
        return self._tenant_id

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Json = None,
        authenticate: bool = True,
        follow_redirects: bool = True,
    ) -> httpx.Response:
        """Send one request and return the successful (2xx/3xx) response.

        Retries a 429 after ``Retry-After``; with OAuth, fetches a new access token once on
        401. Raises TenantHTTPError for an error answer and TenantUnreachableError when
        there is no answer.
        """
        refreshed = False
        while True:
            headers = {"Accept": "application/json"}
            if authenticate and self.has_credential:
                headers["Authorization"] = f"Bearer {self._bearer()}"
            response = self.send(
                method,
                path,
                params=params,
                json=json,
                headers=headers,
                follow_redirects=follow_redirects,
            )
            if (
                response.status_code == 401
                and authenticate
                and self._oauth is not None
                and not refreshed
            ):
                refreshed = True
                self._access_token = None
                continue
            if response.status_code >= 400:
                raise http_error(response)
            return response

    def send(
        self,
        method: str,
        path: str,
        *,
        http: httpx.Client | None = None,
        params: Mapping[str, Any] | None = None,
        json: Json = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        """Send one request as given (no credential added) on ``http`` (default: this
        client's), retrying a 429 after its ``Retry-After``; return the final response,
        whatever its status. Raises TenantUnreachableError when there is no answer.
        """
        for retry in range(self.max_retries + 1):
            response = self._send_once(
                http or self._http, method, path, params, json, headers or {}, follow_redirects
            )
            log.debug("%s %s -> %s", method, response.request.url.path, response.status_code)
            if response.status_code != 429 or retry == self.max_retries:
                break
            wait = parse_retry_after(response.headers.get("Retry-After"), now=self._clock())
            wait = min(MAX_RETRY_WAIT, DEFAULT_RETRY_WAIT if wait is None else wait)
            log.info("%s %s: rate limited, retry %d after %.1f s", method, path, retry + 1, wait)
            self._sleep(wait)
        return response

    def close(self) -> None:
        self._http.close()
        if self._owns_transport:
            self._transport.close()

    def __enter__(self) -> TenantClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        how = "api key" if self._api_key else "oauth client" if self._oauth else "no credential"
        return f"TenantClient({self.tenant_url!r}, {how})"

    # -- internals ------------------------------------------------------------------------

    def _relative(self, href: str) -> str:
        """A ``next`` link may be absolute (on the tenant) or relative."""
        url = httpx.URL(href)
        if url.is_absolute_url:
            return url.raw_path.decode("ascii")
        return href

    def _send_once(
        self,
        http: httpx.Client,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Json,
        headers: Mapping[str, str],
        follow: bool,
    ) -> httpx.Response:
        try:
            return http.request(
                method, path, params=params, json=json, headers=headers, follow_redirects=follow
            )
        except httpx.TimeoutException:
            raise TenantUnreachableError(
                self.tenant_url + path,
                f"no answer within {self.timeout:g} s",
                "Check the tenant URL and your network, or raise the timeout.",
            ) from None
        except httpx.TransportError as exc:
            raise TenantUnreachableError(
                self.tenant_url + path,
                failures.transport_reason(exc),
                failures.transport_fix(exc),
            ) from None

    def _bearer(self) -> str:
        if self._api_key is not None:
            return self._api_key
        with self._token_lock:
            if self._access_token is None:
                self._access_token = self._fetch_access_token()
            return self._access_token

    def _fetch_access_token(self) -> str:
        """Client-credentials grant at ``/oauth/token`` (the secret goes in the body only)."""
        assert self._oauth is not None
        client_id, secret = self._oauth
        response = self.send(
            "POST",
            "/oauth/token",
            json={
                "client_id": client_id,
                "client_secret": secret,
                "grant_type": "client_credentials",
            },
            headers={"Accept": "application/json"},
        )
        if response.status_code >= 400:
            raise http_error(
                response, fix="Check the OAuth client id and secret (an admin OAuth client)."
            )
        token = _json(response)
        access = token.get("access_token") if isinstance(token, dict) else None
        if not isinstance(access, str) or not access:
            raise TenantError(
                f"{self.tenant_url}/oauth/token answered without an access_token; "
                "check that the OAuth client is a machine-to-machine client."
            )
        return access


def http_error(response: httpx.Response, *, fix: str | None = None) -> TenantHTTPError:
    """A TenantHTTPError from an error response, reading Qlik's ``{"errors": [...]}`` body."""
    first = failures.first_error(response)
    url = str(response.request.url.copy_with(query=None))
    return TenantHTTPError(
        response.request.method,
        url,
        response.status_code,
        first.code,
        first.title,
        first.detail,
        fix if fix is not None else failures.fix_for(response.status_code, first),
    )


def _json(response: httpx.Response) -> Json:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise TenantError(
            f"{response.request.method} {response.request.url.copy_with(query=None)} answered "
            f"{response.status_code} with a body that is not JSON "
            f"({response.headers.get('content-type', 'no content type')}); "
            "is the tenant URL right?"
        ) from None
