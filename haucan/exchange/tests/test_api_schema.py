"""The OpenAPI schema promises what the API answers: every operation declares its access rule and
documents its errors, and the findings of the schemathesis run (test_api_fuzz.py) stay fixed."""

from __future__ import annotations

import base64
import json

import jsonschema_rs
import pytest
from django.utils import timezone

from haucan.config.api import api
from haucan.core.access import rule_of
from haucan.core.periods import PeriodType, period_of
from haucan.reporting.models import DataValue
from haucan.testing import PASSWORD, build_fuel_form


def _operations():
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                yield path, operation


def _basic(name: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()


def _response_schema(client, path: str, method: str, status: int) -> dict:
    spec = client.get("/api/schema").json()
    response = spec["paths"][path][method]["responses"][str(status)]
    return response["content"]["application/json"]["schema"]


def test_every_api_operation_declares_its_access_rule():
    undeclared = [
        f"{sorted(operation.methods)} {path}"
        for path, operation in _operations()
        if rule_of(operation.view_func) is None
    ]
    assert undeclared == []


def test_every_documented_operation_documents_its_errors_as_web_messages(world, client):
    spec = client.get("/api/schema").json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert "401" in operation["responses"], f"{method} {path}"
            if method != "get":
                assert {"400", "403", "409", "413"} <= set(operation["responses"]), path


def test_the_decorated_detail_handler_still_reads_its_path_parameter(world, client):
    response = client.get(
        f"/api/organisationUnits/{world.regiment_a.uid}",
        {"fields": "id,name"},
        HTTP_AUTHORIZATION=_basic("clerk_a"),
    )
    assert response.status_code == 200
    assert response.json() == {"id": world.regiment_a.uid, "name": "Trung đoàn 1"}


@pytest.mark.parametrize("path", ["/api/me", "/api/dataValueSets", "/api/organisationUnits"])
def test_anonymous_requests_get_a_documented_401_web_message(world, client, path):
    response = client.get(path)
    assert response.status_code == 401
    schema = _response_schema(client, path, "get", 401)
    jsonschema_rs.validate(schema, response.json())


def test_an_async_import_answer_matches_its_documented_schema(world, client, settings, tmp_path):
    # Finding of the schemathesis run: with async=true the 200 answer is the WebMessage naming
    # the task, which the schema described as an ImportSummary only.
    settings.DATA_DIR = tmp_path
    build_fuel_form([world.regiment_a])
    response = client.post(
        "/api/dataValueSets?async=true&dryRun=true",
        data=b'{"dataValues": []}',
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic("clerk_a"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["response"]["jobType"] == "DATAVALUE_IMPORT"
    jsonschema_rs.validate(_response_schema(client, "/api/dataValueSets", "post", 200), body)


def test_a_synchronous_import_answer_matches_its_documented_schema(world, client):
    response = client.post(
        "/api/dataValueSets?dryRun=true",
        data=b'{"dataValues": [{"dataElement": "nope", "period": "202401", "orgUnit": "x"}]}',
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic("clerk_a"),
    )
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "ERROR" and body["conflicts"][0]["indexes"] == [0]
    jsonschema_rs.validate(_response_schema(client, "/api/dataValueSets", "post", 409), body)


def test_a_user_without_enter_rights_is_refused_writes_with_a_403_web_message(world, client):
    # The commander views and approves but enters nothing: writes are refused before parsing.
    for method, path in (
        ("post", "/api/dataValueSets"),
        ("post", "/api/dataValues?de=a&pe=202401&ou=b&value=1"),
        ("delete", "/api/dataValues?de=a&pe=202401&ou=b"),
    ):
        response = getattr(client, method)(
            path,
            data=b"{}",
            content_type="application/json",
            HTTP_AUTHORIZATION=_basic("commander"),
        )
        assert response.status_code == 403, path
        assert response.json()["status"] == "ERROR"


@pytest.mark.parametrize(
    "path",
    [
        "/api/completeDataSetRegistrations?dataSet=%00&orgUnit=a",
        "/api/dataValueSets?dataSet=a%00b&period=202401&orgUnit=x",
        "/api/organisationUnits?filter=name:eq:%00",
        "/api/dataElements/ab%00c",
        "/api/dataValues?de=%00&pe=202401&ou=x",
    ],
)
def test_a_nul_character_in_a_parameter_is_a_400_web_message_on_every_database(world, client, path):
    # Finding of the schemathesis run on PostgreSQL: a NUL reached a query and failed with 500.
    response = client.get(path, HTTP_AUTHORIZATION=_basic("clerk_a"))
    assert response.status_code == 400
    assert response.json()["message"] == "Text may not contain NUL characters."


def _post_json(client, path: str, body: object):
    return client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic("clerk_a"),
    )


def test_a_nul_character_in_an_imported_value_or_key_is_a_conflict_not_a_500(world, client):
    form = build_fuel_form([world.regiment_a])
    month = period_of(timezone.localdate(), PeriodType.MONTHLY).id
    good = {"period": month, "orgUnit": world.regiment_a.uid, "value": "1"}
    for row in (
        {**good, "dataElement": form.note.uid, "value": "ab\u0000c"},
        {**good, "dataElement": form.note.uid, "comment": "x\u0000"},
        {**good, "dataElement": form.issued.uid, "orgUnit": "\u0000"},
    ):
        response = _post_json(client, "/api/dataValueSets", {"dataValues": [row]})
        assert response.status_code == 409, row
        conflict = response.json()["conflicts"][0]
        assert (conflict["errorCode"], conflict["indexes"]) == ("E7619", [0])
    assert not DataValue.objects.exists()


def test_a_nul_character_in_a_registration_is_a_400(world, client):
    body = {"completeDataSetRegistrations": [{"dataSet": "\u0000", "period": "202401"}]}
    response = _post_json(client, "/api/completeDataSetRegistrations", body)
    assert response.status_code == 400
    assert response.json()["message"] == "Text may not contain NUL characters."


def test_an_anonymous_write_is_a_401_not_a_csrf_403(world, client):
    response = client.post("/api/dataValueSets", data=b"{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["httpStatusCode"] == 401


def test_a_session_write_without_its_csrf_token_is_still_refused(world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.clerk_a)
    response = browser.post("/api/dataValueSets", data=b"{}", content_type="application/json")
    assert response.status_code == 403
