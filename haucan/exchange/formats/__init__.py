"""Streaming readers and writers of data value sets: DHIS2 JSON, XML (DXF2), CSV, and IHE ADX.

A reader takes a binary stream (anything with `read(n)`) and yields `ImportRow`s one at a time;
bad input raises `ImportFormatError` with the index of the row where reading stopped. A writer
takes `ExportRow`s and yields `bytes` chunks, so an export of any size is streamed.

`FORMATS` maps a format name to its reader, writer and media type; `format_of_content_type`
and `format_of_suffix` pick one from a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from haucan.exchange.formats import adx_io, csv_io, json_io, xml_io
from haucan.reporting.services.imports import ExportRow, ImportRow

Reader = Callable[..., Iterator[ImportRow]]
Writer = Callable[..., Iterator[bytes]]


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    suffix: str
    read: Callable[..., Iterator[ImportRow]]
    write: Callable[..., Iterator[bytes]]
    default_id_scheme: str = "uid"


FORMATS: dict[str, Format] = {
    "json": Format("json", "application/json", "json", json_io.read, json_io.write),
    "xml": Format("xml", "application/xml", "xml", xml_io.read, xml_io.write),
    "csv": Format("csv", "text/csv", "csv", csv_io.read, csv_io.write),
    "adx": Format("adx", "application/adx+xml", "adx", adx_io.read, adx_io.write, "code"),
}

_CONTENT_TYPES = {
    "application/json": "json",
    "text/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/dxf+xml": "xml",
    "text/csv": "csv",
    "application/csv": "csv",
    "application/vnd.ms-excel": "csv",  # what some browsers send for a .csv file
    "application/adx+xml": "adx",
}


def format_of_content_type(content_type: str | None) -> str | None:
    """The format name of a Content-Type or Accept value (parameters ignored), or None."""
    if not content_type:
        return None
    for part in content_type.split(","):
        media = part.split(";")[0].strip().lower()
        if media in _CONTENT_TYPES:
            return _CONTENT_TYPES[media]
    return None


def charset_of(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def read_rows(name: str, stream: IO[bytes], **options: Any) -> Iterator[ImportRow]:
    return FORMATS[name].read(stream, **options)


def write_rows(name: str, rows: Iterable[ExportRow], **options: Any) -> Iterator[bytes]:
    return FORMATS[name].write(rows, **options)
