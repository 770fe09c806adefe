"""Proxy sessions in Redis: for several app instances behind a load balancer.

Every instance given the same ``redis://`` URL sees the same sessions, so a browser's calls
may land on any of them. Each session is one string key ``qlik-jwt:proxy-session:<key>``
with Redis's own expiry (``SET … EX lifetime``). The URL may carry a password; it is never
put in an error message.
"""

from __future__ import annotations

import redis.asyncio
import redis.exceptions

from qlik_jwt.web.proxy.store import ProxySession, SessionStoreError

__all__ = ["KEY_PREFIX", "RedisSessionStore"]

KEY_PREFIX = "qlik-jwt:proxy-session:"
TIMEOUT_SECONDS = 5.0


class RedisSessionStore:
    """Sessions in the Redis database the URL names (connections are made on first use)."""

    def __init__(self, url: str, *, lifetime: int) -> None:
        self.lifetime = lifetime
        self._url = url
        self._client: redis.asyncio.Redis | None = None

    def _redis(self) -> redis.asyncio.Redis:
        if self._client is None:
            self._client = redis.asyncio.Redis.from_url(
                self._url,
                socket_timeout=TIMEOUT_SECONDS,
                socket_connect_timeout=TIMEOUT_SECONDS,
            )
        return self._client

    async def get(self, key: str) -> ProxySession | None:
        try:
            text = await self._redis().get(KEY_PREFIX + key)
        except redis.exceptions.RedisError as exc:
            raise self._failure(exc) from None
        return None if text is None else ProxySession.from_json(text)

    async def put(self, key: str, session: ProxySession) -> None:
        try:
            await self._redis().set(KEY_PREFIX + key, session.to_json(), ex=self.lifetime)
        except redis.exceptions.RedisError as exc:
            raise self._failure(exc) from None

    async def delete(self, key: str) -> None:
        try:
            await self._redis().delete(KEY_PREFIX + key)
        except redis.exceptions.RedisError as exc:
            raise self._failure(exc) from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _failure(self, exc: redis.exceptions.RedisError) -> SessionStoreError:
        kind = type(exc).__name__
        return SessionStoreError(f"the Redis proxy session store failed ({kind}: {exc})")
