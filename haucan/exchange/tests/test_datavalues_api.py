"""/api/dataValueSets, /api/dataValues and /api/completeDataSetRegistrations over HTTP."""

from __future__ import annotations

import base64
import json
import unicodedata
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from haucan.core.periods import PeriodType, period_of
from haucan.exchange.datavalues_api import run_import_job
from haucan.exchange.models import ImportJob
from haucan.reporting.models import CompleteRegistration, DataValue
from haucan.testing import PASSWORD, FuelForm, World, build_fuel_form

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0"><dataValue dataElement="&lol2;"
 period="202401" orgUnit="x" value="1"/></dataValueSet>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<dataValueSet><dataValue dataElement="&xxe;" period="202401" orgUnit="x" value="1"/>
</dataValueSet>"""


def last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


@pytest.fixture
def fuel(world: World) -> FuelForm:
    return build_fuel_form([world.regiment_a, world.regiment_b])


TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 spells it: base letters precomposed, tones combining."""
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out.append(base + "".join(c for c in parts if c in TONES))
    return "".join(out).encode("cp1258")


def basic(name: str) -> dict[str, Any]:
    token = base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def payload(world: World, fuel: FuelForm, unit: str | None = None) -> dict[str, object]:
    return {
        "dataSet": fuel.data_set.uid,
        "period": last_month(),
        "orgUnit": unit or world.regiment_a.uid,
        "dataValues": [
            {"dataElement": fuel.stock.uid, "categoryOptionCombo": _coc("FUEL_1"), "value": "120"},
            {"dataElement": fuel.stock.uid, "categoryOptionCombo": _coc("FUEL_2"), "value": 80},
            {"dataElement": fuel.issued.uid, "value": "12.5", "comment": "Xuất cho đại đội 3"},
            {"dataElement": fuel.note.uid, "value": 'Đủ dự trữ; "tốt", <ổn>'},
        ],
    }


def _coc(code: str) -> str:
    from haucan.catalog.models import CategoryOptionCombo

    return CategoryOptionCombo.objects.get(code=code).uid


def snapshot() -> set[tuple[object, ...]]:
    return set(
        DataValue.objects.filter(deleted=False).values_list(
            "data_element_id",
            "period",
            "unit_id",
            "category_option_combo_id",
            "attribute_option_combo_id",
            "value",
            "comment",
        )
    )


def post(
    client: Client, body: bytes | str, content_type: str, query: str = "", **extra: Any
) -> Any:
    return client.generic(
        "POST", f"/api/dataValueSets{query}", body, content_type=content_type, **extra
    )


def test_post_json_imports_and_answers_an_import_summary(
    world: World, fuel: FuelForm, client: Client
) -> None:
    response = post(
        client, json.dumps(payload(world, fuel)), "application/json", **basic("clerk_a")
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["responseType"] == "ImportSummary"
    assert body["importCount"] == {"imported": 4, "updated": 0, "ignored": 0, "deleted": 0}
    assert len(snapshot()) == 4


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "adx"])
def test_every_format_round_trips(world: World, fuel: FuelForm, client: Client, fmt: str) -> None:
    if fmt == "adx":  # ADX carries numbers only
        data = payload(world, fuel)
        data["dataValues"] = data["dataValues"][:2]  # type: ignore[index]
    else:
        data = payload(world, fuel)
    assert post(client, json.dumps(data), "application/json", **basic("admin")).status_code == 200
    before = snapshot()
    query = {
        "dataSet": fuel.data_set.uid,
        "period": last_month(),
        "orgUnit": world.division.uid,
        "children": "true",
    }
    if fmt == "adx":
        query = {
            **query,
            "dataSet": fuel.data_set.code,
            "orgUnit": world.division.code,
            "idScheme": "code",
        }
    response = client.get(f"/api/dataValueSets.{fmt}", query, **basic("admin"))
    assert response.status_code == 200
    exported = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    DataValue.objects.all().delete()
    media = {
        "json": "application/json",
        "xml": "application/xml",
        "csv": "text/csv",
        "adx": "application/adx+xml",
    }[fmt]
    answer = post(client, exported, media, **basic("admin"))
    assert answer.status_code == 200, answer.content
    assert answer.json()["importCount"]["imported"] == len(before)
    assert snapshot() == before


def test_accept_adx_header_exports_adx(world: World, fuel: FuelForm, client: Client) -> None:
    response = client.get(
        "/api/dataValueSets",
        {
            "dataSet": fuel.data_set.code,
            "period": last_month(),
            "orgUnit": world.regiment_a.code,
            "idScheme": "code",
        },
        HTTP_ACCEPT="application/adx+xml",
        **basic("admin"),
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/adx+xml")
    assert b"exported=" in b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_csv_with_bom_semicolons_and_windows_1258(
    world: World, fuel: FuelForm, client: Client
) -> None:
    pe, ou = last_month(), world.regiment_a.code
    text = (
        "dataelement;period;orgunit;catoptcombo;attroptcombo;value;storedby;lastupdated;comment\n"
        f"PET_NOTE;{pe};{ou};;;Kho Vinh đủ dự trữ;;;Ghi chú tiếng Việt\n"
        f"PET_ISSUED;{pe};{ou};;;12,5;;;\n"
    )
    body = to_cp1258(text)
    response = post(client, body, "text/csv", "?idScheme=code", **basic("clerk_a"))
    assert response.status_code == 200, response.content
    note = DataValue.objects.get(data_element=fuel.note)
    assert note.value == "Kho Vinh đủ dự trữ"
    assert note.comment == "Ghi chú tiếng Việt"
    DataValue.objects.all().delete()
    bom = "\ufeff".encode() + text.replace(";", ",").replace("12,5", '"12,5"').encode()
    assert post(client, bom, "text/csv", "?idScheme=code", **basic("clerk_a")).status_code == 200
    assert DataValue.objects.get(data_element=fuel.issued).value == "12.5"


@pytest.mark.parametrize(
    ("body", "media"),
    [
        (b'{"dataValues": [{"dataElement": "x", ', "application/json"),
        (b"[1, 2]", "application/json"),
        (b"<dataValueSet><dataValue", "application/xml"),
        (b'a,b\n"unterminated', "text/csv"),
        (BOMB, "application/xml"),
        (EXTERNAL, "application/xml"),
    ],
)
def test_malformed_payloads_are_conflicts_not_errors(
    world: World, fuel: FuelForm, client: Client, body: bytes, media: str
) -> None:
    response = post(client, body, media, **basic("admin"))
    assert response.status_code == 409, response.content
    summary = response.json()
    assert summary["status"] == "ERROR"
    assert summary["conflicts"][0]["errorCode"] in {"E7650", "E7610", "E7612"}
    assert DataValue.objects.count() == 0


def test_unsafe_xml_is_refused_as_unsafe(world: World, fuel: FuelForm, client: Client) -> None:
    for body in (BOMB, EXTERNAL):
        summary = post(client, body, "application/xml", **basic("admin")).json()
        assert "unsafe XML refused" in summary["conflicts"][0]["value"]


def test_unknown_ids_and_wrong_types_name_their_rows(
    world: World, fuel: FuelForm, client: Client
) -> None:
    data = payload(world, fuel)
    values: list[dict[str, str]] = data["dataValues"]  # type: ignore[assignment]
    values[1]["value"] = "nhiều"
    values.append({"dataElement": "unknownUid1", "value": "1"})
    summary = post(client, json.dumps(data), "application/json", **basic("admin")).json()
    assert {c["errorCode"]: c["indexes"] for c in summary["conflicts"]} == {
        "E7619": [1],
        "E7610": [4],
    }
    assert DataValue.objects.count() == 0


def test_clerk_a_cannot_write_or_read_clerk_b_unit(
    world: World, fuel: FuelForm, client: Client
) -> None:
    data = payload(world, fuel, unit=world.regiment_b.uid)
    response = post(client, json.dumps(data), "application/json", **basic("clerk_a"))
    assert response.status_code == 409
    assert {c["errorCode"] for c in response.json()["conflicts"]} == {"E7612"}
    assert post(client, json.dumps(data), "application/json", **basic("clerk_b")).status_code == 200
    read = client.get(
        "/api/dataValueSets.json",
        {"dataSet": fuel.data_set.uid, "period": last_month(), "orgUnit": world.regiment_b.uid},
        **basic("clerk_a"),
    )
    assert read.status_code == 404
    one = client.get(
        "/api/dataValues",
        {"de": fuel.issued.uid, "pe": last_month(), "ou": world.regiment_b.uid},
        **basic("clerk_a"),
    )
    assert one.status_code == 404
    gone = client.delete(
        f"/api/dataValues?de={fuel.issued.uid}&pe={last_month()}&ou={world.regiment_b.uid}",
        **basic("clerk_a"),
    )
    assert gone.status_code == 409
    assert DataValue.objects.filter(deleted=False).count() == 4


def test_single_data_value_post_get_delete(world: World, fuel: FuelForm, client: Client) -> None:
    params = f"de={fuel.stock.uid}&pe={last_month()}&ou={world.regiment_a.uid}&co={_coc('FUEL_2')}"
    created = client.post(f"/api/dataValues?{params}&value=42", **basic("clerk_a"))
    assert created.status_code == 201, created.content
    read = client.get(f"/api/dataValues?{params}", **basic("clerk_a"))
    assert read.status_code == 200
    assert read.json()["value"] == "42"
    bad = client.post(f"/api/dataValues?{params}&value=abc", **basic("clerk_a"))
    assert bad.status_code == 409
    assert bad.json()["errorCode"] == "E7619"
    assert client.delete(f"/api/dataValues?{params}", **basic("clerk_a")).status_code == 204
    assert client.get(f"/api/dataValues?{params}", **basic("clerk_a")).status_code == 404


def test_dry_run_and_strategy_options(world: World, fuel: FuelForm, client: Client) -> None:
    body = json.dumps(payload(world, fuel))
    dry = post(client, body, "application/json", "?dryRun=true", **basic("admin")).json()
    assert dry["importCount"]["imported"] == 4
    assert DataValue.objects.count() == 0
    update = post(client, body, "application/json", "?importStrategy=UPDATE", **basic("admin"))
    assert update.json()["importCount"]["ignored"] == 4
    bad = post(client, body, "application/json", "?importStrategy=MERGE", **basic("admin"))
    assert bad.status_code == 400
    assert bad.json()["status"] == "ERROR"


def test_request_size_limit_is_413(
    world: World, fuel: FuelForm, client: Client, settings: object
) -> None:
    settings.HAUCAN_MAX_IMPORT_MB = 0.001  # type: ignore[attr-defined]
    body = json.dumps(payload(world, fuel)) + " " * 2000
    response = post(client, body, "application/json", **basic("admin"))
    assert response.status_code == 413
    assert "import limit" in response.json()["message"]


def test_unsupported_content_type_is_400(world: World, client: Client) -> None:
    response = post(client, b"x", "application/pdf", **basic("admin"))
    assert response.status_code == 400
    assert response.json()["httpStatusCode"] == 400


def test_async_import_runs_as_a_task(world: World, fuel: FuelForm, client: Client) -> None:
    response = post(
        client,
        json.dumps(payload(world, fuel)),
        "application/json",
        "?async=true",
        **basic("clerk_a"),
    )
    assert response.status_code == 200
    uid = response.json()["response"]["id"]
    pending = client.get(f"/api/system/taskSummaries/DATAVALUE_IMPORT/{uid}", **basic("clerk_a"))
    assert pending.json()["status"] == "PENDING"
    job = ImportJob.objects.get(uid=uid)
    assert run_import_job.call(job.pk) == "COMPLETED"
    assert run_import_job.call(job.pk) == "skipped"
    summary = client.get(f"/api/system/taskSummaries/DATAVALUE_IMPORT/{uid}", **basic("clerk_a"))
    assert summary.json()["importCount"]["imported"] == 4
    other = client.get(f"/api/system/taskSummaries/DATAVALUE_IMPORT/{uid}", **basic("clerk_b"))
    assert other.status_code == 404
    tasks = client.get(f"/api/system/tasks/DATAVALUE_IMPORT/{uid}", **basic("clerk_a"))
    assert tasks.json()[0]["completed"] is True


def test_async_import_keeps_the_narrowed_scope_of_the_token(
    world: World, fuel: FuelForm, client: Client
) -> None:
    from haucan.accounts.queries import resolve_scope
    from haucan.accounts.tokens import create_token

    # A token of clerk_a narrowed to one battalion queues values for the whole regiment.
    _token, plaintext = create_token(
        resolve_scope(world.clerk_a), world.clerk_a, "battalion", unit=world.battalion_a
    )
    response = post(
        client,
        json.dumps(payload(world, fuel)),
        "application/json",
        "?async=true",
        HTTP_AUTHORIZATION=f"ApiToken {plaintext}",
    )
    assert response.status_code == 200
    job = ImportJob.objects.get(uid=response.json()["response"]["id"])
    run_import_job.call(job.pk)
    job.refresh_from_db()
    # The worker ran it with the token's scope: the regiment's values are out of scope.
    assert job.options["scope"]["unit_paths"] == [world.battalion_a.path], job.options["scope"]
    assert job.summary is not None and job.summary["status"] == "ERROR"
    assert not DataValue.objects.filter(unit=world.regiment_a).exists()


def test_complete_registrations(world: World, fuel: FuelForm, client: Client) -> None:
    body = {
        "completeDataSetRegistrations": [
            {
                "dataSet": fuel.data_set.uid,
                "period": last_month(),
                "organisationUnit": world.regiment_a.uid,
            }
        ]
    }
    response = client.post(
        "/api/completeDataSetRegistrations",
        json.dumps(body),
        content_type="application/json",
        **basic("clerk_a"),
    )
    assert response.status_code == 200, response.content
    assert CompleteRegistration.objects.filter(is_complete=True).count() == 1
    listed = client.get(
        "/api/completeDataSetRegistrations",
        {"dataSet": fuel.data_set.uid, "period": last_month(), "orgUnit": world.regiment_a.uid},
        **basic("clerk_a"),
    )
    assert listed.json()["completeDataSetRegistrations"][0]["completed"] is True
    body["completeDataSetRegistrations"][0]["organisationUnit"] = world.regiment_b.uid
    refused = client.post(
        "/api/completeDataSetRegistrations",
        json.dumps(body),
        content_type="application/json",
        **basic("clerk_a"),
    )
    assert refused.status_code == 409
    # A submitted report refuses imports.
    summary = post(client, json.dumps(payload(world, fuel)), "application/json", **basic("clerk_a"))
    assert {c["errorCode"] for c in summary.json()["conflicts"]} == {"E7606"}


def test_anonymous_is_401(client: Client, world: World) -> None:
    assert client.get("/api/dataValueSets.json").status_code == 401


def test_csv_export_neutralises_formula_text_and_reads_it_back_exactly(
    world: World, fuel: FuelForm, client: Client
) -> None:
    evil = '=HYPERLINK("http://attacker","x")'
    rows = [
        {"dataElement": fuel.note.uid, "value": evil, "comment": "@cmd"},
        {"dataElement": fuel.issued.uid, "value": "-5"},
    ]
    base = {"period": last_month(), "orgUnit": world.regiment_a.uid}
    body = json.dumps({"dataValues": [{**base, **r} for r in rows]})
    assert post(client, body, "application/json", **basic("clerk_a")).status_code == 200
    query = {"dataSet": fuel.data_set.uid, "period": last_month(), "orgUnit": world.regiment_a.uid}
    response = client.get("/api/dataValueSets.csv", query, **basic("clerk_a"))
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    note = next(line for line in text.splitlines() if line.startswith(fuel.note.uid))
    assert '"\'=HYPERLINK(""http://attacker"",""x"")"' in note and ",'@cmd," in note
    issued = next(line for line in text.splitlines() if line.startswith(fuel.issued.uid))
    assert ",-5," in issued

    before = snapshot()
    DataValue.objects.all().delete()
    assert post(client, text.encode(), "text/csv", **basic("clerk_a")).status_code == 200
    assert snapshot() == before
    assert DataValue.objects.get(data_element=fuel.note).comment == "@cmd"
