"""Case reports and outbreaks (TT 54/2015/TT-BYT).

A group-A case raises an immediate critical alert for the unit (the alerts app routes it up the
unit's chain and to the medical specialists); an active outbreak is a warning (critical for a
group-A disease) until it is declared over.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haucan.alerts.models import Severity
from haucan.alerts.services import clear_event, raise_event
from haucan.audit import services as audit
from haucan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.medical.diseases import BY_CODE, Disease
from haucan.medical.models import CaseReport, Outbreak, OutbreakDay
from haucan.org.models import Unit

GROUP_A_CODE = "medical.group_a_case"
OUTBREAK_CODE = "medical.outbreak"


def _require(scope: Scope, unit: Unit) -> None:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    if not scope.can(Action.ENTER, Domain.MEDICAL):
        raise PermissionDenied(_("You may not report for this unit."))


def _disease(code: str) -> Disease:
    if not (code or "").strip():
        raise ValidationFailed(_("Choose the disease of the case."), field="disease")
    found = BY_CODE.get(code.strip().upper())
    if found is None:
        raise ValidationFailed(
            _("'%(code)s' is not a notifiable disease.") % {"code": code}, field="disease"
        )
    return found


def _link(name: str, uid: str) -> str:
    from django.urls import reverse

    return reverse(f"medical:{name}", args=[uid])


def report_case(
    scope: Scope,
    unit: Unit,
    *,
    disease: str,
    onset_on: date,
    patient_name: str = "",
    hospitalised: bool = False,
    outbreak: Outbreak | None = None,
    note: str = "",
    reported_at: datetime | None = None,
) -> CaseReport:
    _require(scope, unit)
    found = _disease(disease)
    if onset_on > timezone.localdate():
        raise ValidationFailed(_("The onset day is in the future."), field="onset_on")
    if outbreak is not None and outbreak.disease != found.code:
        raise ValidationFailed(_("The outbreak is of another disease."), field="outbreak")
    with transaction.atomic():
        case = CaseReport.objects.create(
            unit=unit,
            disease=found.code,
            group=found.group,
            onset_on=onset_on,
            reported_at=reported_at or timezone.now(),
            patient_name=patient_name.strip(),
            hospitalised=hospitalised,
            outbreak=outbreak,
            note=note.strip(),
            reported_by=scope.username,
        )
        audit.record(scope, "medical.case", case, {"disease": found.code, "group": found.group})
        if found.group == "A":
            raise_event(
                scope,
                code=GROUP_A_CODE,
                domain=Domain.MEDICAL,
                unit=unit,
                severity=Severity.CRITICAL,
                message=gettext_lazy(
                    "Group-A communicable disease: a case of %(disease)s at %(unit)s "
                    "(onset %(onset)s); report within 24 hours and isolate."
                ),
                params={
                    "disease": found.name,
                    "unit": unit.name,
                    "onset": onset_on.strftime("%d/%m/%Y"),
                },
                values={"disease": found.code, "group": found.group},
                key=f"case:{case.uid}",
                link=_link("case", case.uid),
            )
    return case


def open_outbreak(
    scope: Scope, unit: Unit, *, disease: str, started_on: date, place: str = "", measures: str = ""
) -> Outbreak:
    _require(scope, unit)
    found = _disease(disease)
    if started_on > timezone.localdate():
        raise ValidationFailed(_("The start day is in the future."), field="started_on")
    with transaction.atomic():
        outbreak = Outbreak.objects.create(
            unit=unit,
            disease=found.code,
            started_on=started_on,
            place=place.strip(),
            measures=measures.strip(),
        )
        audit.record(scope, "medical.outbreak_open", outbreak, {"disease": found.code})
        raise_event(
            scope,
            code=OUTBREAK_CODE,
            domain=Domain.MEDICAL,
            unit=unit,
            severity=Severity.CRITICAL if found.group == "A" else Severity.WARNING,
            message=gettext_lazy("Active outbreak of %(disease)s at %(unit)s since %(day)s."),
            params={
                "disease": found.name,
                "unit": unit.name,
                "day": started_on.strftime("%d/%m/%Y"),
            },
            values={"disease": found.code},
            key=f"outbreak:{outbreak.uid}",
            link=_link("outbreak", outbreak.uid),
        )
    return outbreak


def get_outbreak(scope: Scope, uid: str) -> Outbreak:
    outbreak = Outbreak.objects.select_related("unit").filter(uid=uid).first()
    if outbreak is None or not scope.covers_path(outbreak.unit.path):
        raise NotFound(_("Outbreak not found."))
    return outbreak


def record_outbreak_day(
    scope: Scope,
    outbreak: Outbreak,
    day: date,
    *,
    new_cases: int,
    hospitalised: int = 0,
    deaths: int = 0,
) -> OutbreakDay:
    _require(scope, outbreak.unit)
    if min(new_cases, hospitalised, deaths) < 0:
        raise ValidationFailed(_("Counts cannot be negative."), field="new_cases")
    if day < outbreak.started_on or day > timezone.localdate():
        raise ValidationFailed(
            _("The day must lie between the outbreak's start and today."), field="day"
        )
    if outbreak.ended_on is not None and day > outbreak.ended_on:
        raise Conflict(_("The outbreak has ended."))
    with transaction.atomic():
        row, _created = OutbreakDay.objects.update_or_create(
            outbreak=outbreak,
            day=day,
            defaults={"new_cases": new_cases, "hospitalised": hospitalised, "deaths": deaths},
        )
        audit.record(
            scope,
            "medical.outbreak_day",
            outbreak,
            {
                "day": day.isoformat(),
                "new": new_cases,
                "hospitalised": hospitalised,
                "deaths": deaths,
            },
        )
    return row


def end_outbreak(scope: Scope, outbreak: Outbreak, ended_on: date) -> Outbreak:
    _require(scope, outbreak.unit)
    if ended_on < outbreak.started_on:
        raise ValidationFailed(_("The outbreak cannot end before it started."), field="ended_on")
    if ended_on > timezone.localdate():
        raise ValidationFailed(_("The end day is in the future."), field="ended_on")
    with transaction.atomic():
        locked = Outbreak.objects.select_for_update().get(pk=outbreak.pk)
        if locked.ended_on is not None:
            raise Conflict(_("The outbreak has already ended."))
        locked.ended_on = ended_on
        locked.save(update_fields=["ended_on"])
        audit.record(scope, "medical.outbreak_end", locked, {"ended_on": ended_on.isoformat()})
        clear_event(scope, code=OUTBREAK_CODE, unit=locked.unit, key=f"outbreak:{locked.uid}")
    return locked
