from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from haucan.barracks.models import Building, LandSite
from haucan.barracks.services import importer, land
from haucan.barracks.templates_xlsx import BUILDING_HEADERS, template_workbook
from haucan.core.scope import Scope
from haucan.testing import World

pytestmark = pytest.mark.django_db


def xlsx(rows: list[Any], merges: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for ref in merges or []:
        sheet.merge_cells(ref)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def building_row(unit: str, site: str, code: str, **over: Any) -> list[Any]:
    values = {
        "Mã đơn vị": unit,
        "Mã khu đất": site,
        "Mã công trình": code,
        "Tên công trình": f"Nhà {code}",
        "Loại nhà": "Nhà ở",
        "Cấp công trình": "III",
        "Bậc niên hạn": "III",
        "Số tầng": 2,
        "Diện tích xây dựng (m²)": 200,
        "Diện tích sàn (m²)": 400,
        "Sức chứa": 60,
        "Mục đích sử dụng": "Ở bộ đội",
        "Năm xây dựng": 2005,
        "Năm đưa vào sử dụng": 2006,
        "Niên hạn (năm)": 30,
        "Chất lượng": "Tốt",
        "Nguyên giá (đồng)": 1_000_000_000,
        "Giá trị còn lại (đồng)": 400_000_000,
    }
    values.update(over)
    return [values[h] for h in BUILDING_HEADERS]


def test_the_building_template_imports_with_its_own_example(
    world: World, make_site: Callable[..., LandSite]
) -> None:
    make_site(world.regiment_a, code="KD-001")
    result = importer.import_buildings(Scope.system("t"), template_workbook("buildings", "F324-E1"))
    assert (result.created, result.units) == (1, 1)
    b = Building.objects.get(code="CT-001")
    assert (b.end_of_life_year, b.condition.code, b.floor_area) == (
        2026,
        "TRUNG_BINH",
        Decimal("900.00"),
    )


def test_unknown_unit_code_is_reported_by_row_and_cell_and_nothing_is_saved(
    world: World, make_site: Callable[..., LandSite]
) -> None:
    make_site(world.regiment_a, code="KD-1")
    content = xlsx(
        [
            BUILDING_HEADERS,
            building_row("F324-E1", "KD-1", "A1"),
            building_row("F999", "KD-1", "A2"),
        ]
    )
    with pytest.raises(importer.ImportFailed) as caught:
        importer.import_buildings(Scope.system("t"), content)
    assert [str(e) for e in caught.value.errors] == [
        "Row 3, column A: No unit has the code 'F999' (in your scope).",
    ]
    assert not Building.objects.exists()


def test_every_bad_cell_is_listed(world: World, make_site: Callable[..., LandSite]) -> None:
    make_site(world.regiment_a, code="KD-1")
    content = xlsx(
        [
            BUILDING_HEADERS,
            building_row("F324-E1", "KD-1", "A1", **{"Năm đưa vào sử dụng": 2001}),
            building_row("F324-E1", "KD-1", "A2", **{"Chất lượng": "Rất tệ"}),
            building_row("F324-E1", "KD-1", "A1", **{"Diện tích xây dựng (m²)": "abc"}),
        ]
    )
    with pytest.raises(importer.ImportFailed) as caught:
        importer.import_buildings(Scope.system("t"), content)
    messages = [str(e) for e in caught.value.errors]
    assert messages == [
        "Row 2, column N: The year in service (2001) is before the year built (2005).",
        "Row 3, column P: Unknown condition 'Rất tệ'.",
        "Row 4, column C: The code A1 is also on row 2.",
        "Row 4, column I: 'abc' is not an area.",
    ]


def test_clerk_b_cannot_import_into_clerk_a_unit(
    world: World, scope_of: Callable[[str], Scope], make_site: Callable[..., LandSite]
) -> None:
    make_site(world.regiment_a, code="KD-1")
    content = xlsx([BUILDING_HEADERS, building_row("F324-E1", "KD-1", "A1")])
    with pytest.raises(importer.ImportFailed) as caught:
        importer.import_buildings(scope_of("clerk_b"), content)
    assert [str(e) for e in caught.value.errors] == [
        "Row 2, column A: No unit has the code 'F324-E1' (in your scope).",
        "Row 2, column B: No land site has the code 'KD-1'.",
    ]


def test_land_sheet_with_merged_two_row_header_hectares_and_merged_unit_cells(
    world: World,
) -> None:
    rows = [
        ["BÁO CÁO ĐẤT QUỐC PHÒNG NĂM 2025", None, None, None, None, None, None],
        ["STT", "Đơn vị sử dụng", "Mã khu đất", "Tên khu đất", "Diện tích (ha)", None, "Số GCN"],
        [None, None, None, None, "Tổng diện tích", "Đất doanh trại", None],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
        [1, "F324-E1", "KD-10", "Khu doanh trại A", "1,5", 1.2, "CS 0123"],
        [2, None, "KD-11", "Thao trường B", "2.000 m2", None, None],
        [None, "Tổng cộng", None, None, 1.7, None, None],
    ]
    content = xlsx(rows, merges=["A1:G1", "E2:F2", "B5:B6"])
    result = importer.import_sites(Scope.system("t"), content)
    assert (result.created, result.units) == (2, 1)
    a = LandSite.objects.get(code="KD-10")
    b = LandSite.objects.get(code="KD-11")
    assert (a.unit, b.unit) == (world.regiment_a, world.regiment_a)
    today = a.opened_on
    assert land.total_on(a, today) == Decimal("15000.00")
    assert land.area_on([a.pk], today)[a.pk][
        a.area_events.exclude(purpose=None).get().purpose_id
    ] == Decimal("12000.00")
    assert land.total_on(b, today) == Decimal("2000.00")
    assert list(a.certificates.values_list("number", "area")) == [("CS 0123", Decimal("15000.00"))]


def test_land_sheet_with_purposes_above_the_total_names_the_cell(world: World) -> None:
    rows = [
        ["Mã đơn vị", "Mã khu đất", "Tên khu đất", "Tổng diện tích (m²)", "Đất doanh trại (m²)"],
        ["F324-E1", "KD-1", "Khu 1", 1000, 1500],
    ]
    with pytest.raises(importer.ImportFailed) as caught:
        importer.import_sites(Scope.system("t"), xlsx(rows))
    assert [e.column for e in caught.value.errors] == ["E"]
    assert "more than the total area" in str(caught.value.errors[0])
    assert not LandSite.objects.exists()


def test_a_file_that_is_not_excel_is_refused(world: World) -> None:
    with pytest.raises(importer.ImportFailed, match="not an Excel workbook"):
        importer.import_buildings(Scope.system("t"), b"not a workbook")


@pytest.mark.parametrize(
    ("raw", "factor", "expected"),
    [
        (12345.5, Decimal(1), Decimal("12345.50")),
        ("12.345,5", Decimal(1), Decimal("12345.50")),
        ("12,345.5", Decimal(1), Decimal("12345.50")),
        ("1,5 ha", Decimal(1), Decimal("15000.00")),
        (2, Decimal(10000), Decimal("20000.00")),
        ("800 m2", Decimal(10000), Decimal("800.00")),
        ("1.234.567", Decimal(1), Decimal("1234567.00")),
        ("2.000", Decimal(1), Decimal("2000.00")),
        ("1.5", Decimal(10000), Decimal("15000.00")),
        ("", Decimal(1), None),
    ],
)
def test_areas_are_read_in_square_metres_or_hectares(
    raw: Any, factor: Decimal, expected: Decimal | None
) -> None:
    assert importer.parse_area(raw, factor) == expected
