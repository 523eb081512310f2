from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.utils import timezone

from haucan.catalog.models import (
    CategoryOptionCombo,
    DataElement,
    DataSetElement,
    GreyedField,
    Section,
    SectionElement,
    ValueType,
)
from haucan.catalog.services import create_category_combo
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Scope
from haucan.reporting.models import CompleteRegistration, DataValue, DataValueAudit
from haucan.reporting.services.values import CellInput, resolve_target, save_values

ENTRY = "/reporting/entry/"
SAVE = "/reporting/entry/save/"


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English (the msgids), whatever the vi catalogue says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


def grid_url(form, unit) -> str:
    return f"{ENTRY}?ds={form.data_set.code}&ou={unit.code}&pe={last_month()}"


def save(client, form, unit, de, value, *, coc="", version=None, as_json=True):
    body = {
        "ds": form.data_set.uid,
        "ou": unit.uid,
        "pe": last_month(),
        "de": de,
        "coc": coc,
        "value": value,
    }
    if version is not None:
        body["version"] = version
    if as_json:
        return client.post(SAVE, json.dumps(body), content_type="application/json")
    return client.post(SAVE, body)


def coc(code: str) -> str:
    return CategoryOptionCombo.objects.get(code=code).uid


def grey_a92(form) -> None:
    section = Section.objects.create(data_set=form.data_set, name="Tồn kho", sort_order=1)
    SectionElement.objects.create(section=section, data_element=form.stock, sort_order=1)
    a92 = CategoryOptionCombo.objects.get(combo=form.stock.category_combo, name__icontains="A92")
    GreyedField.objects.create(section=section, data_element=form.stock, option_combo=a92)


# --- the page ---------------------------------------------------------------------------------


def test_clerk_sees_the_grid_with_inputs_and_a_disabled_greyed_cell(world, login, fuel_form):
    grey_a92(fuel_form)
    response = login("clerk_a").get(grid_url(fuel_form, world.regiment_a))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="form-control form-control-sm hc-cell') == 3  # DO, issued, note
    assert f'data-de="{fuel_form.issued.uid}"' in html
    assert 'data-version="0"' in html
    assert re.search(
        r'<td class="hc-td hc-greyed">\s*<input class="form-control form-control-sm" disabled', html
    )
    assert "reporting/entry.js" in html


def test_grid_shows_stored_values_with_decimal_comma_and_version(world, login, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, last_month())
    save_values(scope, target, [CellInput("PET_ISSUED", "12,5")])
    html = login("clerk_a").get(grid_url(fuel_form, world.regiment_a)).content.decode()
    assert f'value="12,5" data-de="{fuel_form.issued.uid}"' in html
    assert 'data-version="1"' in html


def test_clerk_cannot_open_sibling_regiment(world, login, fuel_form):
    response = login("clerk_a").get(grid_url(fuel_form, world.regiment_b))
    assert response.status_code == 404
    assert "hc-cell" not in response.content.decode()


def test_bad_period_is_a_400_not_a_500(world, login, fuel_form):
    url = f"{ENTRY}?ds={fuel_form.data_set.code}&ou={world.regiment_a.code}&pe=2024Q5"
    response = login("clerk_a").get(url)
    assert response.status_code == 400
    assert "the quarter must be 1–4" in response.content.decode()


def test_submitted_report_is_read_only(world, login, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, last_month())
    CompleteRegistration.objects.create(
        data_set=fuel_form.data_set,
        period=target.period.id,
        unit=world.regiment_a,
        attribute_option_combo=target.attribute_option_combo,
        completed_at=timezone.now(),
        completed_by="clerk_a",
        on_time=True,
    )
    html = login("clerk_a").get(grid_url(fuel_form, world.regiment_a)).content.decode()
    assert 'data-readonly="1"' in html
    assert html.count(" readonly") == 4  # three inputs, the textarea-less note included


def test_unit_picker_offers_only_assigned_units_in_scope(world, login, fuel_form):
    html = login("clerk_a").get(f"{ENTRY}?ds={fuel_form.data_set.code}").content.decode()
    assert world.regiment_a.name in html
    assert world.regiment_b.name not in html


# --- saving -----------------------------------------------------------------------------------


def test_save_stores_the_value_and_returns_version_and_display(world, login, fuel_form):
    response = save(
        login("clerk_a"), fuel_form, world.regiment_a, fuel_form.issued.uid, "12,5", version=0
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True, "version": 1, "value": "12,5", "comment": ""}
    stored = DataValue.objects.get()
    assert (stored.value, stored.numeric_value, stored.stored_by) == ("12.5", 12.5, "clerk_a")


def test_save_accepts_form_encoded_bodies(world, login, fuel_form):
    response = save(
        login("clerk_a"),
        fuel_form,
        world.regiment_a,
        "PET_STOCK",
        "40",
        coc=coc("FUEL_DO")
        if CategoryOptionCombo.objects.filter(code="FUEL_DO").exists()
        else CategoryOptionCombo.objects.filter(combo=fuel_form.stock.category_combo).last().uid,  # type: ignore[union-attr]
        as_json=False,
    )
    assert response.status_code == 200
    assert DataValue.objects.get().value == "40"


def test_save_refuses_a_bad_number_with_its_message(world, login, fuel_form):
    response = save(login("clerk_a"), fuel_form, world.regiment_a, fuel_form.issued.uid, "mười")
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "Xuất trong kỳ: 'mười' is not a number."}
    assert DataValue.objects.count() == 0


def test_save_error_is_in_vietnamese_for_a_vietnamese_clerk(world, login, fuel_form):
    client = login("clerk_a")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    response = save(client, fuel_form, world.regiment_a, fuel_form.issued.uid, "12.345.6")
    assert response.status_code == 400
    assert response.json()["error"].startswith("Xuất trong kỳ: '12.345.6' ")
    assert "is not a number" not in response.json()["error"]


def test_save_refuses_an_element_not_in_the_form(world, login, fuel_form):
    DataElement.objects.create(
        code="OTHER", name="Khác", category_combo=fuel_form.issued.category_combo
    )
    response = save(login("clerk_a"), fuel_form, world.regiment_a, "OTHER", "1")
    assert response.status_code == 400
    assert (
        response.json()["error"]
        == "The data element 'OTHER' is not in the form Báo cáo xăng dầu tháng."
    )


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"pe": "2024Q5"}, 400),
        ({"pe": ""}, 400),
        ({"ds": ""}, 404),
        ({"ou": ""}, 404),
        ({"de": ""}, 400),
        ({"version": "x"}, 400),
    ],
)
def test_save_maps_bad_input_to_a_json_error(world, login, fuel_form, change, status):
    body = {
        "ds": fuel_form.data_set.uid,
        "ou": world.regiment_a.uid,
        "pe": last_month(),
        "de": fuel_form.issued.uid,
        "value": "1",
        **change,
    }
    response = login("clerk_a").post(SAVE, body)
    assert response.status_code == status
    assert response.json()["ok"] is False


def test_save_refuses_invalid_json(world, login, fuel_form):
    response = login("clerk_a").post(SAVE, "{not json", content_type="application/json")
    assert (response.status_code, response.json()["error"]) == (
        400,
        "The request is not valid JSON.",
    )


def test_clerk_cannot_save_to_sibling_regiment(world, login, fuel_form):
    response = save(login("clerk_a"), fuel_form, world.regiment_b, fuel_form.issued.uid, "1")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error": "Unit not found.", "field": None}
    assert DataValue.objects.count() == 0


def test_stale_version_is_a_409_with_both_values(world, login, scope_of, fuel_form):
    admin = scope_of("admin")
    target = resolve_target(admin, fuel_form.data_set, world.regiment_a, last_month())
    save_values(admin, target, [CellInput("PET_ISSUED", "7,5")])
    response = save(
        login("clerk_a"), fuel_form, world.regiment_a, fuel_form.issued.uid, "9", version=0
    )
    assert response.status_code == 409
    assert response.json()["conflict"] == {
        "your_value": "9",
        "server_value": "7,5",
        "server_version": 1,
        "stored_by": "admin",
    }
    assert DataValue.objects.get().value == "7.5"


def test_overwrite_with_server_version_wins(world, login, scope_of, fuel_form):
    admin = scope_of("admin")
    target = resolve_target(admin, fuel_form.data_set, world.regiment_a, last_month())
    save_values(admin, target, [CellInput("PET_ISSUED", "7")])
    response = save(
        login("clerk_a"), fuel_form, world.regiment_a, fuel_form.issued.uid, "9", version=1
    )
    assert response.json()["version"] == 2
    assert DataValueAudit.objects.filter(changed_by="clerk_a", value="9").count() == 1


def test_save_to_submitted_report_is_a_409(world, login, scope_of, fuel_form):
    client = login("clerk_a")
    save(client, fuel_form, world.regiment_a, fuel_form.issued.uid, "1")
    fuel_form.data_set.timely_days = 400
    fuel_form.data_set.save()
    submitted = client.post(
        "/reporting/entry/submit/",
        {"ds": fuel_form.data_set.uid, "ou": world.regiment_a.uid, "pe": last_month()},
    )
    assert submitted.status_code == 200
    assert "The report was submitted on time." in submitted.content.decode()
    response = save(client, fuel_form, world.regiment_a, fuel_form.issued.uid, "2")
    assert response.status_code == 409
    assert (
        response.json()["error"]
        == "The report has been submitted; reopen it before changing values."
    )


def test_comment_is_saved_and_shown_in_the_cell_panel(world, login, fuel_form):
    client = login("clerk_a")
    client.post(
        SAVE,
        {
            "ds": fuel_form.data_set.uid,
            "ou": world.regiment_a.uid,
            "pe": last_month(),
            "de": fuel_form.issued.uid,
            "value": "3",
            "comment": "Xuất cho diễn tập",
        },
    )
    panel = client.get(
        "/reporting/entry/cell/",
        {
            "ds": fuel_form.data_set.uid,
            "ou": world.regiment_a.uid,
            "pe": last_month(),
            "de": fuel_form.issued.uid,
        },
    )
    html = panel.content.decode()
    assert panel.status_code == 200
    assert "Xuất cho diễn tập</textarea>" in html
    assert "clerk_a" in html


def test_reopen_needs_a_reason(world, login, fuel_form):
    client = login("clerk_a")
    params = {"ds": fuel_form.data_set.uid, "ou": world.regiment_a.uid, "pe": last_month()}
    client.post("/reporting/entry/submit/", params)
    refused = client.post("/reporting/entry/reopen/", {**params, "reason": " "})
    assert refused.status_code == 400
    reopened = client.post("/reporting/entry/reopen/", {**params, "reason": "Sai số liệu"})
    assert reopened.status_code == 200
    assert 'data-readonly="0"' in reopened.content.decode()


# --- query counts -----------------------------------------------------------------------------


def _widen(form, extra_rows: int) -> None:
    """Add `extra_rows` disaggregated elements (three columns each) to the form."""
    combo = create_category_combo(
        Scope.system("test"),
        code="SIZE",
        name="Cỡ",
        categories=[("SIZE_CAT", "Cỡ", [("S", "Nhỏ"), ("M", "Vừa"), ("L", "Lớn")])],
    )
    for i in range(extra_rows):
        element = DataElement.objects.create(
            code=f"EXTRA_{i}",
            name=f"Phụ {i}",
            domain="petroleum",
            value_type=ValueType.NUMBER,
            category_combo=combo,
        )
        DataSetElement.objects.create(data_set=form.data_set, data_element=element)


ENTRY_PAGE_QUERIES = 19  # +1: the approval workflow lookup, +1: the nav warning count


def test_entry_page_query_count_does_not_grow_with_cells(
    world, login, fuel_form, django_assert_num_queries
):
    client = login("clerk_a")
    url = grid_url(fuel_form, world.regiment_a)
    client.get(url)  # warm the default combo
    with django_assert_num_queries(ENTRY_PAGE_QUERIES):
        small = client.get(url)
    _widen(fuel_form, 20)
    with django_assert_num_queries(ENTRY_PAGE_QUERIES):
        big = client.get(url)
    assert small.content.decode().count("hc-cell ") < big.content.decode().count("hc-cell ")
    assert big.content.decode().count('data-de="') == 4 + 60


# --- a batch: what the grid queued, in one request -----------------------------------------------


def save_batch(client, form, unit, cells):
    body = {"ds": form.data_set.uid, "ou": unit.uid, "pe": last_month(), "cells": cells}
    return client.post(SAVE, json.dumps(body), content_type="application/json")


def stock_coc(form, label: str) -> str:
    combo = form.stock.category_combo
    return CategoryOptionCombo.objects.get(combo=combo, name__icontains=label).uid


def test_batch_saves_every_cell_in_one_request_with_each_version(world, login, fuel_form):
    response = save_batch(
        login("clerk_a"),
        fuel_form,
        world.regiment_a,
        [
            {"de": "PET_STOCK", "coc": stock_coc(fuel_form, "A92"), "value": "10", "version": 0},
            {"de": "PET_STOCK", "coc": stock_coc(fuel_form, "Diesel"), "value": "20"},
            {"de": fuel_form.issued.uid, "value": "3,5", "version": 0},
        ],
    )
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "results": [
            {"ok": True, "version": 1, "value": "10", "comment": ""},
            {"ok": True, "version": 1, "value": "20", "comment": ""},
            {"ok": True, "version": 1, "value": "3,5", "comment": ""},
        ],
    }
    assert sorted(DataValue.objects.values_list("value", flat=True)) == ["10", "20", "3.5"]
    assert DataValueAudit.objects.count() == 3


def test_batch_refused_and_stale_cells_do_not_block_the_others(world, login, scope_of, fuel_form):
    admin = scope_of("admin")
    target = resolve_target(admin, fuel_form.data_set, world.regiment_a, last_month())
    save_values(admin, target, [CellInput("PET_ISSUED", "7,5")])
    response = save_batch(
        login("clerk_a"),
        fuel_form,
        world.regiment_a,
        [
            {"de": "PET_STOCK", "coc": stock_coc(fuel_form, "A92"), "value": "mười"},
            {"de": fuel_form.issued.uid, "value": "9", "version": 0},
            {"de": "PET_STOCK", "coc": stock_coc(fuel_form, "Diesel"), "value": "20"},
            {"de": "", "value": "1"},
            {"de": "PET_STOCK", "coc": stock_coc(fuel_form, "Diesel"), "value": "21"},
            "not a cell",
        ],
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0] == {"ok": False, "error": "Tồn cuối kỳ: 'mười' is not a whole number."}
    assert results[1]["conflict"] == {
        "your_value": "9",
        "server_value": "7,5",
        "server_version": 1,
        "stored_by": "admin",
    }
    assert results[2] == {"ok": True, "version": 1, "value": "20", "comment": ""}
    assert results[3] == {"ok": False, "error": "Choose a data element."}
    assert results[4] == {"ok": False, "error": "This cell was sent twice."}
    assert results[5] == {"ok": False, "error": "The request is not valid JSON."}
    assert sorted(DataValue.objects.values_list("value", flat=True)) == ["20", "7.5"]


def test_batch_to_a_sibling_regiment_is_a_404_and_writes_nothing(world, login, fuel_form):
    response = save_batch(
        login("clerk_a"), fuel_form, world.regiment_b, [{"de": "PET_ISSUED", "value": "1"}]
    )
    assert response.status_code == 404
    assert response.json()["error"] == "Unit not found."
    assert DataValue.objects.count() == 0


@pytest.mark.parametrize("cells", [[], "x", [{"de": "PET_ISSUED", "value": "1"}] * 501])
def test_batch_of_a_wrong_shape_or_size_is_a_400(world, login, fuel_form, cells):
    response = save_batch(login("clerk_a"), fuel_form, world.regiment_a, cells)
    assert response.status_code == 400
    assert response.json()["field"] == "cells"
    assert DataValue.objects.count() == 0


def test_batch_to_a_submitted_report_is_a_409_for_every_cell(world, login, fuel_form):
    client = login("clerk_a")
    save(client, fuel_form, world.regiment_a, fuel_form.issued.uid, "1")
    fuel_form.data_set.timely_days = 400
    fuel_form.data_set.save()
    client.post(
        "/reporting/entry/submit/",
        {"ds": fuel_form.data_set.uid, "ou": world.regiment_a.uid, "pe": last_month()},
    )
    response = save_batch(
        client, fuel_form, world.regiment_a, [{"de": fuel_form.issued.uid, "value": "2"}]
    )
    assert response.status_code == 409
    assert DataValue.objects.get().value == "1"


SAVE_QUERIES = 19  # +1: the analytics outbox row


def test_save_endpoint_query_count(world, login, fuel_form, django_assert_num_queries):
    client = login("clerk_a")
    save(client, fuel_form, world.regiment_a, fuel_form.issued.uid, "1")
    with django_assert_num_queries(SAVE_QUERIES):
        response = save(client, fuel_form, world.regiment_a, fuel_form.issued.uid, "2", version=1)
    assert response.json()["version"] == 2


def test_htmx_picker_fragment_lists_the_periods_of_the_chosen_form(world, login, fuel_form):
    response = login("clerk_a").get(ENTRY, {"ds": fuel_form.data_set.uid, "partial": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="hc-pickers"')
    assert f'<option value="{last_month()}"' in html
