"""A JSON-in, JSON-out client of one ``EngineSession``, for the engine's unit tests."""

from __future__ import annotations

import json
from typing import Any

from qlik_jwt.emulator.engine import EngineSession, SampleApp

CUBE = {
    "qInfo": {"qType": "test-cube"},
    "qHyperCubeDef": {
        "qDimensions": [
            {"qDef": {"qFieldDefs": ["Region"], "qSortCriterias": [{"qSortByAscii": 1}]}}
        ],
        "qMeasures": [{"qDef": {"qDef": "Sum(Sales)", "qLabel": "Sales"}}],
        "qInitialDataFetch": [{"qTop": 0, "qLeft": 0, "qWidth": 2, "qHeight": 10}],
    },
}


class Client:
    """Talks to one EngineSession the way a websocket client would: JSON text in and out."""

    def __init__(self, apps: dict[str, SampleApp], denied: set[str] | None = None) -> None:
        self.asked: list[str] = []

        def can_open(app_id: str) -> bool:
            self.asked.append(app_id)
            return app_id not in (denied or set())

        self.session = EngineSession(apps, user_name="alice@example.com", can_open=can_open)
        self.sequence = 0

    def send(self, text: str | bytes) -> list[dict[str, Any]]:
        answers = self.session.handle(text)
        for answer in answers:
            json.dumps(answer, allow_nan=False)  # every answer is strict JSON
        return answers

    def call(self, handle: int, method: str, params: Any = (), **extra: Any) -> dict[str, Any]:
        self.sequence += 1
        request = {"jsonrpc": "2.0", "id": self.sequence, "handle": handle, "method": method}
        request["params"] = list(params) if isinstance(params, tuple) else params
        (answer,) = self.send(json.dumps({**request, **extra}))
        assert answer["id"] == self.sequence
        return answer

    def result(self, handle: int, method: str, params: Any = (), **extra: Any) -> Any:
        answer = self.call(handle, method, params, **extra)
        assert "error" not in answer, answer
        return answer["result"]

    def error(self, handle: int, method: str, params: Any = (), **extra: Any) -> dict[str, Any]:
        answer = self.call(handle, method, params, **extra)
        assert "result" not in answer, answer
        return dict(answer["error"])
