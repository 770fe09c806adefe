"""The emulator's Qlik engine (QIX) subset: sample apps, hypercubes, the JSON-RPC session,
and the ``/single/`` page. Pure Python: no web framework is imported here.

- :func:`sample_apps` — the packaged apps (the first is "the sample app", Sales).
- :func:`load_app_folder` / :func:`tenant_apps` — your own apps from folders of CSV tables
  and Qlik property trees (``qlik-jwt emulator --app DIR``).
- :class:`EngineSession` — one engine websocket's protocol state: send
  :meth:`~EngineSession.greeting` on connect, then feed each text message to
  :meth:`~EngineSession.handle` and send back every dict it returns.
- :func:`render_single_page` — the HTML of ``/single/?appid=…&obj=…`` (or ``&sheet=…``).
"""

from __future__ import annotations

from qlik_jwt.emulator.engine.app_folder import load_app_folder, tenant_apps
from qlik_jwt.emulator.engine.apps import Field, SampleApp, sample_apps
from qlik_jwt.emulator.engine.session import EngineSession
from qlik_jwt.emulator.engine.single_page import UnknownObjectError, render_single_page
from qlik_jwt.emulator.engine.state import ENGINE_VERSION

__all__ = [
    "ENGINE_VERSION",
    "EngineSession",
    "Field",
    "SampleApp",
    "UnknownObjectError",
    "load_app_folder",
    "render_single_page",
    "sample_apps",
    "tenant_apps",
]
