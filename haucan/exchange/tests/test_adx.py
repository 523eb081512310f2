"""ADX: exports validate against adx_loose.xsd; imports accept category attributes and ranges."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from haucan.core.periods import PeriodType, parse_period, period_of
from haucan.exchange.formats.adx_io import period_id, period_range
from haucan.reporting.models import DataValue
from haucan.testing import PASSWORD, FuelForm, World, build_fuel_form

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "adx_loose.xsd"


def last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


def basic(name: str) -> dict[str, Any]:
    return {
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()
    }


@pytest.fixture
def fuel(world: World) -> FuelForm:
    return build_fuel_form([world.regiment_a, world.regiment_b])


def adx(body: str) -> bytes:
    return f'<adx xmlns="urn:ihe:qrph:adx:2015">{body}</adx>'.encode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01/P1M", "202401"),
        ("2024-04-01/P3M", "2024Q2"),
        ("2024-07-01/P6M", "2024S2"),
        ("2024-01-01/P9M", "2024N9"),
        ("2024-01-01/P1Y", "2024"),
        ("2024-01-15/P1D", "20240115"),
        ("2024-01-01/P7D", "2024W1"),
        ("2024-01-05/P1M", "2024-01-05/P1M"),  # not a month start: reported as invalid
        ("202401", "202401"),
    ],
)
def test_periods_map_from_start_and_duration(text: str, expected: str) -> None:
    assert period_id(text) == expected
    if expected[:4].isdigit() and "/" not in expected:
        assert period_id(period_range(parse_period(expected))) == expected


def test_import_with_category_attributes_and_no_exported(
    world: World, fuel: FuelForm, client: Client
) -> None:
    start = parse_period(last_month()).start.isoformat()
    body = adx(
        f'<group orgUnit="F324-E1" period="{start}/P1M" dataSet="PET_MONTHLY">'
        '<dataValue dataElement="PET_STOCK" FUEL_GROUP="A92" value="32"/>'
        '<dataValue dataElement="PET_STOCK" FUEL_GROUP="DO" value="8"/>'
        '<dataValue dataElement="PET_ISSUED" value="3"><annotation>ghi chú</annotation></dataValue>'
        "</group>"
    )
    response = client.generic(
        "POST", "/api/dataValueSets", body, content_type="application/adx+xml", **basic("clerk_a")
    )
    assert response.status_code == 200, response.content
    values = dict(
        DataValue.objects.values_list("category_option_combo__code", "value").filter(
            data_element=fuel.stock
        )
    )
    assert values == {"FUEL_1": "32", "FUEL_2": "8"}
    assert DataValue.objects.get(data_element=fuel.issued).comment == "ghi chú"


def test_unknown_category_option_is_a_conflict(
    world: World, fuel: FuelForm, client: Client
) -> None:
    start = parse_period(last_month()).start.isoformat()
    body = adx(
        f'<group orgUnit="F324-E1" period="{start}/P1M">'
        '<dataValue dataElement="PET_STOCK" FUEL_GROUP="A92" value="32"/>'
        '<dataValue dataElement="PET_STOCK" FUEL_GROUP="JET" value="1"/></group>'
    )
    response = client.generic(
        "POST", "/api/dataValueSets", body, content_type="application/adx+xml", **basic("admin")
    )
    assert response.status_code == 409
    assert [(c["errorCode"], c["indexes"]) for c in response.json()["conflicts"]] == [
        ("E7613", [1])
    ]


def test_export_is_valid_against_adx_loose(world: World, fuel: FuelForm, client: Client) -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    query = {
        "dataSet": "PET_MONTHLY",
        "period": last_month(),
        "orgUnit": "F324",
        "children": "true",
        "idScheme": "code",
    }
    empty = b"".join(
        client.get("/api/dataValueSets.adx", query, **basic("admin")).streaming_content  # type: ignore[attr-defined]
    )
    assert schema.validate(etree.fromstring(empty)), schema.error_log
    start = parse_period(last_month()).start.isoformat()
    client.generic(
        "POST",
        "/api/dataValueSets",
        adx(
            f'<group orgUnit="F324-E1" period="{start}/P1M">'
            '<dataValue dataElement="PET_STOCK" FUEL_GROUP="A92" value="32"/>'
            '<dataValue dataElement="PET_ISSUED" value="0.00001"/></group>'
        ),
        content_type="application/adx+xml",
        **basic("admin"),
    )
    client.post(
        f"/api/dataValues?de={fuel.note.uid}&pe={last_month()}&ou={world.regiment_a.uid}"
        "&value=text",
        **basic("admin"),
    )
    exported = b"".join(
        client.get("/api/dataValueSets.adx", query, **basic("admin")).streaming_content  # type: ignore[attr-defined]
    )
    document = etree.fromstring(exported)
    assert schema.validate(document), schema.error_log
    assert document.get("exported")
    assert b'FUEL_GROUP="A92"' in exported
    assert b'value="0.00001"' in exported
    assert b"PET_NOTE" not in exported  # text values do not fit xs:decimal
