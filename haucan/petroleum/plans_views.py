"""Petroleum plan screens: quotas with live use, norms with activity (entry and Excel import),
and the physical-count workflow."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from haucan.core.access import requires
from haucan.core.errors import HaucanError, NotFound, ValidationFailed
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Action, Domain
from haucan.inventory.models import Count, CountStatus, Location, Reason
from haucan.inventory.services import CountEntry, record_count, start_count
from haucan.petroleum import queries
from haucan.petroleum.models import DOMAIN, Activity, Equipment, EquipmentType
from haucan.petroleum.rates import consumption_norm
from haucan.petroleum.services import (
    ActivityInput,
    import_activities,
    record_activities,
    submit_fuel_count,
)
from haucan.petroleum.views import _error, _parse_date, _scope, _unit


@requires(Action.VIEW, Domain.PETROLEUM)
def quotas(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    year = int(request.GET.get("year") or timezone.localdate().year)
    try:
        unit = _unit(request, scope)
    except HaucanError as exc:
        return _error(request, exc)
    rows = [r for r in queries.quota_rows(scope, year) if r.quota.unit.path.startswith(unit.path)]
    rows.sort(key=lambda r: (r.quota.unit.path, r.quota.group.sort_order, r.quota.channel))
    return render(request, "petroleum/quotas.html", {"unit": unit, "year": year, "rows": rows})


@requires(Action.VIEW, Domain.PETROLEUM)
@require_http_methods(["GET", "POST"])
def norms(request: HttpRequest) -> HttpResponse:
    """Equipment types with the norm in force, the unit's equipment and its month's activity
    compared with the norm; clerks enter or import the activity here."""
    scope = _scope(request)
    try:
        unit = _unit(request, scope)
    except HaucanError as exc:
        return _error(request, exc)
    today = timezone.localdate()
    period = (
        request.POST.get("period")
        or request.GET.get("period")
        or (period_of(today, PeriodType.MONTHLY).id)
    )
    types = list(EquipmentType.objects.select_related("group"))
    if request.method == "POST":
        if not scope.can(Action.ENTER, Domain.PETROLEUM):
            raise PermissionDenied  # seeing the norms (VIEW) is not entering activity (ENTER)
        try:
            upload = request.FILES.get("file")
            if upload is not None:
                count = import_activities(scope, unit, upload.read())
            else:
                count = record_activities(scope, unit, _activity_rows(request, types, period))
        except HaucanError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(n)s activity rows saved.") % {"n": count})
            return redirect(f"{request.path}?unit={unit.uid}&period={period}")
    held = {e.equipment_type_id: e.quantity for e in Equipment.objects.filter(unit=unit)}
    activities = {
        a.equipment_type_id: a
        for a in Activity.objects.filter(unit=unit, period=period).select_related("equipment_type")
    }
    rows: list[dict[str, Any]] = []
    for equipment_type in types:
        norm = consumption_norm(equipment_type, today)
        activity = activities.get(equipment_type.pk)
        allowed = queries.norm_fuel(activity, norm) if activity else None
        rows.append(
            {
                "type": equipment_type,
                "norm": norm,
                "held": held.get(equipment_type.pk, 0),
                "activity": activity,
                "allowed": allowed,
                "variance": (activity.actual_fuel - allowed)
                if activity is not None and allowed is not None
                else None,
            }
        )
    return render(request, "petroleum/norms.html", {"unit": unit, "period": period, "rows": rows})


def _activity_rows(
    request: HttpRequest, types: list[EquipmentType], period: str
) -> list[ActivityInput]:
    rows = []
    for equipment_type in types:
        raw = [
            request.POST.get(f"{f}-{equipment_type.pk}", "").strip()
            for f in ("km", "hours", "fuel")
        ]
        if not any(raw):
            continue
        try:
            km, hours, fuel = (Decimal(v.replace(",", ".") or 0) for v in raw)
        except InvalidOperation:
            raise ValidationFailed(
                _("%(type)s: the kilometres, hours and fuel must be numbers.")
                % {"type": equipment_type.name}
            ) from None
        if min(km, hours, fuel) < 0:
            raise ValidationFailed(
                _("%(type)s: the kilometres, hours and fuel cannot be negative.")
                % {"type": equipment_type.name}
            )
        rows.append(ActivityInput(equipment_type, period, km, hours, fuel))
    return rows


@requires(Action.VIEW, Domain.PETROLEUM)
@require_http_methods(["GET", "POST"])
def counts(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    try:
        unit = _unit(request, scope)
    except HaucanError as exc:
        return _error(request, exc)
    if request.method == "POST":
        if not scope.can(Action.ENTER, Domain.PETROLEUM):
            raise PermissionDenied  # seeing the counts (VIEW) is not starting one (ENTER)
        try:
            location = (
                Location.objects.select_related("unit")
                .filter(domain=DOMAIN, pk=request.POST.get("location") or 0)
                .first()
            )
            if location is None:
                raise NotFound(_("Depot not found."))
            count = start_count(
                scope,
                location,
                _parse_date(request.POST.get("date"), timezone.localdate()),
                items=[p.item for p in queries.products()],
            )
        except HaucanError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("petroleum:count", count.pk)
    from haucan.inventory.queries import locations_of

    return render(
        request,
        "petroleum/counts.html",
        {
            "unit": unit,
            "locations": locations_of(scope, domain=DOMAIN, unit=unit),
            "counts": [
                c
                for c in Count.objects.filter(domain=DOMAIN, unit__path__startswith=unit.path)
                .select_related("location", "document", "unit")
                .order_by("-date", "-pk")[:100]
                if scope.covers_path(c.unit.path)
            ],
            "today": timezone.localdate(),
        },
    )


@requires(Action.VIEW, Domain.PETROLEUM)
@require_http_methods(["GET", "POST"])
def count(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    found = (
        Count.objects.select_related("location", "unit", "document")
        .filter(domain=DOMAIN, pk=pk)
        .first()
    )
    if found is None or not scope.covers_path(found.unit.path):
        return _error(request, NotFound(_("Count not found.")))
    reasons = list(Reason.objects.filter(domain=DOMAIN))
    lines = list(found.lines.select_related("item", "reason").order_by("item__code"))
    if request.method == "POST" and not scope.can(Action.ENTER, Domain.PETROLEUM):
        # The inventory engine checks the scope only: a viewer in scope (a commander, the
        # specialist) could otherwise fill in a draft count.
        raise PermissionDenied
    if request.method == "POST" and found.status == CountStatus.DRAFT:
        by_code = {str(r.pk): r for r in reasons}
        try:
            entries = []
            for line in lines:
                text = request.POST.get(f"counted-{line.pk}", "").strip()
                try:
                    counted = Decimal(text.replace(".", "").replace(",", ".")) if text else None
                except InvalidOperation:
                    raise ValidationFailed(
                        _("%(item)s: the counted quantity is not a number.") % {"item": line.item}
                    ) from None
                entries.append(
                    CountEntry(
                        line.pk,
                        counted,
                        by_code.get(request.POST.get(f"reason-{line.pk}", "")),
                        request.POST.get(f"remark-{line.pk}", "")[:300],
                    )
                )
            record_count(scope, found, entries)
            if request.POST.get("submit"):
                submit_fuel_count(scope, found)
                messages.success(request, _("Count submitted."))
            else:
                messages.success(request, _("Draft saved."))
        except HaucanError as exc:
            messages.error(request, exc.message)
        return redirect("petroleum:count", pk)
    return render(
        request,
        "petroleum/count.html",
        {
            "count": found,
            "lines": lines,
            "reasons": reasons,
            "draft": found.status == CountStatus.DRAFT,
        },
    )
