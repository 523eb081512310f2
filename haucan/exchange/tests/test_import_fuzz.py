"""The parsers never fail with anything but ImportFormatError, whatever bytes they are given."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haucan.exchange.formats import FORMATS
from haucan.reporting.services.imports import ImportFormatError, ImportRow

VALID = {
    "json": json.dumps(
        {
            "period": "202401",
            "orgUnit": "ou",
            "dataValues": [{"dataElement": "de", "value": "1", "categoryOptionCombo": "c"}],
        }
    ).encode(),
    "xml": b'<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" period="202401" orgUnit="o">'
    b'<dataValue dataElement="de" value="1"/></dataValueSet>',
    "csv": b"dataelement,period,orgunit,catoptcombo,attroptcombo,value\nde,202401,ou,,,1\n",
    "adx": b'<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="o" period="2024-01-01/P1M">'
    b'<dataValue dataElement="de" GENDER="F" value="1"/></group></adx>',
}


def consume(name: str, data: bytes) -> None:
    try:
        for row in FORMATS[name].read(io.BytesIO(data)):
            assert isinstance(row, ImportRow)
            assert isinstance(row.data_element, str) and isinstance(row.period, str)
    except ImportFormatError as exc:
        assert isinstance(exc.message, str)


def test_valid_documents_parse() -> None:
    for name, data in VALID.items():
        rows = list(FORMATS[name].read(io.BytesIO(data)))
        assert [r.data_element for r in rows] == ["de"], name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(FORMATS)), data=st.binary(max_size=400))
def test_arbitrary_bytes(name: str, data: bytes) -> None:
    consume(name, data)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(FORMATS)),
    cut=st.integers(min_value=0, max_value=400),
    insert=st.binary(max_size=8),
    drop=st.integers(min_value=0, max_value=5),
)
def test_near_valid_documents(name: str, cut: int, insert: bytes, drop: int) -> None:
    data = VALID[name]
    cut = min(cut, len(data))
    consume(name, data[:cut] + insert + data[cut + drop :])


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(sorted(FORMATS)), text=st.text(max_size=60))
def test_odd_text_values(name: str, text: str) -> None:
    data = (
        VALID[name]
        .replace(b'"1"', json.dumps(text).encode())
        .replace(b",1\n", b"," + text.encode("utf-8", "replace") + b"\n")
    )
    consume(name, data)
