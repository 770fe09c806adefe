"""Generated requests for every operation of the published OpenAPI document (schemathesis):
never a 500, and every answer's status, content type and body are the documented ones."""

from __future__ import annotations

import pytest

from qlik_jwt.emulator import EmulatorOptions
from tests.support.emulator import running_emulator
from tests.support.openapi_fuzz import check_every_operation


@pytest.mark.parametrize("as_admin", [True, False], ids=["admin", "anonymous"])
def test_every_operation_answers_as_documented(as_admin: bool) -> None:
    unlimited = EmulatorOptions(tier1_per_minute=10**6, tier2_per_minute=10**6)
    with running_emulator(options=unlimited) as emulator:
        headers = {"Authorization": f"Bearer {emulator.admin_key}"} if as_admin else {}
        document = emulator.admin.get("/openapi.json").json()
        operations, failures = check_every_operation(
            document, emulator.url, headers, max_examples=12
        )
    assert len(operations) > 40
    assert failures == {}
