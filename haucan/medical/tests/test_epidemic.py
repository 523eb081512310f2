"""Case reports and outbreaks: the group-A alert path, refusals, scope."""

from __future__ import annotations

import pytest
from django.utils import timezone

from haucan.alerts.models import Alert, AlertStatus
from haucan.core.errors import NotFound, ValidationFailed
from haucan.medical.models import CaseReport, Outbreak
from haucan.medical.services.epidemic import (
    end_outbreak,
    open_outbreak,
    record_outbreak_day,
    report_case,
)
from haucan.medical.tests.conftest import MedicalWorld, days_ago


def test_a_group_a_case_raises_a_critical_alert_for_the_units_chain(med: MedicalWorld) -> None:
    unit = med.world.battalion_a
    case = report_case(
        med.scope("clerk_a"), unit, disease="cholera", onset_on=days_ago(1), hospitalised=True
    )
    alert = Alert.objects.get(code="medical.group_a_case")
    assert alert.severity == "critical" and alert.domain == "medical"
    assert alert.unit == unit and alert.key == f"case:{case.uid}"
    assert "Tả" in alert.message and alert.status == AlertStatus.OPEN
    assert alert.link == f"/medical/cases/{case.uid}/"
    # the commander of the division sees it: it is in the division's subtree
    assert med.scope("commander").covers_path(alert.unit.path)


def test_a_group_b_case_raises_no_alert(med: MedicalWorld) -> None:
    report_case(med.scope("clerk_a"), med.world.regiment_a, disease="DENGUE", onset_on=days_ago(0))
    assert not Alert.objects.exists()
    assert CaseReport.objects.get().group == "B"


@pytest.mark.parametrize("disease", ["", "  ", "LEPROSY"])
def test_a_case_without_a_known_disease_is_refused(med: MedicalWorld, disease: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        report_case(
            med.scope("clerk_a"), med.world.regiment_a, disease=disease, onset_on=days_ago(0)
        )
    assert exc.value.field == "disease"
    assert not CaseReport.objects.exists() and not Alert.objects.exists()


def test_a_clerk_cannot_report_for_a_sibling_regiment(med: MedicalWorld) -> None:
    with pytest.raises(NotFound):
        report_case(
            med.scope("clerk_b"), med.world.regiment_a, disease="CHOLERA", onset_on=days_ago(0)
        )
    assert not Alert.objects.exists()


def test_outbreak_lifecycle_with_daily_counts(med: MedicalWorld) -> None:
    scope = med.scope("clerk_a")
    outbreak = open_outbreak(scope, med.world.regiment_a, disease="DENGUE", started_on=days_ago(5))
    alert = Alert.objects.get(code="medical.outbreak")
    assert alert.severity == "warning" and alert.status == AlertStatus.OPEN
    record_outbreak_day(scope, outbreak, days_ago(5), new_cases=3, hospitalised=1)
    record_outbreak_day(scope, outbreak, days_ago(4), new_cases=2)
    record_outbreak_day(scope, outbreak, days_ago(4), new_cases=4)  # corrected, not added
    with pytest.raises(ValidationFailed, match="negative"):
        record_outbreak_day(scope, outbreak, days_ago(3), new_cases=-1)
    with pytest.raises(ValidationFailed):
        record_outbreak_day(scope, outbreak, days_ago(9), new_cases=1)
    assert sum(outbreak.days.values_list("new_cases", flat=True)) == 7
    end_outbreak(scope, outbreak, timezone.localdate())
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert not Outbreak.objects.get().active
