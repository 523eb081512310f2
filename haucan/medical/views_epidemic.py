"""Case reports and outbreaks: entry and detail pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from haucan.core.access import requires
from haucan.core.errors import HaucanError, NotFound
from haucan.core.scope import Action, Domain
from haucan.medical.diseases import BY_CODE
from haucan.medical.forms import CaseForm, OutbreakDayForm, OutbreakForm
from haucan.medical.models import CaseReport
from haucan.medical.services import epidemic
from haucan.medical.views import _scope
from haucan.org.models import Unit


def _unit(form: CaseForm | OutbreakForm) -> Unit | None:
    code = form.cleaned_data["unit"].strip().upper()
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        form.add_error("unit", _("Unknown unit code."))
    return unit


@requires(Action.ENTER, Domain.MEDICAL)
def case_new(request: HttpRequest) -> HttpResponse:
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        unit = _unit(form)
        if unit is not None:
            try:
                case = epidemic.report_case(
                    _scope(request),
                    unit,
                    disease=form.cleaned_data["disease"],
                    onset_on=form.cleaned_data["onset_on"],
                    patient_name=form.cleaned_data["patient_name"],
                    hospitalised=form.cleaned_data["hospitalised"],
                    note=form.cleaned_data["note"],
                )
            except HaucanError as exc:
                form.add_error("disease" if exc.field == "disease" else None, exc.message)
                if exc.field == "" or isinstance(exc, NotFound):
                    pass
            else:
                if case.group == "A":
                    messages.warning(request, _("Group-A case: a critical alert was raised."))
                else:
                    messages.success(request, _("The case was reported."))
                return redirect(reverse("medical:case", args=[case.uid]))
    return render(
        request,
        "medical/case_form.html",
        {"form": form, "title": _("Report a case")},
        status=400 if form.errors else 200,
    )


@requires(Action.VIEW, Domain.MEDICAL)
def case_detail(request: HttpRequest, uid: str) -> HttpResponse:
    case = CaseReport.objects.select_related("unit", "outbreak").filter(uid=uid).first()
    if case is None or not _scope(request).covers_path(case.unit.path):
        raise Http404(_("Case report not found."))
    return render(
        request, "medical/case.html", {"case": case, "disease": BY_CODE.get(case.disease)}
    )


@requires(Action.ENTER, Domain.MEDICAL)
def outbreak_new(request: HttpRequest) -> HttpResponse:
    form = OutbreakForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        unit = _unit(form)
        if unit is not None:
            try:
                outbreak = epidemic.open_outbreak(
                    _scope(request),
                    unit,
                    disease=form.cleaned_data["disease"],
                    started_on=form.cleaned_data["started_on"],
                    place=form.cleaned_data["place"],
                    measures=form.cleaned_data["measures"],
                )
            except HaucanError as exc:
                form.add_error("disease" if exc.field == "disease" else None, exc.message)
            else:
                return redirect(reverse("medical:outbreak", args=[outbreak.uid]))
    return render(
        request,
        "medical/case_form.html",
        {"form": form, "title": _("Record an outbreak")},
        status=400 if form.errors else 200,
    )


@requires(Action.VIEW, Domain.MEDICAL)
def outbreak_detail(request: HttpRequest, uid: str) -> HttpResponse:
    scope = _scope(request)
    try:
        outbreak = epidemic.get_outbreak(scope, uid)
    except NotFound as exc:
        raise Http404(exc.message) from None
    form = OutbreakDayForm(request.POST or None)
    if request.method == "POST":
        if not scope.can(Action.ENTER, Domain.MEDICAL):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        try:
            if request.POST.get("end"):
                from datetime import date

                epidemic.end_outbreak(scope, outbreak, date.fromisoformat(request.POST["end"]))
                messages.success(request, _("The outbreak was declared over."))
                return redirect(reverse("medical:outbreak", args=[uid]))
            if form.is_valid():
                epidemic.record_outbreak_day(
                    scope,
                    outbreak,
                    form.cleaned_data["day"],
                    new_cases=form.cleaned_data["new_cases"],
                    hospitalised=form.cleaned_data["hospitalised"],
                    deaths=form.cleaned_data["deaths"],
                )
                messages.success(request, _("The day's counts were saved."))
                return redirect(reverse("medical:outbreak", args=[uid]))
        except (HaucanError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", _("The day is not a date.")))
    days = list(outbreak.days.all())
    return render(
        request,
        "medical/outbreak.html",
        {
            "outbreak": outbreak,
            "disease": BY_CODE.get(outbreak.disease),
            "days": days,
            "total": sum(d.new_cases for d in days),
            "form": form,
            "can_enter": scope.can(Action.ENTER, Domain.MEDICAL),
        },
    )
