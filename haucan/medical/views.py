"""The medical pages: the army roll-up, the hospital board (auto-refreshing) and the treatment
report. Thin: parse, call one query, render. Entry pages are in views_entry, epidemic pages in
views_epidemic."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.core.access import requires
from haucan.core.errors import NotFound
from haucan.core.periods import Period, PeriodError, PeriodType, parse_period, period_of
from haucan.core.scope import Action, Domain, Scope
from haucan.medical import icd10, queries
from haucan.medical.care import get_facility, in_care_chain
from haucan.medical.models import CaseReport, Facility, Outbreak

REFRESH_SECONDS = 15


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    return scope


def _facility(request: HttpRequest, uid: str) -> Facility:
    try:
        return get_facility(_scope(request), uid)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _in_scope(scope: Scope, qs: Any) -> Any:
    if scope.is_global:
        return qs
    from django.db.models import Q

    cond = Q(pk__in=[])
    for root in scope.root_paths:
        cond |= Q(unit__path__startswith=root)
    return qs.filter(cond)


@requires(Action.VIEW, Domain.MEDICAL)
def home(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    rows = queries.army_board(scope)
    outbreaks = list(
        _in_scope(scope, Outbreak.objects.filter(ended_on__isnull=True).select_related("unit"))[:20]
    )
    cases = list(_in_scope(scope, CaseReport.objects.select_related("unit"))[:10])
    return render(
        request,
        "medical/home.html",
        {
            "rows": rows,
            "outbreaks": outbreaks,
            "cases": cases,
            "refresh": REFRESH_SECONDS,
            "can_enter": scope.can(Action.ENTER, Domain.MEDICAL),
            "totals": _totals(rows),
        },
    )


def _totals(rows: list[queries.ArmyRow]) -> dict[str, float | int | None]:
    planned = sum(r.planned for r in rows)
    occupied = sum(r.occupied for r in rows)
    return {
        "planned": planned,
        "set_up": sum(r.set_up for r in rows),
        "occupied": occupied,
        "free": sum(r.free for r in rows),
        "admitted": sum(r.admitted for r in rows),
        "discharged": sum(r.discharged for r in rows),
        "occupancy": occupied / planned * 100 if planned else None,
    }


@requires(Action.VIEW, Domain.MEDICAL)
def army_fragment(request: HttpRequest) -> HttpResponse:
    rows = queries.army_board(_scope(request))
    return render(
        request,
        "medical/_army.html",
        {"rows": rows, "totals": _totals(rows), "refresh": REFRESH_SECONDS},
    )


@requires(Action.VIEW, Domain.MEDICAL)
def by_unit(request: HttpRequest, unit_uid: str) -> HttpResponse:
    """Where a computed report cell links to: the facility's treatment report."""
    facility = Facility.objects.select_related("unit").filter(unit__uid=unit_uid).first()
    if facility is None or not _scope(request).covers_path(facility.unit.path):
        raise Http404(_("Facility not found."))
    url = f"/medical/f/{facility.uid}/report/"
    if request.GET.get("period"):
        url += f"?period={request.GET['period']}"
    return redirect(url)


def _board_context(request: HttpRequest, facility: Facility) -> dict[str, object]:
    data = queries.board(facility)
    return {
        "facility": facility,
        "board": data,
        "refresh": REFRESH_SECONDS,
        "care": in_care_chain(_scope(request), facility),
        "trend": {
            "days": [d.strftime("%d/%m") for d, _p, _s in data.trend],
            "planned": [None if p is None else round(p, 1) for _d, p, _s in data.trend],
            "set_up": [None if s is None else round(s, 1) for _d, _p, s in data.trend],
            "labels": {
                "planned": _("Occupancy of planned beds"),
                "set_up": _("Occupancy of set-up beds"),
            },
        },
        "now": timezone.localtime(),
    }


@requires(Action.VIEW, Domain.MEDICAL)
def facility_board(request: HttpRequest, uid: str) -> HttpResponse:
    facility = _facility(request, uid)
    return render(request, "medical/board.html", _board_context(request, facility))


@requires(Action.VIEW, Domain.MEDICAL)
def board_fragment(request: HttpRequest, uid: str) -> HttpResponse:
    facility = _facility(request, uid)
    return render(request, "medical/_board.html", _board_context(request, facility))


def _period(text: str, today: date) -> Period:
    if text:
        try:
            return parse_period(text)
        except PeriodError:
            pass
    return period_of(today, PeriodType.MONTHLY)


@requires(Action.VIEW, Domain.MEDICAL)
def report(request: HttpRequest, uid: str) -> HttpResponse:
    facility = _facility(request, uid)
    today = timezone.localdate()
    period = _period(request.GET.get("period", "").strip(), today)
    data = queries.treatment_report(facility, period.start, period.end, today)
    chapters = [
        (ch, icd10.chapter_name(ch), n) for ch, n in sorted(data.figures.by_chapter.items())
    ]
    choices = [
        period_of(today, PeriodType.DAILY),
        period_of(today, PeriodType.MONTHLY),
        period_of(today, PeriodType.MONTHLY).previous(),
        period_of(today, PeriodType.QUARTERLY),
        period_of(today, PeriodType.YEARLY),
        period_of(today, PeriodType.YEARLY).previous(),
    ]
    return render(
        request,
        "medical/report.html",
        {
            "facility": facility,
            "report": data,
            "period": period,
            "choices": choices,
            "chapters": chapters,
            "categories": _category_rows(data),
            # Counters are passed as lists: a template's `.items` on a Counter reads the key
            # "items" (a zero) before the method.
            "admitted_total": sum(data.figures.admitted.values()),
            "outcomes": _outcome_rows(data),
        },
    )


def _outcome_rows(data: queries.TreatmentReport) -> list[tuple[str, int]]:
    from haucan.medical.models import Outcome

    return [(str(label), data.figures.outcomes.get(value, 0)) for value, label in Outcome.choices]


def _category_rows(data: queries.TreatmentReport) -> list[tuple[str, int]]:
    from haucan.medical.models.episodes import REPORT_OPTIONS

    names = {
        "BN_QUAN_NHAN": _("Soldiers"),
        "BN_CNVCQP": _("Defence workers and employees"),
        "BN_BHYT": _("Insured patients"),
        "BN_NHAN_DAN": _("Civilians"),
    }
    return [(names[o], data.by_category.get(o, 0)) for o in REPORT_OPTIONS]
