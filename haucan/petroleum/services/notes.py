"""Petroleum notes (phiếu nhập / xuất / điều chuyển / hao hụt): the depot clerk's postings.

A note is checked (plausible temperature and density, loss within its rate or explained, an open
report period, the quota's channel), corrected to 15 °C, posted through the inventory engine, and
then, in the same transaction, the unit's report values and warnings are recomputed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Action, Domain, Scope
from haucan.inventory.models import Count, DocType, Document, Location
from haucan.inventory.services import (
    DocumentSpec,
    LineSpec,
    PostResult,
    dispatch_transfer,
    post_document,
    receive_transfer,
    reverse_document,
    submit_count,
)
from haucan.org.models import Unit
from haucan.petroleum import vcf as tables
from haucan.petroleum.models import DOMAIN, Channel, Product, Stage
from haucan.petroleum.rates import loss_rate

DENSITY_TOLERANCE = Decimal(40)  # kg/m³ around the product's reference density
ONE = Decimal(1)


class NoteKind:
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    LOSS = "loss"
    CONSUMPTION = "consumption"


KIND_DOC_TYPE = {
    NoteKind.RECEIPT: DocType.RECEIPT,
    NoteKind.ISSUE: DocType.ISSUE,
    NoteKind.TRANSFER: DocType.TRANSFER_OUT,
    NoteKind.LOSS: DocType.LOSS,
    NoteKind.CONSUMPTION: DocType.CONSUMPTION,
}


@dataclass(frozen=True)
class NoteLine:
    product: Product
    quantity: Decimal  # actual (thực): litres at the measured temperature, or kg
    due: Decimal | None = None  # due (phải), litres at 15 °C as on the sender's note
    temperature: float | None = None  # °C; None: taken as 15 °C
    density: float | None = None  # kg/m³ read at `temperature`; None: the product's reference
    price: Decimal | None = None  # đồng per litre at 15 °C (per kg for lubricants)
    base: Decimal | None = None  # loss notes: the quantity the rate applies to


@dataclass(frozen=True)
class NoteInput:
    kind: str
    unit: Unit
    location: Location
    date: date
    lines: Sequence[NoteLine]
    channel: str = Channel.ROUTINE
    number: str = ""
    order_number: str = ""
    counterparty: str = ""
    destination: Location | None = None
    vehicle_plate: str = ""
    recipient: str = ""
    task: str = ""
    stage: str = ""
    explanation: str = ""
    meta: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Measured:
    volume15: Decimal
    vcf: Decimal
    density15: Decimal
    loss: Decimal
    allowed: Decimal


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def measure(line: NoteLine, n: int) -> tuple[Decimal, Decimal, Decimal]:
    """(volume at 15 °C in whole litres, VCF, density at 15 °C) of one line, or a precise error."""
    product = line.product
    temperature = 15.0 if line.temperature is None else float(line.temperature)
    if not tables.TEMPERATURE_MIN <= temperature <= tables.TEMPERATURE_MAX:
        raise ValidationFailed(
            _("Line %(n)s: temperature %(t)s °C is outside the plausible range −20 to 60 °C.")
            % {"n": n, "t": _number(Decimal(str(temperature)))},
            field=f"temperature-{n}",
        )
    reference = product.density15
    if line.density is None:
        density15 = reference
    else:
        try:
            density15 = tables.density15_from_observed(temperature, float(line.density))
        except tables.OutOfRange:
            density15 = Decimal(-1)
        if abs(density15 - reference) > DENSITY_TOLERANCE:
            raise ValidationFailed(
                _(
                    "Line %(n)s: density %(d)s kg/m³ is not plausible for %(product)s "
                    "(expected about %(ref)s kg/m³ at 15 °C)."
                )
                % {
                    "n": n,
                    "d": _number(Decimal(str(line.density))),
                    "product": product.item.name,
                    "ref": _number(reference),
                },
                field=f"density-{n}",
            )
    if not product.corrects_volume:
        return line.quantity.quantize(ONE, rounding=ROUND_HALF_UP), ONE, density15
    factor = tables.vcf(temperature, float(density15))
    return (line.quantity * factor).quantize(ONE, rounding=ROUND_HALF_UP), factor, density15


def _loss(note: NoteInput, line: NoteLine, volume15: Decimal, n: int) -> tuple[Decimal, Decimal]:
    """(loss, allowed loss) of a line: receipt shortfall against the due quantity, or the
    quantity of a loss note, each against its product's rate (never offset between products)."""
    if note.kind == NoteKind.RECEIPT and line.due is not None:
        loss, base, stage = max(line.due - volume15, Decimal(0)), line.due, str(Stage.RECEIPT)
    elif note.kind == NoteKind.LOSS:
        if line.base is None or line.base <= 0:
            raise ValidationFailed(
                _("Line %(n)s: enter the quantity the loss rate applies to.") % {"n": n},
                field=f"base-{n}",
            )
        loss, base, stage = volume15, line.base, note.stage
    else:
        return Decimal(0), Decimal(0)
    rate = loss_rate(line.product, stage, note.date)
    allowed = (base * rate / 100).quantize(ONE, rounding=ROUND_HALF_UP)
    return loss, allowed


def record_note(scope: Scope, note: NoteInput) -> PostResult:
    """Post a receipt, issue, transfer dispatch, loss or consumption note (see the module)."""
    if not scope.can(Action.ENTER, Domain.PETROLEUM):
        raise PermissionDenied(_("You may not post petroleum notes."))
    if note.kind not in KIND_DOC_TYPE:
        raise ValidationFailed(_("Unknown note type."), field="kind")
    if note.channel not in Channel.values:
        raise ValidationFailed(_("Choose the supply channel."), field="channel")
    if note.kind == NoteKind.LOSS and note.stage not in Stage.values:
        raise ValidationFailed(_("Choose the loss stage."), field="stage")
    if note.location.domain != DOMAIN or not scope.covers_path(note.location.unit.path):
        raise NotFound(_("Depot not found."))
    from haucan.petroleum.reports import check_period_open

    check_period_open(note.location.unit, note.date)
    lines: list[LineSpec] = []
    over: list[str] = []
    for n, line in enumerate(note.lines, start=1):
        if line.quantity <= 0:
            raise ValidationFailed(
                _("Line %(n)s: the actual quantity must be greater than zero.") % {"n": n},
                field=f"quantity-{n}",
            )
        volume15, factor, density15 = measure(line, n)
        loss, allowed = _loss(note, line, volume15, n)
        if loss > allowed:
            over.append(line.product.item.name)
        amount = (volume15 * line.price).quantize(ONE) if line.price is not None else None
        lines.append(
            LineSpec(
                item=line.product.item,
                quantity=volume15,
                dimension=note.channel,
                meta={
                    "actual": str(line.quantity),
                    "due": str(line.due) if line.due is not None else "",
                    "temperature": line.temperature,
                    "density": line.density,
                    "density15": str(density15),
                    "vcf": str(factor),
                    "price": str(line.price) if line.price is not None else "",
                    "amount": str(amount) if amount is not None else "",
                    "loss": str(loss),
                    "allowed": str(allowed),
                    "base": str(line.base) if line.base is not None else "",
                },
            )
        )
    if over and not note.explanation.strip():
        raise ValidationFailed(
            _("The loss of %(products)s is above the allowed rate: give an explanation.")
            % {"products": ", ".join(over)},
            field="explanation",
        )
    spec = DocumentSpec(
        domain=DOMAIN,
        doc_type=KIND_DOC_TYPE[note.kind],
        unit=note.location.unit,
        date=note.date,
        location=note.location,
        lines=lines,
        number=note.number,
        counterparty=note.counterparty,
        note=note.explanation,
        meta={
            "order_number": note.order_number,
            "vehicle_plate": note.vehicle_plate,
            "recipient": note.recipient,
            "task": note.task,
            "channel": note.channel,
            "stage": note.stage or (Stage.RECEIPT if note.kind == NoteKind.RECEIPT else ""),
            "explanation": note.explanation,
            "loss_over": over,
            **note.meta,
        },
    )
    with transaction.atomic():
        if note.kind == NoteKind.TRANSFER:
            if note.destination is None:
                raise ValidationFailed(_("Choose the destination."), field="destination")
            result = dispatch_transfer(scope, spec, destination=note.destination)
        else:
            result = post_document(scope, spec)
        after_posting(result.document, note.location.unit, note.date, over=over)
    return result


def receive_note(
    scope: Scope,
    dispatch: Document,
    *,
    on: date,
    received: Mapping[int, Decimal] | None = None,
    explanation: str = "",
) -> PostResult:
    """Receive a transfer at its destination; a shortfall is a transport loss, checked against
    the transport rate of each product."""
    if not scope.can(Action.ENTER, Domain.PETROLEUM):
        raise PermissionDenied(_("You may not post petroleum notes."))
    destination = (
        Location.objects.select_related("unit").filter(pk=dispatch.meta.get("destination")).first()
    )
    if destination is None or not scope.covers_path(destination.unit.path):
        raise NotFound(_("Document not found."))
    from haucan.petroleum.reports import check_period_open

    check_period_open(destination.unit, on)
    over: list[str] = []
    products = {p.item_id: p for p in Product.objects.select_related("item")}
    for line in dispatch.lines.all():
        sent = -line.quantity
        got = (received or {}).get(line.pk, sent)
        rate = loss_rate(products[line.item_id], Stage.TRANSPORT, on)
        if sent - got > (sent * rate / 100).quantize(ONE, rounding=ROUND_HALF_UP):
            over.append(products[line.item_id].item.name)
    if over and not explanation.strip():
        raise ValidationFailed(
            _("The loss of %(products)s is above the allowed rate: give an explanation.")
            % {"products": ", ".join(over)},
            field="explanation",
        )
    with transaction.atomic():
        result = receive_transfer(
            scope,
            dispatch,
            on=on,
            received=received,
            meta={"stage": Stage.TRANSPORT, "explanation": explanation, "loss_over": over},
        )
        after_posting(result.document, destination.unit, on, over=over)
        from haucan.petroleum.warnings import clear_transfer

        clear_transfer(dispatch)
        # The sender's report shows nothing new, but its reserve and cover may have changed.
    return result


def reverse_note(scope: Scope, document: Document, *, reason: str) -> PostResult:
    """Reverse a posted note (the correction of a mistake); the reason is required."""
    if not scope.can(Action.ENTER, Domain.PETROLEUM):
        raise PermissionDenied(_("You may not post petroleum notes."))
    if not reason.strip():
        raise ValidationFailed(_("Give the reason for the reversal."), field="reason")
    from haucan.petroleum.reports import check_period_open

    check_period_open(document.unit, document.date)
    with transaction.atomic():
        result = reverse_document(scope, document, note=reason)
        after_posting(result.document, document.unit, document.date, over=[])
        if document.doc_type == DocType.TRANSFER_OUT:
            from haucan.petroleum.warnings import clear_transfer

            clear_transfer(document)
    return result


# Set while a loader posts history: unit id -> (unit, earliest day posted).
_history: ContextVar[dict[int, tuple[Unit, date]] | None] = ContextVar(
    "petroleum_history", default=None
)


_history_reason: ContextVar[str] = ContextVar("petroleum_history_reason", default="")


def loading_history_active() -> bool:
    return _history.get() is not None


def history_reason() -> str:
    """The lock override of the history being loaded, or "" outside `loading_history`."""
    return _history_reason.get()


@contextmanager
def loading_history(scope: Scope, *, reason: str, since: date | None = None) -> Iterator[None]:
    """For loaders of past ledgers (the demo's 24 months), with the system scope only: notes may
    be dated in locked report periods, and the reports and warnings are recomputed once per unit
    when the block ends (with `reason` as the lock override) instead of after every note. With
    `since`, periods before it are not recomputed (opening balances dated the day before)."""
    from haucan.petroleum import reports, warnings

    if not scope.is_admin or not reason.strip():
        raise PermissionDenied(_("Only the system may load a ledger history."))
    pending: dict[int, tuple[Unit, date]] = {}
    token = _history.set(pending)
    reason_token = _history_reason.set(reason)
    try:
        yield
    finally:
        _history.reset(token)
        _history_reason.reset(reason_token)
    with transaction.atomic():
        for unit, day in pending.values():
            reports.refresh(unit, max(day, since or day), override_reason=reason)
            warnings.check_unit(unit, day)


def after_posting(document: Document, unit: Unit, day: date, *, over: Sequence[str]) -> None:
    """Within the posting's transaction: the report values and the warnings of the unit."""
    from haucan.petroleum import reports, warnings

    pending = _history.get()
    if pending is not None:
        earlier = pending.get(unit.pk)
        pending[unit.pk] = (unit, min(day, earlier[1]) if earlier else day)
        return
    reports.refresh(unit, day)
    warnings.check_unit(unit, day, document=document, loss_over=over)


def quarter_of(day: date) -> str:
    return period_of(day, PeriodType.QUARTERLY).id


def submit_fuel_count(scope: Scope, count: Count) -> Count:
    """Submit a physical count of a petroleum depot: the adjustment, the reports and the
    warnings in one transaction."""
    if not scope.can(Action.ENTER, Domain.PETROLEUM):
        raise PermissionDenied(_("You may not post petroleum notes."))
    from haucan.petroleum.reports import check_period_open

    check_period_open(count.unit, count.date)
    with transaction.atomic():
        submit_count(scope, count)
        assert count.document is not None
        after_posting(count.document, count.unit, count.date, over=[])
    return count
