from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from haucan.barracks import summaries
from haucan.barracks.models import CaseKind, CaseStatus, LandPurpose, LandSite, PartyKind
from haucan.barracks.services import cases, land
from haucan.barracks.services.land import TransferInput
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Scope
from haucan.reporting.models import DataValue, Origin
from haucan.testing import World

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def stored(unit: Any, form_de: str, period: str) -> dict[str | None, str]:
    rows = DataValue.objects.filter(
        unit=unit, period=period, data_element__code=form_de, deleted=False
    ).select_related("category_option_combo")
    return {
        r.category_option_combo.code if r.category_option_combo else None: r.value for r in rows
    }


def test_land_summary_equals_the_registry(
    world: World, barracks_forms: None, make_site: Callable[..., LandSite]
) -> None:
    make_site(total="10000", purposes={"DOANH_TRAI": "6000", "THAO_TRUONG": "3000"})
    make_site(total="2000", purposes={"KET_HOP_SX": "2000"})
    year = str(TODAY.year)
    assert stored(world.regiment_a, "DAT_DIEN_TICH", year) == {
        "DAT_DOANH_TRAI": "6000",
        "DAT_THAO_TRUONG": "3000",
        "DAT_KET_HOP_SX": "2000",
    }
    assert stored(world.regiment_a, "DAT_SO_KHU", year) == {
        "DAT_DOANH_TRAI": "1",
        "DAT_KET_HOP_SX": "1",
    }
    assert stored(world.regiment_a, "DAT_DIEN_TICH_KET_HOP", year) == {"default": "2000"} or (
        stored(world.regiment_a, "DAT_DIEN_TICH_KET_HOP", year) == {None: "2000"}
    )
    value = DataValue.objects.filter(
        unit=world.regiment_a, data_element__code="DAT_DIEN_TICH"
    ).first()
    assert value is not None and (value.origin, value.source) == (Origin.SOURCE, "barracks")


def test_a_handover_republishes_the_area_and_the_handed_over_area(
    world: World, barracks_forms: None, make_site: Callable[..., LandSite]
) -> None:
    site = make_site(total="10000")
    land.record_transfer(
        Scope.system("t"),
        TransferInput(
            kind="handover",
            site=site,
            purpose=LandPurpose.objects.get(code="DOANH_TRAI"),
            decision_number="QĐ-5",
            decision_date=TODAY,
            effective_on=TODAY,
            area="1500",
            party="UBND xã",
        ),
    )
    assert stored(world.regiment_a, "DAT_DIEN_TICH", str(TODAY.year)) == {"DAT_DOANH_TRAI": "8500"}
    half = period_of(TODAY, PeriodType.SIX_MONTHLY).id
    assert list(stored(world.regiment_a, "TC_DT_BAN_GIAO", half).values()) == ["1500"]


def test_cases_summary_counts_open_cases_by_party_and_resolved_in_the_period(
    world: World, barracks_forms: None, make_site: Callable[..., LandSite]
) -> None:
    site = make_site(total="10000")
    system = Scope.system("t")
    spec = cases.CaseInput(
        site=site,
        kind=CaseKind.ENCROACHMENT,
        party_kind=PartyKind.HOUSEHOLD,
        party="Hộ ông A",
        area="300",
        opened_on=TODAY,
    )
    first = cases.open_case(system, spec)
    spec.kind = CaseKind.DISPUTE
    spec.party_kind = PartyKind.ORGANISATION
    spec.area = "700"
    cases.open_case(system, spec)
    half = period_of(TODAY, PeriodType.SIX_MONTHLY)
    values = summaries.compute(summaries.CASES_FORM, half, [world.regiment_a.pk], TODAY)[
        world.regiment_a.pk
    ]
    assert values[("TC_SO_VU_LAN_CHIEM", "TC_HO_GIA_DINH")] == 1
    assert values[("TC_DT_LAN_CHIEM", "TC_HO_GIA_DINH")] == 300.0
    assert values[("TC_SO_VU_TRANH_CHAP", "TC_TO_CHUC")] == 1
    assert values[("TC_CO_VU_MOI", None)] == "true"
    cases.add_step(
        system,
        first,
        taken_on=TODAY,
        description="Cưỡng chế tháo dỡ",
        status=CaseStatus.RESOLVED,
        recovered_area="300",
    )
    values = summaries.compute(summaries.CASES_FORM, half, [world.regiment_a.pk], TODAY)[
        world.regiment_a.pk
    ]
    assert values[("TC_SO_VU_LAN_CHIEM", "TC_HO_GIA_DINH")] == 0
    assert values[("TC_SO_VU_DA_GIAI_QUYET", None)] == 1
    assert values[("TC_DT_DA_THU_HOI", None)] == 300.0
    assert stored(world.regiment_a, "TC_SO_VU_DA_GIAI_QUYET", half.id) == {
        next(iter(stored(world.regiment_a, "TC_SO_VU_DA_GIAI_QUYET", half.id))): "1"
    }


def test_building_summaries_equal_the_registry(
    world: World,
    barracks_forms: None,
    make_site: Callable[..., LandSite],
    make_building: Callable[..., Any],
) -> None:
    site = make_site()
    y = TODAY.year
    make_building(site, type="NHA_O", condition="TOT", built_area="100", floors=2, capacity=50)
    make_building(site, type="NHA_O", condition="NGUY_HIEM", built_area="80", floors=1)
    make_building(site, type="NHA_XE", condition="TOT", built_area="60", floors=1, capacity=0)
    make_building(
        site, type="NHA_AN", durability="IV", year_built=y - 20, year_in_service=y - 20
    )  # past its life
    make_building(
        site, type="NHA_KHO", durability="IV", year_built=y - 12, year_in_service=y - 12
    )  # 3 years left
    half = period_of(TODAY, PeriodType.SIX_MONTHLY).id
    assert stored(world.regiment_a, "CT_NHA_O", half) == {"CL_TOT": "1", "CL_NGUY_HIEM": "1"}
    assert stored(world.regiment_a, "CT_NHA_KHO", half) == {"CL_TOT": "2"}
    assert stored(world.regiment_a, "CT_DIEN_TICH_SAN", half) == {
        "CL_TOT": "660",
        "CL_NGUY_HIEM": "80",
    }
    assert list(stored(world.regiment_a, "CT_SUC_CHUA", half).values()) == [
        "90"
    ]  # housing only: 50 + 40
    year = str(y)
    assert stored(world.regiment_a, "NH_SO_CONG_TRINH", year) == {
        "NH_BAC_III": "3",
        "NH_BAC_IV": "2",
    }
    assert stored(world.regiment_a, "NH_HET_NIEN_HAN", year) == {"NH_BAC_IV": "1"}
    assert stored(world.regiment_a, "NH_SAP_HET_NIEN_HAN", year) == {"NH_BAC_IV": "1"}


def test_full_recompute_equals_the_incremental_values(
    world: World,
    barracks_forms: None,
    make_site: Callable[..., LandSite],
    make_building: Callable[..., Any],
) -> None:
    a = make_site(world.regiment_a, total="5000")
    b = make_site(world.regiment_b, total="7000", purposes={"TRAN_DIA": "7000"})
    make_building(a)
    make_building(b, condition="XUONG_CAP")
    maps = summaries.Maps.load()
    for form in summaries.FORMS:
        ptype = (
            PeriodType.YEARLY
            if form in (summaries.LAND_FORM, summaries.LIFE_FORM)
            else PeriodType.SIX_MONTHLY
        )
        period = period_of(TODAY, ptype)
        everyone = summaries.compute(form, period, None, TODAY, maps)
        for unit in (world.regiment_a, world.regiment_b):
            assert (
                summaries.compute(form, period, [unit.pk], TODAY, maps)[unit.pk]
                == everyone[unit.pk]
            )


def test_published_values_are_read_only_source_values_not_touching_hand_entered_ones(
    world: World, barracks_forms: None, make_site: Callable[..., LandSite]
) -> None:
    from haucan.catalog.models import DataSet
    from haucan.catalog.services import default_option_combo
    from haucan.core.periods import parse_period
    from haucan.reporting.services.values import CellInput, Target, save_values

    form = DataSet.objects.get(code="DT_NHA_CONG_TRINH")
    half = period_of(TODAY, PeriodType.SIX_MONTHLY).id
    save_values(
        Scope.system("clerk"),
        Target(form, world.regiment_a, parse_period(half), default_option_combo()),
        [CellInput(data_element="CT_QUAN_SO_O", value="95")],
    )
    site = make_site()
    from haucan.barracks.models import BuildingType, ConditionLevel, DurabilityClass
    from haucan.barracks.services.buildings import BuildingInput, register_building

    register_building(
        Scope.system("t"),
        BuildingInput(
            site=site,
            code="CT-X",
            name="Nhà X",
            type=BuildingType.objects.get(code="NHA_O"),
            durability=DurabilityClass.objects.get(code="III"),
            condition=ConditionLevel.objects.get(code="TOT"),
            year_built=2000,
            year_in_service=2000,
            built_area="100",
        ),
    )
    assert list(stored(world.regiment_a, "CT_QUAN_SO_O", half).values()) == ["95"]
    assert stored(world.regiment_a, "CT_NHA_O", half) == {"CL_TOT": "1"}


def test_a_purpose_mapped_to_an_option_the_form_lacks_is_left_out_not_fatal(
    world: World, barracks_forms: None, make_site: Callable[..., LandSite]
) -> None:
    LandPurpose.objects.create(code="MOI", name="Đất mới", report_option="DAT_KHONG_CO")
    make_site(total="1000", purposes={"MOI": "400", "DOANH_TRAI": "600"})
    assert stored(world.regiment_a, "DAT_DIEN_TICH", str(TODAY.year)) == {"DAT_DOANH_TRAI": "600"}
