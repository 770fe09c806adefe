"""Ended sessions told to every app instance through Redis pub/sub (channel
:data:`CHANNEL`), for instances that share a Redis session store.

A message is ``<instance> <reason> <owner>``: the instance that ended the session skips its
own message (it has closed its holdings already). The owner is a store key (a SHA-256), no
secret. The listener has its own connection without a read timeout: it waits for messages
as long as the app runs.
"""

from __future__ import annotations

import asyncio
import secrets

import redis.asyncio

from qlik_jwt.web.proxy.redis_store import TIMEOUT_SECONDS
from qlik_jwt.web.session_ends import EndHook

__all__ = ["CHANNEL", "RedisBroadcast"]

CHANNEL = "qlik-jwt:session-ended"


class RedisBroadcast:
    """Publishes and receives session ends on the Redis database the URL names."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.instance = secrets.token_hex(8)
        self._publisher: redis.asyncio.Redis | None = None

    async def publish(self, owner: str, reason: str) -> None:
        if self._publisher is None:
            self._publisher = redis.asyncio.Redis.from_url(
                self._url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
            )
        await self._publisher.publish(CHANNEL, f"{self.instance} {reason} {owner}")

    async def listen(self, ended: EndHook, ready: asyncio.Event) -> None:
        client = redis.asyncio.Redis.from_url(self._url, socket_connect_timeout=TIMEOUT_SECONDS)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            async for message in pubsub.listen():
                if message["type"] == "subscribe":
                    ready.set()  # from here on every publish reaches this instance
                    continue
                if message["type"] != "message":
                    continue
                instance, reason, owner = bytes(message["data"]).decode("ascii").split(" ", 2)
                if instance != self.instance:
                    await ended(owner, reason)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.aclose()
            self._publisher = None
