"""Reads of the stock ledger (the engine's public read API). Every query takes the actor's Scope
and sees only the units in it; `unit` narrows to one unit (with its subtree when `subtree`).

    stock_on_hand(scope, domain="petroleum", at=day, unit=division, by=("unit", "item"))
    stock_card(scope, domain="petroleum", item=diesel, location=tank, start=d1, end=d2)
    period_movements(scope, domain="petroleum", start=d1, end=d2, unit=regiment,
                     by=("item", "dimension"))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from haucan.core.errors import NotFound
from haucan.core.scope import Scope
from haucan.inventory.models import Balance, DocStatus, DocType, Document, Item, Line, Location
from haucan.org.models import Unit

ZERO = Decimal(0)

# What a report calls receipts and issues; the other types stay apart in `by_type`.
RECEIPT_TYPES = (DocType.RECEIPT, DocType.TRANSFER_IN)
ISSUE_TYPES = (DocType.ISSUE, DocType.TRANSFER_OUT, DocType.CONSUMPTION)

GROUP_FIELDS = {
    "unit": "unit_id",
    "location": "location_id",
    "item": "item_id",
    "lot": "lot_id",
    "dimension": "dimension",
}


def _scoped(
    scope: Scope,
    queryset: QuerySet[Line],
    unit: Unit | None,
    subtree: bool,
    prefix: str = "unit__",
) -> QuerySet[Line]:
    if unit is not None:
        if not scope.covers_path(unit.path):
            raise NotFound(_("Unit not found."))
        if subtree:
            return queryset.filter(**{f"{prefix}path__startswith": unit.path})
        return queryset.filter(**{f"{prefix[:-2]}": unit})
    if scope.is_global:
        return queryset
    condition = Q()
    for root in scope.root_paths:
        condition |= Q(**{f"{prefix}path__startswith": root})
    return queryset.filter(condition) if scope.root_paths else queryset.none()


def _filtered(
    queryset: QuerySet[Line],
    *,
    items: Sequence[Item] | None,
    location: Location | None,
    dimension: str | None,
    lot_id: int | None = None,
) -> QuerySet[Line]:
    if items is not None:
        queryset = queryset.filter(item__in=items)
    if location is not None:
        queryset = queryset.filter(location=location)
    if dimension is not None:
        queryset = queryset.filter(dimension=dimension)
    if lot_id is not None:
        queryset = queryset.filter(lot_id=lot_id)
    return queryset


def stock_on_hand(
    scope: Scope,
    *,
    domain: str,
    at: date | None = None,
    unit: Unit | None = None,
    subtree: bool = True,
    items: Sequence[Item] | None = None,
    location: Location | None = None,
    dimension: str | None = None,
    by: Sequence[str] = ("item",),
) -> dict[tuple[object, ...], Decimal]:
    """Stock at the end of day `at` (today's balances when None), summed by the `by` fields
    (any of unit, location, item, lot, dimension; ids for the foreign keys). Zero rows are
    left out. One aggregate query."""
    fields = [GROUP_FIELDS[name] for name in by]
    if at is None:
        balances = _scoped(
            scope,
            Balance.objects.filter(location__domain=domain),  # type: ignore[arg-type]
            unit,
            subtree,
            prefix="location__unit__",
        )
        balances = _filtered(balances, items=items, location=location, dimension=dimension)
        balance_fields = ["location__unit_id" if f == "unit_id" else f for f in fields]
        grouped = balances.values(*balance_fields).annotate(total=Sum("quantity")).order_by()
        return {
            row[:-1]: row[-1]
            for row in grouped.values_list(*balance_fields, "total")
            if row[-1] != ZERO
        }
    lines = _scoped(scope, Line.objects.filter(domain=domain, date__lte=at), unit, subtree)
    lines = _filtered(lines, items=items, location=location, dimension=dimension)
    # values_list: plain tuples, no dict per row (40 000 keys for the whole army).
    tuples = lines.values(*fields).annotate(total=Sum("quantity")).order_by()
    return {row[:-1]: row[-1] for row in tuples.values_list(*fields, "total") if row[-1] != ZERO}


@dataclass(frozen=True)
class CardRow:
    date: date
    document_id: int
    number: str
    doc_type: str
    counterparty: str
    received: Decimal
    issued: Decimal
    balance: Decimal
    dimension: str


@dataclass
class StockCard:
    """A stock card (thẻ kho): the opening balance, each movement with its running balance."""

    item: Item
    start: date
    end: date
    opening: Decimal
    rows: list[CardRow] = field(default_factory=list)

    @property
    def closing(self) -> Decimal:
        return self.rows[-1].balance if self.rows else self.opening

    @property
    def received(self) -> Decimal:
        return sum((r.received for r in self.rows), ZERO)

    @property
    def issued(self) -> Decimal:
        return sum((r.issued for r in self.rows), ZERO)


def stock_card(
    scope: Scope,
    *,
    domain: str,
    item: Item,
    start: date,
    end: date,
    unit: Unit | None = None,
    subtree: bool = True,
    location: Location | None = None,
    dimension: str | None = None,
    lot_id: int | None = None,
) -> StockCard:
    """The movements of one item between `start` and `end` (inclusive) with the running balance,
    in date and posting order. Two queries."""
    if location is not None and not scope.covers_path(location.unit.path):
        raise NotFound(_("Location not found."))
    lines = _scoped(scope, Line.objects.filter(domain=domain, item=item), unit, subtree)
    lines = _filtered(lines, items=None, location=location, dimension=dimension, lot_id=lot_id)
    opening = lines.filter(date__lt=start).aggregate(total=Sum("quantity"))["total"] or ZERO
    card = StockCard(item=item, start=start, end=end, opening=opening)
    balance = opening
    movements = (
        lines.filter(date__gte=start, date__lte=end)
        .values(
            "date",
            "document_id",
            "document__number",
            "document__doc_type",
            "document__counterparty",
            "document__counter_unit__name",
            "dimension",
        )
        .annotate(total=Sum("quantity"))
        .order_by("date", "document_id", "dimension")
    )
    for row in movements:
        total = row["total"]
        balance += total
        card.rows.append(
            CardRow(
                date=row["date"],
                document_id=row["document_id"],
                number=row["document__number"],
                doc_type=row["document__doc_type"],
                counterparty=row["document__counterparty"]
                or row["document__counter_unit__name"]
                or "",
                received=total if total > ZERO else ZERO,
                issued=-total if total < ZERO else ZERO,
                balance=balance,
                dimension=row["dimension"],
            )
        )
    return card


@dataclass
class Movement:
    """One key's period: opening + receipts − issues + other (losses, adjustments, …) = closing."""

    opening: Decimal = ZERO
    by_type: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))

    @property
    def receipts(self) -> Decimal:
        return sum((self.by_type.get(t, ZERO) for t in RECEIPT_TYPES), ZERO)

    @property
    def issues(self) -> Decimal:
        return -sum((self.by_type.get(t, ZERO) for t in ISSUE_TYPES), ZERO)

    def outflow(self, doc_type: str) -> Decimal:
        """A debit type's total as a positive number (losses, write-offs)."""
        return -self.by_type.get(doc_type, ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + sum(self.by_type.values(), ZERO)


def period_movements(
    scope: Scope,
    *,
    domain: str,
    start: date,
    end: date,
    unit: Unit | None = None,
    subtree: bool = True,
    items: Sequence[Item] | None = None,
    dimension: str | None = None,
    by: Sequence[str] = ("item",),
) -> dict[tuple[object, ...], Movement]:
    """Opening stock on `start`, the movements by line type up to `end` (inclusive) and the
    closing, per `by` key. Reversal lines carry the type of the line they reverse, so a reversed
    issue nets out of the issues. Two aggregate queries."""
    fields = [GROUP_FIELDS[name] for name in by]
    lines = _scoped(scope, Line.objects.filter(domain=domain, date__lte=end), unit, subtree)
    lines = _filtered(lines, items=items, location=None, dimension=dimension)
    result: dict[tuple[object, ...], Movement] = defaultdict(Movement)
    for row in (
        lines.filter(date__lt=start).values(*fields).annotate(total=Sum("quantity")).order_by()
    ):
        result[tuple(row[f] for f in fields)].opening = row["total"]
    for row in (
        lines.filter(date__gte=start)
        .values(*fields, "doc_type")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        result[tuple(row[f] for f in fields)].by_type[row["doc_type"]] += row["total"]
    return dict(result)


def in_transit(
    scope: Scope, *, domain: str, unit: Unit | None = None, older_than: date | None = None
) -> list[Document]:
    """Transfers dispatched and not yet received, sent from or to the units in scope."""
    documents = Document.objects.filter(
        domain=domain, doc_type=DocType.TRANSFER_OUT, status=DocStatus.IN_TRANSIT
    ).select_related("unit", "counter_unit")
    if older_than is not None:
        documents = documents.filter(date__lt=older_than)
    if unit is not None:
        if not scope.covers_path(unit.path):
            raise NotFound(_("Unit not found."))
        documents = documents.filter(
            Q(unit__path__startswith=unit.path) | Q(counter_unit__path__startswith=unit.path)
        )
    rows = list(documents.order_by("date", "pk"))
    return [
        d
        for d in rows
        if scope.covers_path(d.unit.path)
        or (d.counter_unit is not None and scope.covers_path(d.counter_unit.path))
    ]


def get_document(scope: Scope, document_id: int, *, domain: str) -> Document:
    """A document of a unit in scope (NotFound otherwise)."""
    document = (
        Document.objects.select_related("unit", "counter_unit", "reason")
        .filter(pk=document_id, domain=domain)
        .first()
    )
    if document is None or not (
        scope.covers_path(document.unit.path)
        or (document.counter_unit is not None and scope.covers_path(document.counter_unit.path))
    ):
        raise NotFound(_("Document not found."))
    return document


def locations_of(scope: Scope, *, domain: str, unit: Unit | None = None) -> list[Location]:
    """The active locations of the units in scope (of `unit`'s subtree when given)."""
    rows = Location.objects.filter(domain=domain, is_active=True).select_related("unit")
    if unit is not None:
        rows = rows.filter(unit__path__startswith=unit.path)
    return [loc for loc in rows.order_by("unit__path", "code") if scope.covers_path(loc.unit.path)]


def day_before(day: date) -> date:
    return day - timedelta(days=1)
