"""schemathesis against ``/api/v1/openapi.json``: every operation, with examples made from the
document (bounded), answers no server error and nothing its own schema does not allow."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from drafts.api_tokens import ALL_SCOPES, new_token
from drafts.storage import Database
from drafts.users import Role, add_user
from tests.conftest import TEST_CONFIG, make_config
from tidings.web.app import create_app
from tidings.web.in_thread import serving
from tidings.web.session_key import WEB_SECRET_VARIABLE

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The web app on loopback over a SQLite file, and an admin's token with every scope."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('api')}/tidings.db")
    database.migrate()
    with database.writing() as session:
        admin = add_user(session, name="sol", role=Role.ADMIN, password_hash=None, actor=None)
        token = new_token(session, user_name="sol", name="fuzz", scopes=ALL_SCOPES, actor=admin)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WEB_SECRET_VARIABLE, secrets.token_urlsafe(32))
        # Far above the examples' pace: a 429 would stand in for the answer under test.
        config = make_config(TEST_CONFIG + "\n[api]\nrequests_per_minute = 100000\n")
        app = create_app(config, database)
    with serving(app) as origin:
        yield origin, token


@pytest.fixture(scope="module")
def api_schema(served: tuple[str, str]) -> schemathesis.BaseSchema:
    origin, _ = served
    return schemathesis.openapi.from_url(f"{origin}/api/v1/openapi.json")


def test_the_api_keeps_to_its_own_document(
    api_schema: schemathesis.BaseSchema, served: tuple[str, str]
) -> None:
    origin, token = served
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 11  # drafts (7 routes, 9 operations), posts (3), channels (1)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def keeps_to_it(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=f"{origin}/api/v1", headers=headers, checks=CHECKS)

        keeps_to_it()
