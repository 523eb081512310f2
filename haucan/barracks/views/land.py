from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from haucan.barracks import queries
from haucan.barracks.forms import (
    BoundaryForm,
    CaseForm,
    CertificateForm,
    SiteForm,
    TransferAreaForm,
    TransferForm,
)
from haucan.barracks.models import LandPurpose, LandSite
from haucan.barracks.services import cases as case_services
from haucan.barracks.services import land
from haucan.barracks.views.common import attempt, can_enter, found, scope_of, today
from haucan.core.access import requires
from haucan.core.errors import ValidationFailed
from haucan.core.scope import Action, Domain, Scope


@requires(Action.VIEW, Domain.BARRACKS)
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    unit = (
        queries.unit_by_code(scope, request.GET.get("unit", ""))
        if request.GET.get("unit")
        else None
    )
    overview = queries.overview(scope, today(), unit)
    expiring = queries.buildings(scope, queries.BuildingFilters(unit=unit, life="5"), today().year)
    past = queries.buildings(scope, queries.BuildingFilters(unit=unit, life="past"), today().year)
    return render(
        request,
        "barracks/home.html",
        {
            "o": overview,
            "unit": unit,
            "past": past[:20],
            "expiring": expiring.order_by("end_of_life_year", "code")[:20],
            "cases": queries.cases(scope, "open").filter(
                **({"site__unit__path__startswith": unit.path} if unit else {})
            )[:10],
            "can_enter": can_enter(request),
            "year": today().year,
        },
    )


@requires(Action.VIEW, Domain.BARRACKS)
def sites(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    g = request.GET
    purpose = LandPurpose.objects.filter(code=g.get("purpose", "")).first()
    filters = queries.SiteFilters(
        q=g.get("q", ""),
        unit=queries.unit_by_code(scope, g.get("unit", "")) if g.get("unit") else None,
        purpose=purpose,
        certificate=g.get("certificate", ""),
        cases=g.get("cases") == "1",
    )
    page = Paginator(queries.sites(scope, filters), 50).get_page(g.get("page"))
    return render(
        request,
        "barracks/sites.html",
        {
            "page": page,
            "filters": filters,
            "purposes": LandPurpose.objects.all(),
            "can_enter": can_enter(request),
            "query": g.urlencode(),
        },
    )


@requires(Action.ENTER, Domain.BARRACKS)
def site_new(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = queries.unit_by_code(scope, d["unit"])
        if unit is None:
            form.add_error("unit", _("Unknown unit code '%(code)s'.") % {"code": d["unit"]})
        else:
            spec = land.SiteInput(
                code=d["code"],
                name=d["name"],
                unit=unit,
                opened_on=d["opened_on"],
                total_area=d["total_area"],
                purpose_areas={
                    p.code: d[f"purpose_{p.code}"]
                    for p in form.purposes
                    if d.get(f"purpose_{p.code}") is not None
                },
                identifier=d["identifier"],
                barracks_name=d["barracks_name"],
                province_code=d["province_code"],
                commune_code=d["commune_code"],
                address=d["address"],
                origin=d["origin"],
                boundary=d["boundary"],
            )
            site = attempt(form, lambda: land.create_site(scope, spec))
            if site is not None:
                messages.success(request, _("Land site %(code)s registered.") % {"code": site.code})
                return redirect("barracks:site", site.pk)
    return render(request, "barracks/site_form.html", {"form": form})


@requires(Action.VIEW, Domain.BARRACKS)
def site(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    item: LandSite = found(lambda: queries.get_site(scope, pk))
    points = land.history(item)
    now = today()
    purposes = {p.pk: p for p in LandPurpose.objects.all()}
    current = land.area_on([item.pk], now).get(item.pk, {})
    previous = land.area_on([item.pk], date(now.year - 1, 12, 31)).get(item.pk, {})
    rows = [
        (purposes[pid].name if pid else _("Unclassified"), previous.get(pid, 0), area)
        for pid, area in sorted(current.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    return render(
        request,
        "barracks/site.html",
        {
            "site": item,
            "history": list(reversed(points)),
            "rows": rows,
            "total": sum(current.values()),
            "previous_total": sum(previous.values()),
            "certificates": item.certificates.select_related("purpose"),
            "transfers": item.transfers.select_related("purpose", "to_site"),
            "transfers_in": item.transfers_in.select_related("purpose", "site"),
            "cases": item.cases.all(),
            "buildings": item.buildings.filter(retired_on__isnull=True).select_related(
                "type", "condition", "durability"
            ),
            "map": queries.map_payload(item),
            "year": now.year,
            "can_enter": can_enter(request),
            "transfer_form": TransferForm(initial={"effective_on": now, "decision_date": now}),
            "certificate_form": CertificateForm(),
            "case_form": CaseForm(initial={"opened_on": now}),
        },
    )


def _site_action(
    request: HttpRequest, pk: int, form_class: type, template: str, run: Callable[..., Any]
) -> HttpResponse:
    scope = scope_of(request)
    item: LandSite = found(lambda: queries.get_site(scope, pk))
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        done = attempt(form, lambda: run(scope, item, form.cleaned_data))
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("barracks:site", item.pk)
    return render(request, template, {"form": form, "site": item})


@requires(Action.ENTER, Domain.BARRACKS)
def transfer_new(request: HttpRequest, pk: int) -> HttpResponse:
    def run(scope: Scope, item: LandSite, d: dict[str, Any]) -> Any:
        to_site = None
        if d["to_site"]:
            to_site = (
                LandSite.objects.select_related("unit").filter(code=d["to_site"].strip()).first()
            )
            if to_site is None or not scope.covers_path(to_site.unit.path):
                raise ValidationFailed(
                    _("Unknown site code '%(code)s'.") % {"code": d["to_site"]}, field="to_site"
                )
        spec = land.TransferInput(
            kind=d["kind"],
            site=item,
            purpose=d["purpose"],
            decision_number=d["decision_number"],
            decision_date=d["decision_date"],
            effective_on=d["effective_on"],
            area=d["area"],
            party=d["party"],
            to_site=to_site,
            note=d["note"],
        )
        return land.record_transfer(scope, spec)

    return _site_action(request, pk, TransferForm, "barracks/transfer_form.html", run)


@requires(Action.ENTER, Domain.BARRACKS)
def transfer_area(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    transfer = found(lambda: queries.get_transfer(scope, pk))
    form = TransferAreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form, lambda: land.set_transfer_area(scope, transfer, form.cleaned_data["area"])
        )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("barracks:site", transfer.site_id)
    return render(request, "barracks/transfer_area.html", {"form": form, "transfer": transfer})


@requires(Action.ENTER, Domain.BARRACKS)
def certificate_new(request: HttpRequest, pk: int) -> HttpResponse:
    def run(scope: Scope, item: LandSite, d: dict[str, Any]) -> Any:
        return land.add_certificate(
            scope,
            item,
            number=d["number"],
            issued_on=d["issued_on"],
            area=d["area"],
            purpose=d["purpose"],
            authority=d["authority"],
        )

    return _site_action(request, pk, CertificateForm, "barracks/certificate_form.html", run)


@requires(Action.ENTER, Domain.BARRACKS)
def boundary(request: HttpRequest, pk: int) -> HttpResponse:
    def run(scope: Scope, item: LandSite, d: dict[str, Any]) -> Any:
        return land.set_boundary(scope, item, d["boundary"], d["markers"])

    return _site_action(request, pk, BoundaryForm, "barracks/boundary_form.html", run)


@requires(Action.ENTER, Domain.BARRACKS)
def case_new(request: HttpRequest, pk: int) -> HttpResponse:
    def run(scope: Scope, item: LandSite, d: dict[str, Any]) -> Any:
        return case_services.open_case(
            scope,
            case_services.CaseInput(
                site=item,
                kind=d["kind"],
                party_kind=d["party_kind"],
                party=d["party"],
                area=d["area"],
                opened_on=d["opened_on"],
                location=d["location"],
                description=d["description"],
            ),
        )

    return _site_action(request, pk, CaseForm, "barracks/case_form.html", run)
