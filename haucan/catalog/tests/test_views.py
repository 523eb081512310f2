"""Catalog pages: who may list, create and edit, and how service errors come back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from haucan.catalog import services
from haucan.catalog.models import DataElement, DataSet, Indicator, Norm, NormSet
from haucan.core.scope import Scope
from haucan.testing import World

Login = Callable[[str], Client]
SYSTEM = Scope.system("test")


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def medical_element(world: World) -> DataElement:
    return services.save_data_element(
        SYSTEM, DataElement(code="MED_BEDS", name="Giường bệnh", domain="medical")
    )


@pytest.fixture
def fuel_element(world: World) -> DataElement:
    return services.save_data_element(
        SYSTEM,
        DataElement(code="FUEL_A92", name="Xăng A92", domain="petroleum", unit_of_measure="lít"),
    )


@pytest.fixture
def fuel_form(world: World, fuel_element: DataElement) -> DataSet:
    data_set = services.save_data_set(
        SYSTEM,
        DataSet(
            code="BC_XD", name="Báo cáo xăng dầu tháng", domain="petroleum", period_type="Monthly"
        ),
    )
    data_set.data_elements.add(fuel_element)
    data_set.units.add(world.regiment_a)
    return data_set


def element_post(**overrides: str) -> dict[str, str]:
    data = {
        "code": "FUEL_DO",
        "name": "Dầu diesel",
        "short_name": "",
        "form_name": "",
        "description": "",
        "domain": "petroleum",
        "value_type": "NUMBER",
        "aggregation_type": "SUM",
        "unit_of_measure": "lít",
        "category_combo": "",
        "option_set": "",
    }
    data.update(overrides)
    return data


def test_anonymous_user_is_sent_to_login(client: Client, world: World) -> None:
    response = client.get("/catalog/elements/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "url",
    [
        "/catalog/",
        "/catalog/elements/",
        "/catalog/forms/",
        "/catalog/indicators/",
        "/catalog/rules/",
        "/catalog/combos/",
        "/catalog/norms/",
    ],
)
def test_clerk_may_read_the_catalog(login: Login, world: World, url: str) -> None:
    assert login("clerk_a").get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/catalog/elements/new/",
        "/catalog/forms/new/",
        "/catalog/indicators/new/",
        "/catalog/rules/new/",
    ],
)
def test_clerk_cannot_reach_create_pages(login: Login, world: World, url: str) -> None:
    client = login("clerk_a")
    assert client.get(url).status_code == 403
    assert client.post(url, element_post()).status_code == 403
    assert not DataElement.objects.filter(code="FUEL_DO").exists()


def test_specialist_creates_a_petroleum_data_element(login: Login, world: World) -> None:
    response = login("specialist").post("/catalog/elements/new/", element_post())
    assert response.status_code == 302
    assert response["Location"] == "/catalog/elements/"
    element = DataElement.objects.get(code="FUEL_DO")
    assert (element.name, element.domain, element.category_combo.code) == (
        "Dầu diesel",
        "petroleum",
        "default",
    )


def test_specialist_is_offered_only_their_domain(login: Login, world: World) -> None:
    response = login("specialist").get("/catalog/elements/new/")
    assert [value for value, _label in response.context["form"].fields["domain"].choices] == [
        "petroleum"
    ]


def test_specialist_cannot_create_a_medical_element(login: Login, world: World) -> None:
    response = login("specialist").post("/catalog/elements/new/", element_post(domain="medical"))
    assert response.status_code == 200
    assert "domain" in response.context["form"].errors
    assert not DataElement.objects.filter(code="FUEL_DO").exists()


def test_specialist_cannot_edit_a_medical_element(
    login: Login, medical_element: DataElement
) -> None:
    client = login("specialist")
    url = f"/catalog/elements/{medical_element.uid}/edit/"
    assert client.get(url).status_code == 403
    response = client.post(url, element_post(code="MED_BEDS", name="Hacked", domain="petroleum"))
    assert response.status_code == 403
    medical_element.refresh_from_db()
    assert (medical_element.name, medical_element.domain) == ("Giường bệnh", "medical")


def test_edit_button_is_hidden_for_other_domains(
    login: Login, medical_element: DataElement, fuel_element: DataElement
) -> None:
    text = login("specialist").get("/catalog/elements/").text
    assert f"/catalog/elements/{fuel_element.uid}/edit/" in text
    assert f"/catalog/elements/{medical_element.uid}/edit/" not in text
    assert "Giường bệnh" in text  # still listed, read-only


def test_specialist_edits_a_petroleum_element(login: Login, fuel_element: DataElement) -> None:
    response = login("specialist").post(
        f"/catalog/elements/{fuel_element.uid}/edit/",
        element_post(code="FUEL_A92", name="Xăng RON 92"),
    )
    assert response.status_code == 302
    fuel_element.refresh_from_db()
    assert fuel_element.name == "Xăng RON 92"


def test_element_search_ignores_diacritics(
    login: Login, medical_element: DataElement, fuel_element: DataElement
) -> None:
    text = login("clerk_a").get("/catalog/elements/", {"q": "giuong"}).text
    assert "Giường bệnh" in text
    assert "Xăng A92" not in text


def test_bad_indicator_expression_names_the_position_and_saves_nothing(
    login: Login, world: World
) -> None:
    response = english(login("specialist")).post(
        "/catalog/indicators/new/",
        {
            "code": "IND_FUEL",
            "name": "Tỷ lệ tiêu thụ",
            "short_name": "",
            "description": "",
            "domain": "petroleum",
            "numerator": "#{abcdefghijk} +",
            "numerator_description": "",
            "denominator": "1",
            "denominator_description": "",
            "factor": "100",
            "decimals": "1",
        },
    )
    assert response.status_code == 200
    (message,) = response.context["form"].errors["numerator"]
    assert message.startswith("numerator: ")
    assert "(at character 17)" in message
    assert message in response.text.replace("&#x27;", "'")
    assert not Indicator.objects.filter(code="IND_FUEL").exists()


def test_specialist_creates_an_indicator(login: Login, world: World) -> None:
    response = login("specialist").post(
        "/catalog/indicators/new/",
        {
            "code": "IND_OK",
            "name": "Chỉ số",
            "short_name": "",
            "description": "",
            "domain": "petroleum",
            "numerator": "#{abcdefghijk} * 2",
            "numerator_description": "",
            "denominator": "1",
            "denominator_description": "",
            "factor": "100",
            "decimals": "1",
        },
    )
    assert response.status_code == 302
    assert Indicator.objects.get(code="IND_OK").numerator == "#{abcdefghijk} * 2"


def test_bad_rule_expression_is_shown_on_the_left_side(login: Login, world: World) -> None:
    response = login("specialist").post(
        "/catalog/rules/new/",
        {
            "code": "VR1",
            "name": "Quy tắc",
            "description": "",
            "instruction": "",
            "domain": "petroleum",
            "period_type": "Monthly",
            "importance": "MEDIUM",
            "left": "(1 + 2",
            "left_missing": "SKIP_IF_ALL_VALUES_MISSING",
            "operator": "less_than_or_equal_to",
            "right": "3",
            "right_missing": "SKIP_IF_ALL_VALUES_MISSING",
        },
    )
    assert response.status_code == 200
    assert "left" in response.context["form"].errors


def test_data_set_list_and_layout(login: Login, fuel_form: DataSet) -> None:
    listing = login("clerk_a").get("/catalog/forms/").text
    assert "Báo cáo xăng dầu tháng" in listing
    response = login("clerk_a").get(f"/catalog/forms/{fuel_form.uid}/")
    assert response.status_code == 200
    assert "Xăng A92" in response.text
    assert response.context["layout"].unit_count == 1


def test_clerk_b_does_not_see_a_form_assigned_only_to_regiment_a(
    login: Login, fuel_form: DataSet
) -> None:
    assert "Báo cáo xăng dầu tháng" not in login("clerk_b").get("/catalog/forms/").text
    assert login("clerk_b").get(f"/catalog/forms/{fuel_form.uid}/").status_code == 404


def test_combos_list_their_option_combos(login: Login, world: World) -> None:
    services.create_category_combo(
        SYSTEM,
        code="SEX",
        name="Giới tính",
        categories=[("SEX", "Giới tính", [("M", "Nam"), ("F", "Nữ")])],
    )
    text = login("specialist").get("/catalog/combos/").text
    assert "Giới tính" in text
    assert "Nam" in text
    assert "Nữ" in text


@pytest.fixture
def fuel_norms(world: World) -> NormSet:
    return NormSet.objects.create(code="DM_XD", name="Định mức xăng dầu", domain="petroleum")


def test_specialist_adds_a_norm_that_supersedes_the_old_one(
    login: Login, fuel_norms: NormSet
) -> None:
    services.add_norm(
        SYSTEM,
        fuel_norms,
        item_code="XE_TAI",
        item_name="Xe tải",
        unit_of_measure="lít/100km",
        value="25",
        valid_from=date(2020, 1, 1),
    )
    response = login("specialist").post(
        f"/catalog/norms/{fuel_norms.uid}/add/",
        {
            "item_code": "XE_TAI",
            "item_name": "Xe tải",
            "unit_of_measure": "lít/100km",
            "value": "1.234,5",
            "valid_from": "01/01/2024",
            "valid_to": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    rows = list(Norm.objects.order_by("valid_from").values_list("value", "valid_to"))
    assert rows == [(Decimal("25.0000"), date(2023, 12, 31)), (Decimal("1234.5000"), None)]
    detail = login("specialist").get(f"/catalog/norms/{fuel_norms.uid}/").text
    assert "1.234,5" in detail
    assert "31/12/2023" in detail


def test_overlapping_norm_is_refused_next_to_the_date(login: Login, fuel_norms: NormSet) -> None:
    services.add_norm(
        SYSTEM,
        fuel_norms,
        item_code="XE_TAI",
        item_name="Xe tải",
        unit_of_measure="lít/100km",
        value="25",
        valid_from=date(2020, 1, 1),
        valid_to=date(2025, 1, 1),
    )
    response = login("specialist").post(
        f"/catalog/norms/{fuel_norms.uid}/add/",
        {
            "item_code": "XE_TAI",
            "item_name": "Xe tải",
            "unit_of_measure": "lít/100km",
            "value": "30",
            "valid_from": "01/01/2024",
            "valid_to": "",
            "note": "",
        },
    )
    assert response.status_code == 200
    assert "valid_from" in response.context["form"].errors
    assert Norm.objects.count() == 1


def test_clerk_cannot_add_a_norm(login: Login, fuel_norms: NormSet) -> None:
    assert login("clerk_a").get(f"/catalog/norms/{fuel_norms.uid}/add/").status_code == 403


def test_unknown_object_is_404(login: Login, world: World) -> None:
    assert login("specialist").get("/catalog/elements/NOPE/edit/").status_code == 404
