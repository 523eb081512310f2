"""Physical counts (kiểm kê): a draft with the book stock, the counted quantities, then the
submission, which posts every discrepancy as a count-adjustment line with its reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.core.errors import Conflict, NotFound, ValidationFailed
from haucan.core.scope import Scope
from haucan.inventory.models import Count, CountLine, CountStatus, DocType, Item, Location, Reason
from haucan.inventory.queries import stock_on_hand
from haucan.inventory.services.posting import DocumentSpec, LineSpec, post_document

ZERO = Decimal(0)


@dataclass(frozen=True)
class CountEntry:
    line_id: int
    counted: Decimal | None
    reason: Reason | None = None
    remark: str = ""


def start_count(scope: Scope, location: Location, on: date, *, items: Sequence[Item] = ()) -> Count:
    """A draft count of `location` on `on`, with one line per item and dimension that has book
    stock there (and one per extra item in `items`)."""
    if not scope.covers_path(location.unit.path):
        raise NotFound(_("Location not found."))
    book = stock_on_hand(
        scope,
        domain=location.domain,
        at=on,
        location=location,
        unit=location.unit,
        by=("item", "lot", "dimension"),
    )
    with transaction.atomic():
        count = Count.objects.create(
            domain=location.domain,
            unit=location.unit,
            location=location,
            date=on,
            created_by=scope.username,
        )
        lines = [
            CountLine(
                count=count,
                item_id=int(str(k[0])),
                lot_id=int(str(k[1])) if k[1] is not None else None,
                dimension=str(k[2]),
                expected=qty,
            )
            for k, qty in book.items()
        ]
        present = {k[0] for k in book}
        lines += [
            CountLine(count=count, item=item, expected=ZERO)
            for item in items
            if item.pk not in present
        ]
        CountLine.objects.bulk_create(lines)
        audit.record(scope, "inventory.count.start", count, {"location": location.code})
    return count


def _draft(scope: Scope, count: Count) -> Count:
    if not scope.covers_path(count.unit.path):
        raise NotFound(_("Count not found."))
    if count.status != CountStatus.DRAFT:
        raise Conflict(_("This count has already been submitted."))
    return count


def record_count(scope: Scope, count: Count, entries: Sequence[CountEntry]) -> None:
    """Save counted quantities, reasons and remarks on a draft count."""
    _draft(scope, count)
    lines = {line.pk: line for line in count.lines.all()}
    with transaction.atomic():
        for entry in entries:
            line = lines.get(entry.line_id)
            if line is None:
                raise NotFound(_("Count line not found."))
            if entry.counted is not None and entry.counted < ZERO:
                raise ValidationFailed(
                    _("The counted quantity cannot be negative."), field=f"counted-{line.pk}"
                )
            line.counted = entry.counted
            line.reason = entry.reason
            line.remark = entry.remark
        CountLine.objects.bulk_update(list(lines.values()), ["counted", "reason", "remark"])
        audit.record(scope, "inventory.count.record", count, {"lines": len(entries)})


def submit_count(scope: Scope, count: Count) -> Count:
    """Submit a draft: every line needs a counted quantity, every discrepancy a reason. The book
    stock is read again at submission, so postings made since the draft are taken into account."""
    _draft(scope, count)
    location = count.location
    lines = list(count.lines.select_related("item", "reason"))
    book = stock_on_hand(
        scope,
        domain=count.domain,
        at=count.date,
        location=location,
        unit=location.unit,
        by=("item", "lot", "dimension"),
    )
    specs = []
    for line in lines:
        if line.counted is None:
            raise ValidationFailed(
                _("Enter the counted quantity of %(item)s.") % {"item": line.item.name},
                field=f"counted-{line.pk}",
            )
        expected = book.get((line.item_id, line.lot_id, line.dimension), ZERO)
        difference = line.counted - expected
        if difference != ZERO:
            if line.reason is None:
                raise ValidationFailed(
                    _("%(item)s: the count differs from the book stock; give a reason.")
                    % {"item": line.item.name},
                    field=f"reason-{line.pk}",
                )
            specs.append(
                LineSpec(
                    item=line.item,
                    quantity=difference,
                    lot=line.lot,
                    dimension=line.dimension,
                    reason=line.reason,
                    meta={"expected": str(expected), "counted": str(line.counted)},
                )
            )
        line.expected = expected
    with transaction.atomic():
        claimed = Count.objects.filter(pk=count.pk, status=CountStatus.DRAFT).update(
            status=CountStatus.SUBMITTED
        )
        if not claimed:
            raise Conflict(_("This count has already been submitted."))
        result = post_document(
            scope,
            DocumentSpec(
                domain=count.domain,
                doc_type=DocType.COUNT,
                unit=location.unit,
                date=count.date,
                location=location,
                lines=specs,
                meta={"count": count.pk},
            ),
        )
        CountLine.objects.bulk_update(lines, ["expected"])
        Count.objects.filter(pk=count.pk).update(document=result.document)
        audit.record(scope, "inventory.count.submit", count, {"document": result.document.number})
    count.status = CountStatus.SUBMITTED
    count.document = result.document
    return count
