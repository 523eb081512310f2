"""`import_values`: all-or-nothing checks, strategies, idempotence, outbox and audit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone

from haucan.analytics.engine import run_query
from haucan.analytics.query import parse_query
from haucan.catalog.models import CategoryOptionCombo
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Scope
from haucan.reporting.models import CompleteRegistration, DataValue, DataValueAudit, ValueChange
from haucan.reporting.services.imports import ImportFormatError, ImportRow, import_values
from haucan.testing import FuelForm, World, build_fuel_form

SYSTEM = Scope.system("test")


def last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


@pytest.fixture
def fuel(world: World) -> FuelForm:
    return build_fuel_form([world.regiment_a, world.regiment_b, world.battalion_a])


def rows(world: World, pe: str | None = None) -> list[ImportRow]:
    pe = pe or last_month()
    ou = world.regiment_a.code
    return [
        ImportRow("PET_STOCK", pe, ou, "120", category_option_combo="FUEL_1"),
        ImportRow("PET_STOCK", pe, ou, "80", category_option_combo="FUEL_2"),
        ImportRow("PET_ISSUED", pe, ou, "12,5"),
        ImportRow("PET_NOTE", pe, ou, "Kho Vinh đủ dự trữ"),
    ]


def stored() -> dict[tuple[str, str, str, str], str]:
    return {
        (v.data_element.code, v.period, v.unit.code, v.category_option_combo.code): v.value
        for v in DataValue.objects.filter(deleted=False).select_related(
            "data_element", "unit", "category_option_combo"
        )
    }


def test_it_imports_values_with_audit_and_outbox(world: World, fuel: FuelForm) -> None:
    summary = import_values(SYSTEM, rows(world), id_scheme="code")
    assert summary["status"] == "SUCCESS", summary
    assert summary["importCount"] == {"imported": 4, "updated": 0, "ignored": 0, "deleted": 0}
    pe = last_month()
    assert stored() == {
        ("PET_STOCK", pe, "F324-E1", "FUEL_1"): "120",
        ("PET_STOCK", pe, "F324-E1", "FUEL_2"): "80",
        ("PET_ISSUED", pe, "F324-E1", "default"): "12.5",
        ("PET_NOTE", pe, "F324-E1", "default"): "Kho Vinh đủ dự trữ",
    }
    assert DataValueAudit.objects.filter(action="CREATE", origin="import").count() == 4
    numbers = sorted(
        n
        for n in ValueChange.objects.filter(reset=False).values_list("new_number", flat=True)
        if n is not None
    )
    assert numbers == [12.5, 80.0, 120.0]


def test_a_second_import_of_the_same_payload_changes_nothing(world: World, fuel: FuelForm) -> None:
    import_values(SYSTEM, rows(world), id_scheme="code")
    audits, versions = (
        DataValueAudit.objects.count(),
        sorted(DataValue.objects.values_list("version", flat=True)),
    )
    again = import_values(SYSTEM, rows(world), id_scheme="code")
    assert again["importCount"] == {"imported": 0, "updated": 0, "ignored": 4, "deleted": 0}
    assert DataValueAudit.objects.count() == audits
    assert sorted(DataValue.objects.values_list("version", flat=True)) == versions


def test_an_update_increments_versions_and_sends_old_and_new_numbers(
    world: World, fuel: FuelForm
) -> None:
    import_values(SYSTEM, rows(world), id_scheme="code")
    ValueChange.objects.all().delete()
    pe, ou = last_month(), world.regiment_a.code
    summary = import_values(
        SYSTEM,
        [ImportRow("PET_STOCK", pe, ou, "150", category_option_combo="FUEL_1")],
        id_scheme="code",
    )
    assert summary["importCount"]["updated"] == 1
    value = DataValue.objects.get(data_element=fuel.stock, category_option_combo__code="FUEL_1")
    assert (value.value, value.version) == ("150", 2)
    assert list(ValueChange.objects.values_list("old_number", "new_number")) == [(120.0, 150.0)]
    audit = DataValueAudit.objects.get(action="UPDATE")
    assert (audit.previous_value, audit.value) == ("120", "150")


def test_one_bad_row_writes_nothing_and_names_its_index(world: World, fuel: FuelForm) -> None:
    payload = rows(world)
    payload.insert(
        2,
        ImportRow(
            "PET_STOCK", last_month(), world.regiment_a.code, "abc", category_option_combo="FUEL_1"
        ),
    )
    summary = import_values(SYSTEM, payload, id_scheme="code")
    assert summary["status"] == "ERROR"
    assert [(c["errorCode"], c["indexes"]) for c in summary["conflicts"]] == [("E7619", [2])]
    assert DataValue.objects.count() == 0
    assert ValueChange.objects.filter(reset=False).count() == 0


@pytest.mark.parametrize(
    ("row", "code"),
    [
        (ImportRow("NOPE", "{pe}", "F324-E1", "1"), "E7610"),
        (ImportRow("PET_ISSUED", "2024X1", "F324-E1", "1"), "E7611"),
        (ImportRow("PET_ISSUED", "{pe}", "NOPE", "1"), "E7612"),
        (ImportRow("PET_STOCK", "{pe}", "F324-E1", "1", category_option_combo="NOPE"), "E7613"),
        (ImportRow("PET_ISSUED", "{pe}", "F324", "1"), "E7633"),  # division has no form
        (ImportRow("PET_ISSUED", "2024", "F324-E1", "1"), "E7633"),  # yearly period
        (ImportRow("PET_ISSUED", "{future}", "F324-E1", "1"), "E7603"),
        (ImportRow("PET_STOCK", "{pe}", "F324-E1", "-4", category_option_combo="FUEL_1"), "E7619"),
    ],
)
def test_bad_rows_get_their_conflict_code(
    world: World, fuel: FuelForm, row: ImportRow, code: str
) -> None:
    future = period_of(timezone.localdate(), PeriodType.MONTHLY).next().next().id
    row = ImportRow(
        row.data_element,
        row.period.format(pe=last_month(), future=future),
        row.org_unit,
        row.value,
        category_option_combo=row.category_option_combo,
    )
    summary = import_values(SYSTEM, [rows(world)[0], row], id_scheme="code")
    assert [(c["errorCode"], c["indexes"]) for c in summary["conflicts"]] == [(code, [1])]
    assert DataValue.objects.count() == 0


def test_a_clerk_cannot_import_into_a_sibling_regiment(
    world: World, fuel: FuelForm, scope_of: Callable[[str], Scope]
) -> None:
    row = ImportRow("PET_ISSUED", last_month(), world.regiment_b.code, "5")
    summary = import_values(scope_of("clerk_a"), [row], id_scheme="code")
    assert summary["conflicts"][0]["errorCode"] == "E7612"
    assert DataValue.objects.count() == 0
    ok = import_values(scope_of("clerk_b"), [row], id_scheme="code")
    assert ok["status"] == "SUCCESS", ok


def test_a_closed_unit_refuses_values(world: World, fuel: FuelForm) -> None:
    pe = last_month()
    type(world.regiment_a).objects.filter(pk=world.regiment_a.pk).update(
        closed_on=period_of(timezone.localdate(), PeriodType.MONTHLY).previous().previous().start
    )
    summary = import_values(SYSTEM, [ImportRow("PET_ISSUED", pe, "F324-E1", "5")], id_scheme="code")
    assert summary["conflicts"][0]["errorCode"] == "E7602"


def test_a_locked_period_refuses_values(world: World, fuel: FuelForm) -> None:
    fuel.data_set.expiry_days = 1
    fuel.data_set.save()
    old = period_of(timezone.localdate(), PeriodType.MONTHLY).shift(-3).id
    summary = import_values(
        SYSTEM, [ImportRow("PET_ISSUED", old, "F324-E1", "5")], id_scheme="code"
    )
    assert summary["conflicts"][0]["errorCode"] == "E7604"


def test_a_submitted_report_refuses_values(world: World, fuel: FuelForm) -> None:
    pe = last_month()
    CompleteRegistration.objects.create(
        data_set=fuel.data_set,
        period=pe,
        unit=world.regiment_a,
        attribute_option_combo=CategoryOptionCombo.objects.get(code="default"),
        completed_at=timezone.now(),
        completed_by="x",
        on_time=True,
    )
    summary = import_values(SYSTEM, [ImportRow("PET_ISSUED", pe, "F324-E1", "5")], id_scheme="code")
    assert summary["conflicts"][0]["errorCode"] == "E7606"


def test_dry_run_counts_and_writes_nothing(world: World, fuel: FuelForm) -> None:
    summary = import_values(SYSTEM, rows(world), id_scheme="code", dry_run=True)
    assert summary["status"] == "SUCCESS"
    assert summary["importCount"]["imported"] == 4
    assert DataValue.objects.count() == 0
    assert DataValueAudit.objects.count() == 0


def test_strategies(world: World, fuel: FuelForm) -> None:
    pe, ou = last_month(), "F324-E1"
    first = ImportRow("PET_ISSUED", pe, ou, "5")
    assert (
        import_values(SYSTEM, [first], strategy="UPDATE", id_scheme="code")["importCount"][
            "ignored"
        ]
        == 1
    )
    assert (
        import_values(SYSTEM, [first], strategy="CREATE", id_scheme="code")["importCount"][
            "imported"
        ]
        == 1
    )
    changed = ImportRow("PET_ISSUED", pe, ou, "6")
    assert (
        import_values(SYSTEM, [changed], strategy="CREATE", id_scheme="code")["importCount"][
            "ignored"
        ]
        == 1
    )
    deleted = import_values(SYSTEM, [changed], strategy="DELETE", id_scheme="code")
    assert deleted["importCount"]["deleted"] == 1
    assert DataValue.objects.get().deleted is True
    assert list(ValueChange.objects.order_by("id").values_list("old_number", "new_number")) == [
        (None, 5.0),
        (5.0, None),
    ]
    again = import_values(SYSTEM, [changed], strategy="CREATE_AND_UPDATE", id_scheme="code")
    assert again["importCount"]["imported"] == 1
    assert DataValue.objects.get().version == 3


def test_insignificant_zero_deletes(world: World, fuel: FuelForm) -> None:
    pe, ou = last_month(), "F324-E1"
    import_values(SYSTEM, [ImportRow("PET_ISSUED", pe, ou, "5")], id_scheme="code")
    summary = import_values(SYSTEM, [ImportRow("PET_ISSUED", pe, ou, "0")], id_scheme="code")
    assert summary["importCount"]["deleted"] == 1


def test_a_parser_error_is_a_conflict_at_its_row(world: World, fuel: FuelForm) -> None:
    def broken() -> object:
        yield rows(world)[0]
        raise ImportFormatError("bad token", 1)

    summary = import_values(SYSTEM, broken(), id_scheme="code")  # type: ignore[arg-type]
    assert [(c["errorCode"], c["indexes"]) for c in summary["conflicts"]] == [("E7650", [1])]
    assert DataValue.objects.count() == 0


def test_chunks_keep_all_or_nothing(world: World, fuel: FuelForm) -> None:
    payload = rows(world) * 3 + [ImportRow("NOPE", last_month(), "F324-E1", "1")]
    summary = import_values(SYSTEM, payload, id_scheme="code", chunk_size=2)
    assert summary["status"] == "ERROR"
    assert summary["conflicts"][0]["indexes"] == [12]
    assert DataValue.objects.count() == 0


def test_duplicates_in_one_payload_end_with_the_last(world: World, fuel: FuelForm) -> None:
    pe, ou = last_month(), "F324-E1"
    payload = [ImportRow("PET_ISSUED", pe, ou, "5"), ImportRow("PET_ISSUED", pe, ou, "7")]
    summary = import_values(SYSTEM, payload, id_scheme="code")
    assert summary["importCount"] == {"imported": 1, "updated": 1, "ignored": 0, "deleted": 0}
    assert DataValue.objects.get().value == "7"


def test_analytics_see_an_import_at_once(world: World, fuel: FuelForm) -> None:
    pe = last_month()
    import_values(
        SYSTEM,
        [
            ImportRow("PET_ISSUED", pe, "F324-E1", "5"),
            ImportRow("PET_ISSUED", pe, "F324-E1-D1", "7"),
        ],
        id_scheme="code",
    )
    query = parse_query({"dimension": ["dx:PET_ISSUED", f"pe:{pe}", f"ou:{world.division.uid}"]})
    assert list(run_query(SYSTEM, query).value_map().values()) == [12.0]
    import_values(SYSTEM, [ImportRow("PET_ISSUED", pe, "F324-E1", "10")], id_scheme="code")
    assert list(run_query(SYSTEM, query).value_map().values()) == [17.0]


def test_id_schemes_uid_and_name(world: World, fuel: FuelForm) -> None:
    pe = last_month()
    by_uid = ImportRow(fuel.issued.uid, pe, world.regiment_a.uid, "3")
    assert import_values(SYSTEM, [by_uid])["status"] == "SUCCESS"
    by_name = ImportRow(fuel.issued.name, pe, world.regiment_a.name, "4")
    summary = import_values(SYSTEM, [by_name], id_scheme="name")
    assert summary["importCount"]["updated"] == 1
