"""The medical test world: two hospitals and an infirmary on top of the shared test world, their
clerks, and the demo catalog's medical forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from haucan.accounts.models import User
from haucan.accounts.queries import resolve_scope
from haucan.accounts.services import assign, create_user
from haucan.catalog.models import DataSet
from haucan.core.scope import Domain, Scope
from haucan.demo.catalog import load_catalog, read_catalog
from haucan.medical.models import Department, Facility, Tier
from haucan.medical.services.facilities import add_department, register_facility
from haucan.org.models import Unit, UnitKind
from haucan.org.services import UnitSpec, create_unit
from haucan.testing import PASSWORD, World

MEDICAL_FORMS = {
    "QY_THU_DUNG_NGAY",
    "QY_BENH_XA_THANG",
    "QY_VE_SINH_PHONG_DICH",
    "QY_THUOC_VTYT_QUY",
}
BEDS_FROM = date(2020, 1, 1)


def medical_catalog() -> dict[str, DataSet]:
    doc = read_catalog()
    forms = [d for d in doc["dataSets"] if d["code"] in MEDICAL_FORMS]
    codes = {c for d in forms for s in d.get("sections", []) for c in s["dataElements"]}
    subset: dict[str, Any] = {
        **doc,
        "dataSets": forms,
        "dataElements": [e for e in doc["dataElements"] if e["code"] in codes],
        "indicators": [],
        "validationRules": [],
        "normSets": [],
    }
    load_catalog(Scope.system("test"), subset)
    return {ds.code: ds for ds in DataSet.objects.filter(code__in=MEDICAL_FORMS)}


@dataclass
class MedicalWorld:
    world: World
    hospital: Facility
    other_hospital: Facility
    infirmary: Facility
    internal: Department  # 10 planned, 12 set-up beds
    surgery: Department  # 5 planned, 5 set-up beds
    other_ward: Department
    infirmary_ward: Department  # 4 beds
    clerk_h: User
    clerk_h2: User
    forms: dict[str, DataSet]

    def scope(self, name: str) -> Scope:
        users = {"clerk_h": self.clerk_h, "clerk_h2": self.clerk_h2}
        user = users.get(name) or self.world.user(name)
        return resolve_scope(user)


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """That local time, or a minute ago when it is still to come today (tests run at night)."""
    moment = timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))
    return min(moment, timezone.now() - timedelta(minutes=1))


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)


@pytest.fixture
def med(world: World) -> MedicalWorld:
    system = Scope.system("test")

    def unit(name: str, code: str, parent: Unit, kind: str) -> Unit:
        return create_unit(
            system,
            spec=UnitSpec(name=name, code=code, kind=kind),
            parent=parent,
            opened_on=BEDS_FROM,
        )

    h1 = unit("Bệnh viện Quân y A", "QK4-BVA", world.region, UnitKind.HOSPITAL)
    h2 = unit("Bệnh viện Quân y B", "QK4-BVB", world.region, UnitKind.HOSPITAL)
    bx = unit("Bệnh xá Trung đoàn 1", "F324-E1-BX", world.regiment_a, UnitKind.INFIRMARY)
    forms = medical_catalog()
    forms["QY_THU_DUNG_NGAY"].units.add(h1, h2)
    forms["QY_BENH_XA_THANG"].units.add(bx)
    forms["QY_THUOC_VTYT_QUY"].units.add(h1, h2, bx)
    hospital = register_facility(system, h1, tier=Tier.REGION_HOSPITAL)
    other = register_facility(system, h2, tier=Tier.REGION_HOSPITAL)
    infirmary = register_facility(system, bx, tier=Tier.REGIMENT_INFIRMARY)
    internal = add_department(
        system, hospital, code="NOI", name="Khoa Nội", planned=10, set_up=12, valid_from=BEDS_FROM
    )
    surgery = add_department(
        system, hospital, code="NGOAI", name="Khoa Ngoại", planned=5, set_up=5, valid_from=BEDS_FROM
    )
    other_ward = add_department(
        system, other, code="NOI", name="Khoa Nội", planned=20, set_up=20, valid_from=BEDS_FROM
    )
    infirmary_ward = add_department(
        system, infirmary, code="BX", name="Buồng bệnh", planned=4, set_up=4, valid_from=BEDS_FROM
    )

    def clerk(name: str, unit: Unit) -> User:
        user = create_user(
            system, username=name, password=PASSWORD, full_name=name, check_password=False
        )
        assign(system, user, unit, "clerk", Domain.MEDICAL)
        return user

    return MedicalWorld(
        world,
        hospital,
        other,
        infirmary,
        internal,
        surgery,
        other_ward,
        infirmary_ward,
        clerk("clerk_h", h1),
        clerk("clerk_h2", h2),
        forms,
    )
