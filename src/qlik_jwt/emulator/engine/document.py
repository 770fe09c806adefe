"""An app opened in a session: its predefined objects, the session's own objects, and the
selections that every layout is computed under.

Predefined objects are read-only (the emulator never writes to an app); session objects
live until destroyed or until the session ends, as in Qlik.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from qlik_jwt.emulator.engine.apps import SampleApp
from qlik_jwt.emulator.engine.errors import (
    ACCESS_DENIED,
    ALREADY_EXISTS,
    INVALID_PARAMETERS,
    EngineError,
)
from qlik_jwt.emulator.engine.expressions import ExpressionError, compile_expression
from qlik_jwt.emulator.engine.hypercube import HyperCube
from qlik_jwt.emulator.engine.list_object import ListObject
from qlik_jwt.emulator.engine.objects import check_properties, cube_at, list_at, object_layout
from qlik_jwt.emulator.engine.selections import Selections
from qlik_jwt.errors import describe

__all__ = ["MAX_SESSION_OBJECTS", "Document"]

# A session holding more objects than this is misbehaving; refuse rather than grow.
MAX_SESSION_OBJECTS = 1000


def _info(properties: Mapping[str, Any]) -> dict[str, str]:
    info = properties.get("qInfo")
    info = info if isinstance(info, Mapping) else {}
    return {"qId": str(info.get("qId", "")), "qType": str(info.get("qType", ""))}


class Document:
    """The open app of one session."""

    def __init__(self, app: SampleApp) -> None:
        self.app = app
        self.selections = Selections()
        self._session_objects: dict[str, dict[str, Any]] = {}
        # The object in a modal selection (BeginSelections ... EndSelections), if any.
        self.modal_object: str | None = None

    # -- objects -----------------------------------------------------------------------------

    def properties(self, object_id: str) -> Mapping[str, Any] | None:
        """An object's properties (session objects first), or ``None`` if there is none."""
        found = self._session_objects.get(object_id)
        return found if found is not None else self.app.objects.get(object_id)

    def is_session_object(self, object_id: str) -> bool:
        return object_id in self._session_objects

    def create_session_object(self, properties: dict[str, Any]) -> str:
        """Store a copy of ``properties`` as a session object; return its id.

        A missing ``qInfo.qId`` gets a fresh one. Raises ``EngineError`` for an id already
        used, too many objects, or a hypercube or expression the emulator cannot compute.
        """
        info = properties.get("qInfo")
        if info is not None and not isinstance(info, Mapping):
            raise EngineError(
                INVALID_PARAMETERS, f"qProp.qInfo must be an object, got {describe(info)}"
            )
        object_id = (info or {}).get("qId") or uuid.uuid4().hex[:12]
        if not isinstance(object_id, str):
            raise EngineError(
                INVALID_PARAMETERS, f"qProp.qInfo.qId must be a string, got {describe(object_id)}"
            )
        if self.properties(object_id) is not None:
            raise EngineError(
                ALREADY_EXISTS,
                f"an object with qId {describe(object_id)} already exists in this app; "
                "leave qInfo.qId empty to get a fresh id",
            )
        if len(self._session_objects) >= MAX_SESSION_OBJECTS:
            raise EngineError(
                INVALID_PARAMETERS,
                f"this session already holds {MAX_SESSION_OBJECTS} session objects; "
                "destroy some with DestroySessionObject",
            )
        check_properties(properties, self.app)
        stored = copy.deepcopy(properties)
        stored["qInfo"] = {**(info or {}), **_info(stored), "qId": object_id}
        self._session_objects[object_id] = stored
        return object_id

    def set_properties(self, object_id: str, properties: dict[str, Any]) -> None:
        """Replace a session object's properties (its ``qInfo.qId`` cannot change)."""
        if not self.is_session_object(object_id):
            raise EngineError(
                ACCESS_DENIED,
                f"object {describe(object_id)} belongs to the app and the emulator keeps apps "
                "read-only; create a session object with CreateSessionObject instead",
            )
        check_properties(properties, self.app)
        stored = copy.deepcopy(properties)
        stored["qInfo"] = {**_info(stored), "qId": object_id}
        self._session_objects[object_id] = stored

    def destroy_session_object(self, object_id: str) -> bool:
        return self._session_objects.pop(object_id, None) is not None

    def infos(self) -> list[dict[str, str]]:
        """``qInfo`` of every object: the app's, then the session's."""
        every = [*self.app.objects.values(), *self._session_objects.values()]
        return [_info(properties) for properties in every]

    def child_infos(self, object_id: str) -> list[dict[str, str]]:
        """``qInfo`` of the objects placed on a sheet (none for other objects)."""
        if object_id not in self.app.objects or object_id not in self.app.sheet_ids:
            return []
        return [_info(self.app.objects[child]) for child in self.app.sheet_cells(object_id)]

    # -- computed values ---------------------------------------------------------------------

    def layout(self, object_id: str) -> dict[str, Any]:
        properties = self.properties(object_id)
        assert properties is not None, object_id  # handles exist only for existing objects

        def children(data: Mapping[str, Any]) -> list[dict[str, Any]]:
            return [self._child_item(info, data) for info in self.child_infos(object_id)]

        return object_layout(
            properties,
            self.app,
            self.selections,
            children,
            in_selections=self.modal_object == object_id,
        )

    def _child_item(self, info: dict[str, str], data: Mapping[str, Any]) -> dict[str, Any]:
        child = self.app.objects[info["qId"]]
        values = {}
        for name, pointer in data.items():
            target: Any = child
            for part in str(pointer).split("/")[1:]:
                target = target.get(part) if isinstance(target, Mapping) else None
            values[name] = copy.deepcopy(target)
        return {"qInfo": info, "qData": values}

    def hypercube(self, object_id: str, path: str) -> HyperCube:
        """The hypercube at ``path`` of an object, computed under the current selections."""
        properties = self.properties(object_id)
        assert properties is not None, object_id
        return HyperCube(cube_at(properties, path, self.app), self.app, self.selections)

    def list_object(self, object_id: str, path: str) -> ListObject:
        """The list object at ``path`` of an object, computed under the current selections."""
        properties = self.properties(object_id)
        assert properties is not None, object_id
        return ListObject(list_at(properties, path, self.app), self.app, self.selections)

    def full_property_tree(self, object_id: str) -> dict[str, Any]:
        """``GetFullPropertyTree``'s ``qPropEntry``: the properties and the children's trees."""
        properties = self.properties(object_id)
        assert properties is not None, object_id
        return {
            "qProperty": copy.deepcopy(dict(properties)),
            "qChildren": [
                self.full_property_tree(info["qId"]) for info in self.child_infos(object_id)
            ],
            "qEmbeddedSnapshotRef": None,
        }

    # -- modal selections --------------------------------------------------------------------

    def begin_selections(self, object_id: str) -> None:
        """Put an object in a modal selection; another object's one is accepted first."""
        if self.modal_object not in (None, object_id):
            self.selections.end_modal(accept=True)
        self.modal_object = object_id
        self.selections.begin_modal()

    def end_selections(self, *, accept: bool) -> bool:
        """End the modal selection; True if undoing it changed the selections."""
        self.modal_object = None
        return self.selections.end_modal(accept=accept)

    def evaluate(self, expression: str) -> float | None:
        """An expression's value over the possible rows (``Evaluate``/``EvaluateEx``)."""
        try:
            compiled = compile_expression(expression, self.app.fields)
        except ExpressionError as exc:
            raise EngineError(
                INVALID_PARAMETERS,
                f"qExpression: {exc} (got {describe(expression)}).",
            ) from None
        return compiled.evaluate(self.selections.possible_rows(self.app.rows))
