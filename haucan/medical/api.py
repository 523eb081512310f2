"""/api/v1/medical/…: the API for hospital management systems (OpenAPI at /api/docs).

Episodes are addressed by the facility's uid and the episode key (MA_LK of the insurance XML
tables), so a hospital system posts its own keys and never needs ours. Patient-identifying data
follows the care chain (haucan.medical.care); errors are the platform's JSON WebMessage.
"""

# No `from __future__ import annotations` here: django-ninja reads the handlers' annotations
# through the access decorators' __wrapped__, and needs them as real classes.

from datetime import date, datetime

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Schema

from haucan.core.access import requires
from haucan.core.errors import NotFound, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.exchange import openapi as doc
from haucan.medical import queries
from haucan.medical.care import audit_patient_read, get_facility, require_care_chain
from haucan.medical.models import EntrySource, Episode, Facility
from haucan.medical.services import epidemic
from haucan.medical.services import episodes as svc
from haucan.org.models import Unit

router = Router(tags=["medical"])
# The WebMessage errors each operation may answer, documented as the rest of /api documents them.
_READ = doc.responses({}, errors=doc.READ_ERRORS)
_WRITE = doc.responses({}, errors=doc.WRITE_ERRORS)


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    return scope


class FacilityOut(Schema):
    uid: str
    unit_code: str
    name: str
    tier: str
    planned_beds: int
    set_up_beds: int
    inpatients: int
    free_beds: int
    occupancy_planned: float | None
    admitted_today: int
    discharged_today: int


class DepartmentOut(Schema):
    code: str
    name: str
    planned_beds: int
    set_up_beds: int
    occupied: int
    free: int
    staff_on_duty: int


class BoardOut(Schema):
    facility: str
    day: date
    inpatients: int
    free_beds: int
    admitted: int
    discharged: int
    transferred_out: int
    died: int
    departments: list[DepartmentOut]


class PatientIn(Schema):
    code: str  # MA_BN
    full_name: str  # HO_TEN
    category: str
    birth_date: date | None = None  # NGAY_SINH
    sex: str = "3"  # GIOI_TINH
    personal_id: str = ""  # SO_CCCD
    insurance_card: str = ""  # MA_THE_BHYT
    unit_code: str = ""


class AdmissionIn(Schema):
    key: str  # MA_LK
    patient: PatientIn
    department: str  # MA_KHOA
    admitted_at: datetime  # NGAY_VAO
    icd10: str  # MA_BENH
    emergency: bool = False


class EpisodeOut(Schema):
    uid: str
    key: str
    patient_code: str
    department: str
    admitted_at: datetime
    icd10: str
    discharged_at: datetime | None
    discharge_kind: str
    outcome: str
    died_within_24h: bool
    warnings: list[str] = []


class DischargeIn(Schema):
    discharged_at: datetime  # NGAY_RA
    kind: str  # home | transfer | died | left (MA_LOAI_RV)
    outcome: str = ""  # KET_QUA_DTRI
    destination: str = ""
    icd10: str = ""


class MoveIn(Schema):
    to: str
    moved_at: datetime


class CaseIn(Schema):
    unit_code: str
    disease: str
    onset_on: date
    hospitalised: bool = False
    note: str = ""


class CaseOut(Schema):
    uid: str
    disease: str
    group: str
    alert_raised: bool


def _episode_out(e: Episode, warnings: list[str] | None = None) -> EpisodeOut:
    return EpisodeOut(
        uid=e.uid,
        key=e.key,
        patient_code=e.patient.code,
        department=e.department.code,
        admitted_at=e.admitted_at,
        icd10=e.icd10,
        discharged_at=e.discharged_at,
        discharge_kind=e.discharge_kind,
        outcome=e.outcome,
        died_within_24h=e.died_within_24h,
        warnings=warnings or [],
    )


def _by_key(scope: Scope, facility_uid: str, key: str) -> tuple[Facility, Episode]:
    facility = get_facility(scope, facility_uid)
    require_care_chain(scope, facility)
    episode = Episode.objects.filter(facility=facility, key=key).only("uid").first()
    if episode is None:
        raise NotFound(gettext("Episode not found."))
    return facility, episode


@router.get(
    "/facilities", response=list[FacilityOut], operation_id="medicalFacilities", openapi_extra=_READ
)
@requires(Action.VIEW, Domain.MEDICAL, json=True)
def list_facilities(request: HttpRequest) -> list[FacilityOut]:
    return [
        FacilityOut(
            uid=r.facility.uid,
            unit_code=r.facility.unit.code,
            name=r.facility.unit.name,
            tier=r.facility.tier,
            planned_beds=r.planned,
            set_up_beds=r.set_up,
            inpatients=r.occupied,
            free_beds=r.free,
            occupancy_planned=None if r.occupancy is None else round(r.occupancy, 1),
            admitted_today=r.admitted,
            discharged_today=r.discharged,
        )
        for r in queries.army_board(_scope(request))
    ]


@router.get(
    "/facilities/{uid}/board", response=BoardOut, operation_id="medicalBoard", openapi_extra=_READ
)
@requires(Action.VIEW, Domain.MEDICAL, json=True)
def facility_board(request: HttpRequest, uid: str) -> BoardOut:
    board = queries.board(get_facility(_scope(request), uid))
    return BoardOut(
        facility=uid,
        day=board.today,
        inpatients=board.occupied,
        free_beds=board.free,
        admitted=board.admitted,
        discharged=board.discharged,
        transferred_out=board.transferred_out,
        died=board.died,
        departments=[
            DepartmentOut(
                code=r.department.code,
                name=r.department.name,
                planned_beds=r.planned,
                set_up_beds=r.set_up,
                occupied=r.occupied,
                free=r.free,
                staff_on_duty=sum(r.staff.values()),
            )
            for r in board.departments
        ],
    )


@router.post(
    "/facilities/{uid}/episodes",
    response={201: EpisodeOut},
    operation_id="medicalAdmit",
    openapi_extra=_WRITE,
    summary="Admit a patient (thu dung)",
)
@requires(Action.ENTER, Domain.MEDICAL, json=True)
def post_admission(request: HttpRequest, uid: str, payload: AdmissionIn) -> tuple[int, EpisodeOut]:
    scope = _scope(request)
    facility = get_facility(scope, uid)
    home_unit = None
    if payload.patient.unit_code:
        home_unit = Unit.objects.filter(code=payload.patient.unit_code.strip().upper()).first()
        if home_unit is None:
            raise ValidationFailed(gettext("Unknown unit code."), field="unit_code")
    p = payload.patient
    result = svc.admit(
        scope,
        facility,
        patient=svc.PatientInput(
            code=p.code,
            full_name=p.full_name,
            category=p.category,
            birth_date=p.birth_date,
            sex=p.sex,
            personal_id=p.personal_id,
            insurance_card=p.insurance_card,
            home_unit=home_unit,
        ),
        department=payload.department,
        admitted_at=payload.admitted_at,
        icd10_code=payload.icd10,
        emergency=payload.emergency,
        key=payload.key,
        source=EntrySource.API,
    )
    return 201, _episode_out(result.episode, result.warnings)


@router.get(
    "/facilities/{uid}/episodes/{key}",
    response=EpisodeOut,
    operation_id="medicalEpisode",
    openapi_extra=_READ,
)
@requires(Action.ENTER, Domain.MEDICAL, json=True)
def get_episode(request: HttpRequest, uid: str, key: str) -> EpisodeOut:
    scope = _scope(request)
    facility, found = _by_key(scope, uid, key)
    episode = svc.get_episode(scope, facility, found.uid)
    audit_patient_read(scope, facility, "api", [episode.key])
    return _episode_out(episode)


@router.post(
    "/facilities/{uid}/episodes/{key}/discharge",
    response=EpisodeOut,
    operation_id="medicalDischarge",
    openapi_extra=_WRITE,
)
@requires(Action.ENTER, Domain.MEDICAL, json=True)
def post_discharge(request: HttpRequest, uid: str, key: str, payload: DischargeIn) -> EpisodeOut:
    scope = _scope(request)
    facility, found = _by_key(scope, uid, key)
    episode = svc.discharge(
        scope,
        facility,
        found.uid,
        discharged_at=payload.discharged_at,
        kind=payload.kind,
        outcome=payload.outcome,
        destination=payload.destination,
        icd10_code=payload.icd10,
    )
    return _episode_out(episode)


@router.post(
    "/facilities/{uid}/episodes/{key}/moves",
    response=EpisodeOut,
    operation_id="medicalMove",
    openapi_extra=_WRITE,
)
@requires(Action.ENTER, Domain.MEDICAL, json=True)
def post_move(request: HttpRequest, uid: str, key: str, payload: MoveIn) -> EpisodeOut:
    scope = _scope(request)
    facility, found = _by_key(scope, uid, key)
    svc.move(scope, facility, found.uid, to=payload.to, moved_at=payload.moved_at)
    return _episode_out(svc.get_episode(scope, facility, found.uid))


@router.post(
    "/case-reports", response={201: CaseOut}, operation_id="medicalCaseReport", openapi_extra=_WRITE
)
@requires(Action.ENTER, Domain.MEDICAL, json=True)
def post_case(request: HttpRequest, payload: CaseIn) -> tuple[int, CaseOut]:
    scope = _scope(request)
    unit = Unit.objects.filter(code=payload.unit_code.strip().upper()).first()
    if unit is None or not scope.covers_path(unit.path):
        raise NotFound(gettext("Unit not found."))
    case = epidemic.report_case(
        scope,
        unit,
        disease=payload.disease,
        onset_on=payload.onset_on,
        hospitalised=payload.hospitalised,
        note=payload.note,
    )
    return 201, CaseOut(
        uid=case.uid, disease=case.disease, group=case.group, alert_raised=case.group == "A"
    )
