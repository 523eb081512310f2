"""Communicable diseases of the unit reports, with their group under the Law on Prevention of
Infectious Diseases (2007) and TT 54/2015/TT-BYT: group A is reported within 24 hours and raises a
critical alert. `option` is the catalog's BENH_TRUYEN_NHIEM category option, when the demo form has
one. Groups marked [I] in docs/users/medical.md are to be checked against the official annex.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Disease:
    code: str
    name: str
    group: str  # "A", "B" or "C"
    icd10: str
    option: str = ""


DISEASES: list[Disease] = [
    Disease("CHOLERA", "Tả", "A", "A00.9"),
    Disease("PLAGUE", "Dịch hạch", "A", "A20.9"),
    Disease("POLIO", "Bại liệt", "A", "A80.9"),
    Disease("H5N1", "Cúm A(H5N1)", "A", "J09"),
    Disease("SARS", "Viêm đường hô hấp cấp nặng do vi rút (SARS, MERS)", "A", "U04.9"),
    Disease("EBOLA", "Sốt xuất huyết do vi rút Ebola", "A", "A98.4"),
    Disease("COVID19", "COVID-19", "A", "U07.1"),
    Disease("DENGUE", "Sốt xuất huyết dengue", "B", "A97.9", "B_SOT_XUAT_HUYET"),
    Disease("INFLUENZA", "Cúm", "B", "J11.1", "B_CUM"),
    Disease("DIARRHOEA", "Tiêu chảy", "B", "A09", "B_TIEU_CHAY"),
    Disease("MALARIA", "Sốt rét", "B", "B54", "B_SOT_RET"),
    Disease("VARICELLA", "Thủy đậu", "B", "B01.9", "B_THUY_DAU"),
    Disease("MEASLES", "Sởi", "B", "B05.9"),
    Disease("CONJUNCTIVITIS", "Đau mắt đỏ (viêm kết mạc cấp)", "C", "H10.9", "B_DAU_MAT_DO"),
]

BY_CODE: dict[str, Disease] = {d.code: d for d in DISEASES}
