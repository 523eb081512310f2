"""The `.xml` and `.csv` forms of the metadata lists and objects (`/api/dataElements.csv`, …).

XML follows DHIS2's DXF2 shape: `<metadata xmlns="http://dhis2.org/schema/dxf/2.0">` holding the
pager and `<organisationUnits><organisationUnit id="…" name="…">…`, with the identifiable
properties (id, code, name, created, lastUpdated) as attributes and everything else as elements.

CSV has one row per object and one column per selected property (in `fields=` order). A
reference is written as its id, a list of references as their ids joined by `;`. Text cells go
through `safe_text`, so no cell can run as a formula in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from haucan.core.cells import safe_text

DXF_NAMESPACE = "http://dhis2.org/schema/dxf/2.0"
XML_MEDIA_TYPE = "application/xml"
CSV_MEDIA_TYPE = "text/csv"

_ATTRIBUTES = ("id", "code", "name", "created", "lastUpdated")


def singular(plural: str) -> str:
    """organisationUnits -> organisationUnit, categories -> category, children -> child."""
    if plural == "children":
        return "child"
    if plural.endswith("ies"):
        return plural[:-3] + "y"
    return plural[:-1] if plural.endswith("s") else plural


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(parent: Element, tag: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        _object(parent, tag, value)
    elif isinstance(value, list):
        holder = SubElement(parent, tag)
        for item in value:
            _element(holder, singular(tag), item)
    else:
        SubElement(parent, tag).text = _text(value)


def _object(parent: Element, tag: str, obj: dict[str, Any]) -> None:
    node = SubElement(parent, tag)
    for key, value in obj.items():
        if key in _ATTRIBUTES and value is not None and not isinstance(value, dict | list):
            node.set(key, _text(value))
        else:
            _element(node, key, value)


def xml_list(name: str, page: dict[str, Any]) -> bytes:
    root = Element("metadata", xmlns=DXF_NAMESPACE)
    if "pager" in page:
        pager = SubElement(root, "pager")
        for key, value in page["pager"].items():
            SubElement(pager, key).text = _text(value)
    holder = SubElement(root, name)
    for obj in page[name]:
        _object(holder, singular(name), obj)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def xml_object(name: str, obj: dict[str, Any]) -> bytes:
    root = Element("root")
    _object(root, singular(name), obj)
    node = root[0]
    node.set("xmlns", DXF_NAMESPACE)
    return tostring(node, encoding="utf-8", xml_declaration=True)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return safe_text(str(value["id"])) if "id" in value else safe_text(_json(value))
    if isinstance(value, list):
        return safe_text(";".join(_cell(item).removeprefix("'") for item in value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return safe_text(str(value))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def csv_rows(objects: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a BOM (Excel then reads Vietnamese correctly), comma-separated."""
    columns: list[str] = []
    for obj in objects:
        for key in obj:
            if key not in columns:
                columns.append(key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for obj in objects:
        writer.writerow([_cell(obj.get(key)) for key in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
