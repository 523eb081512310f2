"""Admission, transfer and discharge: the rules, the refusals (nothing saved), the care chain and
the report values they publish."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from haucan.audit.models import AuditEvent
from haucan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haucan.core.periods import PeriodType, period_of
from haucan.medical.models import BedPolicy, Episode, Patient
from haucan.medical.queries import list_present, treatment_report
from haucan.medical.services.episodes import (
    PatientInput,
    admit,
    discharge,
    move,
    record_outpatients,
)
from haucan.medical.services.facilities import set_beds
from haucan.medical.tests.conftest import MedicalWorld, at, days_ago
from haucan.reporting.models import DataValue, Origin


def person(code: str = "BN001", **kw: Any) -> PatientInput:
    base: dict[str, Any] = {"full_name": "Nguyễn Văn Hùng", "category": "nco_soldier"}
    base.update(kw)
    return PatientInput(code=code, **base)


def values(med: MedicalWorld, day: Any) -> dict[tuple[str, str], float | None]:
    pid = period_of(day, PeriodType.DAILY).id
    rows = DataValue.objects.filter(unit=med.hospital.unit, period=pid, deleted=False).values_list(
        "data_element__code", "category_option_combo__code", "numeric_value", "origin", "source"
    )
    out = {}
    for de, coc, number, origin, source in rows:
        assert origin == Origin.SOURCE and source == "medical"
        out[(de, coc)] = number
    return out


def test_admission_publishes_the_daily_form(med: MedicalWorld) -> None:
    scope = med.scope("clerk_h")
    today = timezone.localdate()
    result = admit(
        scope,
        med.hospital,
        patient=person(),
        department="NOI",
        admitted_at=at(today, 0, 1),
        icd10_code="j189",
        emergency=True,
    )
    assert result.warnings == []
    ep = result.episode
    assert (ep.icd10, ep.icd_chapter, ep.admit_day) == ("J18.9", "X", today)
    v = values(med, today)
    assert v[("DTN_THU_DUNG", "BN_QUAN_NHAN")] == 1
    assert v[("DTN_DANG_DIEU_TRI", "BN_QUAN_NHAN")] == 1
    assert v[("DTN_DANG_DIEU_TRI", "BN_BHYT")] == 0  # zero is significant for the census
    assert v[("DTN_CAP_CUU", "default")] == 1
    assert v[("DTN_GIUONG_KE_HOACH", "default")] == 15
    assert v[("DTN_GIUONG_THUC_KE", "default")] == 17
    assert AuditEvent.objects.filter(action="medical.admit").count() == 1

    discharge(
        scope,
        med.hospital,
        ep.uid,
        discharged_at=min(timezone.now(), at(today, 0, 2) + timedelta(hours=1)),
        kind="died",
    )
    v = values(med, today)
    assert v[("DTN_TU_VONG", "default")] == 1
    assert v[("DTN_DANG_DIEU_TRI", "BN_QUAN_NHAN")] == 0
    assert ("DTN_RA_VIEN", "BN_QUAN_NHAN") not in v  # a death is not a discharge home
    ep.refresh_from_db()
    assert ep.died_within_24h and ep.outcome == "died"


def test_report_values_equal_the_episodes_over_a_week(med: MedicalWorld) -> None:
    scope = med.scope("clerk_h")
    start = days_ago(6)
    plan = [  # (days ago admitted, days ago discharged or None, category, kind)
        (6, 4, "officer", "home"),
        (6, None, "insured", ""),
        (5, 5, "civilian", "home"),
        (4, 1, "nco_soldier", "transfer"),
        (3, None, "defence_worker", ""),
        (2, 0, "nco_soldier", "home"),
    ]
    for i, (a, d, cat, kind) in enumerate(plan):
        ep = admit(
            scope,
            med.hospital,
            patient=person(f"P{i}", category=cat),
            department="NOI",
            admitted_at=at(days_ago(a), 7),
            icd10_code="A09",
        ).episode
        if d is not None:
            discharge(
                scope,
                med.hospital,
                ep.uid,
                discharged_at=min(at(days_ago(d), 7, 30), timezone.now()),
                kind=kind,
                outcome="" if kind == "died" else "improved",
                destination="Bệnh viện TWQĐ 108" if kind == "transfer" else "",
            )
    episodes = list(Episode.objects.filter(facility=med.hospital))
    for offset in range(6, -1, -1):
        day = days_ago(offset)
        v = values(med, day)
        present = sum(
            1
            for e in episodes
            if e.admit_day <= day and (e.discharge_day is None or e.discharge_day > day)
        )
        admitted = sum(1 for e in episodes if e.admit_day == day)
        assert sum(n or 0 for (de, _c), n in v.items() if de == "DTN_DANG_DIEU_TRI") == present
        assert sum(n or 0 for (de, _c), n in v.items() if de == "DTN_THU_DUNG") == admitted
    # the month report from the same episodes
    report = treatment_report(med.hospital, start, timezone.localdate())
    assert report.figures.discharged == 4
    assert report.figures.transferred == 1
    assert report.figures.present_at_end == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"icd10_code": "X99.99"}, "icd10"),
        ({"icd10_code": "J09-J18"}, "icd10"),  # a block, not a code
        ({"department": "KHONG"}, "department"),
        ({"admitted_at": timezone.now() + timedelta(days=1)}, "admission"),
        ({"patient": person(category="general")}, "category"),
        ({"patient": person(personal_id="123")}, "personal_id"),
    ],
)
def test_bad_admissions_are_refused_and_nothing_is_saved(
    med: MedicalWorld,
    kwargs: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    args: dict[str, Any] = {
        "patient": person(),
        "department": "NOI",
        "admitted_at": timezone.now() - timedelta(hours=1),
        "icd10_code": "J18.9",
    }
    args.update(kwargs)
    with pytest.raises(ValidationFailed) as exc:
        admit(med.scope("clerk_h"), med.hospital, **args)
    assert exc.value.field == field
    assert not Episode.objects.exists() and not Patient.objects.exists()
    assert not DataValue.objects.exists()


def test_overlapping_stays_of_one_patient_are_refused(med: MedicalWorld) -> None:
    scope = med.scope("clerk_h")
    first = admit(
        scope,
        med.hospital,
        patient=person(),
        department="NOI",
        admitted_at=at(days_ago(5)),
        icd10_code="J18.9",
    ).episode
    with pytest.raises(ValidationFailed, match="already has a stay"):
        admit(
            scope,
            med.hospital,
            patient=person(),
            department="NGOAI",
            admitted_at=at(days_ago(2)),
            icd10_code="S82.2",
        )
    discharge(
        scope, med.hospital, first.uid, discharged_at=at(days_ago(3)), kind="home", outcome="cured"
    )
    # a stay that began before the last one ended still overlaps it
    with pytest.raises(ValidationFailed, match="already has a stay"):
        admit(
            scope,
            med.hospital,
            patient=person(),
            department="NOI",
            admitted_at=at(days_ago(4)),
            icd10_code="J18.9",
        )
    admit(
        scope,
        med.hospital,
        patient=person(),
        department="NOI",
        admitted_at=at(days_ago(2)),
        icd10_code="J18.9",
    )
    assert Episode.objects.count() == 2


def test_discharge_before_admission_is_refused(med: MedicalWorld) -> None:
    scope = med.scope("clerk_h")
    ep = admit(
        scope,
        med.hospital,
        patient=person(),
        department="NOI",
        admitted_at=at(days_ago(2)),
        icd10_code="J18.9",
    ).episode
    with pytest.raises(ValidationFailed, match="before the admission") as exc:
        discharge(
            scope, med.hospital, ep.uid, discharged_at=at(days_ago(3)), kind="home", outcome="cured"
        )
    assert exc.value.field == "discharged_at"
    ep.refresh_from_db()
    assert ep.discharged_at is None
    with pytest.raises(ValidationFailed, match="Name the facility"):
        discharge(
            scope,
            med.hospital,
            ep.uid,
            discharged_at=at(days_ago(1)),
            kind="transfer",
            outcome="unchanged",
        )
    with pytest.raises(ValidationFailed, match="outcome"):
        discharge(scope, med.hospital, ep.uid, discharged_at=at(days_ago(1)), kind="home")
    discharge(
        scope, med.hospital, ep.uid, discharged_at=at(days_ago(1)), kind="home", outcome="cured"
    )
    with pytest.raises(Conflict):
        discharge(
            scope, med.hospital, ep.uid, discharged_at=at(days_ago(1)), kind="home", outcome="cured"
        )


def test_full_department_warns_or_refuses_by_the_hospitals_setting(med: MedicalWorld) -> None:
    scope = med.scope("clerk_h")
    for i in range(5):  # Khoa Ngoại has 5 set-up beds
        admit(
            scope,
            med.hospital,
            patient=person(f"S{i}"),
            department="NGOAI",
            admitted_at=at(days_ago(1)),
            icd10_code="S82.2",
        )
    result = admit(
        scope,
        med.hospital,
        patient=person("S5"),
        department="NGOAI",
        admitted_at=at(days_ago(1)),
        icd10_code="S82.2",
    )
    assert result.warnings and "no free set-up bed" in result.warnings[0]
    med.hospital.bed_policy = BedPolicy.REFUSE
    med.hospital.save()
    with pytest.raises(ValidationFailed, match="no free set-up bed"):
        admit(
            scope,
            med.hospital,
            patient=person("S6"),
            department="NGOAI",
            admitted_at=at(days_ago(1)),
            icd10_code="S82.2",
        )
    assert Episode.objects.count() == 6


def test_negative_counts_are_refused(med: MedicalWorld) -> None:
    scope = med.scope("clerk_h")
    with pytest.raises(ValidationFailed, match="negative"):
        record_outpatients(scope, med.hospital, days_ago(0), {"officer": (3, -1)})
    with pytest.raises(ValidationFailed, match="negative"):
        set_beds(scope, med.internal, planned=-1, set_up=2, valid_from=days_ago(0))
    record_outpatients(scope, med.hospital, days_ago(0), {"officer": (30, 2), "insured": (10, 1)})
    assert values(med, days_ago(0))[("DTN_PHAU_THUAT", "default")] == 3


def test_bed_change_recomputes_from_its_day_and_keeps_the_past(med: MedicalWorld) -> None:
    scope = med.scope("clerk_h")
    admit(
        scope,
        med.hospital,
        patient=person(),
        department="NOI",
        admitted_at=at(days_ago(3)),
        icd10_code="J18.9",
    )
    set_beds(scope, med.internal, planned=30, set_up=32, valid_from=days_ago(1))
    assert values(med, days_ago(2))[("DTN_GIUONG_KE_HOACH", "default")] == 15
    assert values(med, days_ago(1))[("DTN_GIUONG_KE_HOACH", "default")] == 35
    assert values(med, days_ago(0))[("DTN_GIUONG_THUC_KE", "default")] == 37


def test_internal_transfer_moves_the_patient(med: MedicalWorld) -> None:
    scope = med.scope("clerk_h")
    ep = admit(
        scope,
        med.hospital,
        patient=person(),
        department="NOI",
        admitted_at=at(days_ago(4)),
        icd10_code="K35.8",
    ).episode
    move(scope, med.hospital, ep.uid, to="NGOAI", moved_at=at(days_ago(2)))
    with pytest.raises(ValidationFailed):
        move(scope, med.hospital, ep.uid, to="NOI", moved_at=at(days_ago(3)))
    report = treatment_report(med.hospital, days_ago(4), days_ago(0))
    by_code = {d.department.code: d.inpatient_days for d in report.departments}
    assert by_code == {"NOI": 2, "NGOAI": 3}  # days 4 and 3 ago in Nội; 2, 1 and 0 ago in Ngoại


def test_a_clerk_of_one_hospital_cannot_see_or_touch_anothers_patients(med: MedicalWorld) -> None:
    mine = admit(
        med.scope("clerk_h"),
        med.hospital,
        patient=person(),
        department="NOI",
        admitted_at=at(days_ago(1)),
        icd10_code="J18.9",
    ).episode
    outsider = med.scope("clerk_h2")
    with pytest.raises(NotFound):
        list_present(outsider, med.hospital)
    with pytest.raises(NotFound):
        discharge(
            outsider,
            med.hospital,
            mine.uid,
            discharged_at=timezone.now(),
            kind="home",
            outcome="cured",
        )
    with pytest.raises(NotFound):
        admit(
            outsider,
            med.hospital,
            patient=person("X1"),
            department="NOI",
            admitted_at=at(days_ago(1)),
            icd10_code="J18.9",
        )
    # a regiment clerk (outside the hospital's subtree) neither
    with pytest.raises(NotFound):
        list_present(med.scope("clerk_a"), med.hospital)
    # the division commander and the specialist see counts, never names
    with pytest.raises((NotFound, PermissionDenied)):
        list_present(med.scope("commander"), med.hospital)
    # the hospital's own clerk sees them, and the read is audited
    seen = list_present(med.scope("clerk_h"), med.hospital)
    assert [e.key for e in seen] == [mine.key]
    event = AuditEvent.objects.filter(action="medical.patient_read").get()
    assert event.detail["episodes"] == [mine.key] and event.actor == "clerk_h"


def test_forms_stay_open_to_hand_entry_where_the_source_does_not_write(med: MedicalWorld) -> None:
    from haucan.reporting.services.values import CellInput, resolve_target, save_values

    scope = med.scope("clerk_a")  # Trung đoàn 1's clerk: the regiment's infirmary is in scope
    admit(
        scope,
        med.infirmary,
        patient=person(),
        department="BX",
        admitted_at=at(days_ago(1)),
        icd10_code="J06.9",
    )
    month = period_of(days_ago(1), PeriodType.MONTHLY).id
    computed = DataValue.objects.filter(unit=med.infirmary.unit, period=month, deleted=False)
    assert computed.filter(data_element__code="BX_DIEU_TRI", source="medical").exists()
    # the note of the same monthly form is still typed by hand
    target = resolve_target(scope, med.forms["QY_BENH_XA_THANG"], med.infirmary.unit, month)
    save_values(scope, target, [CellInput("BX_GHI_CHU", "Đủ thuốc thiết yếu.")])
    assert computed.get(data_element__code="BX_GHI_CHU").origin != Origin.SOURCE
    # a facility without episode reporting publishes nothing: its forms are filled by hand
    med.other_hospital.publishes_reports = False
    med.other_hospital.save()
    admit(
        med.scope("clerk_h2"),
        med.other_hospital,
        patient=person("H2"),
        department="NOI",
        admitted_at=at(days_ago(0)),
        icd10_code="I10",
    )
    assert not DataValue.objects.filter(unit=med.other_hospital.unit).exists()
