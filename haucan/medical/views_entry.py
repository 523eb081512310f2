"""Entry screens of a facility: the patients present (care chain only), fast admission and
discharge forms, internal transfers, outpatient counts and the Excel import."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haucan.core.access import requires
from haucan.core.errors import HaucanError, NotFound, PermissionDenied
from haucan.core.scope import Action, Domain
from haucan.medical import icd10, queries
from haucan.medical.care import require_care_chain
from haucan.medical.forms import AdmitForm, DischargeForm, MoveForm
from haucan.medical.models import Department, Facility, PatientCategory
from haucan.medical.services import episodes as svc
from haucan.medical.services import importing
from haucan.medical.views import _facility, _scope
from haucan.org.models import Unit


def _care_facility(request: HttpRequest, uid: str) -> Facility:
    facility = _facility(request, uid)
    try:
        require_care_chain(_scope(request), facility)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except PermissionDenied:
        from django.core.exceptions import PermissionDenied as Forbidden

        raise Forbidden from None
    return facility


def _departments(facility: Facility) -> list[tuple[str, str]]:
    return [
        (d.code, f"{d.code} – {d.name}")
        for d in Department.objects.filter(facility=facility, active=True)
    ]


def _apply_error(form: object, exc: HaucanError) -> None:
    fields = getattr(form, "fields", {})
    name = {
        "admission": "admitted_at",
        "discharge": "discharged_at",
        "discharge_icd10": "icd10",
    }.get(exc.field or "", exc.field or "")
    form.add_error(name if name in fields else None, exc.message)  # type: ignore[attr-defined]


@requires(Action.ENTER, Domain.MEDICAL)
def patients(request: HttpRequest, uid: str) -> HttpResponse:
    facility = _care_facility(request, uid)
    scope = _scope(request)
    search = request.GET.get("q", "")
    present = queries.list_present(scope, facility, search=search)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    departments = _departments(facility)
    return render(
        request,
        "medical/patients.html",
        {
            "facility": facility,
            "present": present,
            "discharged": queries.recent_discharges(scope, facility, 20),
            "search": search,
            "discharge_form": DischargeForm(initial={"discharged_at": now, "kind": "home"}),
            "move_form": MoveForm(departments=departments, initial={"moved_at": now}),
        },
    )


@requires(Action.ENTER, Domain.MEDICAL)
def admit(request: HttpRequest, uid: str) -> HttpResponse:
    facility = _care_facility(request, uid)
    departments = _departments(facility)
    if request.method == "POST":
        form = AdmitForm(request.POST, departments=departments)
        if form.is_valid():
            data = form.cleaned_data
            home_unit = None
            if data["home_unit"].strip():
                home_unit = Unit.objects.filter(code=data["home_unit"].strip().upper()).first()
                if home_unit is None:
                    form.add_error("home_unit", _("Unknown unit code."))
            if not form.errors:
                try:
                    result = svc.admit(
                        _scope(request),
                        facility,
                        patient=svc.PatientInput(
                            code=data["patient_code"],
                            full_name=data["full_name"],
                            category=data["category"],
                            birth_date=data["birth_date"],
                            sex=data["sex"],
                            personal_id=data["personal_id"],
                            insurance_card=data["insurance_card"],
                            home_unit=home_unit,
                        ),
                        department=data["department"],
                        admitted_at=data["admitted_at"],
                        icd10_code=data["icd10"],
                        emergency=data["emergency"],
                    )
                except HaucanError as exc:
                    _apply_error(form, exc)
                else:
                    for warning in result.warnings:
                        messages.warning(request, warning)
                    messages.success(
                        request,
                        _("Admitted: %(key)s, %(dept)s.")
                        % {"key": result.episode.key, "dept": result.episode.department.name},
                    )
                    return redirect(reverse("medical:patients", args=[facility.uid]))
    else:
        form = AdmitForm(
            departments=departments,
            initial={"admitted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
        )
    return render(
        request,
        "medical/admit.html",
        {"facility": facility, "form": form, "common_codes": icd10.search("")},
        status=400 if form.errors else 200,
    )


# The access rule before the method: an outsider learns nothing, not even which methods exist.
@requires(Action.ENTER, Domain.MEDICAL)
@require_POST
def discharge(request: HttpRequest, uid: str, ep: str) -> HttpResponse:
    facility = _care_facility(request, uid)
    form = DischargeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            episode = svc.discharge(
                _scope(request),
                facility,
                ep,
                discharged_at=data["discharged_at"],
                kind=data["kind"],
                outcome=data["outcome"],
                destination=data["destination"],
                icd10_code=data["icd10"],
            )
        except HaucanError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Discharged: %(key)s.") % {"key": episode.key})
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(reverse("medical:patients", args=[facility.uid]))


@requires(Action.ENTER, Domain.MEDICAL)
@require_POST
def move(request: HttpRequest, uid: str, ep: str) -> HttpResponse:
    facility = _care_facility(request, uid)
    form = MoveForm(request.POST, departments=_departments(facility))
    if form.is_valid():
        try:
            svc.move(
                _scope(request),
                facility,
                ep,
                to=form.cleaned_data["to"],
                moved_at=form.cleaned_data["moved_at"],
            )
        except HaucanError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The patient was moved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(reverse("medical:patients", args=[facility.uid]))


@requires(Action.ENTER, Domain.MEDICAL)
def outpatients(request: HttpRequest, uid: str) -> HttpResponse:
    facility = _care_facility(request, uid)
    today = timezone.localdate()
    if request.method == "POST":
        counts: dict[str, tuple[int, int]] = {}
        error = ""
        for value, _label in PatientCategory.choices:
            try:
                visits = int(request.POST.get(f"visits_{value}") or 0)
                surgeries = int(request.POST.get(f"surgeries_{value}") or 0)
            except ValueError:
                error = _("Counts are whole numbers.")
                break
            counts[value] = (visits, surgeries)
        day_text = request.POST.get("day", "")
        try:
            from datetime import date

            day = date.fromisoformat(day_text) if day_text else today
        except ValueError:
            error = _("The day is not a date.")
            day = today
        if not error:
            try:
                svc.record_outpatients(_scope(request), facility, day, counts)
            except HaucanError as exc:
                error = exc.message
        if error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Outpatient counts saved."))
            return redirect(reverse("medical:board", args=[facility.uid]))
    return render(
        request,
        "medical/outpatients.html",
        {"facility": facility, "categories": PatientCategory.choices, "today": today},
    )


@requires(Action.ENTER, Domain.MEDICAL)
def import_episodes(request: HttpRequest, uid: str) -> HttpResponse:
    facility = _care_facility(request, uid)
    errors = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose an .xlsx file."))
        elif upload.size and upload.size > 10 * 1024 * 1024:
            messages.error(request, _("The file is larger than 10 MB."))
        else:
            try:
                summary = importing.import_episodes(_scope(request), facility, upload.read())
            except importing.ImportRejected as exc:
                errors = exc.errors
                messages.error(request, exc.message)
            except HaucanError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("Imported %(a)s admissions and %(d)s discharges.")
                    % {"a": summary.admitted, "d": summary.discharged},
                )
                return redirect(reverse("medical:board", args=[facility.uid]))
    return render(
        request,
        "medical/import.html",
        {"facility": facility, "errors": errors},
        status=400 if errors else 200,
    )


@requires(Action.ENTER, Domain.MEDICAL)
@require_GET
def import_template(request: HttpRequest, uid: str) -> HttpResponse:
    _care_facility(request, uid)
    response = HttpResponse(
        importing.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="mau_nhap_dot_dieu_tri.xlsx"'
    return response


@requires(Action.ENTER, Domain.MEDICAL, json=True)
@require_GET
def icd_search(request: HttpRequest) -> JsonResponse:
    found = icd10.search(request.GET.get("q", ""))
    return JsonResponse(
        {"codes": [{"code": c.code, "name": c.name, "chapter": c.chapter} for c in found]},
        json_dumps_params={"ensure_ascii": False},
    )
