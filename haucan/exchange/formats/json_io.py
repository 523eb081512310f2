"""DHIS2 JSON data value sets, read with ijson (C backend) so memory stays flat.

    {"dataSet": "…", "period": "202401", "orgUnit": "…", "attributeOptionCombo": "…",
     "dataValues": [{"dataElement": "…", "categoryOptionCombo": "…", "value": "12", …}]}

`period`, `orgUnit` and `attributeOptionCombo` may sit on the set or on each value. When the set's
fields come after `dataValues` (legal JSON, rare in practice) the values lacking them are held
until the end of the document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

import ijson

from haucan.reporting.services.imports import ExportRow, ImportFormatError, ImportRow

_HEADER = ("dataSet", "period", "orgUnit", "attributeOptionCombo")
_PREFIX = "dataValues.item"
_ITEM = len(_PREFIX) + 1


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f") if value == value.to_integral_value() else str(value)
    return str(value)


def _truthy(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "1", "yes"}


def read(stream: IO[bytes], **_options: Any) -> Iterator[ImportRow]:
    header: dict[str, str | None] = {}
    held: list[dict[str, Any]] = []
    index = 0
    current: dict[str, Any] | None = None
    started = False
    try:
        for prefix, event, value in ijson.parse(stream, use_float=False):
            if not started:
                if event != "start_map":
                    raise ImportFormatError("expected a JSON object with dataValues", 0)
                started = True
                continue
            if prefix == _PREFIX:
                if event == "start_map":
                    current = {}
                elif event == "end_map" and current is not None:
                    if _complete(current, header):
                        yield _row(current, header, index)
                    else:
                        held.append(current)
                    index += 1
                    current = None
                elif event != "map_key":
                    raise ImportFormatError("each data value must be an object", index)
            elif current is not None and prefix.startswith(_PREFIX):
                if event in ("string", "number", "boolean", "null"):
                    key = prefix[_ITEM:]
                    if "." not in key:
                        current[key] = value
            elif prefix in _HEADER and event in ("string", "number", "null"):
                header[prefix] = _text(value)
            elif prefix == "dataValues" and event not in ("start_array", "end_array"):
                raise ImportFormatError("dataValues must be an array", index)
    except ImportFormatError:
        raise
    except (ijson.JSONError, ValueError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"invalid JSON: {exc}", index) from None
    if not started:
        raise ImportFormatError("the document is empty", 0)
    for offset, item in enumerate(held):
        yield _row(item, header, index - len(held) + offset)


def _complete(item: dict[str, Any], header: dict[str, str | None]) -> bool:
    return all(item.get(k) is not None or header.get(k) is not None for k in ("period", "orgUnit"))


def _row(item: dict[str, Any], header: dict[str, str | None], index: int) -> ImportRow:
    de = _text(item.get("dataElement"))
    period = _text(item.get("period")) or header.get("period")
    unit = _text(item.get("orgUnit")) or header.get("orgUnit")
    if not de or not period or not unit:
        missing = [
            n for n, v in (("dataElement", de), ("period", period), ("orgUnit", unit)) if not v
        ]
        raise ImportFormatError(f"data value {index} lacks {', '.join(missing)}", index)
    follow = item.get("followUp", item.get("followup"))
    return ImportRow(
        data_element=de,
        period=period,
        org_unit=unit,
        value=_text(item.get("value")),
        category_option_combo=_text(item.get("categoryOptionCombo")) or None,
        attribute_option_combo=_text(item.get("attributeOptionCombo"))
        or header.get("attributeOptionCombo")
        or None,
        comment=_text(item.get("comment")),
        follow_up=_truthy(follow),
        deleted=bool(_truthy(item.get("deleted"))),
        data_set=_text(item.get("dataSet")) or header.get("dataSet") or None,
    )


def export_dict(row: ExportRow) -> dict[str, Any]:
    out = {
        "dataElement": row.data_element,
        "period": row.period,
        "orgUnit": row.org_unit,
        "categoryOptionCombo": row.category_option_combo,
        "attributeOptionCombo": row.attribute_option_combo,
        "value": row.value,
        "storedBy": row.stored_by,
        "created": row.created.isoformat(timespec="milliseconds"),
        "lastUpdated": row.last_updated.isoformat(timespec="milliseconds"),
        "comment": row.comment,
        "followup": row.follow_up,
    }
    if row.deleted:
        out["deleted"] = True
    return out


def write(rows: Iterable[ExportRow], *, data_set: str | None = None, **_: Any) -> Iterator[bytes]:
    head = {"dataSet": data_set} if data_set else {}
    prefix = json.dumps(head, ensure_ascii=False)[:-1]
    yield (prefix + (", " if head else "") + '"dataValues": [').encode()
    buffer: list[str] = []
    first = True
    for row in rows:
        buffer.append(("" if first else ",") + json.dumps(export_dict(row), ensure_ascii=False))
        first = False
        if len(buffer) >= 2000:
            yield "".join(buffer).encode()
            buffer = []
    buffer.append("]}")
    yield "".join(buffer).encode()
