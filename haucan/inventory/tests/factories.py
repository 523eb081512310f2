from __future__ import annotations

from datetime import date
from decimal import Decimal

from haucan.core.scope import Scope
from haucan.inventory.models import DocType, Item, Location, Reason
from haucan.inventory.services import DocumentSpec, LineSpec, PostResult, post_document
from haucan.org.models import Unit

DOMAIN = "test"


def item(code: str = "A", name: str = "Hàng A") -> Item:
    return Item.objects.create(domain=DOMAIN, code=code, name=name, uom="kg")


def location(unit: Unit, code: str, *, allow_negative: bool = False) -> Location:
    return Location.objects.create(
        domain=DOMAIN, unit=unit, code=code, name=f"Kho {code}", allow_negative=allow_negative
    )


def reason(code: str = "COUNT_LOSS", *, credit: bool = False) -> Reason:
    return Reason.objects.create(
        domain=DOMAIN, code=code, name="Hao hụt kiểm kê", is_credit=credit, doc_types=[]
    )


def post(
    scope: Scope,
    doc_type: str,
    loc: Location,
    it: Item,
    qty: str | int,
    day: date = date(2026, 3, 1),
    *,
    dimension: str = "",
    number: str = "",
) -> PostResult:
    return post_document(
        scope,
        DocumentSpec(
            domain=DOMAIN,
            doc_type=doc_type,
            unit=loc.unit,
            date=day,
            location=loc,
            number=number,
            lines=[LineSpec(item=it, quantity=Decimal(qty), dimension=dimension)],
        ),
    )


__all__ = ["DOMAIN", "DocType", "item", "location", "post", "reason"]
