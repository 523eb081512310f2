"""The inbox, a warning's page with acknowledge and assign, rules in the UI, the situation
board, and the navigation count — each with its scope check."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from haucan.alerts.models import Alert, AlertRule, AlertStatus
from haucan.alerts.services import raise_event
from haucan.alerts.tests.conftest import SYSTEM
from haucan.core.scope import Domain
from haucan.org.models import Unit
from haucan.testing import FuelForm, World

Login = Callable[[str], Client]


def _event(unit: Unit, severity: str = "critical", domain: Domain = Domain.PETROLEUM) -> Alert:
    return raise_event(
        SYSTEM,
        code=f"{domain}.test",
        domain=domain,
        unit=unit,
        severity=severity,
        message=f"Tồn xăng dầu thấp tại {unit.name}",
        link="/entry/",
    )


def test_inbox_shows_my_warnings_with_the_count_in_the_navigation(
    world: World, login: Login
) -> None:
    _event(world.battalion_a)
    _event(world.battalion_b)
    page = login("clerk_a").get(reverse("alerts:inbox"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Tồn xăng dầu thấp tại Tiểu đoàn 1" in text
    assert "Tiểu đoàn 4" not in text
    assert page.context["nav_alert_count"] == 1


def test_clerk_b_gets_404_for_clerk_a_units_warning(world: World, login: Login) -> None:
    alert = _event(world.battalion_a)
    client = login("clerk_b")
    assert client.get(reverse("alerts:detail", args=[alert.pk])).status_code == 404
    response = client.post(reverse("alerts:acknowledge", args=[alert.pk]), {"note": "x"})
    assert response.status_code == 404
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


def test_acknowledge_with_a_note_then_assign(world: World, login: Login) -> None:
    alert = _event(world.battalion_a)
    client = login("clerk_a")
    assert client.get(reverse("alerts:detail", args=[alert.pk])).status_code == 200
    client.post(reverse("alerts:acknowledge", args=[alert.pk]), {"note": "Đã báo kho bổ sung"})
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.acknowledge_note) == (
        AlertStatus.ACKNOWLEDGED,
        world.clerk_a,
        "Đã báo kho bổ sung",
    )
    client.post(reverse("alerts:assign", args=[alert.pk]), {"user": "clerk_b"})
    alert.refresh_from_db()
    assert alert.assigned_to is None  # clerk_b cannot see Trung đoàn 1's warnings
    client.post(reverse("alerts:assign", args=[alert.pk]), {"user": "commander"})
    alert.refresh_from_db()
    assert alert.assigned_to == world.commander


def test_acknowledge_needs_a_note(world: World, login: Login) -> None:
    alert = _event(world.battalion_a)
    login("clerk_a").post(reverse("alerts:acknowledge", args=[alert.pk]), {"note": " "})
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


def test_inbox_filters_by_severity_domain_and_unit(world: World, login: Login) -> None:
    _event(world.battalion_a, "critical")
    _event(world.battalion_b, "warning", Domain.MEDICAL)
    client = login("commander")
    url = reverse("alerts:inbox")
    assert len(client.get(url, {"all": "1"}).context["alerts"]) == 2
    assert [
        a.unit for a in client.get(url, {"all": "1", "severity": "warning"}).context["alerts"]
    ] == [world.battalion_b]
    assert [
        a.unit for a in client.get(url, {"all": "1", "domain": "petroleum"}).context["alerts"]
    ] == [world.battalion_a]
    assert [a.unit for a in client.get(url, {"all": "1", "unit": "F324-E2"}).context["alerts"]] == [
        world.battalion_b
    ]


def test_specialist_defines_a_rule_of_their_domain_only(
    world: World, fuel: FuelForm, login: Login
) -> None:
    client = login("specialist")
    data = {
        "code": "LOW",
        "name": "Tồn thấp",
        "kind": "threshold",
        "domain": "petroleum",
        "severity": "warning",
        "active": "on",
        "expression": "#{PET_STOCK}",
        "operator": "<",
        "compare_to": "100",
        "levels": "4, 5",
        "period_type": "Monthly",
        "lookback": "2",
        "history": "12",
        "levels_up": "3",
        "notify_roles": ["clerk", "commander"],
    }
    response = client.post(reverse("alerts:rule_new"), data)
    assert response.status_code == 302
    rule = AlertRule.objects.get(code="LOW")
    assert (rule.levels, rule.version) == ([4, 5], 1)
    response = client.post(
        reverse("alerts:rule_edit", args=[rule.pk]), {**data, "compare_to": "150"}
    )
    rule.refresh_from_db()
    assert (rule.version, rule.compare_to, rule.versions.get().definition["compare_to"]) == (
        2,
        "150",
        "100",
    )
    refused = client.post(reverse("alerts:rule_new"), {**data, "code": "MED", "domain": "medical"})
    assert refused.status_code == 403
    bad = client.post(
        reverse("alerts:rule_new"), {**data, "code": "BAD", "expression": "#{NO_SUCH}"}
    )
    assert bad.status_code == 400
    assert "NO_SUCH" in bad.content.decode()
    assert login("clerk_a").get(reverse("alerts:rules")).status_code == 403


def test_situation_board_counts_open_alerts_by_domain_and_unit(world: World, login: Login) -> None:
    _event(world.battalion_a, "critical")
    _event(world.battalion_b, "warning", Domain.MEDICAL)
    page = login("commander").get(reverse("dashboards:situation"), {"wall": "1"})
    assert page.status_code == 200
    assert (page.context["critical"], page.context["warning"]) == (1, 1)
    assert "<script>" not in page.content.decode()
    clerk_b = login("clerk_b").get(reverse("dashboards:situation"))
    assert (clerk_b.context["critical"], clerk_b.context["warning"]) == (0, 1)
