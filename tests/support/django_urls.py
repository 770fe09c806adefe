"""The URL configuration Django serves in tests: the example project's patterns, set by
:func:`tests.support.hosts.running_host` around a test's own ``QlikEmbedding``."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
