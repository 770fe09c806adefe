"""A session's protocol state: handles, the open document, and how methods are declared.

Handles are numbers the engine gives out for the objects a client works with: ``-1`` is
Global, the first other one is usually the document (``1``). Asking twice for the same
object returns the same handle. A method is a function ``(state, handle, args) -> Reply``
registered on the :class:`Api` of its QIX class (Global, Doc, GenericObject, Field).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qlik_jwt.emulator.engine.apps import SampleApp
from qlik_jwt.emulator.engine.document import Document
from qlik_jwt.emulator.engine.params import Param

__all__ = ["ENGINE_VERSION", "GLOBAL_HANDLE", "Api", "Handle", "Method", "Reply", "SessionState"]

# The engine version the emulator reports: that of the newest QIX schema shipped with
# enigma.js 2.15 (schemas/12.2027.0.json), so clients pick a schema that matches.
ENGINE_VERSION = "12.2027.0"
GLOBAL_HANDLE = -1


@dataclass(frozen=True)
class Handle:
    """A handle given to the client: its number, QIX class and what it points at."""

    number: int
    qtype: str
    target: str
    generic_type: str = ""

    def interface(self) -> dict[str, Any]:
        """The ``ObjectInterface`` returned as ``qReturn`` by OpenDoc, GetObject..."""
        found: dict[str, Any] = {"qType": self.qtype, "qHandle": self.number}
        if self.qtype != "Field":
            found["qGenericId"] = self.target
        if self.generic_type:
            found["qGenericType"] = self.generic_type
        return found


@dataclass
class Reply:
    """A method's result, and the handles whose layouts changed or that were closed."""

    result: dict[str, Any]
    change: list[int] = field(default_factory=list)
    close: list[int] = field(default_factory=list)


class SessionState:
    """Everything one websocket connection's engine session remembers."""

    def __init__(
        self, apps: Mapping[str, SampleApp], user_name: str, can_open: Callable[[str], bool]
    ) -> None:
        self.apps = dict(apps)
        self.user_name = user_name
        self.can_open = can_open
        self.document: Document | None = None
        self.handles: dict[int, Handle] = {GLOBAL_HANDLE: Handle(GLOBAL_HANDLE, "Global", "")}
        self._next_handle = 1

    def find(self, qtype: str, target: str) -> Handle | None:
        """The handle already given out for an object, if any."""
        for handle in self.handles.values():
            if handle.qtype == qtype and handle.target == target:
                return handle
        return None

    def handle_for(self, qtype: str, target: str, generic_type: str = "") -> Handle:
        """The handle of an object, making one the first time it is asked for."""
        handle = self.find(qtype, target)
        if handle is None:
            handle = Handle(self._next_handle, qtype, target, generic_type)
            self.handles[handle.number] = handle
            self._next_handle += 1
        return handle

    def release(self, number: int) -> None:
        self.handles.pop(number, None)

    def document_of(self, handle: Handle) -> Document:
        """The open document (every non-Global handle belongs to it)."""
        assert self.document is not None, handle
        return self.document

    def data_handles(self) -> list[int]:
        """Handles whose layouts depend on selections: generic objects and fields."""
        return [n for n, h in self.handles.items() if h.qtype in ("GenericObject", "Field")]


Run = Callable[[SessionState, Handle, dict[str, Any]], Reply]


@dataclass(frozen=True)
class Method:
    params: tuple[Param, ...]
    run: Run


class Api:
    """The methods of one QIX class, registered with :meth:`method`."""

    def __init__(self, qtype: str) -> None:
        self.qtype = qtype
        self.methods: dict[str, Method] = {}

    def method(self, name: str, *params: Param) -> Callable[[Run], Run]:
        def register(run: Run) -> Run:
            self.methods[name] = Method(params, run)
            return run

        return register
