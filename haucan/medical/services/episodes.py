"""Admissions, internal transfers, discharges and outpatient counts: the hospital's daily work.

Each change checks its input in full before writing, writes the episode, its audit event and the
recomputed report values in one transaction (services/publish.py), so the Operations Room sees the
figures as soon as the transaction commits, and a refused change leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.core.errors import Conflict, NotFound, ValidationFailed
from haucan.core.scope import Scope
from haucan.core.text import fold
from haucan.medical import icd10
from haucan.medical.care import require_care_chain
from haucan.medical.models import (
    BedCount,
    BedPolicy,
    Department,
    DischargeKind,
    EntrySource,
    Episode,
    EpisodeMove,
    Facility,
    Outcome,
    OutpatientCount,
    Patient,
    PatientCategory,
    Sex,
)
from haucan.medical.services.publish import publish_days
from haucan.org.models import Unit

# A clock a few minutes fast on the client is not a "future" admission.
CLOCK_SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class PatientInput:
    code: str
    full_name: str
    category: str
    birth_date: date | None = None
    sex: str = Sex.UNKNOWN
    personal_id: str = ""
    insurance_card: str = ""
    home_unit: Unit | None = None


@dataclass
class AdmitResult:
    episode: Episode
    warnings: list[str] = field(default_factory=list)


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _not_future(moment: datetime, what: str) -> None:
    if moment > timezone.now() + CLOCK_SLACK:
        raise ValidationFailed(
            _("The %(what)s time is in the future.") % {"what": what}, field=what
        )


def check_icd(code: str, field_name: str = "icd10") -> icd10.IcdCode:
    found = icd10.lookup(code or "")
    if found is None:
        raise ValidationFailed(
            _("'%(code)s' is not an ICD-10 code.") % {"code": (code or "").strip()},
            field=field_name,
        )
    return found


def set_up_beds(department: Department, day: date) -> int:
    row = (
        BedCount.objects.filter(department=department, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("set_up", flat=True)
        .first()
    )
    return row or 0


def _upsert_patient(scope: Scope, facility: Facility, data: PatientInput) -> Patient:
    code = data.code.strip()
    name = " ".join(data.full_name.split())
    if not code:
        raise ValidationFailed(_("The patient code is required."), field="patient_code")
    if not name:
        raise ValidationFailed(_("The patient's name is required."), field="full_name")
    if data.category not in PatientCategory.values:
        raise ValidationFailed(_("Choose the patient category."), field="category")
    if data.sex not in Sex.values:
        raise ValidationFailed(_("Unknown sex code."), field="sex")
    personal_id = data.personal_id.strip()
    if personal_id and not (personal_id.isdigit() and len(personal_id) == 12):
        raise ValidationFailed(_("The personal ID number has 12 digits."), field="personal_id")
    patient = Patient.objects.select_for_update().filter(facility=facility, code=code).first()
    if patient is None:
        if (
            personal_id
            and Patient.objects.filter(facility=facility, personal_id=personal_id).exists()
        ):
            raise ValidationFailed(
                _("Another patient of this facility has the personal ID number %(id)s.")
                % {"id": personal_id},
                field="personal_id",
            )
        patient = Patient.objects.create(
            facility=facility,
            code=code,
            full_name=name,
            search_name=fold(name),
            birth_date=data.birth_date,
            sex=data.sex,
            personal_id=personal_id,
            insurance_card=data.insurance_card.strip(),
            category=data.category,
            home_unit=data.home_unit,
        )
        audit.record(scope, "medical.patient", patient, {"created": True})
        return patient
    if personal_id and patient.personal_id and patient.personal_id != personal_id:
        raise ValidationFailed(
            _("The patient %(code)s is on record with another personal ID number.")
            % {"code": code},
            field="personal_id",
        )
    patient.full_name, patient.search_name = name, fold(name)
    patient.category = data.category
    patient.birth_date = data.birth_date or patient.birth_date
    patient.personal_id = personal_id or patient.personal_id
    patient.insurance_card = data.insurance_card.strip() or patient.insurance_card
    patient.home_unit = data.home_unit or patient.home_unit
    if data.sex != Sex.UNKNOWN:
        patient.sex = data.sex
    patient.save()
    return patient


def _department(facility: Facility, department: Department | str) -> Department:
    if isinstance(department, Department):
        if department.facility_id != facility.pk:
            raise NotFound(_("Department not found."))
        return department
    found = Department.objects.filter(
        facility=facility, code=str(department).strip().upper(), active=True
    ).first()
    if found is None:
        raise ValidationFailed(
            _("The facility has no department '%(code)s'.") % {"code": department},
            field="department",
        )
    return found


def admit(
    scope: Scope,
    facility: Facility,
    *,
    patient: PatientInput,
    department: Department | str,
    admitted_at: datetime,
    icd10_code: str,
    emergency: bool = False,
    key: str = "",
    source: str = EntrySource.SCREEN,
    publish: bool = True,
) -> AdmitResult:
    """Admit a patient (thu dung). Refused: an unknown ICD-10 code, a stay overlapping another
    stay of the same patient, a future time, and, where the facility refuses it, a department
    with no free set-up bed (otherwise that is a warning)."""
    require_care_chain(scope, facility)
    admitted_at = _aware(admitted_at)
    _not_future(admitted_at, "admission")
    code = check_icd(icd10_code)
    ward = _department(facility, department)
    warnings: list[str] = []
    try:
        with transaction.atomic():
            person = _upsert_patient(scope, facility, patient)
            # MA_LK when the caller has none: facility, patient and minute of admission.
            key = key.strip() or (
                f"{facility.unit.code}-{person.code}-{timezone.localtime(admitted_at):%Y%m%d%H%M}"
            )
            overlapping = Episode.objects.filter(patient=person).filter(
                Q(discharged_at__isnull=True) | Q(discharged_at__gt=admitted_at)
            )
            if overlapping.exists():
                raise ValidationFailed(
                    _(
                        "The patient %(code)s already has a stay at this time "
                        "(episode %(key)s); discharge it first."
                    )
                    % {"code": person.code, "key": overlapping.first().key},  # type: ignore[union-attr]
                    field="admitted_at",
                )
            day = _local_day(admitted_at)
            beds = set_up_beds(ward, day)
            present = Episode.objects.filter(department=ward, discharge_day__isnull=True).count()
            if present >= beds:
                message = _(
                    "The department %(dept)s has no free set-up bed (%(present)s patients, "
                    "%(beds)s beds)."
                ) % {"dept": ward.name, "present": present, "beds": beds}
                if facility.bed_policy == BedPolicy.REFUSE:
                    raise ValidationFailed(message, field="department")
                warnings.append(message)
            if Episode.objects.filter(facility=facility, key=key).exists():
                raise ValidationFailed(
                    _("The episode key %(key)s is already used.") % {"key": key}, field="key"
                )
            episode = Episode.objects.create(
                facility=facility,
                key=key,
                patient=person,
                category=person.category,
                patient_unit=person.home_unit,
                admitted_at=admitted_at,
                admit_day=day,
                admission_department=ward,
                department=ward,
                icd10=code.code,
                icd_chapter=code.chapter,
                emergency=emergency,
                source=source,
                entered_by=scope.username,
            )
            audit.record(
                scope,
                "medical.admit",
                episode,
                {"key": key, "department": ward.code, "icd10": code.code, "source": source},
            )
            if publish:
                publish_days(scope, facility, day)
    except IntegrityError:  # the same patient admitted at the same moment elsewhere
        raise Conflict(_("The patient was admitted at the same moment; reload.")) from None
    return AdmitResult(episode, warnings)


def get_episode(scope: Scope, facility: Facility, uid: str, *, lock: bool = False) -> Episode:
    require_care_chain(scope, facility)
    qs = Episode.objects.filter(facility=facility, uid=uid)
    if lock:
        qs = qs.select_for_update()
    episode = qs.select_related("patient", "department").first()
    if episode is None:
        raise NotFound(_("Episode not found."))
    return episode


def move(
    scope: Scope, facility: Facility, episode_uid: str, *, to: Department | str, moved_at: datetime
) -> EpisodeMove:
    """An internal transfer to another department of the same facility."""
    moved_at = _aware(moved_at)
    _not_future(moved_at, "transfer")
    with transaction.atomic():
        episode = get_episode(scope, facility, episode_uid, lock=True)
        target = _department(facility, to)
        if not episode.is_open:
            raise Conflict(_("The patient has already been discharged."))
        if target.pk == episode.department_id:
            raise ValidationFailed(_("The patient is already in that department."), field="to")
        last = episode.moves.order_by("-moved_at").values_list("moved_at", flat=True).first()
        if moved_at < (last or episode.admitted_at):
            raise ValidationFailed(
                _("The transfer cannot be before the admission or the previous transfer."),
                field="moved_at",
            )
        row = EpisodeMove.objects.create(
            episode=episode,
            moved_at=moved_at,
            day=_local_day(moved_at),
            from_department_id=episode.department_id,
            to_department=target,
        )
        episode.department = target
        episode.save(update_fields=["department", "updated_at"])
        audit.record(scope, "medical.move", episode, {"to": target.code})
    return row


def discharge(
    scope: Scope,
    facility: Facility,
    episode_uid: str,
    *,
    discharged_at: datetime,
    kind: str,
    outcome: str = "",
    destination: str = "",
    icd10_code: str = "",
    publish: bool = True,
) -> Episode:
    """End a stay: discharged home, transferred to another facility (with its destination) or
    died (deaths within 24 hours of admission flagged)."""
    discharged_at = _aware(discharged_at)
    _not_future(discharged_at, "discharge")
    if kind not in DischargeKind.values:
        raise ValidationFailed(_("Choose how the stay ended."), field="kind")
    if kind == DischargeKind.DIED:
        outcome = Outcome.DIED
    elif outcome not in Outcome.values or outcome == Outcome.DIED:
        raise ValidationFailed(
            _("Choose the treatment outcome (a death is recorded as its own kind of discharge)."),
            field="outcome",
        )
    destination = destination.strip()
    if kind == DischargeKind.TRANSFER and not destination:
        raise ValidationFailed(
            _("Name the facility the patient is transferred to."), field="destination"
        )
    final = check_icd(icd10_code, "discharge_icd10").code if icd10_code.strip() else ""
    with transaction.atomic():
        episode = get_episode(scope, facility, episode_uid, lock=True)
        if not episode.is_open:
            raise Conflict(_("The patient has already been discharged."))
        if discharged_at < episode.admitted_at:
            raise ValidationFailed(
                _("The discharge (%(out)s) is before the admission (%(in)s).")
                % {
                    "out": timezone.localtime(discharged_at).strftime("%d/%m/%Y %H:%M"),
                    "in": timezone.localtime(episode.admitted_at).strftime("%d/%m/%Y %H:%M"),
                },
                field="discharged_at",
            )
        last_move = episode.moves.order_by("-moved_at").values_list("moved_at", flat=True).first()
        if last_move and discharged_at < last_move:
            raise ValidationFailed(
                _("The discharge cannot be before the last internal transfer."),
                field="discharged_at",
            )
        episode.discharged_at = discharged_at
        episode.discharge_day = _local_day(discharged_at)
        episode.discharge_kind = kind
        episode.outcome = outcome
        episode.died_within_24h = kind == DischargeKind.DIED and (
            discharged_at - episode.admitted_at <= timedelta(hours=24)
        )
        episode.transfer_destination = destination if kind == DischargeKind.TRANSFER else ""
        episode.discharge_icd10 = final
        episode.save()
        audit.record(
            scope,
            "medical.discharge",
            episode,
            {"key": episode.key, "kind": kind, "outcome": outcome},
        )
        if publish:
            publish_days(scope, facility, episode.discharge_day)
    return episode


def record_outpatients(
    scope: Scope, facility: Facility, day: date, counts: dict[str, tuple[int, int]]
) -> None:
    """Outpatient visits and surgeries of a day by category: {category: (visits, surgeries)}."""
    require_care_chain(scope, facility)
    if day > timezone.localdate():
        raise ValidationFailed(_("The day is in the future."), field="day")
    for category, (visits, surgeries) in counts.items():
        if category not in PatientCategory.values:
            raise ValidationFailed(_("Choose the patient category."), field="category")
        if visits < 0 or surgeries < 0:
            raise ValidationFailed(
                _("Visits and surgeries cannot be negative."), field=f"{category}"
            )
    with transaction.atomic():
        for category, (visits, surgeries) in counts.items():
            OutpatientCount.objects.update_or_create(
                facility=facility,
                day=day,
                category=category,
                defaults={"visits": visits, "surgeries": surgeries},
            )
        audit.record(
            scope,
            "medical.outpatients",
            facility,
            {"day": day.isoformat(), "counts": {k: list(v) for k, v in counts.items()}},
        )
        publish_days(scope, facility, day, day)
