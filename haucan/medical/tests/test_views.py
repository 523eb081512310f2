"""The pages and the API: admission and discharge on screen, the board and its query count, the
API for hospital systems, the Excel import, scope."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from haucan.medical.models import Episode
from haucan.medical.services.episodes import PatientInput, admit
from haucan.medical.tests.conftest import MedicalWorld, at, days_ago
from haucan.testing import PASSWORD


def client_for(med: MedicalWorld, name: str) -> Client:
    users = {"clerk_h": med.clerk_h, "clerk_h2": med.clerk_h2}
    client = Client()
    client.force_login(users.get(name) or med.world.user(name))
    return client


def test_clerk_admits_and_discharges_on_screen_and_the_board_follows(med: MedicalWorld) -> None:
    c = client_for(med, "clerk_h")
    uid = med.hospital.uid
    now = timezone.localtime()
    response = c.post(
        f"/medical/f/{uid}/admit/",
        {
            "patient_code": "BN900",
            "full_name": "Trần Văn Minh",
            "category": "officer",
            "sex": "1",
            "department": "NOI",
            "admitted_at": now.strftime("%Y-%m-%dT%H:%M"),
            "icd10": "I10",
        },
    )
    assert response.status_code == 302
    episode = Episode.objects.get()
    board = c.get(f"/medical/f/{uid}/live/").content.decode()
    assert 'data-figure="admitted">1<' in board
    page = c.get(f"/medical/f/{uid}/patients/").content.decode()
    assert "Trần Văn Minh" in page
    response = c.post(
        f"/medical/f/{uid}/episode/{episode.uid}/discharge/",
        {"discharged_at": now.strftime("%Y-%m-%dT%H:%M"), "kind": "home", "outcome": "cured"},
    )
    assert response.status_code == 302
    board = c.get(f"/medical/f/{uid}/live/").content.decode()
    assert 'data-figure="discharged">1<' in board
    assert 'data-figure="occupied">0<' in board


def test_an_unknown_icd_code_is_shown_on_the_form_and_nothing_saved(med: MedicalWorld) -> None:
    c = client_for(med, "clerk_h")
    response = c.post(
        f"/medical/f/{med.hospital.uid}/admit/",
        {
            "patient_code": "BN901",
            "full_name": "Lê Văn Tú",
            "category": "officer",
            "sex": "1",
            "department": "NOI",
            "admitted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "icd10": "ZZZ",
        },
    )
    assert response.status_code == 400
    assert "không phải mã ICD-10" in response.content.decode()
    assert not Episode.objects.exists()


def test_board_query_count_is_fixed(med: MedicalWorld, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    from haucan.medical.queries import board

    scope = med.scope("clerk_h")
    for i in range(5):
        admit(
            scope,
            med.hospital,
            patient=PatientInput(f"Q{i}", "Nguyễn Văn Q", "insured"),
            department="NOI" if i % 2 else "NGOAI",
            admitted_at=at(days_ago(i)),
            icd10_code="A09",
        )
    with django_assert_num_queries(12):
        data = board(med.hospital)
    assert data.occupied == 5 and len(data.trend) == 30


def test_outsiders_get_not_found_and_commanders_no_names(med: MedicalWorld) -> None:
    uid = med.hospital.uid
    assert client_for(med, "clerk_h2").get(f"/medical/f/{uid}/").status_code == 404
    assert client_for(med, "clerk_h2").get(f"/medical/f/{uid}/patients/").status_code == 404
    commander = client_for(med, "admin")
    assert commander.get(f"/medical/f/{uid}/").status_code == 200
    # the division commander is outside the hospitals' subtree (they hang off the region)
    assert client_for(med, "commander").get(f"/medical/f/{uid}/").status_code == 404
    assert client_for(med, "commander").get("/medical/").status_code == 200


def test_home_lists_the_facilities_of_the_scope(med: MedicalWorld) -> None:
    page = client_for(med, "clerk_h").get("/medical/").content.decode()
    assert "Bệnh viện Quân y A" in page and "Bệnh viện Quân y B" not in page


def _basic(user: str) -> dict[str, Any]:
    token = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_api_admission_and_discharge_by_episode_key(med: MedicalWorld) -> None:
    c = Client()
    uid = med.hospital.uid
    body = {
        "key": "LK-2024-0001",
        "patient": {
            "code": "HIS-77",
            "full_name": "Phạm Văn Nam",
            "category": "nco_soldier",
            "personal_id": "001099012345",
        },
        "department": "NGOAI",
        "admitted_at": at(days_ago(2)).isoformat(),
        "icd10": "S82.2",
    }
    r = c.post(
        f"/api/v1/medical/facilities/{uid}/episodes",
        body,
        content_type="application/json",
        **_basic("clerk_h"),
    )
    assert r.status_code == 201, r.content
    assert r.json()["key"] == "LK-2024-0001"
    r = c.post(
        f"/api/v1/medical/facilities/{uid}/episodes",
        body,
        content_type="application/json",
        **_basic("clerk_h"),
    )
    assert r.status_code == 400 and "trùng thời gian" in r.json()["message"]
    r = c.post(
        f"/api/v1/medical/facilities/{uid}/episodes/LK-2024-0001/discharge",
        {"discharged_at": at(days_ago(3)).isoformat(), "kind": "home", "outcome": "cured"},
        content_type="application/json",
        **_basic("clerk_h"),
    )
    assert r.status_code == 400 and "trước thời điểm vào viện" in r.json()["message"]
    r = c.post(
        f"/api/v1/medical/facilities/{uid}/episodes/LK-2024-0001/discharge",
        {
            "discharged_at": at(days_ago(1)).isoformat(),
            "kind": "transfer",
            "outcome": "unchanged",
            "destination": "Bệnh viện TWQĐ 108",
        },
        content_type="application/json",
        **_basic("clerk_h"),
    )
    assert r.status_code == 200 and r.json()["discharge_kind"] == "transfer"
    # another hospital's clerk: not found
    r = c.get(f"/api/v1/medical/facilities/{uid}/episodes/LK-2024-0001", **_basic("clerk_h2"))
    assert r.status_code == 404
    r = c.get("/api/v1/medical/facilities", **_basic("clerk_h"))
    assert [f["unit_code"] for f in r.json()] == ["QK4-BVA"]


def _workbook(rows: list[list[object]]) -> bytes:
    from haucan.medical.services.importing import COLUMNS

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _row(code: str, icd: str, admitted: str, discharged: str = "") -> list[object]:
    return [
        "",
        code,
        "Nguyễn Văn " + code,
        "",
        "1",
        "",
        "",
        "nco_soldier",
        "",
        "NOI",
        admitted,
        icd,
        "",
        discharged,
        "home" if discharged else "",
        "cured" if discharged else "",
        "",
    ]


def test_excel_import_is_all_or_nothing_with_errors_per_cell(med: MedicalWorld) -> None:
    c = client_for(med, "clerk_h")
    d2 = days_ago(2).strftime("%d/%m/%Y 08:00")
    d1 = days_ago(1).strftime("%d/%m/%Y 09:00")
    bad = _workbook(
        [_row("E1", "J18.9", d2, d1), _row("E2", "Q99.99", d2), _row("E3", "A09", d1, d2)]
    )
    upload = BytesIO(bad)
    upload.name = "dot.xlsx"
    r = c.post(f"/medical/f/{med.hospital.uid}/import/", {"file": upload})
    assert r.status_code == 400
    page = r.content.decode()
    assert "MA_BENH" in page and "NGAY_RA" in page
    assert not Episode.objects.exists()
    good = BytesIO(_workbook([_row("E1", "J18.9", d2, d1), _row("E2", "A09", d2)]))
    good.name = "dot.xlsx"
    r = c.post(f"/medical/f/{med.hospital.uid}/import/", {"file": good})
    assert r.status_code == 302
    assert Episode.objects.count() == 2


def test_treatment_report_page_shows_the_figures_of_the_period(med: MedicalWorld) -> None:
    scope = med.scope("clerk_h")
    ep = admit(
        scope,
        med.hospital,
        patient=PatientInput("T1", "Lê Văn T", "officer"),
        department="NOI",
        admitted_at=at(days_ago(3)),
        icd10_code="J18.9",
    ).episode
    from haucan.medical.services.episodes import discharge

    discharge(
        scope, med.hospital, ep.uid, discharged_at=at(days_ago(1)), kind="home", outcome="cured"
    )
    admit(
        scope,
        med.hospital,
        patient=PatientInput("T2", "Lê Văn U", "insured"),
        department="NGOAI",
        admitted_at=at(days_ago(2)),
        icd10_code="S82.2",
    )
    c = client_for(med, "clerk_h")
    period = f"{days_ago(3):%Y%m%d}"
    page = c.get(f"/medical/f/{med.hospital.uid}/report/?period={period}").content.decode()
    assert 'data-figure="admitted">1<' in page
    year = days_ago(3).year
    whole = c.get(f"/medical/f/{med.hospital.uid}/report/?period={year}").content.decode()
    if days_ago(1).year == year:
        assert 'data-figure="admitted">2<' in whole
        assert 'data-figure="discharged">1<' in whole
        assert 'data-figure="average_stay">2,0<' in whole  # one stay of 2 days ended
