"""Posting documents: numbering, balance checks without races, reversal and transfers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.core.errors import Conflict, NotFound, ValidationFailed
from haucan.core.scope import Scope
from haucan.inventory.models import (
    DOC_PREFIX,
    DOC_SIGN,
    Balance,
    DocStatus,
    DocType,
    Document,
    Item,
    LedgerClose,
    Line,
    Location,
    Lot,
    NumberSequence,
    Reason,
)
from haucan.org.models import Unit

ZERO = Decimal(0)


@dataclass(frozen=True)
class LineSpec:
    """One line. `quantity` is positive for typed documents (the type gives the sign) and signed
    for adjustments and counts. `location` defaults to the document's."""

    item: Item
    quantity: Decimal
    location: Location | None = None
    lot: Lot | None = None
    dimension: str = ""
    reason: Reason | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentSpec:
    domain: str
    doc_type: str
    unit: Unit  # the unit that owns the document (its numbering and its scope)
    date: date
    lines: Sequence[LineSpec]
    location: Location | None = None
    number: str = ""  # a number from paper; empty: the next one, PX-0001/2026
    reason: Reason | None = None
    counter_unit: Unit | None = None
    counterparty: str = ""
    note: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StockWarning:
    """Stock went below zero at a location whose policy allows it."""

    item: Item
    location: Location
    balance: Decimal


@dataclass
class PostResult:
    document: Document
    lines: list[Line]
    warnings: list[StockWarning]


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _check_unit(scope: Scope, unit: Unit, day: date) -> None:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    if unit.closed_on is not None and unit.closed_on <= day:
        raise ValidationFailed(
            _("Unit %(unit)s is closed since %(date)s.")
            % {"unit": unit.name, "date": unit.closed_on.strftime("%d/%m/%Y")},
            field="unit",
        )


def _check_open_ledger(domain: str, unit: Unit, day: date) -> None:
    closed = (
        LedgerClose.objects.filter(
            domain=domain, unit__uid__in=unit.path_uids(), closed_through__gte=day
        )
        .order_by("-closed_through")
        .values_list("closed_through", flat=True)
        .first()
    )
    if closed is not None:
        raise ValidationFailed(
            _("The ledger is closed through %(date)s: documents dated %(day)s cannot be posted.")
            % {"date": closed.strftime("%d/%m/%Y"), "day": day.strftime("%d/%m/%Y")},
            field="date",
        )


def _next_number(domain: str, unit: Unit, doc_type: str, year: int) -> int:
    # One UPDATE … RETURNING takes the row lock and the number (SQLite ≥ 3.35 and PostgreSQL),
    # so two postings never get the same number.
    table = NumberSequence._meta.db_table
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last = last + 1 "  # noqa: S608 - table name is ours
                "WHERE domain = %s AND unit_id = %s AND doc_type = %s AND year = %s "
                "RETURNING last",
                [domain, unit.pk, doc_type, year],
            )
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        try:
            with transaction.atomic():
                NumberSequence.objects.create(
                    domain=domain, unit=unit, doc_type=doc_type, year=year, last=1
                )
            return 1
        except IntegrityError:  # created by a concurrent posting: take the UPDATE path
            continue
    raise Conflict(_("Could not number the document; try again."))


def format_number(doc_type: str, seq: int, year: int) -> str:
    return f"{DOC_PREFIX.get(doc_type, 'CT')}-{seq:04d}/{year}"


BalanceKey = tuple[int, int, int | None, str]


def _apply_balances(
    deltas: Mapping[BalanceKey, Decimal], locations: Mapping[int, Location]
) -> list[StockWarning]:
    """Add each delta to its balance row in one conditional UPDATE that skips a debit which
    would drive a balance below zero; a skipped row refuses the posting, so concurrent postings
    cannot race past zero."""
    keys = list(deltas)
    existing = _balance_ids(keys)
    missing = [k for k in keys if k not in existing]
    if missing:
        Balance.objects.bulk_create(
            [Balance(location_id=k[0], item_id=k[1], lot_id=k[2], dimension=k[3]) for k in missing],
            ignore_conflicts=True,
        )
        existing.update(_balance_ids(missing))
    moving = [k for k in keys if deltas[k] != ZERO]
    if not moving:
        return []
    ids = {k: existing[k] for k in moving}
    by_id = {pk: k for k, pk in ids.items()}
    guarded = {k for k in moving if deltas[k] < ZERO and not locations[k[0]].allow_negative}
    table = Balance._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(moving) > 1:
            # Lock the rows in id order first: two postings that touch the same balances then
            # queue instead of deadlocking.
            cursor.execute(
                f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE",  # noqa: S608
                [sorted(by_id)],
            )
        # One UPDATE adds every delta; a debit's row is only updated while the stock covers it
        # (quantity + delta >= 0 in the WHERE clause), so the check and the debit are one
        # statement and a concurrent posting cannot slip between them.
        add_sql = " ".join("WHEN %s THEN %s" for _k in moving)
        add_params: list[Any] = []
        for k in moving:
            add_params += [ids[k], deltas[k]]
        guard_sql, guard_params = "", cast(list[Any], [])
        if guarded:
            guard_sql = (
                " AND CASE id "
                + " ".join("WHEN %s THEN quantity + %s >= 0" for _k in guarded)
                + " ELSE TRUE END"
            )
            for k in guarded:
                guard_params += [ids[k], deltas[k]]
        placeholders = ", ".join("%s" for _k in moving)
        cursor.execute(
            f"UPDATE {table} SET quantity = quantity + CASE id {add_sql} END "  # noqa: S608
            f"WHERE id IN ({placeholders}){guard_sql} RETURNING id, quantity",
            [*add_params, *[ids[k] for k in moving], *guard_params],
        )
        updated = {int(pk): Decimal(str(qty)) for pk, qty in cursor.fetchall()}
    missed = [k for k in moving if ids[k] not in updated]
    if missed:
        # The enclosing atomic block rolls back the debits that did go through.
        key = missed[0]
        available = Balance.objects.values_list("quantity", flat=True).get(pk=ids[key])
        item = Item.objects.get(pk=key[1])
        raise ValidationFailed(
            _(
                "Not enough stock of %(item)s at %(location)s: %(available)s %(uom)s on "
                "hand, %(requested)s %(uom)s requested."
            )
            % {
                "item": item.name,
                "location": locations[key[0]].name,
                "available": _qty(available),
                "requested": _qty(-deltas[key]),
                "uom": item.uom,
            },
            field="quantity",
        )
    negative = [k for k in moving if deltas[k] < ZERO and updated[ids[k]] < ZERO]
    if not negative:
        return []
    items = Item.objects.in_bulk({k[1] for k in negative})
    return [StockWarning(items[k[1]], locations[k[0]], updated[ids[k]]) for k in negative]


def _balance_ids(keys: Sequence[BalanceKey]) -> dict[BalanceKey, int]:
    if not keys:
        return {}
    rows = Balance.objects.filter(
        location_id__in={k[0] for k in keys}, item_id__in={k[1] for k in keys}
    ).values_list("pk", "location_id", "item_id", "lot_id", "dimension")
    wanted = set(keys)
    return {
        (loc, item, lot, dim): pk
        for pk, loc, item, lot, dim in rows
        if (loc, item, lot, dim) in wanted
    }


def _validate_lines(scope: Scope, spec: DocumentSpec) -> list[tuple[LineSpec, Location]]:
    if not spec.lines and spec.doc_type != DocType.COUNT:
        raise ValidationFailed(_("The document has no lines."), field="lines")
    sign = DOC_SIGN.get(spec.doc_type)
    if sign is None:
        raise ValidationFailed(_("Unknown document type."), field="doc_type")
    resolved = []
    for number, line in enumerate(spec.lines, start=1):
        location = line.location or spec.location
        if location is None:
            raise ValidationFailed(
                _("Line %(n)s: the location is missing.") % {"n": number}, field="location"
            )
        if location.domain != spec.domain or line.item.domain != spec.domain:
            raise ValidationFailed(
                _("Line %(n)s: the item or location belongs to another module.") % {"n": number},
                field="item",
            )
        if not scope.covers_path(location.unit.path):
            raise NotFound(_("Location not found."))
        if not location.is_active:
            raise ValidationFailed(
                _("Line %(n)s: location %(location)s is not in use.")
                % {"n": number, "location": location.name},
                field="location",
            )
        if sign != 0 and line.quantity <= ZERO:
            raise ValidationFailed(
                _("Line %(n)s: the quantity must be greater than zero.") % {"n": number},
                field="quantity",
            )
        if sign == 0 and line.quantity == ZERO:
            raise ValidationFailed(
                _("Line %(n)s: the quantity must not be zero.") % {"n": number}, field="quantity"
            )
        if line.item.tracks_lots and line.lot is None:
            raise ValidationFailed(
                _("Line %(n)s: %(item)s needs a lot number.") % {"n": number, "item": line.item},
                field="lot",
            )
        if line.lot is not None and line.lot.item_id != line.item.pk:
            raise ValidationFailed(
                _("Line %(n)s: the lot belongs to another item.") % {"n": number}, field="lot"
            )
        reason = line.reason or spec.reason
        if reason is not None and reason.doc_types and spec.doc_type not in reason.doc_types:
            raise ValidationFailed(
                _("Line %(n)s: reason %(reason)s is not allowed here.")
                % {"n": number, "reason": reason.name},
                field="reason",
            )
        resolved.append((line, location))
    return resolved


def post_document(
    scope: Scope,
    spec: DocumentSpec,
    *,
    status: str = DocStatus.POSTED,
    line_doc_types: Sequence[str] | None = None,
    linked: Document | None = None,
    reverses: Document | None = None,
) -> PostResult:
    """Post one document and its lines in one transaction: check scope, the open ledger, the
    lines and the stock; number it; update the balances; audit it. Raises ValidationFailed,
    NotFound or Conflict (nothing is written then)."""
    _check_unit(scope, spec.unit, spec.date)
    resolved = _validate_lines(scope, spec)
    sign = DOC_SIGN[spec.doc_type]
    with transaction.atomic():
        _check_open_ledger(spec.domain, spec.unit, spec.date)
        year = spec.date.year
        seq = _next_number(spec.domain, spec.unit, spec.doc_type, year)
        number = spec.number.strip() or format_number(spec.doc_type, seq, year)
        if (
            spec.number.strip()
            and Document.objects.filter(
                domain=spec.domain, unit=spec.unit, doc_type=spec.doc_type, number=number
            ).exists()
        ):
            raise ValidationFailed(
                _("Note number %(number)s is already used in this unit.") % {"number": number},
                field="number",
            )
        try:
            with transaction.atomic():
                document = Document.objects.create(
                    domain=spec.domain,
                    unit=spec.unit,
                    doc_type=spec.doc_type,
                    number=number,
                    year=year,
                    seq=seq,
                    date=spec.date,
                    status=status,
                    reason=spec.reason,
                    counter_unit=spec.counter_unit,
                    counterparty=spec.counterparty,
                    linked=linked,
                    reverses=reverses,
                    note=spec.note,
                    meta=dict(spec.meta),
                    created_by=scope.username,
                )
        except IntegrityError:
            raise ValidationFailed(
                _("Note number %(number)s is already used in this unit.") % {"number": number},
                field="number",
            ) from None
        lines = []
        deltas: dict[BalanceKey, Decimal] = defaultdict(lambda: ZERO)
        locations: dict[int, Location] = {}
        for index, (line, location) in enumerate(resolved):
            quantity = line.quantity * sign if sign else line.quantity
            lines.append(
                Line(
                    document=document,
                    domain=spec.domain,
                    date=spec.date,
                    doc_type=line_doc_types[index] if line_doc_types else spec.doc_type,
                    unit_id=location.unit_id,
                    location=location,
                    item=line.item,
                    lot=line.lot,
                    dimension=line.dimension,
                    quantity=quantity,
                    reason=line.reason or spec.reason,
                    meta=dict(line.meta),
                )
            )
            key = (location.pk, line.item.pk, line.lot.pk if line.lot else None, line.dimension)
            deltas[key] += quantity
            locations[location.pk] = location
        Line.objects.bulk_create(lines)
        warnings = _apply_balances(deltas, locations)
        audit.record(
            scope,
            "inventory.post",
            document,
            {"number": number, "type": spec.doc_type, "lines": len(lines), "date": spec.date},
        )
    return PostResult(document, lines, warnings)


def reverse_document(
    scope: Scope, document: Document, *, on: date | None = None, note: str = ""
) -> PostResult:
    """Post the reversal of a posted document: the same lines with the opposite sign, dated the
    original date unless `on` is given. Reversal lines keep the original line's type, so period
    totals net out. A received transfer is reversed by reversing its receipt first."""
    if not scope.covers_path(document.unit.path):
        raise NotFound(_("Document not found."))
    with transaction.atomic():
        claimed = Document.objects.filter(
            pk=document.pk, status__in=[DocStatus.POSTED, DocStatus.IN_TRANSIT]
        ).update(status=DocStatus.REVERSED)
        if not claimed:
            raise Conflict(
                _("Document %(number)s cannot be reversed (already reversed or received).")
                % {"number": document.number}
            )
        originals = list(document.lines.select_related("item", "location", "lot", "reason"))
        spec = DocumentSpec(
            domain=document.domain,
            doc_type=DocType.REVERSAL,
            unit=document.unit,
            date=on or document.date,
            lines=[
                LineSpec(
                    item=line.item,
                    quantity=-line.quantity,
                    location=line.location,
                    lot=line.lot,
                    dimension=line.dimension,
                    reason=line.reason,
                    meta=line.meta,
                )
                for line in originals
            ],
            counter_unit=document.counter_unit,
            counterparty=document.counterparty,
            note=note or _("Reversal of %(number)s") % {"number": document.number},
            meta={"reverses": document.number},
        )
        result = post_document(
            scope,
            spec,
            line_doc_types=[line.doc_type for line in originals],
            reverses=document,
        )
        if document.doc_type == DocType.TRANSFER_IN and document.linked_id:
            # The dispatch is in transit again until it is received anew (or reversed).
            Document.objects.filter(pk=document.linked_id, status=DocStatus.RECEIVED).update(
                status=DocStatus.IN_TRANSIT
            )
    document.status = DocStatus.REVERSED
    return result


def dispatch_transfer(scope: Scope, spec: DocumentSpec, *, destination: Location) -> PostResult:
    """The sending side of a transfer: stock leaves `spec.location` and is in transit until the
    destination receives it. The destination must be in the actor's scope and open."""
    if not scope.covers_path(destination.unit.path):
        raise NotFound(_("Destination not found."))
    if destination.domain != spec.domain or not destination.is_active:
        raise ValidationFailed(_("The destination is not a stock location."), field="destination")
    _check_unit(scope, destination.unit, spec.date)
    if spec.location is not None and destination.pk == spec.location.pk:
        raise ValidationFailed(
            _("The destination must differ from the source."), field="destination"
        )
    typed = DocumentSpec(
        **{
            **spec.__dict__,
            "doc_type": DocType.TRANSFER_OUT,
            "counter_unit": destination.unit,
            "meta": {**spec.meta, "destination": destination.pk},
        }
    )
    return post_document(scope, typed, status=DocStatus.IN_TRANSIT)


def receive_transfer(
    scope: Scope,
    dispatch: Document,
    *,
    on: date,
    received: Mapping[int, Decimal] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> PostResult:
    """The receiving side: posts a transfer receipt at the destination for the dispatched lines
    (or the `received` quantity per dispatch line id, for a shortfall in transport). The
    dispatch moves from in transit to received exactly once."""
    if dispatch.doc_type != DocType.TRANSFER_OUT:
        raise ValidationFailed(_("This document is not a transfer."))
    destination = Location.objects.select_related("unit").get(pk=dispatch.meta["destination"])
    if not scope.covers_path(destination.unit.path):
        raise NotFound(_("Document not found."))
    if on < dispatch.date:
        raise ValidationFailed(_("A transfer cannot be received before it left."), field="date")
    received = received or {}
    with transaction.atomic():
        claimed = Document.objects.filter(pk=dispatch.pk, status=DocStatus.IN_TRANSIT).update(
            status=DocStatus.RECEIVED
        )
        if not claimed:
            raise Conflict(
                _("Transfer %(number)s is not in transit.") % {"number": dispatch.number}
            )
        lines = []
        for line in dispatch.lines.select_related("item", "lot"):
            quantity = received.get(line.pk, -line.quantity)
            if quantity < ZERO or quantity > -line.quantity:
                raise ValidationFailed(
                    _("The received quantity of %(item)s must lie between 0 and %(sent)s.")
                    % {"item": line.item.name, "sent": _qty(-line.quantity)},
                    field="quantity",
                )
            if quantity > ZERO:
                lines.append(
                    LineSpec(
                        item=line.item,
                        quantity=quantity,
                        lot=line.lot,
                        dimension=line.dimension,
                        meta={"sent": str(-line.quantity), **line.meta},
                    )
                )
        result = post_document(
            scope,
            DocumentSpec(
                domain=dispatch.domain,
                doc_type=DocType.TRANSFER_IN,
                unit=destination.unit,
                date=on,
                location=destination,
                lines=lines,
                counter_unit=dispatch.unit,
                meta={"dispatch": dispatch.number, **(meta or {})},
            ),
            linked=dispatch,
        )
        Document.objects.filter(pk=dispatch.pk).update(linked=result.document)
    dispatch.status = DocStatus.RECEIVED
    return result


def close_ledger(scope: Scope, *, domain: str, unit: Unit, through: date) -> LedgerClose:
    """Close the unit's ledger through a date (khóa sổ): later postings may not be dated in it."""
    _check_unit(scope, unit, through)
    with transaction.atomic():
        close, _created = LedgerClose.objects.update_or_create(
            domain=domain, unit=unit, defaults={"closed_through": through}
        )
        audit.record(scope, "inventory.close", close, {"through": through, "unit": unit.code})
    return close
