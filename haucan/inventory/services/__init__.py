"""Every change to the stock ledger (the engine's public write API).

    result = post_document(scope, DocumentSpec(domain="petroleum", doc_type=DocType.ISSUE,
                           unit=unit, date=day, location=depot,
                           lines=[LineSpec(item=diesel, quantity=Decimal("1200"), dimension="TX")]))
    reverse_document(scope, result.document)
    out = dispatch_transfer(scope, spec, destination=other_location)
    receive_transfer(scope, out.document, date=day)
    count = start_count(scope, location, day); record_count(...); submit_count(scope, count)

Every function takes the actor's Scope, runs in one transaction, is audited, and raises a
`haucan.core.errors.HaucanError` subclass with a translated message on bad input (nothing is
written then).
"""

from __future__ import annotations

from haucan.inventory.services.counts import (
    CountEntry,
    record_count,
    start_count,
    submit_count,
)
from haucan.inventory.services.posting import (
    DocumentSpec,
    LineSpec,
    PostResult,
    StockWarning,
    close_ledger,
    dispatch_transfer,
    post_document,
    receive_transfer,
    reverse_document,
)

__all__ = [
    "CountEntry",
    "DocumentSpec",
    "LineSpec",
    "PostResult",
    "StockWarning",
    "close_ledger",
    "dispatch_transfer",
    "post_document",
    "receive_transfer",
    "record_count",
    "reverse_document",
    "start_count",
    "submit_count",
]
