from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from haucan.alerts.models import Alert, AlertStatus
from haucan.barracks.models import Building, ConditionLevel, LandSite
from haucan.barracks.services import buildings as services
from haucan.barracks.services.warnings import DANGEROUS, NEAR_LIFE, PAST_LIFE, refresh_all
from haucan.core.errors import NotFound, ValidationFailed
from haucan.core.scope import Scope
from haucan.testing import World

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def test_end_of_life_is_year_in_service_plus_service_life(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    b = make_building(make_site(), year_built=1990, year_in_service=1992, service_life_years=40)
    assert b.end_of_life_year == 2032
    assert Building.objects.get(pk=b.pk).end_of_life_year == 2032


def test_service_life_defaults_to_the_durability_class(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    b = make_building(make_site(), durability="IV", year_in_service=2010)
    assert (b.service_life_years, b.end_of_life_year) == (15, 2025)


def test_year_in_service_before_year_built_is_refused_and_nothing_is_saved(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    with pytest.raises(
        ValidationFailed, match=r"year in service \(1999\) is before the year built \(2000\)"
    ):
        make_building(make_site(), year_built=2000, year_in_service=1999)
    assert not Building.objects.exists()


def test_a_service_life_outside_the_class_range_is_refused(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    with pytest.raises(ValidationFailed, match="does not fit"):
        make_building(make_site(), durability="III", service_life_years=80)


def test_a_building_past_its_service_life_raises_a_warning(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    b = make_building(make_site(), durability="IV", year_built=1990, year_in_service=1990)
    alert = Alert.objects.get(code=PAST_LIFE, key=f"building:{b.pk}")
    assert alert.status == AlertStatus.OPEN
    assert "CT-" in alert.message and "2005" in alert.message
    assert alert.link == f"/barracks/buildings/{b.pk}/"


def test_a_building_within_n_years_of_its_end_raises_a_near_warning(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    b = make_building(
        make_site(), durability="III", year_in_service=YEAR - 28, year_built=YEAR - 29
    )  # 30 years: 2 left
    assert Alert.objects.filter(code=NEAR_LIFE, key=f"building:{b.pk}").count() == 1
    assert not Alert.objects.filter(code=PAST_LIFE, key=f"building:{b.pk}").exists()


def test_a_young_building_raises_no_life_warning(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    b = make_building(make_site(), year_in_service=YEAR - 1, year_built=YEAR - 2)
    assert not Alert.objects.filter(key=f"building:{b.pk}").exists()


def test_assessed_dangerous_raises_and_a_later_good_assessment_clears(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    b = make_building(make_site(), year_in_service=YEAR - 1, year_built=YEAR - 2)
    system = Scope.system("t")
    services.assess(
        system,
        b,
        assessed_on=date(YEAR, 1, 5),
        condition=ConditionLevel.objects.get(code="NGUY_HIEM"),
        assessor="Phòng Doanh trại",
        danger_level="C",
    )
    alert = Alert.objects.get(code=DANGEROUS, key=f"building:{b.pk}")
    assert alert.status == AlertStatus.OPEN
    services.assess(
        system,
        b,
        assessed_on=date(YEAR, 1, 6),
        condition=ConditionLevel.objects.get(code="TOT"),
        assessor="Phòng Doanh trại",
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert b.condition.code == "TOT"


def test_an_older_assessment_does_not_replace_the_current_condition(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    b = make_building(make_site(), assessed_on=date(YEAR, 1, 10))
    services.assess(
        Scope.system("t"),
        b,
        assessed_on=date(YEAR - 3, 1, 1),
        condition=ConditionLevel.objects.get(code="XUONG_CAP"),
        assessor="Tổ kiểm tra",
    )
    assert Building.objects.get(pk=b.pk).condition.code == "TOT"
    assert b.assessments.count() == 2


def test_refresh_raises_the_warning_when_the_year_turns(
    make_site: Callable[..., LandSite], make_building: Callable[..., Any]
) -> None:
    b = make_building(
        make_site(), durability="IV", year_built=YEAR - 10, year_in_service=YEAR - 10
    )  # 15 years: ends in YEAR + 5, no warning yet
    assert not Alert.objects.filter(key=f"building:{b.pk}").exists()
    refresh_all(Scope.system("t"), date(YEAR + 6, 1, 1))
    assert Alert.objects.get(code=PAST_LIFE, key=f"building:{b.pk}").status == AlertStatus.OPEN


def test_clerk_b_cannot_see_or_assess_clerk_a_buildings(
    world: World,
    scope_of: Callable[[str], Scope],
    make_site: Callable[..., LandSite],
    make_building: Callable[..., Any],
) -> None:
    from haucan.barracks import queries

    b = make_building(make_site(world.regiment_a))
    with pytest.raises(NotFound):
        queries.get_building(scope_of("clerk_b"), b.pk)
    assert list(queries.buildings(scope_of("clerk_b"), None, YEAR)) == []
    with pytest.raises(NotFound):
        services.assess(
            scope_of("clerk_b"),
            b,
            assessed_on=date(YEAR, 1, 1),
            condition=ConditionLevel.objects.get(code="TOT"),
            assessor="x",
        )
    assert [x.pk for x in queries.buildings(scope_of("commander"), None, YEAR)] == [b.pk]


def test_search_ignores_diacritics(
    scope_of: Callable[[str], Scope],
    make_site: Callable[..., LandSite],
    make_building: Callable[..., Any],
) -> None:
    from haucan.barracks import queries

    b = make_building(make_site(), name="Nhà ăn tiểu đoàn")
    found = queries.buildings(
        scope_of("clerk_a"), queries.BuildingFilters(q="nha an tieu doan"), YEAR
    )
    assert [x.pk for x in found] == [b.pk]


def test_refresh_command_runs_on_an_empty_registry(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("barracks_refresh", "--publish", stdout=out)
    assert out.getvalue().splitlines() == [
        "0 buildings and cases checked",
        "0 report values written",
    ]
