"""Excel templates for a report form: download one, fill it in Excel or LibreOffice, upload it.

`build_template` writes one sheet per unit with the form's rows and columns, the current values
pre-filled, data validation per value type, and the labels locked (sheet protection without a
password: it guards against slips, not against intent). The codes that tie each input cell to its
(data element, option combo) live on a hidden `_meta` sheet together with a signature, so a
tampered or foreign file is refused instead of being written to the wrong cells.

`import_workbook` reads a filled template back, checks every cell with the same parser as data
entry, and reports errors per cell (`F324-E1!C7: 'abc' is not a number.`). Nothing is written
unless the whole file is valid; a dry run reports what would change, cell by cell. Values are
written through `save_values` (audit rows and analytics freshness included), all units of the
workbook in one transaction.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any
from xml.etree.ElementTree import ParseError

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from haucan.catalog.models import CategoryOptionCombo, DataElement, DataSet, Option, ValueType
from haucan.catalog.queries import data_sets_for
from haucan.core.cells import protect_sheet
from haucan.core.errors import HaucanError, NotFound
from haucan.core.scope import Action, Domain, Scope
from haucan.org.models import Unit
from haucan.org.queries import get_unit
from haucan.reporting import queries
from haucan.reporting.models import Origin
from haucan.reporting.services.values import (
    CellInput,
    InvalidCells,
    StaleCells,
    Target,
    check_writable,
    resolve_target,
    save_values,
)
from haucan.reporting.structure import FormRow, FormStructure, load_structure
from haucan.reporting.values import parse_value

FORMAT = "haucan-xlsx/1"
META_SHEET = "_meta"
LISTS_SHEET = "_lists"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UNITS = 200  # sheets per workbook
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # refuse zip bombs before openpyxl inflates them
_SIGNER_SALT = "haucan.exchange.excel"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_GREY = PatternFill("solid", fgColor="D9D9D9")
_HEADER = PatternFill("solid", fgColor="E8EDDF")
_INPUT = PatternFill("solid", fgColor="FFFFFF")
_SOURCE = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class CellChange:
    """What an upload does (or would do) to one cell."""

    sheet: str
    cell: str
    unit: str  # unit code
    data_element: str  # its label
    category_option_combo: str  # its name
    old: str | None
    new: str | None
    action: str  # created | updated | deleted | unchanged

    @property
    def ref(self) -> str:
        return f"{self.sheet}!{self.cell}"


@dataclass
class WorkbookResult:
    """The outcome of `import_workbook`: errors per cell, or the changes (made or planned)."""

    errors: list[str] = field(default_factory=list)
    changes: list[CellChange] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        tally = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
        for change in self.changes:
            tally[change.action] += 1
        return tally

    @property
    def ok(self) -> bool:
        return not self.errors


# --- the template ----------------------------------------------------------------------------


def template_forms(scope: Scope) -> list[DataSet]:
    """Forms in scope whose domain the actor may view (and so download a template for)."""
    return [
        f for f in data_sets_for(scope).order_by("name") if scope.can(Action.VIEW, Domain(f.domain))
    ]


def find_template_form(scope: Scope, key: str) -> DataSet:
    """The form by uid or code among `template_forms`, or NotFound."""
    for data_set in template_forms(scope):
        if key and key in (data_set.uid, data_set.code):
            return data_set
    raise NotFound(_("Report form not found."))


def sheet_name(code: str, taken: set[str]) -> str:
    """A valid, unique sheet name from a unit code (Excel allows 31 characters, no []:*?/\\)."""
    base = _SHEET_FORBIDDEN.sub("_", code).strip("'")[:31] or "_"
    name, n = base, 1
    while name.lower() in taken or name in (META_SHEET, LISTS_SHEET):
        n += 1
        suffix = f"~{n}"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def build_template(scope: Scope, data_set: DataSet, units: Sequence[Unit], period: str) -> bytes:
    """The .xlsx template of `data_set` for `units` and `period`, values pre-filled.

    Needs VIEW in the form's domain and each unit in scope and assigned to the form; raises
    NotFound, PermissionDenied or ValidationFailed otherwise (nothing is built)."""
    if not units:
        raise NotFound(_("Unit not found."))
    if len(units) > MAX_UNITS:
        raise HaucanError(_("Choose at most %(n)d units.") % {"n": MAX_UNITS})
    targets = [resolve_target(scope, data_set, u, period, action=Action.VIEW) for u in units]
    structure = load_structure(data_set)
    workbook = Workbook()
    workbook.remove(workbook.active)
    lists = _Lists(workbook, structure)
    meta: list[list[Any]] = []
    taken: set[str] = set()
    for target in targets:
        name = sheet_name(target.unit.code, taken)
        meta.append(["unit", name, target.unit.uid, target.unit.code])
        sheet = workbook.create_sheet(name)
        _fill_sheet(sheet, scope, structure, target, lists, meta)
    workbook.move_sheet(lists.sheet, offset=len(targets))  # the unit sheets come first
    lists.sheet.sheet_state = "hidden"
    _write_meta(workbook, data_set, targets[0].period.id, meta)
    # Lock the structure so sheets cannot be renamed, unhidden or reordered by accident.
    workbook.security = WorkbookProtection(lockStructure=True)
    workbook.active = 0
    for each in workbook.worksheets:
        protect_sheet(each)  # names, labels and pre-filled text values never run as formulas
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


class _Lists:
    """Hidden sheet holding the choices of yes/no and option-set cells, one column per list."""

    def __init__(self, workbook: Workbook, structure: FormStructure) -> None:
        self.sheet = workbook.create_sheet(LISTS_SHEET)
        self.ranges: dict[str, str] = {}
        set_ids = {r.element.option_set_id for r in structure.rows_by_element.values()}
        self.option_names: dict[int, dict[str, str]] = {}  # set id -> code -> name
        for set_id, code, name in (
            Option.objects.filter(option_set_id__in={i for i in set_ids if i})
            .order_by("sort_order", "name")
            .values_list("option_set_id", "code", "name")
        ):
            self.option_names.setdefault(set_id, {})[code] = name

    def range_for(self, key: str, values: list[str]) -> str:
        if key not in self.ranges:
            column = get_column_letter(len(self.ranges) + 1)
            for row, value in enumerate(values, start=1):
                self.sheet[f"{column}{row}"] = value
            last = max(len(values), 1)
            self.ranges[key] = f"{LISTS_SHEET}!${column}$1:${column}${last}"
        return self.ranges[key]


def _validation(element: DataElement, row: FormRow, lists: _Lists) -> DataValidation | None:
    kind = element.value_type
    error = None
    if row.options is not None and element.option_set_id:
        names = list(lists.option_names.get(element.option_set_id, {}).values())
        rule = DataValidation(
            type="list", formula1=lists.range_for(f"os{element.option_set_id}", names)
        )
        error = _("Choose one of the listed options.")
    elif kind in (ValueType.BOOLEAN, ValueType.TRUE_ONLY):
        choices = [_("Yes"), _("No")] if kind == ValueType.BOOLEAN else [_("Yes")]
        rule = DataValidation(type="list", formula1=lists.range_for(kind, choices))
        error = _("Answer yes or no.")
    elif kind.startswith("INTEGER"):
        low, high = {
            ValueType.INTEGER_POSITIVE: ("1", "1000000000000000"),
            ValueType.INTEGER_ZERO_OR_POSITIVE: ("0", "1000000000000000"),
            ValueType.INTEGER_NEGATIVE: ("-1000000000000000", "-1"),
        }.get(kind, ("-1000000000000000", "1000000000000000"))  # type: ignore[call-overload]
        rule = DataValidation(type="whole", operator="between", formula1=low, formula2=high)
        error = _("Enter a whole number.")
    elif kind == ValueType.PERCENTAGE:
        rule = DataValidation(type="decimal", operator="between", formula1="0", formula2="100")
        error = _("A percentage must lie between 0 and 100.")
    elif kind == ValueType.UNIT_INTERVAL:
        rule = DataValidation(type="decimal", operator="between", formula1="0", formula2="1")
        error = _("The value must lie between 0 and 1.")
    elif kind == ValueType.NUMBER:
        rule = DataValidation(
            type="decimal",
            operator="between",
            formula1="-1000000000000000",
            formula2="1000000000000000",
        )
        error = _("Enter a number.")
    elif kind == ValueType.DATE:
        rule = DataValidation(type="date", operator="greaterThan", formula1="1")
        error = _("Enter a date (dd/mm/yyyy).")
    elif kind == ValueType.TEXT:
        rule = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="255")
        error = _("The text is longer than %(n)d characters.") % {"n": 255}
    else:
        return None
    rule.allow_blank = True
    rule.showErrorMessage = True
    rule.errorTitle = _("Invalid value")
    rule.error = error
    return rule


def _cell_value(element: DataElement, text: str, lists: _Lists) -> object:
    """A stored value as the spreadsheet should hold it (numbers as numbers, dates as dates)."""
    if element.option_set_id:
        return lists.option_names.get(element.option_set_id, {}).get(text, text)
    if element.value_type in (ValueType.BOOLEAN, ValueType.TRUE_ONLY):
        return _("Yes") if text == "true" else _("No")
    if element.is_numeric:
        number = float(text)
        return int(number) if number.is_integer() else number
    if element.value_type == ValueType.DATE:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return text
    return text


def _fill_sheet(
    sheet: Worksheet,
    scope: Scope,
    structure: FormStructure,
    target: Target,
    lists: _Lists,
    meta: list[list[Any]],
) -> None:
    values = queries.current_values(scope, target)
    sheet["A1"] = structure.data_set.name
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = f"{_('Unit')}: {target.unit.name} ({target.unit.code})"
    sheet["A3"] = f"{_('Period')}: {target.period.display_name()}"
    sheet["A4"] = _(
        "Enter values in the white cells. Grey cells do not apply. "
        "Do not rename the sheets or move rows."
    )
    sheet["A4"].font = Font(italic=True, color="595959")
    sheet.column_dimensions["A"].width = 55
    sheet.column_dimensions["B"].width = 14
    validations: dict[int, DataValidation] = {}
    widest = 2
    row_no = 6
    for section in structure.sections:
        if section.name:
            sheet.cell(row_no, 1, section.name).font = Font(bold=True)
            row_no += 1
        last_combos: tuple[CategoryOptionCombo, ...] | None = None
        for form_row in section.rows:
            element = form_row.element
            if form_row.combos != last_combos:
                _header(sheet, row_no, form_row.combos)
                last_combos = form_row.combos
                row_no += 1
            label = sheet.cell(row_no, 1, element.label())
            label.alignment = Alignment(wrap_text=True, vertical="center")
            label.border = _BOX
            sheet.cell(row_no, 2, element.unit_of_measure).border = _BOX
            rule = validations.get(element.pk)
            if rule is None and (rule := _validation(element, form_row, lists)) is not None:
                validations[element.pk] = rule
                sheet.add_data_validation(rule)
            for offset, combo in enumerate(form_row.combos):
                column = 3 + offset
                widest = max(widest, column)
                cell = sheet.cell(row_no, column)
                cell.border = _BOX
                stored = values.get((element.pk, combo.pk))
                if (element.pk, combo.pk) in section.greyed:
                    cell.fill = _GREY  # locked, like every cell not unlocked below
                    continue
                if stored is not None and not stored.deleted:
                    cell.value = _cell_value(element, stored.value, lists)
                if element.value_type == ValueType.DATE:
                    cell.number_format = "DD/MM/YYYY"
                elif element.value_type in (ValueType.TEXT, ValueType.LONG_TEXT):
                    cell.number_format = "@"  # keep "001" as typed
                if stored is not None and stored.origin == Origin.SOURCE:
                    cell.fill = _SOURCE  # computed by a module: read-only, not imported
                    continue
                cell.protection = _UNLOCKED
                cell.fill = _INPUT
                if rule is not None:
                    rule.add(cell)
                meta.append(
                    [
                        "cell",
                        sheet.title,
                        cell.coordinate,
                        element.uid,
                        combo.uid,
                        stored.version if stored is not None else 0,
                    ]
                )
            row_no += 1
        row_no += 1
    for column in range(3, widest + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 18
    sheet.freeze_panes = "C6"
    sheet.protection.sheet = True  # no password: a guard against slips


def _header(sheet: Worksheet, row_no: int, combos: tuple[CategoryOptionCombo, ...]) -> None:
    single = len(combos) == 1 and combos[0].name == "default"
    titles = [_("Data element"), _("Unit of measure")] + [
        _("Value") if single else c.name for c in combos
    ]
    for column, title in enumerate(titles, start=1):
        cell = sheet.cell(row_no, column, title)
        cell.font = Font(bold=True)
        cell.fill = _HEADER
        cell.border = _BOX
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")


def _signature(data_set_uid: str, period: str, meta: list[list[Any]]) -> str:
    payload = json.dumps([FORMAT, data_set_uid, period, meta], separators=(",", ":"))
    return signing.Signer(salt=_SIGNER_SALT).signature(payload)


def _write_meta(workbook: Workbook, data_set: DataSet, period: str, meta: list[list[Any]]) -> None:
    sheet = workbook.create_sheet(META_SHEET)
    sheet.append(
        [FORMAT, data_set.uid, data_set.code, period, _signature(data_set.uid, period, meta)]
    )
    for row in meta:
        sheet.append(row)
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True


# --- reading a filled template ---------------------------------------------------------------


# openpyxl reports a damaged archive through many exception types; all mean "not a workbook".
_BROKEN_FILE = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    OSError,
    EOFError,
    ParseError,
)


@dataclass(frozen=True)
class _MetaCell:
    sheet: str
    ref: str
    data_element: str
    combo: str
    version: int


@dataclass
class _Meta:
    data_set: str
    period: str
    units: list[tuple[str, str]]  # (sheet, unit uid)
    cells: list[_MetaCell]


def _open(data: bytes) -> Any:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise HaucanError(_("The workbook is too large."))
        return load_workbook(BytesIO(data), data_only=True)
    except _BROKEN_FILE:
        raise HaucanError(
            _("The file is not an Excel workbook (.xlsx); save it as .xlsx and try again.")
        ) from None


def _read_meta(workbook: Any) -> _Meta:
    foreign = HaucanError(
        _("This workbook is not a Hậu Cần Số template; download a template and fill that in.")
    )
    if META_SHEET not in workbook.sheetnames:
        raise foreign
    rows = [
        [c for c in row] for row in workbook[META_SHEET].iter_rows(values_only=True) if any(row)
    ]
    if not rows or not rows[0] or rows[0][0] != FORMAT or len(rows[0]) < 5:
        raise foreign
    head = rows[0]
    meta_rows: list[list[Any]] = []
    units: list[tuple[str, str]] = []
    cells: list[_MetaCell] = []
    try:
        for row in rows[1:]:
            if row[0] == "unit":
                meta_rows.append(["unit", str(row[1]), str(row[2]), str(row[3])])
                units.append((str(row[1]), str(row[2])))
            elif row[0] == "cell":
                version = int(row[5])
                meta_rows.append(["cell", str(row[1]), str(row[2]), row[3], row[4], version])
                cells.append(_MetaCell(str(row[1]), str(row[2]), str(row[3]), str(row[4]), version))
            else:
                raise ValueError(row[0])
    except (IndexError, TypeError, ValueError):
        raise _tampered() from None
    if head[4] != _signature(str(head[1]), str(head[3]), meta_rows):
        raise _tampered()
    return _Meta(str(head[1]), str(head[3]), units, cells)


def _tampered() -> HaucanError:
    return HaucanError(
        _("The hidden codes of this template were changed; download a new template.")
    )


def _raw_text(value: object) -> str:
    """A cell's value as the text a clerk would have typed into the entry screen."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _choice_code(element: DataElement, raw: str, lists: dict[int, dict[str, str]]) -> str:
    """Map a list choice shown by name ("Tốt", "Có") back to the code the parser expects."""
    if element.option_set_id:
        by_name = {
            name.casefold(): code for code, name in lists.get(element.option_set_id, {}).items()
        }
        return by_name.get(raw.casefold(), raw)
    if element.value_type in (ValueType.BOOLEAN, ValueType.TRUE_ONLY):
        folded = raw.casefold()
        if folded == _("Yes").casefold():
            return "true"
        if folded == _("No").casefold():
            return "false"
    return raw


@dataclass
class _Planned:
    target: Target
    sheet: str
    cells: list[CellInput] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)


def import_workbook(
    scope: Scope,
    data: bytes,
    *,
    dry_run: bool = False,
    expect_data_set: DataSet | None = None,
    expect_period: str | None = None,
) -> WorkbookResult:
    """Read a filled template and write its values, all or nothing (ENTER in the form's domain).

    Returns the per-cell errors, or the per-cell changes (planned only when `dry_run`). Never
    raises for bad input: every problem, of the file or of a cell, is an entry of `errors`.
    `expect_data_set` and `expect_period` refuse a template of another form or period."""
    result = WorkbookResult(dry_run=dry_run)
    try:
        workbook = _open(data)
        meta = _read_meta(workbook)
        data_set = queries.find_entry_form(scope, meta.data_set)
        if expect_data_set is not None and data_set.pk != expect_data_set.pk:
            raise HaucanError(
                _("This template is for the form %(form)s, not %(expected)s.")
                % {"form": data_set.name, "expected": expect_data_set.name}
            )
        if expect_period and meta.period != expect_period:
            raise HaucanError(
                _("This template is for the period %(period)s, not %(expected)s.")
                % {"period": meta.period, "expected": expect_period}
            )
    except HaucanError as exc:
        result.errors.append(exc.message)
        return result
    structure = load_structure(data_set)
    option_names: dict[int, dict[str, str]] = {}
    for set_id, code, name in Option.objects.filter(
        option_set_id__in={r.element.option_set_id for r in structure.rows_by_element.values()}
    ).values_list("option_set_id", "code", "name"):
        option_names.setdefault(set_id, {})[code] = name
    planned: dict[str, _Planned] = {}
    stored: dict[str, dict[tuple[int, int], queries.CellValue]] = {}
    for sheet, unit_uid in meta.units:
        try:
            if sheet not in workbook.sheetnames:
                raise HaucanError(_("The sheet is missing from the workbook."))
            unit = get_unit(scope, unit_uid)
            target = resolve_target(scope, data_set, unit, meta.period)
            check_writable(scope, target)
        except HaucanError as exc:
            result.errors.append(f"{sheet}: {exc.message}")
            continue
        planned[sheet] = _Planned(target, sheet)
        stored[sheet] = queries.current_values(scope, target)
    for spec in meta.cells:
        plan = planned.get(spec.sheet)
        if plan is None:
            continue  # the sheet's problem is already reported
        ref = f"{spec.sheet}!{spec.ref}"
        element = structure.element_by_key.get(spec.data_element)
        combo = structure.combo_by_key.get(spec.combo)
        row = structure.rows_by_element.get(element.pk) if element is not None else None
        if element is None or combo is None or row is None or combo not in row.combos:
            result.errors.append(
                f"{ref}: " + _("this cell is no longer on the form; download a new template.")
            )
            continue
        raw = _choice_code(element, _raw_text(workbook[spec.sheet][spec.ref].value), option_names)
        new: str | None = None
        if raw:
            try:
                parsed = parse_value(element.value_type, raw, row.options)
            except HaucanError as exc:
                result.errors.append(f"{ref}: {exc.message}")
                continue
            new = parsed.text
            if parsed.number == 0 and element.is_numeric and not element.zero_is_significant:
                new = None  # zeros are not stored unless significant (as in save_values)
        current = stored[spec.sheet].get((element.pk, combo.pk))
        old = current.value if current is not None and not current.deleted else None
        if current is not None and current.origin == Origin.SOURCE:
            continue  # computed by a module after the template was made: not ours to change
        if current is not None and current.version != spec.version and old != new:
            result.errors.append(
                f"{ref}: "
                + _("%(user)s changed this value to “%(server)s” after the template was made.")
                % {"user": current.stored_by, "server": old or ""}
            )
            continue
        action = (
            "unchanged"
            if old == new
            else "created"
            if old is None
            else "deleted"
            if new is None
            else "updated"
        )
        result.changes.append(
            CellChange(
                spec.sheet,
                spec.ref,
                plan.target.unit.code,
                element.label(),
                combo.name,
                old,
                new,
                action,
            )
        )
        if action != "unchanged":
            plan.cells.append(CellInput(element.uid, raw, combo.uid))
            plan.refs.append(ref)
    if result.errors or dry_run:
        return result
    _write(scope, structure, list(planned.values()), result)
    return result


def _write(
    scope: Scope, structure: FormStructure, plans: list[_Planned], result: WorkbookResult
) -> None:
    """Write every unit's cells in one transaction; any refusal rolls the whole workbook back."""
    try:
        with transaction.atomic():
            for plan in plans:
                if not plan.cells:
                    continue
                try:
                    save_values(
                        scope, plan.target, plan.cells, origin=Origin.IMPORT, structure=structure
                    )
                except InvalidCells as exc:
                    result.errors.extend(f"{plan.refs[e.index]}: {e.message}" for e in exc.errors)
                except StaleCells as exc:
                    result.errors.extend(f"{plan.refs[s.index]}: {exc.message}" for s in exc.stale)
                except HaucanError as exc:
                    result.errors.append(f"{plan.sheet}: {exc.message}")
            if result.errors:
                transaction.set_rollback(True)
                return
    except HaucanError as exc:
        result.errors.append(exc.message)
        return
    result.written = True
