"""schemathesis over a service's published OpenAPI document, on a real server.

:func:`check_every_operation` generates requests for every operation and checks each answer:
never a 500, and its status, content type and body are the documented ones.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

__all__ = ["CHECKS", "check_every_operation"]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def check_every_operation(
    document: dict[str, Any], base_url: str, headers: dict[str, str], *, max_examples: int
) -> tuple[list[str], dict[str, str]]:
    """Exercise every operation; return the operations' labels and the failures by label."""
    schema = schemathesis.openapi.from_dict(document)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Exception as failure:  # collect all operations' failures, then report them
            failures[operation.label] = str(failure)[:600]
    return [operation.label for operation in operations], failures
