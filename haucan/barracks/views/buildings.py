from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from haucan.barracks import queries
from haucan.barracks.forms import AssessmentForm, BuildingForm, RepairForm
from haucan.barracks.models import BuildingType, ConditionLevel, DurabilityClass, LandSite
from haucan.barracks.services import buildings as services
from haucan.barracks.views.common import attempt, can_enter, found, scope_of, today
from haucan.core.access import requires
from haucan.core.errors import ValidationFailed
from haucan.core.scope import Action, Domain


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@requires(Action.VIEW, Domain.BARRACKS)
def building_list(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    g = request.GET
    site = None
    if g.get("site"):
        site = LandSite.objects.select_related("unit").filter(code=g["site"]).first()
        if site is not None and not scope.covers_path(site.unit.path):
            site = None
    filters = queries.BuildingFilters(
        q=g.get("q", ""),
        unit=queries.unit_by_code(scope, g.get("unit", "")) if g.get("unit") else None,
        site=site,
        type_id=_int(g.get("type")),
        condition_id=_int(g.get("condition")),
        durability_id=_int(g.get("durability")),
        life=g.get("life", ""),
    )
    qs = queries.buildings(scope, filters, today().year)
    page = Paginator(qs, 50).get_page(g.get("page"))
    return render(
        request,
        "barracks/buildings.html",
        {
            "page": page,
            "filters": filters,
            "types": BuildingType.objects.all(),
            "conditions": ConditionLevel.objects.all(),
            "classes": DurabilityClass.objects.all(),
            "year": today().year,
            "can_enter": can_enter(request),
            "get": g,
        },
    )


@requires(Action.ENTER, Domain.BARRACKS)
def building_new(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    form = BuildingForm(request.POST or None, initial={"site": request.GET.get("site", "")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data

        def run() -> Any:
            site = LandSite.objects.select_related("unit").filter(code=d["site"].strip()).first()
            if site is None or not scope.covers_path(site.unit.path):
                raise ValidationFailed(
                    _("Unknown site code '%(code)s'.") % {"code": d["site"]}, field="site"
                )
            return services.register_building(
                scope,
                services.BuildingInput(
                    site=site,
                    code=d["code"],
                    name=d["name"],
                    type=d["type"],
                    durability=d["durability"],
                    condition=d["condition"],
                    year_built=d["year_built"],
                    year_in_service=d["year_in_service"],
                    built_area=d["built_area"],
                    floor_area=d["floor_area"],
                    service_life_years=d["service_life_years"],
                    grade=d["grade"],
                    floors=d["floors"],
                    capacity=d["capacity"],
                    purpose=d["purpose"],
                    assessed_on=d["assessed_on"],
                    original_cost=d["original_cost"],
                    residual_value=d["residual_value"],
                ),
            )

        building = attempt(form, run)
        if building is not None:
            messages.success(request, _("Building %(code)s registered.") % {"code": building.code})
            return redirect("barracks:building", building.pk)
    return render(request, "barracks/building_form.html", {"form": form})


@requires(Action.VIEW, Domain.BARRACKS)
def building(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    item = found(lambda: queries.get_building(scope, pk))
    action = request.POST.get("action") if request.method == "POST" else None
    assess_form = AssessmentForm(
        request.POST if action == "assess" else None, initial={"assessed_on": today()}
    )
    repair_form = RepairForm(request.POST if action == "repair" else None)
    if request.method == "POST" and not can_enter(request):
        # Seeing the building (VIEW) is not changing it (ENTER): refused, not silently ignored.
        raise PermissionDenied
    if action:
        if action == "assess" and assess_form.is_valid():
            d = assess_form.cleaned_data
            done = attempt(
                assess_form,
                lambda: services.assess(
                    scope,
                    item,
                    assessed_on=d["assessed_on"],
                    condition=d["condition"],
                    assessor=d["assessor"],
                    danger_level=d["danger_level"],
                    note=d["note"],
                ),
            )
            if done is not None:
                messages.success(request, _("Assessment recorded."))
                return redirect("barracks:building", item.pk)
        elif action == "repair" and repair_form.is_valid():
            d = repair_form.cleaned_data
            done = attempt(
                repair_form,
                lambda: services.record_repair(
                    scope,
                    item,
                    completed_on=d["completed_on"],
                    description=d["description"],
                    cost=d["cost"],
                ),
            )
            if done is not None:
                messages.success(request, _("Repair recorded."))
                return redirect("barracks:building", item.pk)
    return render(
        request,
        "barracks/building.html",
        {
            "b": item,
            "years_left": item.end_of_life_year - today().year,
            "assessments": item.assessments.select_related("condition"),
            "repairs": item.repairs.all(),
            "assess_form": assess_form,
            "repair_form": repair_form,
            "can_enter": can_enter(request),
        },
    )
