"""Generated requests for every operation of the published OpenAPI document (schemathesis):
never a 500, and every answer's status, content type and body are the documented ones."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from qlik_jwt.emulator import EmulatorOptions
from tests.support.emulator import RunningEmulator, running_emulator

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("as_admin", [True, False], ids=["admin", "anonymous"])
def test_every_operation_answers_as_documented(as_admin: bool) -> None:
    unlimited = EmulatorOptions(tier1_per_minute=10**6, tier2_per_minute=10**6)
    with running_emulator(options=unlimited) as emulator:
        check_every_operation(emulator, as_admin)


def check_every_operation(emulator: RunningEmulator, as_admin: bool) -> None:
    schema = schemathesis.openapi.from_dict(emulator.admin.get("/openapi.json").json())
    headers = {"Authorization": f"Bearer {emulator.admin_key}"} if as_admin else {}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:

        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            response = case.call(base_url=emulator.url, headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Exception as failure:  # collect all operations' failures, then report them
            failures[operation.label] = str(failure)[:600]
    assert failures == {}
