"""The Excel and metadata-package pages: thin edges over excel.py and packages.py."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from haucan.catalog.models import DataElement
from haucan.reporting.models import DataValue
from haucan.testing import FuelForm, World, build_fuel_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ISSUED = "C12"  # PET_ISSUED: rows sorted by name (Ghi chú, Tồn cuối kỳ, Xuất trong kỳ)


@pytest.fixture(autouse=True)
def _english(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def fuel_form(world: World) -> FuelForm:
    return build_fuel_form([world.regiment_a, world.regiment_b])


def download(client, form: FuelForm, *units, period: str = "202401"):  # type: ignore[no-untyped-def]
    return client.get(
        "/exchange/template/",
        {"ds": form.data_set.uid, "ou": [u.uid for u in units], "pe": period},
    )


def xlsx_upload(content: bytes, name: str = "mau.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/exchange/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_clerk_sees_their_forms_and_units(world, login, fuel_form):
    client = login("clerk_a")

    response = client.get("/exchange/", {"ds": fuel_form.data_set.uid})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Báo cáo xăng dầu tháng" in html
    assert world.regiment_a.uid in html
    assert world.regiment_b.uid not in html


def test_clerk_downloads_a_template(world, login, fuel_form):
    response = download(login("clerk_a"), fuel_form, world.regiment_a)

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="PET_MONTHLY_202401.xlsx"'
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames[0] == "F324-E1"


def test_clerk_cannot_download_the_sibling_regiments_template(world, login, fuel_form):
    response = download(login("clerk_a"), fuel_form, world.regiment_b)

    assert response.status_code == 404
    assert "Unit not found." in response.content.decode()


def test_a_future_period_is_refused_with_a_message(world, login, fuel_form):
    response = download(login("clerk_a"), fuel_form, world.regiment_a, period="209901")

    assert response.status_code == 400
    assert "has not started yet" in response.content.decode()


def test_upload_dry_run_shows_the_changes_and_writes_nothing(world, login, fuel_form):
    client = login("clerk_a")
    workbook = load_workbook(BytesIO(download(client, fuel_form, world.regiment_a).content))
    workbook["F324-E1"][ISSUED] = 12.5
    saved = BytesIO()
    workbook.save(saved)

    response = client.post(
        "/exchange/upload/", {"file": xlsx_upload(saved.getvalue()), "dry_run": "1"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Dry run: nothing was written." in html
    assert "F324-E1!C12" in html
    assert DataValue.objects.count() == 0


def test_upload_writes_the_values(world, login, fuel_form):
    client = login("clerk_a")
    workbook = load_workbook(BytesIO(download(client, fuel_form, world.regiment_a).content))
    workbook["F324-E1"][ISSUED] = 12.5
    saved = BytesIO()
    workbook.save(saved)

    response = client.post("/exchange/upload/", {"file": xlsx_upload(saved.getvalue())})

    assert response.status_code == 200
    assert "The values were saved." in response.content.decode()
    assert list(DataValue.objects.values_list("data_element__code", "value")) == [
        ("PET_ISSUED", "12.5")
    ]


def test_upload_errors_are_listed_per_cell(world, login, fuel_form):
    client = login("clerk_a")
    workbook = load_workbook(BytesIO(download(client, fuel_form, world.regiment_a).content))
    workbook["F324-E1"][ISSUED] = "abc"
    saved = BytesIO()
    workbook.save(saved)

    response = client.post("/exchange/upload/", {"file": xlsx_upload(saved.getvalue())})

    assert response.status_code == 400
    assert "F324-E1!C12: &#x27;abc&#x27; is not a number." in response.content.decode()


def test_uploading_garbage_is_a_message_not_a_500(world, login):
    response = login("clerk_a").post("/exchange/upload/", {"file": xlsx_upload(b"not a zip")})

    assert response.status_code == 400
    assert "The file is not an Excel workbook" in response.content.decode()


def test_upload_without_a_file(world, login):
    response = login("clerk_a").post("/exchange/upload/", {})

    assert response.status_code == 400
    assert "Choose a file to upload." in response.content.decode()


def test_clerk_b_cannot_upload_into_clerk_a_unit(world, login, fuel_form, settings):
    client = login("clerk_a")
    content = download(client, fuel_form, world.regiment_a).content
    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # logging out clears the cookies

    response = login("clerk_b").post("/exchange/upload/", {"file": xlsx_upload(content)})

    assert response.status_code == 400
    assert "F324-E1: Unit not found." in response.content.decode()
    assert DataValue.objects.count() == 0


# --- packages ------------------------------------------------------------------------------


def test_admin_exports_a_package(world, login, fuel_form):
    response = login("admin").get("/exchange/packages/export/", {"include": ["catalog"]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    doc = json.loads(response.content)
    assert [d["code"] for d in doc["dataSets"]] == ["PET_MONTHLY"]
    assert "organisationUnits" not in doc


def test_package_page_offers_import_only_to_designers(world, login):
    assert "packages/import/" in login("specialist").get("/exchange/packages/").content.decode()
    html = login("clerk_a").get("/exchange/packages/").content.decode()
    assert "packages/import/" not in html


def test_package_import_dry_run_shows_the_report(world, login, fuel_form):
    client = login("admin")
    doc = json.loads(client.get("/exchange/packages/export/").content)
    doc["dataElements"][0]["name"] = "Đổi tên"
    upload = SimpleUploadedFile("p.json", json.dumps(doc).encode(), "application/json")

    response = client.post("/exchange/packages/import/", {"file": upload, "dry_run": "1"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Dry run: nothing was written." in html
    assert "dataElements" in html
    assert not DataElement.objects.filter(name="Đổi tên").exists()


def test_package_import_of_bad_json_is_a_message(world, login):
    upload = SimpleUploadedFile("p.json", b"{not json", "application/json")

    response = login("admin").post("/exchange/packages/import/", {"file": upload})

    assert response.status_code == 400
    assert "The file is not a JSON metadata package." in response.content.decode()


def test_clerk_cannot_import_a_package(world, login):
    upload = SimpleUploadedFile("p.json", b'{"constants": []}', "application/json")

    response = login("clerk_a").post("/exchange/packages/import/", {"file": upload})

    assert response.status_code == 400
    assert "You are not allowed to import metadata." in response.content.decode()
