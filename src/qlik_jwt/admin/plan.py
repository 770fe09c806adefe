"""A provisioning step: what will happen to one tenant resource, decided before doing it.

Each resource module offers ``plan_<resource>(client, ...) -> Step`` (read-only: it only
looks) and ``ensure_<resource>(...)``, which is the plan applied. ``qlik-jwt setup`` shows
every step's action before applying any.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Action", "Step"]

Action = Literal["create", "update", "keep"]


@dataclass(frozen=True)
class Step:
    """One resource's planned action.

    ``kind`` is a stable machine name (``identity_provider``, ``web_integration``,
    ``csp_origin``, ``group_settings``, ``space_assignment``), ``target`` says which one in
    words, ``detail`` what will change (or why nothing will). :meth:`apply` performs the
    action and returns the resource (its JSON, or its id where the docstring of the
    ``ensure_*`` function says so); applying a ``keep`` step makes no change.
    """

    kind: str
    target: str
    action: Action
    detail: str
    run: Callable[[], Any] = field(repr=False, compare=False)

    def apply(self) -> Any:
        return self.run()

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "target": self.target,
            "action": self.action,
            "detail": self.detail,
        }
