"""The offline Qlik Cloud tenant emulator.

:func:`create_app` builds one emulated tenant as a FastAPI app; :class:`EmulatorOptions`
holds every behaviour Qlik has not published (the reference's unknowns), and
:class:`FaultSettings` the faults that can be injected. The engine (QIX) subset lives in
:mod:`qlik_jwt.emulator.engine`, which imports no web framework: the names below are
therefore loaded on first use, so importing the engine does not import FastAPI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qlik_jwt.emulator.app import create_app
    from qlik_jwt.emulator.faults import Faults, FaultSettings, ForcedError
    from qlik_jwt.emulator.options import EmulatorOptions
    from qlik_jwt.emulator.tenant import EmulatedTenant, OAuthClient

__all__ = [
    "EmulatedTenant",
    "EmulatorOptions",
    "FaultSettings",
    "Faults",
    "ForcedError",
    "OAuthClient",
    "create_app",
]

_HOMES = {
    "create_app": "app",
    "FaultSettings": "faults",
    "Faults": "faults",
    "ForcedError": "faults",
    "EmulatorOptions": "options",
    "EmulatedTenant": "tenant",
    "OAuthClient": "tenant",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
