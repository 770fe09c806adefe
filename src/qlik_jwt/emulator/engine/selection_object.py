"""The current selections object (``qSelectionObjectDef``), as stardust's toolbar reads it.

Its layout member ``qSelectionObject`` lists every field with a selection, in the order the
selections were made, with how many values are selected and how ``Back``/``Forward`` can
move.
"""

from __future__ import annotations

from typing import Any

from qlik_jwt.emulator.engine.apps import SampleApp
from qlik_jwt.emulator.engine.hypercube import value_text
from qlik_jwt.emulator.engine.selections import Selections

__all__ = ["SELECTION_THRESHOLD", "selection_object"]

# Qlik lists up to this many selected values by name, then says "N of M".
SELECTION_THRESHOLD = 6


def _field_selection(name: str, app: SampleApp, selections: Selections) -> dict[str, Any]:
    field = app.fields[name]
    chosen = [v for v in field.values if v in selections.selected(name)]  # load order
    texts = [value_text(v) for v in chosen]
    shown = (
        ", ".join(texts)
        if len(texts) <= SELECTION_THRESHOLD
        else f"{len(texts)} of {field.cardinal}"
    )
    counts = {"qLocked": 0, "qSelected": len(chosen), "qOption": 0, "qDeselected": 0}
    counts.update(qAlternative=0, qExcluded=field.cardinal - len(chosen))
    counts.update(qSelectedExcluded=0, qLockedExcluded=0)
    return {
        "qField": name,
        "qReadableName": name,
        "qTotal": field.cardinal,
        "qIsNum": field.numeric,
        "qLocked": False,
        "qOneAndOnlyOne": False,
        "qIsHidden": False,
        "qTextSearch": "",
        "qSelectedCount": len(chosen),
        "qSelected": shown,
        "qRangeInfo": [],
        "qSortIndex": 0,
        "qStateCounts": counts,
        "qSelectedFieldSelectionInfo": [
            {"qName": text, "qFieldSelectionMode": "NORMAL"} for text in texts
        ],
        "qNotSelectedFieldSelectionInfo": [],
        "qSelectionThreshold": SELECTION_THRESHOLD,
        "qDimensionReferences": [],
    }


def selection_object(app: SampleApp, selections: Selections) -> dict[str, Any]:
    """The ``qSelectionObject`` of a layout."""
    return {
        "qBackCount": selections.back_count,
        "qForwardCount": selections.forward_count,
        "qSelections": [_field_selection(name, app, selections) for name in selections.fields()],
    }
