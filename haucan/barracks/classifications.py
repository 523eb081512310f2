"""The first contents of the classification tables (seeded by migration 0002; specialists edit
them afterwards in the admin). Codes are stable; names are Vietnamese as the forms print them.
Report mappings follow the barracks forms of the catalog (haucan/demo/data/catalog.json)."""

from __future__ import annotations

# code, name, report option, combined use
PURPOSES = [
    ("DOANH_TRAI", "Đất doanh trại", "DAT_DOANH_TRAI", False),
    ("THAO_TRUONG", "Đất thao trường, bãi tập", "DAT_THAO_TRUONG", False),
    ("TRAN_DIA", "Đất trận địa, trường bắn", "DAT_TRAN_DIA", False),
    ("KHO_TANG", "Đất kho tàng", "DAT_KHO_TANG", False),
    ("SAN_BAY_BEN_CANG", "Đất sân bay, bến cảng", "DAT_SAN_BAY_BEN_CANG", False),
    ("KET_HOP_SX", "Đất quốc phòng kết hợp lao động sản xuất, kinh tế", "DAT_KET_HOP_SX", True),
]

# code, name, report element
BUILDING_TYPES = [
    ("NHA_O", "Nhà ở", "CT_NHA_O"),
    ("NHA_LAM_VIEC", "Nhà làm việc", "CT_NHA_LAM_VIEC"),
    ("NHA_AN", "Nhà ăn, nhà bếp", "CT_NHA_AN"),
    ("NHA_KHO", "Nhà kho", "CT_NHA_KHO"),
    ("NHA_XE", "Nhà xe, gara", "CT_NHA_KHO"),
    ("HOI_TRUONG", "Hội trường, nhà văn hóa", ""),
    ("KHAC", "Công trình khác", ""),
]

# code, name, min years, max years, default years, report option (QCVN 03:2012/BXD)
DURABILITY_CLASSES = [
    ("I", "Bậc I (trên 100 năm)", 100, None, 100, "NH_BAC_I"),
    ("II", "Bậc II (50–100 năm)", 50, 100, 50, "NH_BAC_II"),
    ("III", "Bậc III (20–50 năm)", 20, 50, 30, "NH_BAC_III"),
    ("IV", "Bậc IV (dưới 20 năm)", 1, 19, 15, "NH_BAC_IV"),
]

# code, name, report option, dangerous
CONDITIONS = [
    ("TOT", "Tốt", "CL_TOT", False),
    ("TRUNG_BINH", "Trung bình", "CL_TRUNG_BINH", False),
    ("XUONG_CAP", "Xuống cấp", "CL_XUONG_CAP", False),
    ("NGUY_HIEM", "Nguy hiểm", "CL_NGUY_HIEM", True),
]


def seed(purpose: type, building_type: type, durability: type, condition: type) -> None:
    """Create the rows that do not exist yet (by code); existing rows keep their edits."""
    for order, (code, name, option, combined) in enumerate(PURPOSES):
        purpose.objects.get_or_create(  # type: ignore[attr-defined]
            code=code,
            defaults={
                "name": name,
                "report_option": option,
                "combined_use": combined,
                "sort_order": order,
            },
        )
    for order, (code, name, element) in enumerate(BUILDING_TYPES):
        building_type.objects.get_or_create(  # type: ignore[attr-defined]
            code=code, defaults={"name": name, "report_element": element, "sort_order": order}
        )
    for order, (code, name, low, high, default, option) in enumerate(DURABILITY_CLASSES):
        durability.objects.get_or_create(  # type: ignore[attr-defined]
            code=code,
            defaults={
                "name": name,
                "min_years": low,
                "max_years": high,
                "default_years": default,
                "report_option": option,
                "sort_order": order,
            },
        )
    for order, (code, name, option, dangerous) in enumerate(CONDITIONS):
        condition.objects.get_or_create(  # type: ignore[attr-defined]
            code=code,
            defaults={
                "name": name,
                "report_option": option,
                "dangerous": dangerous,
                "sort_order": order,
            },
        )
