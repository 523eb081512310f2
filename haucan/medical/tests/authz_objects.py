"""Military medicine in the authorization matrix (haucan/web/tests/test_authorization_matrix.py).

An infirmary in each regiment with a ward, one patient in a stay, a case report and an outbreak,
all made through the module's services. The counts (boards, reports) follow VIEW in medical for
units in the scope: the regiment's clerk, the commander above both, the administrator. The
patients follow the care chain (ADR 0050): only who may ENTER medical data at the facility (its
clerk, the administrator) ever reads a patient's name; the commander sees counts, never names.
The test world's specialist works in petroleum: refused by every declaration here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from haucan.core.scope import Scope
from haucan.medical.models import (
    CaseReport,
    Department,
    Episode,
    EpisodeMove,
    Facility,
    Outbreak,
    OutbreakDay,
    OutpatientCount,
    Patient,
    Tier,
)
from haucan.medical.services import epidemic
from haucan.medical.services import episodes as svc
from haucan.medical.services.facilities import add_department, register_facility
from haucan.org.models import UnitKind
from haucan.org.services import UnitSpec, create_unit
from haucan.testing import World
from haucan.web.tests.authz import EVERYONE, SEES_A, SEES_B, Case, Finer, Objects

# The care chain of each infirmary: its regiment's clerk, and the administrator (ENTER in every
# domain, army-wide). Not the commander (VIEW only), not the petroleum specialist.
CARE = {"a": frozenset({"clerk_a", "admin"}), "b": frozenset({"clerk_b", "admin"})}
PATIENT = {"a": "Đinh Thị Mật-A", "b": "Đinh Văn Mật-B"}

PARAM_KINDS: dict[tuple[str, str], str] = {
    ("f", "uid"): "facility",
    ("facilities", "uid"): "facility",
    ("episode", "ep"): "episode",
    ("episodes", "key"): "episode_key",
    ("cases", "uid"): "case_report",
    ("outbreaks", "uid"): "outbreak",
    ("unit", "unit_uid"): "facility_unit",
}


def build(world: World, objects: Objects) -> None:
    system = Scope.system("authorization matrix: medical")
    yesterday = timezone.localdate() - timedelta(days=1)
    admitted = timezone.make_aware(datetime.combine(yesterday, datetime.min.time())) + timedelta(
        hours=8
    )
    made: dict[str, list[str]] = {}
    for owner, regiment in (("a", world.regiment_a), ("b", world.regiment_b)):
        unit = create_unit(
            system,
            spec=UnitSpec(
                name=f"Bệnh xá {regiment.name}",
                code=f"{regiment.code}-BX",
                kind=UnitKind.INFIRMARY,
            ),
            parent=regiment,
            opened_on=date(2020, 1, 1),
        )
        facility = register_facility(system, unit, tier=Tier.REGIMENT_INFIRMARY)
        add_department(
            system,
            facility,
            code="BX",
            name="Buồng bệnh",
            planned=4,
            set_up=4,
            valid_from=date(2020, 1, 1),
        )
        add_department(
            system,
            facility,
            code="CC",
            name="Cấp cứu",
            planned=2,
            set_up=2,
            valid_from=date(2020, 1, 1),
        )
        stay = svc.admit(
            system,
            facility,
            patient=svc.PatientInput(
                code=f"BN-MX-{owner}", full_name=PATIENT[owner], category="nco_soldier"
            ),
            department="BX",
            admitted_at=admitted,
            icd10_code="J18.9",
            key=f"LK-MX-{owner}",
        ).episode
        case = epidemic.report_case(
            system,
            regiment,
            disease="DENGUE",
            onset_on=yesterday,
            patient_name=PATIENT[owner],
        )
        outbreak = epidemic.open_outbreak(
            system, regiment, disease="DENGUE", started_on=yesterday, place="Doanh trại"
        )
        made[owner] = [facility.uid, stay.uid, stay.key, case.uid, outbreak.uid, unit.uid]
        # The patient's name and code are the care chain's alone (the case report carries
        # the same name: its page and the medical home must not show it to the commander).
        objects.secret(PATIENT[owner], CARE[owner])
        objects.secret(stay.patient.code, CARE[owner])
    c = objects.cases
    # Moments for the writes' bodies: after the stays' admission, not in the future.
    now = timezone.localtime() - timedelta(minutes=1)
    c["now"] = [Case("now", now.strftime("%Y-%m-%dT%H:%M"), "", EVERYONE)]
    c["today"] = [Case("today", now.strftime("%d/%m/%Y"), "", EVERYONE)]
    kinds = ("facility", "episode", "episode_key", "case_report", "outbreak", "facility_unit")
    for i, kind in enumerate(kinds):
        c[kind] = [
            Case(kind, made["a"][i], "a", SEES_A, "medical"),
            Case(kind, made["b"][i], "b", SEES_B, "medical"),
        ]


def _enter(scope: Scope, target: Any) -> bool:
    from haucan.core.scope import Action, Domain

    return scope.can(Action.ENTER, Domain.MEDICAL)


FINER: dict[str, Finer] = {
    # The outbreak page shows to VIEW; its day counts and its end need ENTER.
    "medical:outbreak": Finer(_enter, writes=True),
}

BODIES: dict[str, str] = {
    "medical:admit": (
        "patient_code=BN-NEW&full_name=Người Mới&category=officer&sex=1&department=BX"
        "&admitted_at=2024-06-01T08:00&icd10=J18.9"
    ),
    "medical:discharge": "discharged_at={now}&kind=home&outcome=cured",
    "medical:move": "to=CC&moved_at={now}",
    "medical:outpatients": "visits_officer=3&surgeries_officer=0",
    "medical:import": "",
    "medical:case_new": "unit={unit_code}&disease=DENGUE&onset_on=01/06/2024",
    "medical:outbreak_new": "unit={unit_code}&disease=DENGUE&started_on=01/06/2024",
    "medical:outbreak": "day={today}&new_cases=2&hospitalised=0&deaths=0",
    # The API's writes, as JSON.
    "api:post_case": '{"unit_code": "{unit_code}", "disease": "DENGUE", "onset_on": "2024-06-01"}',
    "api:post_admission": (
        '{"key": "LK-NEW", "patient": {"code": "BN-API", "full_name": "Người API",'
        ' "category": "officer"}, "department": "BX", "admitted_at": "2024-06-01T08:00:00",'
        ' "icd10": "J18.9"}'
    ),
    "api:post_discharge": ('{"discharged_at": "{now}:00", "kind": "home", "outcome": "cured"}'),
    "api:post_move": '{"to": "CC", "moved_at": "{now}:00"}',
}

# The case and outbreak forms answer another regiment's unit code with a field error.
FORM_ERRORS = {"medical:case_new", "medical:outbreak_new"}

QUERIES: dict[str, list[str]] = {
    "medical:patients": ["q=Mật"],
    "medical:report": ["period=2024"],
}

COUNTED: list[Any] = [
    Facility,
    Department,
    Patient,
    Episode,
    Episode.objects.filter(discharged_at__isnull=False),
    EpisodeMove,
    OutpatientCount,
    CaseReport,
    Outbreak,
    OutbreakDay,
]
