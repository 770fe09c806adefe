"""Fault injection: the misbehaviour a real tenant shows on bad days, switchable at run time.

:class:`FaultSettings` is what ``/_emulator/faults`` and the CLI flags set: a clock offset,
added latency, forced errors per endpoint, rate-limit overrides, dropped third-party cookies,
and a slow or closing engine websocket. :class:`Faults` holds the current settings and the
counters that forced errors and websocket closes consume. Thread-safe.
"""

from __future__ import annotations

import threading
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qlik_jwt.errors import ConfigurationError

__all__ = ["FaultSettings", "Faults", "ForcedError"]


class ForcedError(BaseModel):
    """Answer ``count`` requests to ``path`` (``*`` at the end: a prefix) with ``status``."""

    model_config = ConfigDict(extra="forbid")

    path: Annotated[str, Field(min_length=1, max_length=512)]
    method: Annotated[str | None, Field(max_length=16)] = None
    status: Annotated[int, Field(ge=400, le=599)] = 503
    code: Annotated[str | None, Field(max_length=64)] = None
    count: Annotated[int | None, Field(ge=1, description="None: until cleared.")] = 1

    @classmethod
    def parse(cls, text: str) -> ForcedError:
        """``[METHOD ]PATH=STATUS[xCOUNT]``, e.g. ``POST /login/jwt-session=503x2``.

        Raises ConfigurationError naming the flag for anything else.
        """
        target, _, outcome = text.rpartition("=")
        method, _, path = target.strip().rpartition(" ")
        status, _, count = outcome.strip().partition("x")
        try:
            return cls(
                path=path,
                method=method or None,
                status=int(status),
                count=int(count) if count else None,
            )
        except (ValueError, ValidationError):
            raise ConfigurationError(
                "--fail",
                "must be [METHOD ]PATH=STATUS[xCOUNT] with a status from 400 to 599",
                text,
                "For example: --fail 'POST /login/jwt-session=503x2'.",
            ) from None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


class FaultSettings(BaseModel):
    """Every fault at once; all off by default."""

    model_config = ConfigDict(extra="forbid")

    clock_offset: Annotated[
        float, Field(ge=-10 * 365 * 86400, le=10 * 365 * 86400, description="Seconds.")
    ] = 0.0
    latency_ms: Annotated[int, Field(ge=0, le=60_000)] = 0
    errors: Annotated[list[ForcedError], Field(max_length=100)] = []
    tier1_per_minute: Annotated[int | None, Field(ge=1)] = None
    tier2_per_minute: Annotated[int | None, Field(ge=1)] = None
    drop_cross_site_cookies: bool = False
    engine_delay_ms: Annotated[int, Field(ge=0, le=60_000)] = 0
    engine_close_next: Annotated[
        int, Field(ge=0, description="Close this many next engine websockets at once.")
    ] = 0
    engine_close_code: Annotated[int, Field(ge=1000, le=4999)] = 1011


class Faults:
    """The current fault settings, and the counters that forced faults use up."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = settings or FaultSettings()

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    @property
    def clock_offset(self) -> float:
        return self._settings.clock_offset

    def replace(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings.model_copy(deep=True)

    def reset(self) -> None:
        self.replace(FaultSettings())

    def take_error(self, method: str, path: str) -> ForcedError | None:
        """The forced error for this request, if any, using up one of its count."""
        with self._lock:
            for index, forced in enumerate(self._settings.errors):
                if not forced.matches(method, path):
                    continue
                if forced.count is not None:
                    remaining = list(self._settings.errors)
                    if forced.count > 1:
                        remaining[index] = forced.model_copy(update={"count": forced.count - 1})
                    else:
                        del remaining[index]
                    self._settings = self._settings.model_copy(update={"errors": remaining})
                return forced
        return None

    def take_engine_close(self) -> int | None:
        """The close code for this websocket when a close is pending, using it up."""
        with self._lock:
            if self._settings.engine_close_next <= 0:
                return None
            self._settings = self._settings.model_copy(
                update={"engine_close_next": self._settings.engine_close_next - 1}
            )
            return self._settings.engine_close_code
