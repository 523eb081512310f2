"""Excel import of episodes: all or nothing, with an error per row and column.

One sheet, one row per stay, columns named after the health-insurance XML1 fields so that a
hospital system's export maps one to one (the XML 130/4750 import will reuse the same row path):

MA_LK, MA_BN, HO_TEN, NGAY_SINH, GIOI_TINH, SO_CCCD, MA_THE_BHYT, DOI_TUONG, DON_VI, MA_KHOA,
NGAY_VAO, MA_BENH, CAP_CUU, NGAY_RA, LOAI_RV, KET_QUA, NOI_CHUYEN

Every row goes through the same services as the entry screen (admit, then discharge when NGAY_RA
is given). Any error rolls the whole file back; the reports are recomputed once at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.core.errors import HaucanError, ValidationFailed
from haucan.core.scope import Scope
from haucan.medical.care import require_care_chain
from haucan.medical.models import EntrySource, Facility
from haucan.medical.services.episodes import PatientInput, admit, discharge
from haucan.medical.services.publish import publish_days
from haucan.org.models import Unit

COLUMNS = [
    "MA_LK",
    "MA_BN",
    "HO_TEN",
    "NGAY_SINH",
    "GIOI_TINH",
    "SO_CCCD",
    "MA_THE_BHYT",
    "DOI_TUONG",
    "DON_VI",
    "MA_KHOA",
    "NGAY_VAO",
    "MA_BENH",
    "CAP_CUU",
    "NGAY_RA",
    "LOAI_RV",
    "KET_QUA",
    "NOI_CHUYEN",
]
REQUIRED = ["MA_BN", "HO_TEN", "DOI_TUONG", "MA_KHOA", "NGAY_VAO", "MA_BENH"]

# The service's field names -> the column that carries them (for the error's cell).
FIELD_COLUMN = {
    "patient_code": "MA_BN",
    "full_name": "HO_TEN",
    "category": "DOI_TUONG",
    "sex": "GIOI_TINH",
    "personal_id": "SO_CCCD",
    "department": "MA_KHOA",
    "admitted_at": "NGAY_VAO",
    "admission": "NGAY_VAO",
    "icd10": "MA_BENH",
    "key": "MA_LK",
    "discharged_at": "NGAY_RA",
    "discharge": "NGAY_RA",
    "kind": "LOAI_RV",
    "outcome": "KET_QUA",
    "destination": "NOI_CHUYEN",
}
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number
    column: str
    message: str


class ImportRejected(ValidationFailed):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(_("The file was not imported: %(n)s errors.") % {"n": len(errors)})
        self.errors = errors


@dataclass(frozen=True)
class ImportSummary:
    admitted: int
    discharged: int


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _moment(value: Any, column: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip()
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y%m%d%H%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValidationFailed(
        _("'%(v)s' is not a date and time (dd/mm/yyyy hh:mm).") % {"v": text}, field=column
    )


def _bool(value: Any) -> bool:
    return _text(value).lower() in {"1", "x", "co", "có", "true", "yes"}


def read_rows(content: bytes) -> list[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed(_("The file is not an Excel workbook (.xlsx).")) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [(_text(h)).upper() for h in next(rows, ())]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRejected(
            [RowError(1, c, _("The column %(c)s is missing.") % {"c": c}) for c in missing]
        )
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        out.append((number, dict(zip(header, values, strict=False))))
        if len(out) > MAX_ROWS:
            raise ValidationFailed(_("At most %(n)s rows per file.") % {"n": MAX_ROWS})
    book.close()
    return out


def import_episodes(scope: Scope, facility: Facility, content: bytes) -> ImportSummary:
    require_care_chain(scope, facility)
    rows = read_rows(content)
    errors: list[RowError] = []
    admitted = discharged = 0
    earliest: date | None = None
    units = {
        u.code: u for u in Unit.objects.filter(code__in={_text(r.get("DON_VI")) for _n, r in rows})
    }
    with transaction.atomic():
        for number, row in rows:
            try:
                with transaction.atomic():
                    for column in REQUIRED:
                        if not _text(row.get(column)):
                            raise ValidationFailed(_("This cell is required."), field=column)
                    unit_code = _text(row.get("DON_VI"))
                    if unit_code and unit_code not in units:
                        raise ValidationFailed(
                            _("Unknown unit code %(c)s.") % {"c": unit_code}, field="DON_VI"
                        )
                    birth = _moment(row.get("NGAY_SINH"), "NGAY_SINH")
                    admitted_at = _moment(row.get("NGAY_VAO"), "NGAY_VAO")
                    assert admitted_at is not None
                    result = admit(
                        scope,
                        facility,
                        patient=PatientInput(
                            code=_text(row.get("MA_BN")),
                            full_name=_text(row.get("HO_TEN")),
                            category=_text(row.get("DOI_TUONG")),
                            birth_date=birth.date() if birth else None,
                            sex=_text(row.get("GIOI_TINH")) or "3",
                            personal_id=_text(row.get("SO_CCCD")),
                            insurance_card=_text(row.get("MA_THE_BHYT")),
                            home_unit=units.get(unit_code),
                        ),
                        department=_text(row.get("MA_KHOA")),
                        admitted_at=admitted_at,
                        icd10_code=_text(row.get("MA_BENH")),
                        emergency=_bool(row.get("CAP_CUU")),
                        key=_text(row.get("MA_LK")),
                        source=EntrySource.EXCEL,
                        publish=False,
                    )
                    admitted += 1
                    day = result.episode.admit_day
                    earliest = day if earliest is None or day < earliest else earliest
                    out = _moment(row.get("NGAY_RA"), "NGAY_RA")
                    if out is not None:
                        discharge(
                            scope,
                            facility,
                            result.episode.uid,
                            discharged_at=out,
                            kind=_text(row.get("LOAI_RV")) or "home",
                            outcome=_text(row.get("KET_QUA")),
                            destination=_text(row.get("NOI_CHUYEN")),
                            publish=False,
                        )
                        discharged += 1
            except HaucanError as exc:
                column = FIELD_COLUMN.get(exc.field or "", exc.field or "")
                errors.append(RowError(number, column, exc.message))
        if errors:
            transaction.set_rollback(True)
        elif earliest is not None:
            publish_days(scope, facility, earliest, timezone.localdate())
    if errors:
        raise ImportRejected(errors)
    return ImportSummary(admitted, discharged)


def template_workbook() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "DOT_DIEU_TRI"
    sheet.append(COLUMNS)
    sheet.append(
        [
            "",
            "BN0001",
            "Nguyễn Văn A",
            "15/05/1998",
            "1",
            "",
            "",
            "nco_soldier",
            "",
            "NOI",
            timezone.localtime().strftime("%d/%m/%Y 08:00"),
            "J18.9",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
