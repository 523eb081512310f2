"""Excel import of the units' existing land and building spreadsheets (docs/users/barracks.md).

The reader is tolerant of how units really keep their books: the header row is found among the
first rows by its Vietnamese titles (with or without diacritics, in any order, over merged cells
and two-row headers), a value merged over several rows applies to each of them, areas are read in
m² or ha (from the column title or the value itself: "1,5 ha"), and column-number, empty and total
rows are skipped. Every row and cell is checked before anything is written; one bad cell and the
whole file is refused with the list of errors (row, column, message)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from haucan.barracks.models import (
    Building,
    BuildingType,
    ConditionLevel,
    DurabilityClass,
    LandPurpose,
    LandSite,
)
from haucan.barracks.services.buildings import BuildingInput, build_building, register_buildings
from haucan.barracks.services.common import M2_PER_HA, require_enter
from haucan.barracks.services.land import SiteInput, check_site, register_sites
from haucan.core.errors import HaucanError, ValidationFailed
from haucan.core.scope import Scope
from haucan.core.text import fold
from haucan.org.models import Unit

MAX_ERRORS = 200
HEADER_SCAN_ROWS = 15

# field -> folded header fragments, most specific first. Matched as "contained in the title".
BUILDING_COLUMNS: dict[str, list[str]] = {
    "unit": ["ma don vi", "don vi quan ly", "don vi"],
    "site": ["ma khu dat", "khu dat", "ma doanh trai"],
    "code": ["ma cong trinh", "ma nha", "so hieu"],
    "name": ["ten cong trinh", "ten nha", "ten hang muc"],
    "type": ["loai nha", "loai cong trinh", "loai"],
    "durability": ["bac nien han", "cap do ben", "bac ben", "bac"],
    "grade": ["cap cong trinh", "cap"],
    "floors": ["so tang"],
    "built_area": ["dien tich xay dung", "dt xay dung", "dien tich chiem dat"],
    "floor_area": ["dien tich san", "dt san"],
    "capacity": ["suc chua", "so cho"],
    "purpose": ["muc dich su dung", "cong nang"],
    "year_in_service": ["nam dua vao su dung", "nam su dung", "dua vao su dung"],
    "year_built": ["nam xay dung", "nam xd"],
    "service_life": ["nien han"],
    "condition": ["chat luong", "tinh trang", "hien trang"],
    "original_cost": ["nguyen gia"],
    "residual_value": ["gia tri con lai"],
}
BUILDING_REQUIRED = ["unit", "site", "code", "name", "type", "durability", "year_built",
                     "year_in_service", "built_area", "condition"]  # fmt: skip

SITE_COLUMNS: dict[str, list[str]] = {
    "unit": ["ma don vi", "don vi quan ly", "don vi su dung", "don vi"],
    "code": ["ma khu dat", "ma khu", "ma so"],
    "identifier": ["ma dinh danh"],
    "name": ["ten khu dat", "ten khu", "ten"],
    "barracks": ["doanh trai"],
    "province": ["ma tinh", "tinh"],
    "commune": ["ma xa", "xa"],
    "address": ["dia chi", "vi tri"],
    "origin": ["nguon goc"],
    "opened_on": ["ngay dang ky", "ngay tiep nhan"],
    "total_area": ["tong dien tich", "dien tich dat quoc phong", "dien tich"],
    "cert_number": ["so gcn", "so giay chung nhan", "so serial"],
    "cert_date": ["ngay cap"],
    "cert_area": ["dien tich cap gcn", "dien tich da cap", "dien tich gcn"],
    "cert_authority": ["co quan cap", "noi cap"],
}
SITE_REQUIRED = ["unit", "code", "name", "total_area"]
AREA_FIELDS = {"built_area", "floor_area", "total_area", "cert_area"}


@dataclass(frozen=True)
class CellError:
    row: int
    column: str  # the spreadsheet letter, "" for a whole-row or file error
    message: str

    def __str__(self) -> str:
        if self.row and self.column:
            return _("Row %(row)d, column %(col)s: %(msg)s") % {
                "row": self.row,
                "col": self.column,
                "msg": self.message,
            }
        if self.row:
            return _("Row %(row)d: %(msg)s") % {"row": self.row, "msg": self.message}
        return self.message


class ImportFailed(ValidationFailed):
    """The file was refused; nothing was written. `errors` lists every problem found."""

    def __init__(self, errors: list[CellError]) -> None:
        super().__init__(
            _("The file was not imported: %(n)d errors.") % {"n": len(errors)}
            if len(errors) > 1
            else str(errors[0])
        )
        self.errors = errors


@dataclass
class ImportResult:
    rows: int
    created: int
    units: int
    skipped: list[int] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Sheet:
    rows: list[list[Any]]  # merged ranges filled with their top-left value
    header_row: int  # 1-based row number of the (last) header row
    columns: dict[str, int]  # field -> 0-based column index
    scale: dict[str, Decimal]  # area field -> factor to m²
    extra: dict[int, str]  # 0-based column index -> folded title of an unmatched column


def _read(content: bytes) -> list[list[Any]]:
    try:
        book = load_workbook(io.BytesIO(content), data_only=True)
    except Exception as exc:
        raise ImportFailed(
            [CellError(0, "", _("The file is not an Excel workbook (.xlsx): %(e)s") % {"e": exc})]
        ) from None
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        value = sheet.cell(merged.min_row, merged.min_col).value
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                row = rows[r - 1]
                while len(row) < c:
                    row.append(None)
                row[c - 1] = value
    return rows


def _match(title: str, columns: dict[str, list[str]], taken: set[str]) -> str | None:
    best: tuple[int, str] | None = None
    for name, aliases in columns.items():
        if name in taken:
            continue
        for alias in aliases:
            if re.search(rf"(^|[^a-z0-9]){re.escape(alias)}($|[^a-z0-9])", title):
                if best is None or len(alias) > best[0]:
                    best = (len(alias), name)
                break
    return best[1] if best else None


def _scale(title: str) -> Decimal:
    return M2_PER_HA if re.search(r"\(\s*ha\s*\)|\bha\b|hecta", title) else Decimal(1)


def locate(rows: list[list[Any]], columns: dict[str, list[str]], required: list[str]) -> Sheet:
    """Find the header: the row (or pair of rows, for a two-row header) matching most titles."""
    best: tuple[int, int, dict[str, int], dict[str, Decimal], dict[int, str]] | None = None
    for index in range(min(HEADER_SCAN_ROWS, len(rows))):
        for span in (1, 2):
            if index + span > len(rows):
                continue
            titles = []
            width = max(len(rows[index + k]) for k in range(span))
            for c in range(width):
                parts = []
                for k in range(span):
                    row = rows[index + k]
                    value = row[c] if c < len(row) else None
                    if value is not None and str(value).strip() and fold(str(value)) not in parts:
                        parts.append(fold(str(value)))
                titles.append(" ".join(parts))
            found: dict[str, int] = {}
            scale: dict[str, Decimal] = {}
            extra: dict[int, str] = {}
            for c, title in enumerate(titles):
                if not title:
                    continue
                name = _match(title, columns, set(found))
                if name is None:
                    extra[c] = title
                    continue
                found[name] = c
                if name in AREA_FIELDS:
                    scale[name] = _scale(title)
            score = len(found)
            if best is None or score > best[1]:
                best = (index + span, score, found, scale, extra)
    if best is None or best[1] < 3:
        raise ImportFailed(
            [CellError(0, "", _("No header row with the template's titles was found."))]
        )
    header_row, _score, found, scale, extra = best
    missing = [name for name in required if name not in found]
    if missing:
        raise ImportFailed(
            [
                CellError(
                    header_row,
                    "",
                    _("Required columns are missing: %(cols)s.")
                    % {"cols": ", ".join(columns[m][0] for m in missing)},
                )
            ]
        )
    return Sheet(rows, header_row, found, scale, extra)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_area(value: Any, factor: Decimal) -> Decimal | None:
    """12.345,5 or 12345.5 or "1,5 ha" or "800 m2" -> m²; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return (Decimal(str(value)) * factor).quantize(Decimal("0.01"))
    text = fold(str(value)).replace(" ", "")
    unit = factor
    if text.endswith("ha"):
        unit, text = M2_PER_HA, text[:-2]
    elif text.endswith(("m2", "m²")):
        unit, text = Decimal(1), text[:-2]
    if "," in text and "." in text:  # 12.345,5 (Vietnamese) or 12,345.5 (English)
        text = (
            text.replace(".", "").replace(",", ".")
            if text.rfind(",") > text.rfind(".")
            else text.replace(",", "")
        )
    elif "," in text:
        text = text.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", text):  # 2.000 or 1.234.567: Vietnamese thousands
        text = text.replace(".", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("'%(v)s' is not an area.") % {"v": value}) from None
    return (number * unit).quantize(Decimal("0.01"))


def parse_int(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip().replace(".", "").replace(" ", "")
    if not text.isdigit():
        raise ValueError(_("'%(v)s' is not a whole number.") % {"v": value})
    return int(text)


def parse_date(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(_("'%(v)s' is not a date (dd/mm/yyyy).") % {"v": value})


def _lookup(objs: Iterable[Any]) -> Callable[[str], Any]:
    table: dict[str, Any] = {}
    for obj in objs:
        table[fold(obj.code)] = obj
        table[fold(obj.name)] = obj
        short = fold(obj.name).split("(")[0].strip()
        table.setdefault(short, obj)
    return lambda text: table.get(fold(text))


def _is_noise(values: list[Any]) -> bool:
    """Empty, column-number ("(1) (2) (3)") and total rows."""
    filled = [_text(v) for v in values if _text(v)]
    if not filled:
        return True
    if all(re.fullmatch(r"\(?\d{1,2}\)?", v) for v in filled):
        return True
    return any(fold(v) in ("tong cong", "tong so", "cong", "tong") for v in filled[:3])


class _Row:
    def __init__(self, sheet: Sheet, number: int, values: list[Any], errors: list[CellError]):
        self.sheet, self.number, self.values, self.errors = sheet, number, values, errors
        self.ok = True

    def letter(self, name: str) -> str:
        return get_column_letter(self.sheet.columns[name] + 1)

    def raw(self, name: str) -> Any:
        c = self.sheet.columns.get(name)
        return self.values[c] if c is not None and c < len(self.values) else None

    def fail(self, name: str, message: str) -> None:
        self.ok = False
        self.errors.append(
            CellError(self.number, self.letter(name) if name in self.sheet.columns else "", message)
        )

    def text(self, name: str, required: bool = False) -> str:
        value = _text(self.raw(name))
        if required and not value:
            self.fail(name, _("This cell is required."))
        return value

    def parsed(self, name: str, parser: Callable[[Any], Any], required: bool = False) -> Any:
        try:
            value = parser(self.raw(name))
        except ValueError as exc:
            self.fail(name, str(exc))
            return None
        if value is None and required:
            self.fail(name, _("This cell is required."))
        return value

    def area(self, name: str, required: bool = False) -> Decimal | None:
        factor = self.sheet.scale.get(name, Decimal(1))
        return self.parsed(name, lambda v: parse_area(v, factor), required)


def _units(scope: Scope, codes: set[str]) -> dict[str, Unit]:
    found = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    return {c: u for c, u in found.items() if scope.covers_path(u.path)}


def _data_rows(sheet: Sheet) -> Iterable[tuple[int, list[Any]]]:
    for index in range(sheet.header_row, len(sheet.rows)):
        values = sheet.rows[index]
        if not _is_noise(values):
            yield index + 1, values


# --- buildings -----------------------------------------------------------------------------------


def import_buildings(scope: Scope, content: bytes, *, today: date | None = None) -> ImportResult:
    """Import a building spreadsheet: every row valid and written, or nothing."""
    today = today or timezone.localdate()
    sheet = locate(_read(content), BUILDING_COLUMNS, BUILDING_REQUIRED)
    rows = list(_data_rows(sheet))
    errors: list[CellError] = []
    col = sheet.columns
    units = _units(scope, {_text(v[col["unit"]]) for _n, v in rows if col["unit"] < len(v)})
    sites = {
        s.code: s
        for s in LandSite.objects.select_related("unit").filter(
            code__in={_text(v[col["site"]]) for _n, v in rows if col["site"] < len(v)}
        )
    }
    types = _lookup(BuildingType.objects.all())
    classes = _lookup(DurabilityClass.objects.all())
    conditions = _lookup(ConditionLevel.objects.all())
    specs: list[BuildingInput] = []
    built: list[Building] = []  # checked once here, written as they are
    seen: dict[str, int] = {}
    for number, values in rows:
        row = _Row(sheet, number, values, errors)
        unit_code = row.text("unit", True)
        unit = units.get(unit_code)
        if unit_code and unit is None:
            row.fail(
                "unit", _("No unit has the code '%(code)s' (in your scope).") % {"code": unit_code}
            )
        site_code = row.text("site", True)
        site = sites.get(site_code)
        if site_code and (site is None or not scope.covers_path(site.unit.path)):
            row.fail("site", _("No land site has the code '%(code)s'.") % {"code": site_code})
            site = None
        elif site is not None and unit is not None and site.unit_id != unit.pk:
            row.fail(
                "site",
                _("Site %(site)s is not managed by %(unit)s.")
                % {"site": site_code, "unit": unit_code},
            )
        code = row.text("code", True)
        if code in seen:
            row.fail(
                "code",
                _("The code %(code)s is also on row %(row)d.") % {"code": code, "row": seen[code]},
            )
        seen.setdefault(code, number)
        kind = _pick(row, "type", types, _("Unknown building type '%(v)s'."))
        klass = _pick(row, "durability", classes, _("Unknown durability class '%(v)s'."))
        condition = _pick(row, "condition", conditions, _("Unknown condition '%(v)s'."))
        grade = row.text("grade").upper().replace("CẤP", "").replace("CAP", "").strip()
        spec_values = {
            "year_built": row.parsed("year_built", parse_int, True),
            "year_in_service": row.parsed("year_in_service", parse_int, True),
            "floors": row.parsed("floors", parse_int) or 1,
            "capacity": row.parsed("capacity", parse_int) or 0,
            "service_life_years": row.parsed("service_life", parse_int),
            "built_area": row.area("built_area", True),
            "floor_area": row.area("floor_area"),
            "original_cost": row.parsed("original_cost", _money),
            "residual_value": row.parsed("residual_value", _money),
        }
        name = row.text("name", True)
        if not row.ok or site is None or kind is None or klass is None or condition is None:
            if len(errors) >= MAX_ERRORS:
                break
            continue
        spec = BuildingInput(
            site=site,
            code=code,
            name=name,
            type=kind,
            durability=klass,
            condition=condition,
            grade={"DAC BIET": "DB", "ĐẶC BIỆT": "DB"}.get(grade, grade),
            purpose=row.text("purpose"),
            assessed_on=today,
            **spec_values,
        )
        try:
            built.append(build_building(spec, today))
        except HaucanError as exc:
            field_map = {"service_life_years": "service_life"}
            row.fail(field_map.get(exc.field or "", exc.field or "code"), exc.message)
            continue
        specs.append(spec)
    if errors:
        raise ImportFailed(errors[:MAX_ERRORS])
    if not specs:
        raise ImportFailed([CellError(sheet.header_row, "", _("The file has no data rows."))])
    existing = dict(
        Building.objects.filter(code__in=[s.code for s in specs]).values_list("code", "pk")
    )
    if existing:
        raise ImportFailed(
            [
                CellError(
                    seen[c],
                    get_column_letter(col["code"] + 1),
                    _("A building with the code %(code)s already exists.") % {"code": c},
                )
                for c in sorted(existing)[:MAX_ERRORS]
            ]
        )
    created = register_buildings(scope, specs, today=today, checked=built)
    return ImportResult(len(rows), len(created), len({b.unit_id for b in created}))


def _pick(row: _Row, name: str, lookup: Callable[[str], Any], message: str) -> Any:
    text = row.text(name, True)
    if not text:
        return None
    found = lookup(text)
    if found is None:
        row.fail(name, message % {"v": text})
    return found


def _money(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    text = str(value).replace(".", "").replace(",", "").replace(" ", "").replace("đ", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(_("'%(v)s' is not an amount.") % {"v": value}) from None


# --- land sites ----------------------------------------------------------------------------------


def import_sites(scope: Scope, content: bytes, *, today: date | None = None) -> ImportResult:
    """Import a land spreadsheet (one row per site, optionally its certificate and its area by
    purpose in one column per purpose): all rows, or nothing."""
    today = today or timezone.localdate()
    purposes = list(LandPurpose.objects.all())
    columns = dict(SITE_COLUMNS)
    for p in purposes:
        columns[f"purpose:{p.code}"] = [fold(p.name), fold(p.name).replace("dat ", "", 1)]
    rows_all = _read(content)
    sheet = locate(rows_all, columns, SITE_REQUIRED)
    for name, c in sheet.columns.items():
        if name.startswith("purpose:"):
            sheet.scale[name] = _scale(_title_of(sheet, c))
    rows = list(_data_rows(sheet))
    errors: list[CellError] = []
    col = sheet.columns
    units = _units(scope, {_text(v[col["unit"]]) for _n, v in rows if col["unit"] < len(v)})
    by_code = {p.code: p for p in purposes}
    prepared: list[tuple[SiteInput, dict[Any, Decimal], dict[str, Any] | None]] = []
    seen: dict[str, int] = {}
    existing = set(
        LandSite.objects.filter(
            code__in={_text(v[col["code"]]) for _n, v in rows if col["code"] < len(v)}
        ).values_list("code", flat=True)
    )
    for number, values in rows:
        row = _Row(sheet, number, values, errors)
        unit_code = row.text("unit", True)
        unit = units.get(unit_code)
        if unit_code and unit is None:
            row.fail(
                "unit", _("No unit has the code '%(code)s' (in your scope).") % {"code": unit_code}
            )
        code = row.text("code", True)
        if code in existing:
            row.fail(
                "code", _("A land site with the code %(code)s already exists.") % {"code": code}
            )
        if code in seen:
            row.fail(
                "code",
                _("The code %(code)s is also on row %(row)d.") % {"code": code, "row": seen[code]},
            )
        seen.setdefault(code, number)
        total = row.area("total_area", True)
        purpose_areas = {}
        for name in col:
            if name.startswith("purpose:"):
                area = row.area(name)
                if area:
                    purpose_areas[name.split(":", 1)[1]] = area
        cert_number = row.text("cert_number")
        cert = None
        if cert_number:
            cert_area = row.area("cert_area") or total
            cert = {
                "number": cert_number,
                "issued_on": row.parsed("cert_date", parse_date) or today,
                "area": cert_area,
                "authority": row.text("cert_authority") or "—",
            }
            if cert_area is not None and total is not None and cert_area > total:
                row.fail("cert_area" if "cert_area" in col else "total_area",
                         _("The certified area is larger than the site's area."))  # fmt: skip
        opened = row.parsed("opened_on", parse_date) or date(today.year, 1, 1)
        if not row.ok or unit is None or total is None:
            if len(errors) >= MAX_ERRORS:
                break
            continue
        spec = SiteInput(
            code=code,
            name=row.text("name", True),
            unit=unit,
            opened_on=min(opened, today),
            total_area=total,
            purpose_areas=purpose_areas,
            identifier=row.text("identifier"),
            barracks_name=row.text("barracks"),
            province_code=row.text("province"),
            commune_code=row.text("commune"),
            address=row.text("address"),
            origin=row.text("origin"),
        )
        try:
            opening = check_site(spec, by_code)
        except HaucanError as exc:
            target = "total_area"
            for name in col:
                if name.startswith("purpose:") and exc.field == "purpose_areas":
                    target = name
                    break
            row.fail(target if exc.field == "purpose_areas" else "total_area", exc.message)
            continue
        prepared.append((spec, opening, cert))
    if errors:
        raise ImportFailed(errors[:MAX_ERRORS])
    if not prepared:
        raise ImportFailed([CellError(sheet.header_row, "", _("The file has no data rows."))])
    for unit in {spec.unit.pk: spec.unit for spec, _o, _c in prepared}.values():
        require_enter(scope, unit)
    return _write_sites(scope, prepared, len(rows))


def _title_of(sheet: Sheet, column: int) -> str:
    parts = []
    for r in range(max(0, sheet.header_row - 2), sheet.header_row):
        row = sheet.rows[r]
        if column < len(row) and row[column] is not None:
            parts.append(fold(str(row[column])))
    return " ".join(parts)


def _write_sites(
    scope: Scope,
    prepared: list[tuple[SiteInput, dict[Any, Decimal], dict[str, Any] | None]],
    rows: int,
) -> ImportResult:
    sites = register_sites(scope, [(spec, cert) for spec, _opening, cert in prepared])
    return ImportResult(rows, len(sites), len({s.unit_id for s in sites}))
