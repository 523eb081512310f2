"""DHIS2 DXF2 XML data value sets:

    <dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" dataSet="…" period="…" orgUnit="…">
      <dataValue dataElement="…" categoryOptionCombo="…" value="12" comment="…"/>
    </dataValueSet>

Values may also be given as a child element (`<dataValue …><value>12</value></dataValue>`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any
from xml.sax.saxutils import quoteattr

from haucan.exchange.formats._xml import events, local
from haucan.reporting.services.imports import ExportRow, ImportFormatError, ImportRow

NAMESPACE = "http://dhis2.org/schema/dxf/2.0"
_HEADER = ("dataSet", "period", "orgUnit", "attributeOptionCombo")


def _bool(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() in {"true", "1", "yes"}


def read(stream: IO[bytes], **_options: Any) -> Iterator[ImportRow]:
    counter = [0]
    header: dict[str, str] = {}
    children: dict[str, str] = {}
    root_seen = False
    for event, element, stack in events(stream, counter):
        name = local(element.tag)
        if event == "start":
            if not root_seen:
                root_seen = True
                if name != "dataValueSet":
                    raise ImportFormatError(f"expected <dataValueSet>, found <{name}>", 0)
                header = {k: v for k, v in element.attrib.items() if k in _HEADER}
            continue
        if len(stack) == 2 and local(stack[-1].tag) == "dataValue":
            children[name] = (element.text or "").strip()  # <value>, <comment> as elements
            continue
        if name != "dataValue" or len(stack) != 1:
            continue
        attrs = dict(element.attrib)
        for key, text in children.items():
            attrs.setdefault(key, text)
        children.clear()
        index = counter[0]
        de = attrs.get("dataElement")
        period = attrs.get("period") or header.get("period")
        unit = attrs.get("orgUnit") or header.get("orgUnit")
        if not de or not period or not unit:
            raise ImportFormatError(
                f"data value {index} lacks dataElement, period or orgUnit", index
            )
        yield ImportRow(
            data_element=de,
            period=period,
            org_unit=unit,
            value=attrs.get("value"),
            category_option_combo=attrs.get("categoryOptionCombo") or None,
            attribute_option_combo=attrs.get("attributeOptionCombo")
            or header.get("attributeOptionCombo")
            or None,
            comment=attrs.get("comment"),
            follow_up=_bool(attrs.get("followUp", attrs.get("followup"))),
            deleted=bool(_bool(attrs.get("deleted"))),
            data_set=attrs.get("dataSet") or header.get("dataSet") or None,
        )
        counter[0] += 1
    if not root_seen:
        raise ImportFormatError("the document is empty", 0)


def write(rows: Iterable[ExportRow], *, data_set: str | None = None, **_: Any) -> Iterator[bytes]:
    head = f" dataSet={quoteattr(data_set)}" if data_set else ""
    yield (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<dataValueSet xmlns="{NAMESPACE}"{head}>\n'
    ).encode()
    buffer: list[str] = []
    for row in rows:
        buffer.append(
            f"<dataValue dataElement={quoteattr(row.data_element)} period={quoteattr(row.period)}"
            f" orgUnit={quoteattr(row.org_unit)}"
            f" categoryOptionCombo={quoteattr(row.category_option_combo)}"
            f" attributeOptionCombo={quoteattr(row.attribute_option_combo)}"
            f" value={quoteattr(row.value)} storedBy={quoteattr(row.stored_by)}"
            f' created="{row.created.isoformat(timespec="milliseconds")}"'
            f' lastUpdated="{row.last_updated.isoformat(timespec="milliseconds")}"'
            f" comment={quoteattr(row.comment)}"
            f' followUp="{"true" if row.follow_up else "false"}"'
            + (' deleted="true"' if row.deleted else "")
            + "/>\n"
        )
        if len(buffer) >= 2000:
            yield "".join(buffer).encode()
            buffer = []
    buffer.append("</dataValueSet>\n")
    yield "".join(buffer).encode()
