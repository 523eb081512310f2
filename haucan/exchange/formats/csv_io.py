"""DHIS2 CSV data values, read line by line whatever the file's size.

Columns (DHIS2's order, used when there is no header): dataelement, period, orgunit,
catoptcombo, attroptcombo, value, storedby, lastupdated, comment, followup, deleted. A first row
naming the columns is recognised and may reorder them. Accepted as Excel writes it in Vietnam:
a UTF-8 byte-order mark, `;` as the separator, and Windows-1258 text (chosen when the start of
the file is not UTF-8, or when the request says `charset=windows-1258`). Text is normalised to
NFC, because Windows-1258 spells Vietnamese with combining accents.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from typing import IO, Any

from haucan.core.cells import safe_cell, unquote_formula
from haucan.reporting.services.imports import ExportRow, ImportFormatError, ImportRow

COLUMNS = (
    "dataelement",
    "period",
    "orgunit",
    "catoptcombo",
    "attroptcombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
    "deleted",
)
_ALIASES = {
    "de": "dataelement",
    "data_element": "dataelement",
    "pe": "period",
    "ou": "orgunit",
    "org_unit": "orgunit",
    "co": "catoptcombo",
    "coc": "catoptcombo",
    "categoryoptioncombo": "catoptcombo",
    "cc": "attroptcombo",
    "aoc": "attroptcombo",
    "attributeoptioncombo": "attroptcombo",
    "lastupd": "lastupdated",
    "cmt": "comment",
    "strby": "storedby",
    "follow_up": "followup",
}
_SAMPLE = 1 << 16
csv.field_size_limit(1 << 20)


def _text_lines(stream: IO[bytes], charset: str | None, counter: list[int]) -> Iterator[str]:
    first = stream.read(_SAMPLE) or b""
    if isinstance(first, str):
        first = first.encode()
    encoding = (charset or "").lower() or None
    if first.startswith(codecs.BOM_UTF8):
        first, encoding = first[3:], "utf-8"
    if encoding is None:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(first, final=False)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1258"
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise ImportFormatError(f"unknown character set '{charset}'", 0) from None
    pending = ""
    chunk = first
    while True:
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise ImportFormatError(f"the text is not valid {encoding}", counter[0]) from None
        pending += text
        if "\n" in pending:
            lines = pending.split("\n")
            pending = lines.pop()
            for line in lines:
                yield line + "\n"
        if not chunk:
            break
        chunk = stream.read(_SAMPLE)
    if pending:
        yield pending


def read(stream: IO[bytes], *, charset: str | None = None, **_options: Any) -> Iterator[ImportRow]:
    counter = [0]
    lines = _text_lines(stream, charset, counter)
    first_line = next(lines, None)
    if first_line is None:
        return
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","

    def all_lines() -> Iterator[str]:
        yield first_line
        yield from lines

    reader = csv.reader(all_lines(), delimiter=delimiter, strict=True)
    positions = {name: i for i, name in enumerate(COLUMNS)}
    header_checked = False
    try:
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            if not header_checked:
                header_checked = True
                if _is_header(cells):
                    positions = {}
                    for i, cell in enumerate(cells):
                        name = cell.strip().lower().replace(" ", "")
                        positions[_ALIASES.get(name, name)] = i
                    continue
            yield _row(cells, positions, counter[0])
            counter[0] += 1
    except csv.Error as exc:
        raise ImportFormatError(f"invalid CSV: {exc}", counter[0]) from None


def _is_header(cells: list[str]) -> bool:
    names = {c.strip().lower().replace(" ", "") for c in cells}
    names = {_ALIASES.get(n, n) for n in names}
    return "dataelement" in names and "value" in names


def _row(cells: list[str], positions: dict[str, int], index: int) -> ImportRow:
    def cell(name: str) -> str | None:
        i = positions.get(name)
        if i is None or i >= len(cells):
            return None
        text = unicodedata.normalize("NFC", cells[i].strip())
        return unquote_formula(text) or None

    de, period, unit = cell("dataelement"), cell("period"), cell("orgunit")
    if not de or not period or not unit:
        raise ImportFormatError(f"row {index} lacks dataelement, period or orgunit", index)
    follow = cell("followup")
    return ImportRow(
        data_element=de,
        period=period,
        org_unit=unit,
        value=cell("value"),
        category_option_combo=cell("catoptcombo"),
        attribute_option_combo=cell("attroptcombo"),
        comment=cell("comment"),
        follow_up=None if follow is None else follow.lower() in {"true", "1", "yes"},
        deleted=(cell("deleted") or "").lower() in {"true", "1", "yes"},
        data_set=cell("dataset"),
    )


def write(rows: Iterable[ExportRow], **_: Any) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for n, row in enumerate(rows, start=1):
        writer.writerow(
            (
                row.data_element,
                row.period,
                row.org_unit,
                row.category_option_combo,
                row.attribute_option_combo,
                safe_cell(row.value),
                safe_cell(row.stored_by),
                row.last_updated.isoformat(timespec="milliseconds"),
                safe_cell(row.comment),
                "true" if row.follow_up else "false",
                "true" if row.deleted else "false",
            )
        )
        if n % 2000 == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()
