"""Safe, streaming XML reading shared by the DXF2 and ADX readers.

defusedxml's iterparse over expat refuses any DTD (so no entity expansion, "billion laughs", or
external entity can happen) and completed elements are detached as they are read, so memory
stays flat however long the document is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from haucan.reporting.services.imports import ImportFormatError


def local(tag: str) -> str:
    """The tag without its namespace: "{urn:ihe:qrph:adx:2015}group" -> "group"."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def events(stream: IO[bytes], counter: list[int]) -> Iterator[tuple[str, Element, list[Element]]]:
    """(event, element, stack of open ancestors) for start and end events.

    After an "end" event the element is removed from its parent, so callers must read what they
    need from it during that event. `counter[0]` is the row index used in error messages."""
    stack: list[Element] = []
    try:
        for event, element in safe_et.iterparse(
            stream,
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "start":
                stack.append(element)
                yield event, element, stack
            else:
                stack.pop()
                yield event, element, stack
                if stack:
                    parent = stack[-1]
                    if len(parent) and parent[-1] is element:
                        del parent[-1]
                    element.clear()
    except DefusedXmlException as exc:
        raise ImportFormatError(f"unsafe XML refused ({type(exc).__name__})", counter[0]) from None
    except (ParseError, ValueError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"invalid XML: {exc}", counter[0]) from None
