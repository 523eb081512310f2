"""The demo army: its tree, personas, catalog and generated values (a small two-month load)."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from haucan.accounts.models import User
from haucan.accounts.queries import resolve_scope
from haucan.catalog.models import (
    CategoryOptionCombo,
    DataElement,
    DataSet,
    Indicator,
    Norm,
    ValidationRule,
)
from haucan.core.errors import ValidationFailed
from haucan.core.expressions import parse_expression
from haucan.core.ids import validate_identifier
from haucan.core.periods import PeriodType, period_of
from haucan.demo.catalog import check_catalog, option_combo_codes, read_catalog
from haucan.demo.loader import DEMO_PASSWORD, PERSONAS, DemoSummary, load_demo
from haucan.org.models import Level, LinkReason, Unit, UnitGroup, UnitLink
from haucan.reporting.models import CompleteRegistration, DataValue, Origin

NAMED_UNITS = [
    "Bộ Quốc phòng",
    "Quân khu 4",
    "Quân đoàn 1",
    "Binh chủng Thông tin liên lạc",
    "Bộ Tư lệnh 86",
    "Học viện Kỹ thuật quân sự",
    "Tổng cục Hậu cần",
    "Bệnh viện Quân y 354",
    "Kho 190",
    "Kho 186",
    "Sư đoàn 324",
]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: object) -> Iterator[DemoSummary]:
    """Load once for the whole module inside a transaction that is rolled back at the end;
    each test then runs in its own savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        summary = load_demo(months=2, seed=7)
        yield summary
        transaction.set_rollback(True)


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def last_month() -> str:
    today = timezone.localdate()
    return period_of(date(today.year, today.month, 1) - timedelta(days=1), PeriodType.MONTHLY).id


# --- the tree -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tree_has_the_named_units_on_six_levels(demo: DemoSummary) -> None:
    names = set(Unit.objects.values_list("name", flat=True))
    assert [n for n in NAMED_UNITS if n not in names] == []
    assert list(Level.objects.values_list("depth", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert sorted(set(Unit.objects.values_list("depth", flat=True))) == [1, 2, 3, 4, 5, 6]
    assert 1800 <= demo.units == Unit.objects.count() <= 2200
    assert Unit.objects.get(name="Bệnh viện Quân y 354").kind == "hospital"
    hospital = Unit.objects.select_related("parent").get(name="Bệnh viện Quân y 354")
    assert hospital.parent is not None and hospital.parent.name == "Tổng cục Hậu cần"
    assert {u.kind for u in Unit.objects.filter(name__in=["Kho 190", "Kho 186"])} == {"depot"}
    assert Unit.objects.get(name="Học viện Kỹ thuật quân sự").kind == "school"
    assert unit("QK4-F324-E1").name == "Trung đoàn 1"
    assert unit("QK4-F324-E2").name == "Trung đoàn 2"
    assert unit("QK4-F324-E1").parent == unit("QK4-F324") == unit("QK4-F324-E2").parent


@pytest.mark.django_db
def test_every_identifier_is_valid_and_unique(demo: DemoSummary) -> None:
    identifiers = list(Unit.objects.values_list("identifier", flat=True))
    assert all(i is not None and validate_identifier(i) == i for i in identifiers)
    assert len(set(identifiers)) == len(identifiers)


@pytest.mark.django_db
def test_every_path_and_depth_follow_the_parent_chain(demo: DemoSummary) -> None:
    rows = {
        pk: (uid, parent, path, depth)
        for pk, uid, parent, path, depth in Unit.objects.values_list(
            "pk", "uid", "parent_id", "path", "depth"
        )
    }
    for uid, parent, path, depth in rows.values():
        if parent is None:
            assert (path, depth) == (f"/{uid}/", 1)
        else:
            assert path == f"{rows[parent][2]}{uid}/"
            assert depth == rows[parent][3] + 1


@pytest.mark.django_db
def test_every_unit_has_one_open_link_to_its_current_parent(demo: DemoSummary) -> None:
    open_links = dict(
        UnitLink.objects.filter(valid_to__isnull=True).values_list("unit_id", "parent_id")
    )
    assert open_links == dict(Unit.objects.values_list("pk", "parent_id"))


@pytest.mark.django_db
def test_the_moved_battalion_keeps_its_history(demo: DemoSummary) -> None:
    battalion = unit("QK4-F324-E3-D3")
    links = list(battalion.links.order_by("valid_from"))
    assert [(link.parent, link.reason) for link in links] == [
        (unit("QK4-F324-E3"), LinkReason.OPENED),
        (unit("QK4-F324-E1"), LinkReason.MOVED),
    ]
    assert links[0].valid_to == links[1].valid_from < timezone.localdate()
    assert battalion.parent == unit("QK4-F324-E1")
    assert battalion.path.startswith(unit("QK4-F324-E1").path)


@pytest.mark.django_db
def test_unit_groups_are_exclusive_within_their_sets(demo: DemoSummary) -> None:
    assert UnitGroup.objects.get(name="Đơn vị đủ quân").units.count() > 0
    assert UnitGroup.objects.get(name="Đơn vị làm nhiệm vụ biên giới").units.count() > 0
    for group in UnitGroup.objects.prefetch_related("group_sets"):
        for group_set in group.group_sets.all():
            others = UnitGroup.objects.filter(group_sets=group_set).exclude(pk=group.pk)
            assert not group.units.filter(groups__in=others).exists()


# --- personas -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_clerk_a_scope_covers_only_their_regiment(demo: DemoSummary) -> None:
    scope = resolve_scope(User.objects.get(username="clerk_a"))
    regiment = unit("QK4-F324-E1")
    assert scope.root_paths == [regiment.path]
    covered = {u.code for u in Unit.objects.all() if scope.covers_path(u.path)}
    assert covered == set(
        Unit.objects.filter(path__startswith=regiment.path).values_list("code", flat=True)
    )
    assert not scope.covers_path(unit("QK4-F324-E2").path)
    assert not scope.covers_path(unit("QK4-F324").path)
    assert "QK4-F324-E3-D3" in covered  # the battalion that moved in eight months ago


@pytest.mark.django_db
def test_personas_have_their_roles(demo: DemoSummary) -> None:
    assert [p.username for p in PERSONAS] == [
        "clerk_a",
        "clerk_b",
        "commander",
        "specialist",
        "admin",
    ]
    commander = resolve_scope(User.objects.get(username="commander"))
    assert commander.covers_path(unit("QK4-F324-E1").path)
    assert commander.covers_path(unit("QK4-F324-E2").path)
    assert not commander.covers_path(unit("QK4-F968").path)
    specialist = resolve_scope(User.objects.get(username="specialist"))
    assert specialist.root_paths == [unit("BQP").path] and not specialist.is_admin
    assert ("petroleum", "design") in specialist.permissions
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and resolve_scope(admin).is_admin
    # (The password is hashed with the production hasher before the test's MD5 setting applies.)
    assert User.objects.get(username="clerk_b").has_usable_password()
    assert len(DEMO_PASSWORD) >= 8


@pytest.mark.django_db
def test_loading_twice_is_refused(demo: DemoSummary) -> None:
    with pytest.raises(ValidationFailed, match="already holds units"):
        load_demo(months=1)


# --- catalog ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_pilot_domain_has_at_least_four_forms(demo: DemoSummary) -> None:
    for domain in ("petroleum", "barracks", "medical"):
        assert DataSet.objects.filter(domain=domain).count() >= 4, domain
    assert DataSet.objects.get(code="XD_TON_KHO_THANG").units.filter(code="QK4-F324-E1").exists()
    assert (
        DataSet.objects.get(code="QY_THU_DUNG_NGAY")
        .units.filter(name="Bệnh viện Quân y 354")
        .exists()
    )


@pytest.mark.django_db
def test_every_indicator_and_rule_expression_parses(demo: DemoSummary) -> None:
    texts = [t for i in Indicator.objects.all() for t in (i.numerator, i.denominator)]
    texts += [t for r in ValidationRule.objects.all() for t in (r.left, r.right)]
    assert len(texts) >= 2 * (3 + 12)
    element_codes = set(DataElement.objects.values_list("code", flat=True))
    coc_codes = set(CategoryOptionCombo.objects.values_list("code", flat=True))
    for text in texts:
        for operand in parse_expression(text).operands():
            assert operand.data_element in element_codes, text
            assert operand.category_option_combo in coc_codes | {None}, text


@pytest.mark.django_db
def test_newer_norms_supersede_older_ones(demo: DemoSummary) -> None:
    rows = list(Norm.objects.filter(norm_set__code="DM_NHIEN_LIEU_XE", item_code="UAZ_469"))
    assert [(str(r.value), r.valid_from, r.valid_to) for r in rows] == [
        ("18.0000", date(2020, 1, 1), date(2023, 12, 31)),
        ("17.5000", date(2024, 1, 1), None),
    ]


def test_catalog_references_all_resolve() -> None:
    doc = read_catalog()
    assert check_catalog(doc) == []
    assert option_combo_codes(doc, "CC_NHOM_XD") == [
        "XD_XANG",
        "XD_DIESEL",
        "XD_PHAN_LUC",
        "XD_DMN",
    ]


def test_check_catalog_reports_broken_references() -> None:
    doc = copy.deepcopy(read_catalog())
    doc["dataSets"][0]["sections"][0]["dataElements"].append("NO_SUCH_ELEMENT")
    doc["indicators"][0]["numerator"] = "#{XD_HAO_HUT.NO_SUCH_COMBO} +"
    doc["validationRules"][0]["left"] = "#{XD_TON_CUOI.NO_SUCH_COMBO}"
    problems = check_catalog(doc)
    assert any("NO_SUCH_ELEMENT" in p for p in problems)
    assert any(p.startswith("indicator IND_TY_LE_HAO_HUT") for p in problems)
    assert any("no option combo 'NO_SUCH_COMBO'" in p for p in problems)


# --- values -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_last_months_petroleum_report_of_clerk_a_is_left_empty(demo: DemoSummary) -> None:
    regiment = unit("QK4-F324-E1")
    form = DataSet.objects.get(code="XD_TON_KHO_THANG")
    period = last_month()
    elements = form.data_elements.all()
    # The fuel ledger (haucan/demo/petroleum.py) fills the balance cells from its notes; what
    # is left to clerk_a is everything typed by hand, and the submission.
    assert (
        not DataValue.objects.filter(unit=regiment, period=period, data_element__in=elements)
        .exclude(origin="source", source="petroleum")
        .exists()
    )
    assert not CompleteRegistration.objects.filter(
        data_set=form, unit=regiment, period=period
    ).exists()
    # …while the sibling regiment has it, and clerk_a has the month before.
    assert DataValue.objects.filter(
        unit=unit("QK4-F324-E2"), period=period, data_element__in=elements
    ).exists()
    before = period_of(
        date(int(period[:4]), int(period[4:]), 1) - timedelta(days=1), PeriodType.MONTHLY
    )
    assert DataValue.objects.filter(
        unit=regiment, period=before.id, data_element__in=elements
    ).exists()


@pytest.mark.django_db
def test_fuel_stock_balances_and_carries_over(demo: DemoSummary) -> None:
    # Given every stock cell of the monthly petroleum report
    codes = ["XD_TON_DAU", "XD_NHAP", "XD_XUAT", "XD_HAO_HUT", "XD_TON_CUOI"]
    cells: dict[tuple[int, int, str], dict[str, float | None]] = defaultdict(dict)
    for unit_id, coc, period, code, number in DataValue.objects.filter(
        data_element__code__in=codes
    ).values_list(
        "unit_id", "category_option_combo_id", "period", "data_element__code", "numeric_value"
    ):
        cells[(unit_id, coc, period)][code] = number
    assert len(cells) > 1000
    # Then closing = opening + received − issued − loss, and next opening = this closing.
    for (unit_id, coc, period), row in cells.items():
        # Zeros are not stored, so a missing cell reads as 0.
        opening, received, issued, loss, closing = (row.get(code) or 0.0 for code in codes)
        assert closing == opening + received - issued - loss
        assert issued <= opening + received
        nxt = period_of(date(int(period[:4]), int(period[4:]), 1), PeriodType.MONTHLY).next().id
        if (unit_id, coc, nxt) in cells:
            assert (cells[(unit_id, coc, nxt)].get("XD_TON_DAU") or 0.0) == closing


@pytest.mark.django_db
def test_submissions_exist_only_for_reports_with_values(demo: DemoSummary) -> None:
    completions = CompleteRegistration.objects.all()
    # The alerts demo takes back one submission of Trung đoàn 1 when it needs an overdue report.
    assert demo.completions - 1 <= completions.count() <= demo.completions
    assert completions.filter(on_time=False).exists() and completions.filter(on_time=True).exists()
    assert not completions.filter(completed_at__gt=timezone.now()).exists()
    reported = set(DataValue.objects.values_list("unit_id", "period").distinct())
    assert set(completions.values_list("unit_id", "period")) <= reported
    # The domain modules publish their values after the generated ones: they add rows and take
    # over some generated ones (origin "source"), but never remove a row.
    assert DataValue.objects.exclude(origin=Origin.SOURCE).count() <= demo.values
    assert DataValue.objects.count() >= demo.values


def test_the_commander_approves_clerk_as_regiment_in_the_demo(demo: DemoSummary) -> None:
    from haucan.accounts.models import Assignment
    from haucan.reporting.models import ApprovalWorkflow
    from haucan.reporting.services.approval import ApprovalState, approve, status_of

    workflow = ApprovalWorkflow.objects.get(code="DUYET_XD_THANG")
    regiment = Assignment.objects.get(user__username="clerk_a").unit
    period = period_of(timezone.localdate(), PeriodType.MONTHLY).shift(-2).id
    commander = resolve_scope(User.objects.get(username="commander"))
    with transaction.atomic():
        assert status_of(workflow, period, regiment).state == ApprovalState.READY
        approve(commander, workflow, period, regiment)
        assert status_of(workflow, period, regiment).state == ApprovalState.APPROVED_HERE
        transaction.set_rollback(True)
