"""Schemathesis against the service's OpenAPI document: generated requests, no server error,
and every answer as the document says (status codes, content types, response schemas)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from clausula.reload import LivePolicies
from clausula.service import create_app

REPO = Path(__file__).resolve().parents[1]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    policies = tmp_path_factory.mktemp("fuzz") / "policies"
    shutil.copytree(REPO / "policies", policies)
    live = LivePolicies(policies=policies)
    live.reload(force=True)
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(live))


def test_no_server_errors(api_schema: Any) -> None:
    # Driven through hypothesis directly: schemathesis' pytest plugin does not support
    # this pytest version.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 7
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        fuzz()
