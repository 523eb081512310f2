"""Petroleum screens: the depot overview, notes (post, view, print, reverse, receive), stock on
hand with drill-down to stock cards. Thin: parse, call one service or query, render."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from haucan.core.access import requires
from haucan.core.errors import HaucanError, NotFound
from haucan.core.scope import Action, Domain, Scope
from haucan.inventory.models import DocStatus, DocType, Item, Location
from haucan.inventory.queries import get_document, locations_of, stock_card, stock_on_hand
from haucan.org.models import Unit
from haucan.petroleum import queries
from haucan.petroleum.forms import LINES, NoteHeader, read_lines
from haucan.petroleum.models import DOMAIN, Channel
from haucan.petroleum.services import (
    NoteInput,
    NoteKind,
    NoteLine,
    receive_note,
    record_note,
    reverse_note,
)

KIND_TITLES = {
    NoteKind.RECEIPT: gettext_lazy("Receipt note"),
    NoteKind.ISSUE: gettext_lazy("Issue note"),
    NoteKind.TRANSFER: gettext_lazy("Transfer note"),
    NoteKind.LOSS: gettext_lazy("Loss note"),
    NoteKind.CONSUMPTION: gettext_lazy("Consumption note"),
}


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    return scope


def _parse_date(text: str | None, default: date) -> date:
    if not text:
        return default
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return default


def _unit(request: HttpRequest, scope: Scope) -> Unit:
    """The unit asked for (?unit=uid) if in scope, else the actor's first assigned unit."""
    uid = request.GET.get("unit") or request.POST.get("unit")
    if uid:
        unit = Unit.objects.filter(uid=uid).first()
        if unit is None or not scope.covers_path(unit.path):
            raise NotFound(_("Unit not found."))
        return unit
    roots = scope.root_paths
    if scope.is_global or not roots:
        unit = Unit.objects.filter(parent__isnull=True).first()
    else:
        unit = Unit.objects.filter(path=roots[0]).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def _error(request: HttpRequest, exc: HaucanError) -> HttpResponse:
    return render(request, "petroleum/error.html", {"message": exc.message}, status=exc.status)


@requires(Action.VIEW, Domain.PETROLEUM)
def home(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    try:
        unit = _unit(request, scope)
    except HaucanError as exc:
        return _error(request, exc)
    today = timezone.localdate()
    locations = locations_of(scope, domain=DOMAIN, unit=unit)
    own = [loc for loc in locations if loc.unit_id == unit.pk]
    stock = stock_on_hand(scope, domain=DOMAIN, unit=unit, by=("location", "item", "dimension"))
    products = {p.item_id: p for p in queries.products()}
    rows = [
        {
            "location": loc,
            "lines": [
                {"product": products.get(int(str(k[1]))), "channel": k[2], "quantity": q}
                for k, q in sorted(stock.items(), key=lambda kv: (str(kv[0][1]), str(kv[0][2])))
                if k[0] == loc.pk
            ],
        }
        for loc in locations
    ]
    context: dict[str, Any] = {
        "unit": unit,
        "rows": rows,
        "own": own,
        "channels": dict(Channel.choices),
        "reserves": queries.reserve_rows(scope, unit, today),
        "kinds": KIND_TITLES,
        "can_enter": scope.can(Action.ENTER, Domain.PETROLEUM),
        "children": Unit.objects.filter(parent=unit).order_by("name"),
        "today": today,
    }
    return render(request, "petroleum/home.html", context)


@requires(Action.VIEW, Domain.PETROLEUM)
def stock(request: HttpRequest) -> HttpResponse:
    """Stock on hand at a date by unit and product for the unit's subtree."""
    scope = _scope(request)
    try:
        unit = _unit(request, scope)
    except HaucanError as exc:
        return _error(request, exc)
    at = _parse_date(request.GET.get("at"), timezone.localdate())
    products = queries.products()
    totals = stock_on_hand(scope, domain=DOMAIN, at=at, unit=unit, by=("unit", "item"))
    units = Unit.objects.in_bulk({int(str(k[0])) for k in totals})
    table: list[dict[str, Any]] = []
    grand = [Decimal(0)] * len(products)
    for unit_id in sorted(units, key=lambda pk: units[pk].path):
        cells = [totals.get((unit_id, p.item_id)) for p in products]
        grand = [g + (c or 0) for g, c in zip(grand, cells, strict=True)]
        table.append({"unit": units[unit_id], "cells": cells})
    return render(
        request,
        "petroleum/stock.html",
        {"unit": unit, "at": at, "products": products, "table": table, "grand": grand},
    )


@requires(Action.VIEW, Domain.PETROLEUM)
def card(request: HttpRequest) -> HttpResponse:
    """The stock card (thẻ kho) of one product at a location, or at a unit with its subtree."""
    scope = _scope(request)
    try:
        unit = _unit(request, scope)
        item = Item.objects.filter(domain=DOMAIN, pk=request.GET.get("item") or 0).first()
        if item is None:
            raise NotFound(_("Product not found."))
        location = None
        if request.GET.get("location"):
            location = (
                Location.objects.select_related("unit")
                .filter(domain=DOMAIN, pk=request.GET["location"])
                .first()
            )
            if location is None or not scope.covers_path(location.unit.path):
                raise NotFound(_("Depot not found."))
        today = timezone.localdate()
        start = _parse_date(request.GET.get("start"), today.replace(day=1))
        end = _parse_date(request.GET.get("end"), today)
        channel = request.GET.get("channel") or None
        result = stock_card(
            scope,
            domain=DOMAIN,
            item=item,
            start=start,
            end=end,
            unit=None if location else unit,
            location=location,
            dimension=channel,
        )
    except HaucanError as exc:
        return _error(request, exc)
    return render(
        request,
        "petroleum/card.html",
        {
            "unit": unit,
            "item": item,
            "location": location,
            "card": result,
            "channel": channel,
            "channels": dict(Channel.choices),
            "rows": [(r, dict(DocType.choices).get(r.doc_type, r.doc_type)) for r in result.rows],
        },
    )


@requires(Action.ENTER, Domain.PETROLEUM)
@require_http_methods(["GET", "POST"])
def note_new(request: HttpRequest, kind: str) -> HttpResponse:
    scope = _scope(request)
    if kind not in KIND_TITLES:
        return _error(request, NotFound(_("Unknown note type.")))
    try:
        unit = _unit(request, scope)
    except HaucanError as exc:
        return _error(request, exc)
    locations = [loc for loc in locations_of(scope, domain=DOMAIN, unit=unit)]
    destinations = locations_of(scope, domain=DOMAIN)
    products = {p.pk: p for p in queries.products()}
    initial = {"date": timezone.localdate().strftime("%d/%m/%Y"), "channel": Channel.ROUTINE}
    header = NoteHeader(
        request.POST or None,
        kind=kind,
        locations=locations,
        destinations=destinations,
        initial=initial,
    )
    rows, parsed = (
        read_lines(request.POST.dict(), products)
        if request.method == "POST"
        else (read_lines({}, products))
    )
    error = ""
    if request.method == "POST":
        if not parsed:
            error = _("Enter at least one line.")
        elif header.is_valid() and not any(r.errors for r in rows):
            data = header.cleaned_data
            try:
                result = record_note(
                    scope,
                    NoteInput(
                        kind=kind,
                        unit=data["location"].unit,
                        location=data["location"],
                        date=data["date"],
                        channel=data["channel"],
                        number=data["number"],
                        order_number=data["order_number"],
                        counterparty=data["counterparty"],
                        destination=data.get("destination"),
                        vehicle_plate=data["vehicle_plate"],
                        recipient=data["recipient"],
                        task=data["task"],
                        stage=data.get("stage") or "",
                        explanation=data["explanation"],
                        lines=[
                            NoteLine(
                                product=v["product"],  # type: ignore[arg-type]
                                quantity=v["quantity"],  # type: ignore[arg-type]
                                due=v.get("due"),  # type: ignore[arg-type]
                                temperature=_float(v.get("temperature")),
                                density=_float(v.get("density")),
                                price=v.get("price"),  # type: ignore[arg-type]
                                base=v.get("base"),  # type: ignore[arg-type]
                            )
                            for v in parsed
                        ],
                    ),
                )
            except HaucanError as exc:
                error = exc.message
            else:
                for warning in result.warnings:
                    messages.warning(
                        request,
                        _("Stock of %(item)s at %(location)s is now negative: %(qty)s.")
                        % {
                            "item": warning.item,
                            "location": warning.location,
                            "qty": warning.balance,
                        },
                    )
                messages.success(
                    request, _("Note %(number)s posted.") % {"number": result.document.number}
                )
                return redirect("petroleum:note", result.document.pk)
        else:
            error = _("Correct the marked fields.")
    return render(
        request,
        "petroleum/note_form.html",
        {
            "kind": kind,
            "title": KIND_TITLES[kind],
            "unit": unit,
            "header": header,
            "rows": rows,
            "products": list(products.values()),
            "error": error,
            "line_count": LINES,
        },
        status=400 if error else 200,
    )


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, Decimal) else None


def _note_context(scope: Scope, pk: int) -> dict[str, Any]:
    document = get_document(scope, pk, domain=DOMAIN)
    lines = list(document.lines.select_related("item", "location").order_by("pk"))
    return {
        "document": document,
        "lines": lines,
        "type_name": dict(DocType.choices).get(document.doc_type, document.doc_type),
        "channel": dict(Channel.choices).get(document.meta.get("channel", ""), ""),
        "in_transit": document.status == DocStatus.IN_TRANSIT,
        "reversible": document.status in (DocStatus.POSTED, DocStatus.IN_TRANSIT)
        and document.doc_type != DocType.REVERSAL,
        "total": sum((abs(line.quantity) for line in lines), Decimal(0)),
        "amount": sum((Decimal(line.meta.get("amount") or 0) for line in lines), Decimal(0)),
    }


@requires(Action.VIEW, Domain.PETROLEUM)
def note(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        context = _note_context(_scope(request), pk)
    except HaucanError as exc:
        return _error(request, exc)
    context["can_enter"] = _scope(request).can(Action.ENTER, Domain.PETROLEUM)
    context["today"] = timezone.localdate()
    return render(request, "petroleum/note.html", context)


@requires(Action.VIEW, Domain.PETROLEUM)
def note_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from haucan.petroleum.pdf import note_pdf as render_pdf

    try:
        context = _note_context(_scope(request), pk)
    except HaucanError as exc:
        return _error(request, exc)
    content = render_pdf(context)
    response = HttpResponse(content, content_type="application/pdf")
    name = context["document"].number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@requires(Action.ENTER, Domain.PETROLEUM)
@require_POST
def note_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    try:
        document = get_document(scope, pk, domain=DOMAIN)
        result = reverse_note(scope, document, reason=request.POST.get("reason", ""))
    except NotFound as exc:
        return _error(request, exc)  # another unit's note does not exist, even to post to
    except HaucanError as exc:
        messages.error(request, exc.message)
        return redirect("petroleum:note", pk)
    messages.success(request, _("Note %(number)s posted.") % {"number": result.document.number})
    return redirect("petroleum:note", result.document.pk)


@requires(Action.ENTER, Domain.PETROLEUM)
@require_POST
def note_receive(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    try:
        document = get_document(scope, pk, domain=DOMAIN)
        received = {}
        for line in document.lines.all():
            text = request.POST.get(f"received-{line.pk}", "").strip()
            if text:
                try:
                    received[line.pk] = Decimal(text.replace(".", "").replace(",", "."))
                except ArithmeticError:
                    raise HaucanError(_("The received quantity is not a number.")) from None
        on = _parse_date(request.POST.get("date"), timezone.localdate())
        result = receive_note(
            scope,
            document,
            on=on,
            received=received,
            explanation=request.POST.get("explanation", ""),
        )
    except NotFound as exc:
        return _error(request, exc)  # another unit's note does not exist, even to post to
    except HaucanError as exc:
        messages.error(request, exc.message)
        return redirect("petroleum:note", pk)
    messages.success(request, _("Note %(number)s posted.") % {"number": result.document.number})
    return redirect("petroleum:note", result.document.pk)
