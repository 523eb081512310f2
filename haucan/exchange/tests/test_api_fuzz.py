"""Schemathesis against the live OpenAPI schema of /api: no 5xx, and every answer (status code,
content type, JSON body) as the schema describes it.

The run is in-process (the Django WSGI application, the test database), seeded and bounded, and
is repeated for each persona with their usual credentials: nobody, clerk_a with an API token, the
commander with HTTP Basic and the administrator with a session cookie. The examples of one
persona share one test world, so writes made by earlier examples are seen by later ones.
Every finding of this run became a plain regression test in test_api_errors.py.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from haucan.accounts.tokens import create_token
from haucan.testing import PASSWORD, World, build_fuel_form

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "clerk_a", "commander", "admin")


def _credentials(world: World, name: str, scope_of: Callable[[str], object]) -> dict[str, str]:
    if name == "anonymous":
        return {}
    if name == "clerk_a":
        _row, plaintext = create_token(scope_of(name), world.user(name), "fuzz")  # type: ignore[arg-type]
        return {"Authorization": f"ApiToken {plaintext}"}
    if name == "commander":
        basic = base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}
    client = Client()
    client.force_login(world.user(name))
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}


@pytest.fixture
def credentials(world: World, scope_of) -> dict[str, dict[str, str]]:
    """The request headers of each persona, over a world with a form for both regiments."""
    build_fuel_form([world.regiment_a, world.regiment_b])
    return {name: _credentials(world, name, scope_of) for name in PERSONAS}


@pytest.fixture(autouse=True)
def _quiet_request_log() -> Iterator[None]:
    # Thousands of expected 4xx warnings would bury a real failure; errors (5xx) still show.
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def wsgi_app(db: None) -> Iterator[WSGIHandler]:
    """Django's WSGI handler; as in Django's test client, the start and end of a request must not
    close the test database's connection (the test's transaction lives on it)."""
    hooks = (signals.request_started, signals.request_finished)
    for hook in hooks:
        hook.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        for hook in hooks:
            hook.connect(close_old_connections)


@pytest.fixture
def api_schema(world: World, wsgi_app: WSGIHandler) -> schemathesis.BaseSchema:
    """The schema as /api/schema serves it, with requests sent to the same WSGI application."""
    return schemathesis.openapi.from_wsgi("/api/schema", wsgi_app)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Seeded and bounded: the same cases on every run, some seconds per persona on two cores.
EXAMPLES = 6
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def _fuzz(schema: schemathesis.BaseSchema, headers: dict[str, str]) -> int:
    """Every operation, with valid and with invalid data; the first failure fails the test (after
    Hypothesis shrinks it to a minimal request)."""
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # an invalid operation in our schema is a failure
        operation = result.ok()
        operations += 1
        # Invalid data needs something to make invalid: query parameters or a body (a path
        # segment is text whatever it holds, and Hypothesis would search long for nothing).
        negatable = len(operation.query) > 0 or len(operation.body) > 0
        for mode in MODES if negatable else MODES[:1]:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            check()
    return operations


def test_anonymous_requests_get_documented_answers(api_schema, credentials) -> None:
    assert _fuzz(api_schema, credentials["anonymous"]) >= 30


def test_clerk_a_with_an_api_token_gets_documented_answers(api_schema, credentials) -> None:
    assert _fuzz(api_schema, credentials["clerk_a"]) >= 30


def test_the_commander_with_basic_auth_gets_documented_answers(api_schema, credentials) -> None:
    assert _fuzz(api_schema, credentials["commander"]) >= 30


def test_the_administrator_with_a_session_gets_documented_answers(api_schema, credentials) -> None:
    assert _fuzz(api_schema, credentials["admin"]) >= 30
