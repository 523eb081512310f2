from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haucan.alerts.models import Alert, AlertStatus
from haucan.barracks.models import AreaEvent, LandPurpose, LandSite, LandTransfer, TransferKind
from haucan.barracks.services import land
from haucan.barracks.services.land import SiteInput, TransferInput, check_history
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Scope
from haucan.testing import World

pytestmark = pytest.mark.django_db


def purpose(code: str) -> LandPurpose:
    return LandPurpose.objects.get(code=code)


def transfer(site: LandSite, kind: str, area: str | None, on: date, **extra: Any) -> TransferInput:
    return TransferInput(
        kind=kind,
        site=site,
        purpose=extra.pop("purpose", purpose("DOANH_TRAI")),
        decision_number=extra.pop("decision_number", "QĐ-01"),
        decision_date=on,
        effective_on=on,
        area=area,
        party=extra.pop("party", "UBND xã Nghi Văn"),
        **extra,
    )


def test_purpose_areas_above_the_total_are_refused_and_nothing_is_saved(world: World) -> None:
    spec = SiteInput(
        code="KD-X",
        name="Khu X",
        unit=world.regiment_a,
        opened_on=date(2020, 1, 1),
        total_area="1000",
        purpose_areas={"DOANH_TRAI": "700", "THAO_TRUONG": "400"},
    )
    with pytest.raises(ValidationFailed, match=r"add up to 1\.100 m², more than the total"):
        land.create_site(Scope.system("t"), spec)
    assert not LandSite.objects.exists()


def test_unclassified_remainder_keeps_the_total(make_site: Callable[..., LandSite]) -> None:
    site = make_site(total="1000", purposes={"DOANH_TRAI": "600"})
    areas = land.area_on([site.pk], date(2024, 1, 1))[site.pk]
    assert areas == {purpose("DOANH_TRAI").pk: Decimal("600.00"), None: Decimal("400.00")}


def test_a_handover_changes_the_area_from_its_effective_date(
    make_site: Callable[..., LandSite],
) -> None:
    site = make_site(total="10000")
    land.record_transfer(
        Scope.system("t"), transfer(site, TransferKind.HANDOVER, "2500", date(2024, 6, 1))
    )
    assert land.total_on(site, date(2024, 5, 31)) == Decimal("10000.00")
    assert land.total_on(site, date(2024, 6, 1)) == Decimal("7500.00")
    assert [p.total for p in land.history(site)] == [Decimal("10000.00"), Decimal("7500.00")]


def test_a_handover_larger_than_the_remaining_area_is_refused(
    make_site: Callable[..., LandSite],
) -> None:
    site = make_site(total="1000")
    with pytest.raises(ValidationFailed, match=r"1\.200 m² is more than the remaining"):
        land.record_transfer(
            Scope.system("t"), transfer(site, TransferKind.HANDOVER, "1200", date(2024, 1, 1))
        )
    assert not LandTransfer.objects.exists()
    assert AreaEvent.objects.count() == 1


def test_a_backdated_handover_that_breaks_a_later_balance_is_refused(
    make_site: Callable[..., LandSite],
) -> None:
    site = make_site(total="1000")
    system = Scope.system("t")
    land.record_transfer(system, transfer(site, TransferKind.HANDOVER, "800", date(2024, 6, 1)))
    with pytest.raises(ValidationFailed, match="remaining"):
        land.record_transfer(system, transfer(site, TransferKind.HANDOVER, "300", date(2023, 1, 1)))
    assert land.total_on(site, date(2025, 1, 1)) == Decimal("200.00")


def test_a_transfer_moves_the_area_between_two_units_sites(
    world: World, make_site: Callable[..., LandSite]
) -> None:
    a = make_site(world.regiment_a, total="5000")
    b = make_site(world.regiment_b, total="3000")
    land.record_transfer(
        Scope.system("t"),
        transfer(a, TransferKind.TRANSFER, "1000", date(2024, 3, 1), to_site=b, party=""),
    )
    assert land.total_on(a, date(2024, 3, 1)) == Decimal("4000.00")
    assert land.total_on(b, date(2024, 3, 1)) == Decimal("4000.00")


def test_a_decision_without_its_area_changes_nothing_and_warns_until_filled(
    make_site: Callable[..., LandSite],
) -> None:
    site = make_site(total="1000")
    system = Scope.system("t")
    t = land.record_transfer(system, transfer(site, TransferKind.HANDOVER, None, date(2024, 1, 1)))
    assert land.total_on(site, date(2024, 2, 1)) == Decimal("1000.00")
    alert = Alert.objects.get(code="barracks.handover_no_area", key=f"transfer:{t.pk}")
    assert alert.status == AlertStatus.OPEN
    land.set_transfer_area(system, t, "100")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert land.total_on(site, date(2024, 2, 1)) == Decimal("900.00")


def test_a_certificate_above_the_site_area_is_refused(make_site: Callable[..., LandSite]) -> None:
    site = make_site(total="1000")
    with pytest.raises(ValidationFailed, match="exceed the area of the site"):
        land.add_certificate(
            Scope.system("t"),
            site,
            number="CS-1",
            issued_on=date(2021, 1, 1),
            area="1500",
            purpose=purpose("DOANH_TRAI"),
            authority="UBND tỉnh",
        )
    assert not site.certificates.exists()


def test_a_site_without_certificate_warns_until_one_is_added(
    make_site: Callable[..., LandSite],
) -> None:
    site = make_site(total="1000")
    alert = Alert.objects.get(code="barracks.site_no_certificate", key=f"site:{site.pk}")
    assert alert.status == AlertStatus.OPEN
    land.add_certificate(
        Scope.system("t"),
        site,
        number="CS-1",
        issued_on=date(2021, 1, 1),
        area="900",
        purpose=purpose("DOANH_TRAI"),
        authority="UBND tỉnh Nghệ An",
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_a_self_intersecting_boundary_is_refused_and_nothing_is_saved(world: World) -> None:
    spec = SiteInput(
        code="KD-B",
        name="Khu B",
        unit=world.regiment_a,
        opened_on=date(2020, 1, 1),
        total_area="1000",
        boundary={"type": "Polygon", "coordinates": [[[0, 0], [3, 2], [3, 0], [0, 1], [0, 0]]]},
    )
    with pytest.raises(ValidationFailed, match="crosses itself"):
        land.create_site(Scope.system("t"), spec)
    assert not LandSite.objects.exists()


def test_clerk_b_cannot_see_or_change_clerk_a_sites(
    world: World, scope_of: Callable[[str], Scope], make_site: Callable[..., LandSite]
) -> None:
    from haucan.barracks import queries

    site = make_site(world.regiment_a)
    outsider = scope_of("clerk_b")
    with pytest.raises(NotFound):
        queries.get_site(outsider, site.pk)
    assert list(queries.sites(outsider)) == []
    with pytest.raises(NotFound):
        land.record_transfer(outsider, transfer(site, TransferKind.HANDOVER, "1", date(2024, 1, 1)))
    assert [s.pk for s in queries.sites(scope_of("commander"))] == [site.pk]
    assert [s.pk for s in queries.sites(scope_of("clerk_a"))] == [site.pk]


def test_commander_may_view_but_not_enter_handovers(
    world: World, scope_of: Callable[[str], Scope], make_site: Callable[..., LandSite]
) -> None:
    site = make_site(world.regiment_a)
    with pytest.raises(PermissionDenied):
        land.record_transfer(
            scope_of("commander"), transfer(site, TransferKind.HANDOVER, "1", date(2024, 1, 1))
        )


# --- invariants --------------------------------------------------------------------------------

moves = st.lists(
    st.tuples(
        st.sampled_from([TransferKind.HANDOVER, TransferKind.RECEIPT]),
        st.integers(min_value=0, max_value=800),  # days after the opening
        st.integers(min_value=1, max_value=4000),  # m²
        st.sampled_from(["DOANH_TRAI", "THAO_TRUONG"]),
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=moves)
def test_any_sequence_of_handovers_and_receipts_keeps_every_balance_non_negative(
    world: World, moves: list[tuple[str, int, int, str]]
) -> None:
    system = Scope.system("t")
    LandTransfer.objects.all().delete()
    LandSite.objects.all().delete()
    opened = date(2022, 1, 1)
    site = land.create_site(
        system,
        SiteInput(
            code="KD-H",
            name="Khu H",
            unit=world.regiment_a,
            opened_on=opened,
            total_area="5000",
            purpose_areas={"DOANH_TRAI": "3000", "THAO_TRUONG": "1000"},
        ),
    )
    accepted: list[tuple[date, str, int]] = []
    for kind, days, area, code in moves:
        on = opened + timedelta(days=days)
        try:
            land.record_transfer(system, transfer(site, kind, str(area), on, purpose=purpose(code)))
        except ValidationFailed:
            continue
        accepted.append((on, code, area if kind == TransferKind.RECEIPT else -area))
    # The history replayed from the accepted moves never goes below zero in any purpose ...
    base = {"DOANH_TRAI": 3000, "THAO_TRUONG": 1000}
    for day in sorted({opened} | {on for on, _c, _a in accepted}):
        for code, start in base.items():
            expected = start + sum(a for on, c, a in accepted if c == code and on <= day)
            got = land.area_on([site.pk], day)[site.pk].get(purpose(code).pk, Decimal(0))
            assert got == expected >= 0
        # ... the total is the sum of the purposes plus the unclassified 1,000 m² ...
        assert land.total_on(site, day) == sum(
            land.area_on([site.pk], day)[site.pk].values(), Decimal(0)
        )
    # ... and each history point's total equals the area on its date.
    for point in land.history(site):
        assert point.total == land.total_on(site, point.on)


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=30),
            st.sampled_from([None, 1, 2]),
            st.integers(min_value=-50, max_value=50),
        ),
        max_size=20,
    )
)
def test_check_history_finds_the_first_negative_balance(
    events: list[tuple[int, int | None, int]],
) -> None:
    dated = [(date(2024, 1, 1) + timedelta(days=d), b, Decimal(a)) for d, b, a in events]
    found = check_history(dated)
    running: dict[int | None, Decimal] = {}
    first = None
    for day in sorted({d for d, _b, _a in dated}):
        for d, b, a in dated:
            if d == day:
                running[b] = running.get(b, Decimal(0)) + a
        negative = [b for b in running if running[b] < 0]
        if negative and first is None:
            first = day
    assert (found[0] if found else None) == first
