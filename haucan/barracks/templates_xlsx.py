"""The documented Excel templates (docs/users/barracks.md): one header row in Vietnamese, an
example row, and the classification codes on a second sheet."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from haucan.barracks.models import BuildingType, ConditionLevel, DurabilityClass, LandPurpose

SITE_HEADERS = [
    "Mã đơn vị", "Mã khu đất", "Tên khu đất", "Doanh trại", "Mã tỉnh", "Mã xã", "Địa chỉ",
    "Nguồn gốc", "Ngày đăng ký", "Tổng diện tích (m²)",
]  # fmt: skip
CERT_HEADERS = ["Số GCN", "Ngày cấp", "Diện tích cấp GCN (m²)", "Cơ quan cấp"]
BUILDING_HEADERS = [
    "Mã đơn vị", "Mã khu đất", "Mã công trình", "Tên công trình", "Loại nhà", "Cấp công trình",
    "Bậc niên hạn", "Số tầng", "Diện tích xây dựng (m²)", "Diện tích sàn (m²)", "Sức chứa",
    "Mục đích sử dụng", "Năm xây dựng", "Năm đưa vào sử dụng", "Niên hạn (năm)", "Chất lượng",
    "Nguyên giá (đồng)", "Giá trị còn lại (đồng)",
]  # fmt: skip


def site_headers() -> list[str]:
    return SITE_HEADERS + [f"{p.name} (m²)" for p in LandPurpose.objects.all()] + CERT_HEADERS


def template_workbook(kind: str, example_unit: str = "QK4-F324-E1") -> bytes:
    """The template, with an example row for `example_unit` (the user's own unit on the page)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if kind == "sites":
        sheet.title = "Khu dat"
        headers = site_headers()
        example: list[object] = [
            example_unit, "KD-001", "Khu doanh trại chính", "Doanh trại Trung đoàn 1", "40",
            "16789", "Xã Nghi Văn, Nghệ An", "Giao đất 1985", "01/01/2020", 150000,
        ]  # fmt: skip
        example += (
            [120000]
            + [""] * (len(headers) - len(example) - 1 - len(CERT_HEADERS))
            + [
                "CT-00123",
                "15/03/2018",
                120000,
                "UBND tỉnh Nghệ An",
            ]
        )
    else:
        sheet.title = "Cong trinh"
        headers = BUILDING_HEADERS
        example = [
            example_unit, "KD-001", "CT-001", "Nhà ở đại đội 1", "Nhà ở", "III", "III", 2, 450,
            900, 120, "Ở bộ đội", 1995, 1996, 30, "Trung bình", 2500000000, 300000000,
        ]  # fmt: skip
    sheet.append(headers)
    sheet.append(example)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    codes = book.create_sheet("Danh muc")
    codes.append(["Danh mục", "Mã", "Tên"])
    for label, rows in (
        ("Mục đích sử dụng đất", LandPurpose.objects.all()),
        ("Loại nhà", BuildingType.objects.all()),
        ("Bậc niên hạn", DurabilityClass.objects.all()),
        ("Chất lượng", ConditionLevel.objects.all()),
    ):
        for obj in rows:
            codes.append([label, obj.code, obj.name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
