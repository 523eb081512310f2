"""What the /api operations answer, for the OpenAPI schema at /api/schema.

The handlers return plain dicts (DHIS2's shapes are too loose and too large for pydantic models),
so their responses are described here as JSON Schema and attached with `openapi_extra`. Every
operation documents its error answers too (WebMessage JSON, haucan.config.api): a client can rely on
the schema, and the schemathesis run in the test suite (test_api_fuzz.py) fails on any status code,
content type or body that the schema does not describe.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

JSON = "application/json"

WEB_MESSAGE: dict[str, Any] = {
    "title": "WebMessage",
    "type": "object",
    "required": ["httpStatusCode", "status", "message"],
    "properties": {
        "httpStatus": {"type": "string"},
        "httpStatusCode": {"type": "integer"},
        "status": {"type": "string", "enum": ["OK", "WARNING", "ERROR"]},
        "message": {"type": "string"},
        "errorCode": {"type": "string"},
        "response": {"type": "object"},
    },
}

_COUNT = {"type": "integer", "minimum": 0}

IMPORT_SUMMARY: dict[str, Any] = {
    "title": "ImportSummary",
    "type": "object",
    "required": ["responseType", "status", "importCount", "conflicts"],
    "properties": {
        "responseType": {"type": "string", "enum": ["ImportSummary"]},
        "status": {"type": "string", "enum": ["SUCCESS", "WARNING", "ERROR"]},
        "description": {"type": "string"},
        "dryRun": {"type": "boolean"},
        "importCount": {
            "type": "object",
            "required": ["imported", "updated", "ignored", "deleted"],
            "properties": {k: _COUNT for k in ("imported", "updated", "ignored", "deleted")},
        },
        "conflicts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["object", "value"],
                "properties": {
                    "object": {"type": "string"},
                    "value": {"type": "string"},
                    "errorCode": {"type": "string"},
                    "property": {"type": "string"},
                    "indexes": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                },
            },
        },
    },
}

PAGER: dict[str, Any] = {
    "type": "object",
    "required": ["page", "pageCount", "total", "pageSize"],
    "properties": {
        "page": {"type": "integer", "minimum": 1},
        "pageCount": {"type": "integer", "minimum": 1},
        "total": {"type": "integer", "minimum": 0},
        "pageSize": {"type": "integer", "minimum": 1},
        "nextPage": {"type": "string"},
        "prevPage": {"type": "string"},
    },
}

DATA_VALUE: dict[str, Any] = {
    "type": "object",
    "required": ["dataElement", "period", "orgUnit", "value"],
    "properties": {
        "dataElement": {"type": "string"},
        "period": {"type": "string"},
        "orgUnit": {"type": "string"},
        "categoryOptionCombo": {"type": "string"},
        "attributeOptionCombo": {"type": "string"},
        "value": {"type": ["string", "null"]},
        "storedBy": {"type": ["string", "null"]},
        "created": {"type": ["string", "null"]},
        "lastUpdated": {"type": ["string", "null"]},
        "comment": {"type": ["string", "null"]},
        "followup": {"type": "boolean"},
        "deleted": {"type": "boolean"},
    },
}

DATA_VALUE_SET: dict[str, Any] = {
    "title": "DataValueSet",
    "type": "object",
    "required": ["dataValues"],
    "properties": {"dataSet": {"type": "string"}, "dataValues": {"type": "array"}},
}

OBJECT: dict[str, Any] = {"type": "object"}
TEXT: dict[str, Any] = {"type": "string"}

# Who may get which error: 401 without credentials, 403 without the right, 404 outside the scope.
READ_ERRORS = (400, 401, 403, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413)

_REASONS = {
    400: "Bad request: a parameter or the body is invalid",
    401: "No credentials, or they were refused",
    403: "Signed in, but not allowed",
    404: "Not found, or outside the caller's scope",
    409: "Conflict: the import was refused (ImportSummary or WebMessage)",
    413: "The body is larger than HAUCAN_MAX_IMPORT_MB",
}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {JSON: {"schema": schema}}


def responses(
    ok: dict[int, dict[str, Any]],
    *,
    errors: Iterable[int] = READ_ERRORS,
    conflict: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The `openapi_extra` of one operation: its success answers (status -> response object),
    the WebMessage errors it may give, and its query parameters."""
    documented: dict[int, dict[str, Any]] = dict(ok)
    for status in errors:
        schema = WEB_MESSAGE
        if status == 409 and conflict is not None:
            schema = {"anyOf": [conflict, WEB_MESSAGE]} if conflict is not WEB_MESSAGE else conflict
        documented.setdefault(
            status, {"description": _REASONS[status], "content": json_content(schema)}
        )
    extra: dict[str, Any] = {"responses": documented}
    if parameters:
        extra["parameters"] = parameters
    if description:
        extra["description"] = description
    return extra


def ok_json(schema: dict[str, Any], status: int = 200) -> dict[int, dict[str, Any]]:
    return {status: {"description": "OK", "content": json_content(schema)}}


def query(
    name: str,
    schema: dict[str, Any] | None = None,
    *,
    required: bool = False,
    description: str = "",
    many: bool = False,
) -> dict[str, Any]:
    """One query parameter (`many`: repeatable, e.g. `dataSet=a&dataSet=b`)."""
    base = schema or {"type": "string"}
    param: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": required,
        "schema": {"type": "array", "items": base} if many else base,
    }
    if many:
        param.update(style="form", explode=True)
    if description:
        param["description"] = description
    return param


BOOLEAN = {"type": "string", "enum": ["true", "false"]}
ID_SCHEME = {"type": "string", "enum": ["uid", "code", "name", "UID", "CODE", "NAME"]}
DATE = {"type": "string", "format": "date"}


def id_scheme_parameters() -> list[dict[str, Any]]:
    return [
        query(name, ID_SCHEME)
        for name in (
            "idScheme",
            "dataElementIdScheme",
            "orgUnitIdScheme",
            "categoryOptionComboIdScheme",
            "dataSetIdScheme",
        )
    ]
