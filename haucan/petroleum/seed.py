"""The standard petroleum catalog: fuel groups, products, loss-rate and norm mappings.

Everything here is data a specialist may change afterwards; this function only gives a new
installation (and the demo and the tests) a sensible start. The loss rates and consumption norms
are rows of the catalog norm tables DM_HAO_HUT_XD and DM_NHIEN_LIEU_XE (placeholder values, not
yet checked against the official text); the rows the catalog lacks are added. Idempotent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from haucan.catalog.models import Norm, NormSet
from haucan.catalog.services import add_norm
from haucan.core.scope import Domain, Scope
from haucan.inventory.models import DocType, Item, Reason
from haucan.petroleum.models import (
    DOMAIN,
    Basis,
    EquipmentType,
    LossRate,
    Nature,
    Product,
    ProductGroup,
    Stage,
)

LOSS_NORMS = "DM_HAO_HUT_XD"
FUEL_NORMS = "DM_NHIEN_LIEU_XE"

GROUPS = [
    ("XANG", "Xăng", Nature.FUEL, "XD_XANG"),
    ("DIESEL", "Diesel", Nature.FUEL, "XD_DIESEL"),
    ("PHAN_LUC", "Nhiên liệu phản lực", Nature.FUEL, "XD_PHAN_LUC"),
    ("DMN", "Dầu mỡ nhờn", Nature.LUBRICANT, "XD_DMN"),
]

# code, name, group, grade, unit, density at 15 °C, corrected to 15 °C
PRODUCTS = [
    ("E5_RON92", "Xăng E5 RON92", "XANG", "E5 RON92", "lít", "745.0", True),
    ("RON95", "Xăng RON95-III", "XANG", "RON95-III", "lít", "750.0", True),
    ("DO_005S", "Dầu diesel DO 0,05S", "DIESEL", "DO 0,05S-II", "lít", "840.0", True),
    ("TC1", "Nhiên liệu phản lực TC-1", "PHAN_LUC", "TC-1", "lít", "780.0", True),
    ("JET_A1", "Nhiên liệu phản lực JET A-1", "PHAN_LUC", "JET A-1", "lít", "800.0", True),
    ("DAU_DONG_CO", "Dầu động cơ", "DMN", "SAE 15W-40", "kg", "890.0", False),
]

# (product, stage) -> (norm item code, name, rate %) in DM_HAO_HUT_XD; existing rows are kept.
LOSS_RATES = {
    ("E5_RON92", Stage.RECEIPT): ("XANG_NHAP_XITEC", "Xăng nhập từ xe, toa xitec", "0.25"),
    ("RON95", Stage.RECEIPT): ("XANG_NHAP_XITEC", "Xăng nhập từ xe, toa xitec", "0.25"),
    ("E5_RON92", Stage.STORAGE): ("XANG_TON_CHUA", "Xăng tồn chứa ngắn ngày (tháng)", "0.14"),
    ("RON95", Stage.STORAGE): ("XANG_TON_CHUA", "Xăng tồn chứa ngắn ngày (tháng)", "0.14"),
    ("E5_RON92", Stage.ISSUE): ("XANG_XUAT", "Xăng xuất", "0.20"),
    ("RON95", Stage.ISSUE): ("XANG_XUAT", "Xăng xuất", "0.20"),
    ("E5_RON92", Stage.TRANSPORT): ("XANG_VAN_CHUYEN", "Xăng vận chuyển ô tô xitec", "0.15"),
    ("RON95", Stage.TRANSPORT): ("XANG_VAN_CHUYEN", "Xăng vận chuyển ô tô xitec", "0.15"),
    ("DO_005S", Stage.RECEIPT): ("DIESEL_NHAP_XITEC", "Diesel nhập từ xe, toa xitec", "0.10"),
    ("DO_005S", Stage.STORAGE): ("DIESEL_TON_CHUA", "Diesel tồn chứa ngắn ngày", "0.05"),
    ("DO_005S", Stage.ISSUE): ("DIESEL_XUAT", "Diesel xuất", "0.08"),
    ("DO_005S", Stage.TRANSPORT): ("DIESEL_VAN_CHUYEN", "Diesel vận chuyển ô tô xitec", "0.06"),
    ("TC1", Stage.RECEIPT): ("PHAN_LUC_NHAP", "Nhiên liệu phản lực nhập", "0.15"),
    ("JET_A1", Stage.RECEIPT): ("PHAN_LUC_NHAP", "Nhiên liệu phản lực nhập", "0.15"),
    ("TC1", Stage.STORAGE): ("PHAN_LUC_TON_CHUA", "Nhiên liệu phản lực tồn chứa", "0.08"),
    ("JET_A1", Stage.STORAGE): ("PHAN_LUC_TON_CHUA", "Nhiên liệu phản lực tồn chứa", "0.08"),
}

# code, name, report option, fuel group, basis, norm item (DM_NHIEN_LIEU_XE)
EQUIPMENT = [
    ("UAZ_469", "Xe UAZ-469", "PT_XE_CON", "XANG", Basis.PER_100_KM),
    ("URAL_4320", "Xe Ural-4320", "PT_XE_VAN_TAI", "DIESEL", Basis.PER_100_KM),
    ("KAMAZ_43118", "Xe KAMAZ-43118", "PT_XE_VAN_TAI", "DIESEL", Basis.PER_100_KM),
    ("BTR_152", "Xe thiết giáp BTR-152", "PT_XE_TANG_THIET_GIAP", "XANG", Basis.PER_100_KM),
    ("T_54B", "Xe tăng T-54B", "PT_XE_TANG_THIET_GIAP", "DIESEL", Basis.PER_KM),
    ("MAY_PHAT_10KVA", "Máy phát điện 10 kVA", "PT_MAY_NO", "DIESEL", Basis.PER_HOUR),
    ("XUONG_CV", "Xuồng cao tốc", "PT_TAU_XUONG", "XANG", Basis.PER_HOUR),
]


REASONS = [
    ("KK_HAO_HUT", "Hao hụt tồn chứa phát hiện khi kiểm kê", False),
    ("KK_THUA", "Thừa do sai số đo lường", True),
    ("KK_SAI_SOT", "Sai sót ghi chép, đã đối chiếu chứng từ", True),
]


def ensure_standard_catalog(scope: Scope, *, since: date = date(2020, 1, 1)) -> None:
    with transaction.atomic():
        for code, name, credit in REASONS:
            Reason.objects.get_or_create(
                domain=DOMAIN,
                code=code,
                defaults={"name": name, "is_credit": credit, "doc_types": [DocType.COUNT]},
            )
        groups = {}
        for order, (code, name, nature, option) in enumerate(GROUPS):
            groups[code], _c = ProductGroup.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "nature": nature,
                    "report_option": option,
                    "sort_order": order,
                },
            )
        products = {}
        for code, name, group, grade, uom, density, corrects in PRODUCTS:
            item, _c = Item.objects.get_or_create(
                domain=DOMAIN, code=code, defaults={"name": name, "uom": uom}
            )
            products[code], _c = Product.objects.get_or_create(
                item=item,
                defaults={
                    "group": groups[group],
                    "grade": grade,
                    "density15": Decimal(density),
                    "corrects_volume": corrects,
                },
            )
        loss_set, _c = NormSet.objects.get_or_create(
            code=LOSS_NORMS,
            defaults={"name": "Định mức hao hụt xăng dầu", "domain": Domain.PETROLEUM},
        )
        for (product, stage), (item_code, item_name, rate) in LOSS_RATES.items():
            if not Norm.objects.filter(norm_set=loss_set, item_code=item_code).exists():
                add_norm(
                    scope,
                    loss_set,
                    item_code=item_code,
                    item_name=item_name,
                    unit_of_measure="%",
                    value=rate,
                    valid_from=since,
                )
            LossRate.objects.get_or_create(
                product=products[product],
                stage=stage,
                defaults={"norm_set_code": LOSS_NORMS, "norm_item_code": item_code},
            )
        fuel_set, _c = NormSet.objects.get_or_create(
            code=FUEL_NORMS,
            defaults={"name": "Định mức tiêu thụ nhiên liệu", "domain": Domain.PETROLEUM},
        )
        defaults_per_type = {
            "UAZ_469": "18",
            "URAL_4320": "38",
            "KAMAZ_43118": "35",
            "BTR_152": "46",
            "T_54B": "2.6",
            "MAY_PHAT_10KVA": "3.2",
            "XUONG_CV": "42",
        }
        for code, name, option, group, basis in EQUIPMENT:
            if not Norm.objects.filter(norm_set=fuel_set, item_code=code).exists():
                add_norm(
                    scope,
                    fuel_set,
                    item_code=code,
                    item_name=name,
                    unit_of_measure={"100km": "lít/100 km", "km": "lít/km"}.get(basis, "lít/giờ"),
                    value=defaults_per_type[code],
                    valid_from=since,
                )
            EquipmentType.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "report_option": option,
                    "group": groups[group],
                    "basis": basis,
                    "norm_set_code": FUEL_NORMS,
                    "norm_item_code": code,
                },
            )
