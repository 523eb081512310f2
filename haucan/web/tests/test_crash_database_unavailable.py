"""Losing the database gives a clear 503 (an HTML page in Vietnamese, or the API's JSON), and the
next request after the database is back succeeds without restarting anything (issue 10 §7)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection
from django.test import Client

from haucan.testing import World

pytestmark = pytest.mark.django_db(transaction=True)


class Outage:
    """Points the connection at a database that cannot be opened (a closed port on PostgreSQL,
    a file in a missing folder on SQLite), and back."""

    def __init__(self) -> None:
        self.saved = dict(connection.settings_dict)

    def start(self) -> None:
        connection.close()
        if connection.vendor == "postgresql":
            connection.settings_dict["HOST"] = "127.0.0.1"
            connection.settings_dict["PORT"] = "1"  # nothing listens on port 1
        else:
            connection.settings_dict["NAME"] = "/nonexistent-folder/haucan.sqlite3"

    def end(self) -> None:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(self.saved)


@pytest.fixture
def outage() -> Iterator[Outage]:
    controller = Outage()
    try:
        yield controller
    finally:
        controller.end()


def _signed_in(world: World) -> Client:
    # As a browser sees it: an exception that Django's handler answers is not re-raised here.
    client = Client(raise_request_exception=False)
    client.force_login(world.clerk_a)
    return client


def test_a_page_without_its_database_is_a_vietnamese_503_page_then_recovers(
    world: World, outage: Outage
) -> None:
    client = _signed_in(world)
    outage.start()
    response = client.get("/units/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "30"
    text = response.content.decode()
    assert "Không kết nối được cơ sở dữ liệu" in text
    assert 'href="/units/"' in text  # "Thử lại" retries the same page
    outage.end()
    assert client.get("/units/").status_code == 200


def test_the_api_without_its_database_is_a_json_503_then_recovers(
    world: World, outage: Outage
) -> None:
    client = _signed_in(world)
    outage.start()
    response = client.get("/api/organisationUnits", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "httpStatus": "Service Unavailable",
        "httpStatusCode": 503,
        "status": "ERROR",
        "errorCode": "DatabaseUnavailable",
        "message": "The database is unavailable; please try again in a minute.",
    }
    outage.end()
    assert client.get("/api/organisationUnits").status_code == 200


def test_a_request_that_first_meets_the_database_in_a_middleware_is_a_503(
    world: World, outage: Outage
) -> None:
    # The home page: the session and Scope middleware query before the view runs.
    client = _signed_in(world)
    outage.start()
    response = client.get("/")
    assert response.status_code == 503
    assert "Không kết nối được cơ sở dữ liệu" in response.content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_terminate_backend needs PostgreSQL"
)
def test_a_terminated_backend_is_a_503_once_and_the_next_request_reconnects(
    world: World,
) -> None:
    client = _signed_in(world)
    assert client.get("/units/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    response = client.get("/units/")
    assert response.status_code == 503
    assert client.get("/units/").status_code == 200  # the same process, a new connection
