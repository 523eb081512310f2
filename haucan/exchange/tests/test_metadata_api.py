"""The DHIS2-compatible metadata endpoints: shapes, scope, paging, fields and filters, errors,
query counts and the OpenAPI document."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from haucan.core.scope import Scope
from haucan.org.services import UnitSpec, create_unit
from haucan.testing import OPENED, build_fuel_form


@pytest.fixture
def fuel_form(world):
    return build_fuel_form([world.regiment_a, world.regiment_b])


def test_system_info(world, login):
    body = login("clerk_a").get("/api/system/info.json").json()
    assert body["systemName"] == "Hậu Cần Số"
    assert body["calendar"] == "iso8601"
    assert body["dateFormat"] == "yyyy-mm-dd"
    assert body["contextPath"] == "http://testserver"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", body["serverDate"])
    assert body["version"]


def test_me_lists_own_units_and_authorities(world, login):
    body = login("clerk_a").get("/api/me").json()
    assert body["id"] == f"u{world.clerk_a.pk:010d}"
    assert body["username"] == "clerk_a"
    assert body["name"] == "Nguyễn Văn An"
    assert body["organisationUnits"] == [{"id": world.regiment_a.uid, "name": "Trung đoàn 1"}]
    assert body["authorities"] == ["general:enter", "general:view"]
    assert [r["id"] for r in body["userRoles"]] == ["clerk"]
    assert login("admin").get("/api/me.json").json()["authorities"][0] == "ALL"


def test_users_are_those_whose_assignments_lie_in_scope(world, login):
    def usernames(name):
        body = login(name).get("/api/users", {"fields": "username", "paging": "false"}).json()
        return sorted(u["username"] for u in body["users"])

    assert usernames("commander") == ["clerk_a", "clerk_b", "commander"]
    assert usernames("clerk_a") == ["clerk_a"]
    assert usernames("admin") == ["admin", "clerk_a", "clerk_b", "commander", "specialist"]
    missing = login("clerk_a").get(f"/api/users/u{world.clerk_b.pk:010d}")
    assert missing.status_code == 404


def test_organisation_unit_in_dhis2_shape(world, login):
    response = login("commander").get(
        f"/api/organisationUnits/{world.regiment_a.uid}.json",
        {
            "fields": "id,code,name,displayName,level,path,parent[id,name],children[id],"
            "openingDate,closedDate"
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": world.regiment_a.uid,
        "code": "F324-E1",
        "name": "Trung đoàn 1",
        "displayName": "Trung đoàn 1",
        "level": 4,
        "path": "/" + "/".join(world.regiment_a.path_uids()),
        "parent": {"id": world.division.uid, "name": "Sư đoàn 324"},
        "children": [{"id": world.battalion_a.uid}],
        "openingDate": "2020-01-01T00:00:00.000",
        "closedDate": None,
    }


def test_the_parent_outside_the_scope_is_null(world, login):
    body = login("clerk_a").get(f"/api/organisationUnits/{world.regiment_a.uid}").json()
    assert body["parent"] is None
    assert body["path"].endswith(world.regiment_a.uid)


def test_units_are_scoped_and_out_of_scope_is_404(world, login):
    client = login("clerk_a")
    body = client.get("/api/organisationUnits", {"fields": "code"}).json()
    assert [u["code"] for u in body["organisationUnits"]] == ["F324-E1", "F324-E1-D1"]
    assert body["pager"] == {"page": 1, "pageCount": 1, "total": 2, "pageSize": 50}
    response = client.get(f"/api/organisationUnits/{world.regiment_b.uid}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_level_filter_and_paging(world, login):
    client = login("admin")
    body = client.get("/api/organisationUnits.json", {"level": "5", "fields": "code"}).json()
    assert sorted(u["code"] for u in body["organisationUnits"]) == ["F324-E1-D1", "F324-E2-D4"]
    first = client.get(
        "/api/organisationUnits", {"pageSize": "3", "fields": "code", "order": "code:asc"}
    ).json()
    assert first["pager"]["pageCount"] == 3 and first["pager"]["total"] == 7
    assert first["pager"]["nextPage"].endswith("page=2")
    assert [u["code"] for u in first["organisationUnits"]] == ["BQP", "F324", "F324-E1"]
    last = client.get(
        "/api/organisationUnits", {"pageSize": "3", "page": "3", "fields": "code", "order": "code"}
    ).json()
    assert [u["code"] for u in last["organisationUnits"]] == ["QK4"]
    assert "nextPage" not in last["pager"]
    unpaged = client.get("/api/organisationUnits", {"paging": "false"}).json()
    assert "pager" not in unpaged and len(unpaged["organisationUnits"]) == 7
    assert set(unpaged["organisationUnits"][0]) == {"id", "displayName"}


def test_page_size_is_capped_at_1000(world, login):
    body = login("admin").get("/api/organisationUnits", {"pageSize": "5000"}).json()
    assert body["pager"]["pageSize"] == 1000


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": "0"}, "page must be a whole number"),
        ({"page": "two"}, "page must be a whole number"),
        ({"pageSize": "-1"}, "pageSize must be a whole number"),
        ({"paging": "maybe"}, "paging must be true or false"),
        ({"level": "top"}, "level must be a whole number"),
        ({"fields": "id,colour"}, "Unknown field 'colour'"),
        ({"fields": "parent[id"}, "Unbalanced brackets"),
        ({"filter": "name:about:x"}, "Unknown filter operator 'about'"),
        ({"filter": "colour:eq:red"}, "Unknown or unfilterable property 'colour'"),
        ({"filter": "level:gt:high"}, "does not fit property 'level'"),
        ({"rootJunction": "XOR", "filter": "name:eq:x"}, "rootJunction"),
        ({"order": "name:up"}, "Unknown order direction"),
    ],
)
def test_bad_input_is_a_400_web_message(world, login, params, message):
    response = login("admin").get("/api/organisationUnits", params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "ERROR" and body["httpStatusCode"] == 400
    assert message in body["message"]


def test_several_filters_are_anded(world, login):
    body = (
        login("admin")
        .get(
            "/api/organisationUnits",
            {"filter": ["name:ilike:trung", "code:!eq:F324-E2"], "fields": "code"},
        )
        .json()
    )
    assert [u["code"] for u in body["organisationUnits"]] == ["F324-E1"]


def test_data_set_with_elements_and_scoped_units(world, fuel_form, login):
    response = login("clerk_a").get(
        f"/api/dataSets/{fuel_form.data_set.uid}",
        {
            "fields": "id,name,periodType,dataSetElements[dataElement[id,name]],"
            "organisationUnits[id]"
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["periodType"] == "Monthly"
    assert sorted(e["dataElement"]["name"] for e in body["dataSetElements"]) == [
        "Ghi chú",
        "Tồn cuối kỳ",
        "Xuất trong kỳ",
    ]
    # clerk_b's regiment has the form too, but lies outside clerk_a's scope.
    assert body["organisationUnits"] == [{"id": world.regiment_a.uid}]


def test_data_elements_with_their_combo(world, fuel_form, login):
    body = (
        login("clerk_a")
        .get(
            "/api/dataElements",
            {
                "filter": "code:eq:PET_STOCK",
                "fields": ":owner,!created,!lastUpdated,categoryCombo[code]",
            },
        )
        .json()
    )
    [element] = body["dataElements"]
    assert element["valueType"] == "INTEGER_ZERO_OR_POSITIVE"
    assert element["aggregationType"] == "LAST"
    assert element["categoryCombo"] == {"code": "FUEL"}
    detail = login("clerk_a").get(f"/api/dataElements/{fuel_form.stock.uid}.json").json()
    assert detail["id"] == fuel_form.stock.uid and detail["domainType"] == "AGGREGATE"


def test_default_category_option_combo_by_name(world, fuel_form, login):
    body = (
        login("clerk_a")
        .get(
            "/api/categoryOptionCombos",
            {"filter": "name:eq:default", "fields": "id,name,categoryCombo[code]"},
        )
        .json()
    )
    assert body["pager"]["total"] == 1
    assert body["categoryOptionCombos"][0]["name"] == "default"
    assert body["categoryOptionCombos"][0]["categoryCombo"] == {"code": "default"}


def test_category_combos_nest_categories_and_options(world, fuel_form, login):
    body = (
        login("clerk_a")
        .get(
            "/api/categoryCombos",
            {
                "filter": "code:eq:FUEL",
                "fields": "code,categories[code,categoryOptions[code]],categoryOptionCombos[name]",
            },
        )
        .json()
    )
    assert body["categoryCombos"] == [
        {
            "code": "FUEL",
            "categories": [
                {"code": "FUEL_GROUP", "categoryOptions": [{"code": "A92"}, {"code": "DO"}]}
            ],
            "categoryOptionCombos": [{"name": "Xăng A92"}, {"name": "Diesel"}],
        }
    ]


def test_other_collections_answer(world, fuel_form, login):
    client = login("specialist")
    for name in (
        "organisationUnitLevels",
        "organisationUnitGroups",
        "categories",
        "categoryOptions",
        "optionSets",
        "indicators",
        "validationRules",
    ):
        response = client.get(f"/api/{name}.json", {"fields": "*"})
        assert response.status_code == 200, name
        assert name in response.json() and "pager" in response.json()


def test_anonymous_is_401_json(world, client):
    response = client.get("/api/organisationUnits")
    assert response.status_code == 401
    assert response.json()["status"] == "ERROR"


def _extra_units(world, count):
    system = Scope.system("test")
    for i in range(count):
        create_unit(
            system,
            spec=UnitSpec(name=f"Đại đội {i}", code=f"C{i}"),
            parent=world.battalion_a,
            opened_on=OPENED,
        )


def test_a_page_costs_a_fixed_number_of_queries(world, fuel_form, login, django_assert_num_queries):
    client = login("admin")
    params = {
        "fields": "id,name,parent[id,name],children[id,name],dataSets[id,name],"
        "organisationUnitGroups[id]",
        "pageSize": "100",
    }
    client.get("/api/organisationUnits", params)  # warm the session

    def measure():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/organisationUnits", params).status_code == 200
        return len(captured)

    before = measure()
    _extra_units(world, 20)
    # session + user + scope, count + page, and one query per prefetched relation (4).
    with django_assert_num_queries(before):
        body = client.get("/api/organisationUnits", params).json()
    assert body["pager"]["total"] == 27
    assert before == 9


def test_data_set_page_query_count_is_bounded(world, fuel_form, login, django_assert_num_queries):
    client = login("admin")
    params = {"fields": "*,dataSetElements[dataElement[id,name,categoryCombo[id]]]"}
    client.get("/api/dataSets", params)
    # session, user, scope, count, page, then categoryCombo, dataSetElements, their elements,
    # the elements' combos, organisationUnits and sections.
    with django_assert_num_queries(11):
        client.get("/api/dataSets", params)


# --- OpenAPI ----------------------------------------------------------------------------------


def test_schema_is_valid_json_with_every_operation_summarised(world, client):
    response = client.get("/api/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/system/info",
        "/api/me",
        "/api/users",
        "/api/organisationUnits",
        "/api/organisationUnits/{uid}",
        "/api/organisationUnitLevels",
        "/api/dataElements/{uid}",
        "/api/dataSets/{uid}",
        "/api/categoryCombos",
        "/api/categoryOptionCombos",
        "/api/indicators",
        "/api/validationRules",
    ):
        assert path in paths, path
    # Suffixes are aliases: described on the resource, not listed twice.
    assert "/api/organisationUnits.json" not in paths
    assert ".json" in paths["/api/organisationUnits"]["get"]["description"]
    operations = [op for item in paths.values() for op in item.values()]
    assert all(op.get("summary") for op in operations)
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert "ApiTokenAuth" in schema["components"]["securitySchemes"]


def test_docs_render_without_external_assets(world, client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in response.text
    assert not re.search(r"https?://", response.text)
