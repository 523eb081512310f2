"""Excel templates: what the downloaded workbook holds, and what uploading it back does."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from haucan.analytics.engine import run_query
from haucan.analytics.query import parse_query
from haucan.catalog.models import (
    DataElement,
    DataSetElement,
    GreyedField,
    Option,
    OptionSet,
    Section,
    SectionElement,
    ValueType,
)
from haucan.catalog.services import ensure_default_combo
from haucan.core.errors import NotFound
from haucan.core.scope import Scope
from haucan.exchange.excel import build_template, import_workbook
from haucan.reporting.models import DataValue, DataValueAudit
from haucan.reporting.services.values import CellInput, resolve_target, save_values
from haucan.testing import FuelForm, World, build_fuel_form

SYSTEM = Scope.system("test")
PERIOD = "202401"


@dataclass
class Form:
    fuel: FuelForm
    checked: DataElement
    rate: DataElement
    grade: DataElement

    @property
    def data_set(self):  # type: ignore[no-untyped-def]
        return self.fuel.data_set


@pytest.fixture
def form(world: World) -> Form:
    """The fuel form with two sections, a greyed Diesel stock cell, and yes/no, percentage and
    option-set rows. Layout of each unit sheet (see build_template):

    row 6 section I, 7 header (A92 | Diesel), 8 PET_STOCK (C8, D8 greyed), 9 header (Value),
    10 PET_ISSUED (C10); row 12 section II, 13 header, 14 PET_NOTE, 15 PET_CHECKED, 16 PET_RATE,
    17 PET_GRADE (all in column C)."""
    fuel = build_fuel_form([world.regiment_a, world.regiment_b])
    default = ensure_default_combo()
    grades = OptionSet.objects.create(code="OS_GRADE", name="Xếp loại")
    Option.objects.bulk_create(
        [
            Option(option_set=grades, code="GOOD", name="Tốt", sort_order=0),
            Option(option_set=grades, code="POOR", name="Yếu", sort_order=1),
        ]
    )

    def element(code: str, name: str, value_type: str, **extra: object) -> DataElement:
        return DataElement.objects.create(
            code=code,
            name=name,
            domain="petroleum",
            value_type=value_type,
            category_combo=default,
            **extra,
        )

    checked = element("PET_CHECKED", "Đã kiểm kê", ValueType.BOOLEAN)
    rate = element("PET_RATE", "Tỷ lệ hao hụt", ValueType.PERCENTAGE)
    grade = element("PET_GRADE", "Xếp loại kho", ValueType.TEXT, option_set=grades)
    DataSetElement.objects.bulk_create(
        DataSetElement(data_set=fuel.data_set, data_element=e) for e in (checked, rate, grade)
    )
    first = Section.objects.create(data_set=fuel.data_set, name="I. Xăng dầu", sort_order=0)
    second = Section.objects.create(data_set=fuel.data_set, name="II. Khác", sort_order=1)
    for section, elements in (
        (first, [fuel.stock, fuel.issued]),
        (second, [fuel.note, checked, rate, grade]),
    ):
        SectionElement.objects.bulk_create(
            SectionElement(section=section, data_element=e, sort_order=i)
            for i, e in enumerate(elements)
        )
    diesel = fuel.stock.category_combo.option_combos.get(code="FUEL_2")
    GreyedField.objects.create(section=first, data_element=fuel.stock, option_combo=diesel)
    return Form(fuel, checked, rate, grade)


def template(scope: Scope, form: Form, units: list, period: str = PERIOD) -> Workbook:  # type: ignore[type-arg]
    return load_workbook(BytesIO(build_template(scope, form.data_set, units, period)))


def to_bytes(workbook: Workbook) -> bytes:
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def filled(scope: Scope, form: Form, units: list, cells: dict[str, dict[str, object]]) -> bytes:  # type: ignore[type-arg]
    """Download the template, type `cells` ({sheet: {ref: value}}) and save, as a spreadsheet
    program would (openpyxl keeps the hidden sheets, protection and validation)."""
    workbook = template(scope, form, units)
    for sheet, values in cells.items():
        for ref, value in values.items():
            workbook[sheet][ref] = value
    return to_bytes(workbook)


def stored() -> dict[tuple[str, str, str], str]:
    return {
        (unit, de, coc): value
        for unit, de, coc, value in DataValue.objects.filter(deleted=False).values_list(
            "unit__code", "data_element__code", "category_option_combo__code", "value"
        )
    }


# --- the template --------------------------------------------------------------------------


def test_template_has_one_sheet_per_unit_then_the_hidden_sheets(world, scope_of, form):
    workbook = template(scope_of("commander"), form, [world.regiment_a, world.regiment_b])

    assert workbook.sheetnames == ["F324-E1", "F324-E2", "_lists", "_meta"]
    states = {s.title: s.sheet_state for s in workbook.worksheets}
    assert states == {
        "F324-E1": "visible",
        "F324-E2": "visible",
        "_lists": "hidden",
        "_meta": "hidden",
    }
    assert workbook.security.lockStructure is True


def test_template_labels_and_layout(world, scope_of, form):
    sheet = template(scope_of("clerk_a"), form, [world.regiment_a])["F324-E1"]

    assert sheet["A1"].value == "Báo cáo xăng dầu tháng"
    assert sheet["A2"].value == "Unit: Trung đoàn 1 (F324-E1)"
    assert sheet["A3"].value == "Period: Month 01/2024"
    assert [sheet[f"A{r}"].value for r in (6, 8, 10, 12, 14, 15, 16, 17)] == [
        "I. Xăng dầu",
        "Tồn cuối kỳ",
        "Xuất trong kỳ",
        "II. Khác",
        "Ghi chú",
        "Đã kiểm kê",
        "Tỷ lệ hao hụt",
        "Xếp loại kho",
    ]
    assert [sheet[f"{c}7"].value for c in "ABCD"] == [
        "Data element",
        "Unit of measure",
        "Xăng A92",
        "Diesel",
    ]
    assert sheet["C9"].value == "Value"


def test_template_in_vietnamese(world, scope_of, form):
    from django.utils import translation

    with translation.override("vi"):
        sheet = template(scope_of("clerk_a"), form, [world.regiment_a])["F324-E1"]
    assert sheet["A2"].value == "Đơn vị: Trung đoàn 1 (F324-E1)"
    assert sheet["A3"].value == "Kỳ báo cáo: Tháng 01/2024"


def test_labels_are_locked_inputs_unlocked_and_greyed_cells_locked(world, scope_of, form):
    sheet = template(scope_of("clerk_a"), form, [world.regiment_a])["F324-E1"]

    assert sheet.protection.sheet is True
    assert sheet.protection.password is None
    assert sheet["A8"].protection.locked is True
    assert sheet["C7"].protection.locked is True
    for ref in ("C8", "C10", "C14", "C15", "C16", "C17"):
        assert sheet[ref].protection.locked is False, ref
    assert sheet["D8"].protection.locked is True
    assert sheet["D8"].fill.fgColor.rgb == "00D9D9D9"


def test_validation_follows_the_value_type(world, scope_of, form):
    sheet = template(scope_of("clerk_a"), form, [world.regiment_a])["F324-E1"]
    rules = {
        str(cell): (dv.type, dv.operator, dv.formula1, dv.formula2)
        for dv in sheet.data_validations.dataValidation
        for cell in dv.sqref.ranges
    }

    assert rules["C8"] == ("whole", "between", "0", "1000000000000000")
    assert rules["C10"] == ("decimal", "between", "-1000000000000000", "1000000000000000")
    assert rules["C14"] == ("textLength", "lessThanOrEqual", "255", None)
    assert rules["C15"] == ("list", None, "_lists!$A$1:$A$2", None)
    assert rules["C16"] == ("decimal", "between", "0", "100")
    assert rules["C17"] == ("list", None, "_lists!$B$1:$B$2", None)
    assert "D8" not in rules
    lists = sheet.parent["_lists"]
    assert [lists["A1"].value, lists["A2"].value, lists["B1"].value, lists["B2"].value] == [
        "Yes",
        "No",
        "Tốt",
        "Yếu",
    ]


def test_hidden_meta_holds_the_codes(world, scope_of, form):
    workbook = template(scope_of("clerk_a"), form, [world.regiment_a])
    rows = list(workbook["_meta"].iter_rows(values_only=True))
    a92 = form.fuel.stock.category_combo.option_combos.get(code="FUEL_1")

    assert rows[0][:4] == ("haucan-xlsx/1", form.data_set.uid, "PET_MONTHLY", PERIOD)
    assert rows[1][:4] == ("unit", "F324-E1", world.regiment_a.uid, "F324-E1")
    assert rows[2][:6] == ("cell", "F324-E1", "C8", form.fuel.stock.uid, a92.uid, 0)
    assert len(rows) == 2 + 6  # the head, one unit, six input cells (the greyed one is not)


def test_current_values_are_prefilled(world, scope_of, form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, form.data_set, world.regiment_a, PERIOD)
    save_values(
        scope,
        target,
        [
            CellInput("PET_STOCK", "1200", "FUEL_1"),
            CellInput("PET_ISSUED", "12,5"),
            CellInput("PET_NOTE", "Đủ"),
            CellInput("PET_CHECKED", "true"),
            CellInput("PET_GRADE", "GOOD"),
        ],
    )
    sheet = template(scope, form, [world.regiment_a])["F324-E1"]

    assert [sheet[r].value for r in ("C8", "C10", "C14", "C15", "C16", "C17")] == [
        1200,
        12.5,
        "Đủ",
        "Yes",
        None,
        "Tốt",
    ]


def test_clerk_cannot_download_a_sibling_units_template(world, scope_of, form):
    with pytest.raises(NotFound):
        build_template(scope_of("clerk_a"), form.data_set, [world.regiment_b], PERIOD)


# --- uploading -----------------------------------------------------------------------------


def test_upload_writes_values_with_audit_and_fresh_analytics(world, scope_of, form):
    scope = scope_of("clerk_a")
    data = filled(
        scope,
        form,
        [world.regiment_a],
        {
            "F324-E1": {
                "C8": 1500,
                "C10": 12.5,
                "C14": "Đủ số lượng",
                "C15": "Yes",
                "C16": 0.4,
                "C17": "Yếu",
            }
        },
    )

    result = import_workbook(scope, data)

    assert (result.errors, result.written) == ([], True)
    assert result.counts == {"created": 6, "updated": 0, "deleted": 0, "unchanged": 0}
    assert stored() == {
        ("F324-E1", "PET_STOCK", "FUEL_1"): "1500",
        ("F324-E1", "PET_ISSUED", "default"): "12.5",
        ("F324-E1", "PET_NOTE", "default"): "Đủ số lượng",
        ("F324-E1", "PET_CHECKED", "default"): "true",
        ("F324-E1", "PET_RATE", "default"): "0.4",
        ("F324-E1", "PET_GRADE", "default"): "POOR",
    }
    audits = set(DataValueAudit.objects.values_list("action", "changed_by", "origin"))
    assert audits == {("CREATE", "clerk_a", "import")}
    assert DataValueAudit.objects.count() == 6
    query = parse_query(
        {"dimension": ["dx:PET_ISSUED", f"pe:{PERIOD}", f"ou:{world.division.uid}"]}
    )
    assert list(run_query(SYSTEM, query).value_map().values()) == [12.5]


def test_a_second_upload_updates_and_deletes(world, scope_of, form):
    scope = scope_of("clerk_a")
    import_workbook(
        scope, filled(scope, form, [world.regiment_a], {"F324-E1": {"C8": 10, "C10": 5}})
    )

    result = import_workbook(
        scope, filled(scope, form, [world.regiment_a], {"F324-E1": {"C8": 20, "C10": None}})
    )

    assert result.written is True
    assert result.counts == {"created": 0, "updated": 1, "deleted": 1, "unchanged": 4}
    assert stored() == {("F324-E1", "PET_STOCK", "FUEL_1"): "20"}


def test_errors_are_reported_per_cell_and_nothing_is_written(world, scope_of, form):
    scope = scope_of("clerk_a")
    data = filled(
        scope,
        form,
        [world.regiment_a],
        {"F324-E1": {"C8": -3, "C10": "abc", "C14": "ok", "C15": "maybe", "C16": 150, "C17": "X"}},
    )

    result = import_workbook(scope, data)

    assert result.errors == [
        "F324-E1!C8: The value may not be negative.",
        "F324-E1!C10: 'abc' is not a number.",
        "F324-E1!C15: Answer yes or no.",
        "F324-E1!C16: A percentage must lie between 0 and 100.",
        "F324-E1!C17: 'X' is not one of the allowed options.",
    ]
    assert result.written is False
    assert DataValue.objects.count() == 0


def test_dry_run_lists_the_changes_and_writes_nothing(world, scope_of, form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, form.data_set, world.regiment_a, PERIOD)
    save_values(scope, target, [CellInput("PET_ISSUED", "5"), CellInput("PET_NOTE", "cũ")])
    data = filled(scope, form, [world.regiment_a], {"F324-E1": {"C8": 7, "C10": 6, "C14": None}})

    result = import_workbook(scope, data, dry_run=True)

    assert (result.errors, result.written, result.dry_run) == ([], False, True)
    changed = [(c.ref, c.old, c.new, c.action) for c in result.changes if c.action != "unchanged"]
    assert changed == [
        ("F324-E1!C8", None, "7", "created"),
        ("F324-E1!C10", "5", "6", "updated"),
        ("F324-E1!C14", "cũ", None, "deleted"),
    ]
    assert stored() == {
        ("F324-E1", "PET_ISSUED", "default"): "5",
        ("F324-E1", "PET_NOTE", "default"): "cũ",
    }
    assert DataValueAudit.objects.count() == 2


def test_one_bad_sheet_keeps_every_sheet_unwritten(world, scope_of, form):
    admin = scope_of("admin")
    data = filled(
        admin,
        form,
        [world.regiment_a, world.regiment_b],
        {"F324-E1": {"C10": 5}, "F324-E2": {"C10": "năm"}},
    )

    result = import_workbook(admin, data)

    assert result.errors == ["F324-E2!C10: 'năm' is not a number."]
    assert DataValue.objects.count() == 0


def test_clerk_cannot_upload_for_a_sibling_unit(world, scope_of, form):
    data = filled(
        scope_of("admin"),
        form,
        [world.regiment_a, world.regiment_b],
        {"F324-E1": {"C10": 5}, "F324-E2": {"C10": 6}},
    )

    result = import_workbook(scope_of("clerk_a"), data)

    assert result.errors == ["F324-E2: Unit not found."]
    assert DataValue.objects.count() == 0


def test_viewer_without_enter_cannot_upload(world, scope_of, form):
    data = filled(scope_of("commander"), form, [world.regiment_a], {"F324-E1": {"C10": 5}})

    result = import_workbook(scope_of("commander"), data)

    assert result.errors == ["Report form not found."]


def test_a_value_changed_after_download_is_a_conflict(world, scope_of, form):
    scope = scope_of("clerk_a")
    workbook = template(scope, form, [world.regiment_a])
    target = resolve_target(scope, form.data_set, world.regiment_a, PERIOD)
    save_values(scope_of("admin"), target, [CellInput("PET_ISSUED", "9")])
    workbook["F324-E1"]["C10"] = 4

    result = import_workbook(scope, to_bytes(workbook))

    assert result.errors == [
        "F324-E1!C10: admin changed this value to “9” after the template was made."
    ]
    assert stored() == {("F324-E1", "PET_ISSUED", "default"): "9"}


# --- malformed files -----------------------------------------------------------------------


def test_a_file_that_is_not_xlsx_is_refused(world, scope_of):
    for data in (b"", b"PK\x03\x04 broken", "Đơn vị;Giá trị\n".encode()):
        result = import_workbook(scope_of("clerk_a"), data)
        assert result.errors == [
            "The file is not an Excel workbook (.xlsx); save it as .xlsx and try again."
        ]


def test_a_workbook_that_is_not_a_template_is_refused(world, scope_of):
    workbook = Workbook()
    workbook.active["A1"] = "hello"

    result = import_workbook(scope_of("clerk_a"), to_bytes(workbook))

    assert result.errors == [
        "This workbook is not a Hậu Cần Số template; download a template and fill that in."
    ]


@pytest.mark.parametrize(
    ("ref", "value"),
    [("D3", "AAAAAAAAAAA"), ("C3", "C9"), ("C2", "F324-E2"), ("D1", "202402"), ("F3", 7)],
)
def test_tampered_hidden_codes_are_refused(world, scope_of, form, ref, value):
    scope = scope_of("clerk_a")
    workbook = template(scope, form, [world.regiment_a])
    workbook["F324-E1"]["C10"] = 5
    workbook["_meta"][ref] = value

    result = import_workbook(scope, to_bytes(workbook))

    assert result.errors == [
        "The hidden codes of this template were changed; download a new template."
    ]
    assert DataValue.objects.count() == 0


def test_a_template_of_another_period_is_refused_when_one_is_expected(world, scope_of, form):
    scope = scope_of("clerk_a")
    data = filled(scope, form, [world.regiment_a], {"F324-E1": {"C10": 5}})

    result = import_workbook(scope, data, expect_period="202402")

    assert result.errors == ["This template is for the period 202401, not 202402."]
    assert DataValue.objects.count() == 0


def test_a_renamed_sheet_is_reported(world, scope_of, form):
    scope = scope_of("clerk_a")
    workbook = template(scope, form, [world.regiment_a])
    workbook["F324-E1"].title = "Trung đoàn 1"

    result = import_workbook(scope, to_bytes(workbook))

    assert result.errors == ["F324-E1: The sheet is missing from the workbook."]


def test_a_locked_period_is_reported_per_sheet(world, scope_of, form):
    form.data_set.expiry_days = 5
    form.data_set.save()
    scope = scope_of("clerk_a")
    data = filled(scope, form, [world.regiment_a], {"F324-E1": {"C10": 5}})

    result = import_workbook(scope, data)

    assert len(result.errors) == 1
    assert result.errors[0].startswith("F324-E1: The period Month 01/2024 is locked since")


# --- as a spreadsheet program saves it -----------------------------------------------------


def test_a_template_saved_by_a_spreadsheet_program_imports(world, scope_of, form):
    """LibreOffice and Excel rewrite the whole file: values typed as text, dates as dates,
    formulas with their cached results. openpyxl load, edit and save is the same shape."""
    scope = scope_of("clerk_a")
    workbook = load_workbook(
        BytesIO(build_template(scope, form.data_set, [world.regiment_a], PERIOD))
    )
    sheet = workbook["F324-E1"]
    sheet["C8"] = "1200"  # a number typed into a text-formatted cell
    sheet["C10"] = "12,5"  # the Vietnamese decimal comma
    sheet["C15"] = "có"
    sheet["C17"] = "GOOD"  # the code works as well as the name
    saved = BytesIO()
    workbook.save(saved)

    result = import_workbook(scope, saved.getvalue())

    assert result.errors == []
    assert stored() == {
        ("F324-E1", "PET_STOCK", "FUEL_1"): "1200",
        ("F324-E1", "PET_ISSUED", "default"): "12.5",
        ("F324-E1", "PET_CHECKED", "default"): "true",
        ("F324-E1", "PET_GRADE", "default"): "GOOD",
    }


# --- no formula injection -----------------------------------------------------------------


def test_text_that_looks_like_a_formula_stays_text_in_the_template_and_round_trips(
    world, scope_of, form
):
    scope = scope_of("clerk_a")
    evil = '=HYPERLINK("http://attacker","x")'
    DataElement.objects.filter(code="PET_NOTE").update(name="@Ghi chú")
    target = resolve_target(scope, form.data_set, world.regiment_a, PERIOD)
    save_values(scope, target, [CellInput("PET_NOTE", evil), CellInput("PET_ISSUED", "-5")])
    data = build_template(scope, form.data_set, [world.regiment_a], PERIOD)
    sheet = load_workbook(BytesIO(data))["F324-E1"]

    note, label, issued = sheet["C14"], sheet["A14"], sheet["C10"]
    assert (note.value, note.data_type, note.quotePrefix) == (evil, "s", True)
    assert (label.value, label.data_type, label.quotePrefix) == ("@Ghi chú", "s", True)
    assert (issued.value, issued.data_type) == (-5, "n")
    assert not [
        c
        for ws in load_workbook(BytesIO(data))
        for r in ws.iter_rows()
        for c in r
        if c.data_type == "f"
    ]

    result = import_workbook(scope, data)  # uploading it unchanged changes nothing
    assert result.errors == []
    assert (result.counts["created"], result.counts["updated"]) == (0, 0)
    assert stored()[("F324-E1", "PET_NOTE", "default")] == evil
