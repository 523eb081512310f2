"""The `.xml` (DXF2) and `.csv` suffixes of the metadata lists and objects."""

from __future__ import annotations

import base64
import csv
import io

from defusedxml import ElementTree

from haucan.catalog.models import DataElement
from haucan.testing import PASSWORD, build_fuel_form

DXF = "{http://dhis2.org/schema/dxf/2.0}"


def _auth(name: str = "clerk_a") -> dict[str, str]:
    token = base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_units_as_xml_are_dxf2_with_the_pager_and_identifiable_attributes(world, client):
    response = client.get(
        "/api/organisationUnits.xml",
        {"fields": "id,name,level,parent[id],children[id]", "order": "level:asc"},
        **_auth(),
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{DXF}metadata"
    assert root.find(f"{DXF}pager/{DXF}total").text == "2"
    units = root.findall(f"{DXF}organisationUnits/{DXF}organisationUnit")
    assert [(u.get("id"), u.get("name"), u.find(f"{DXF}level").text) for u in units] == [
        (world.regiment_a.uid, "Trung đoàn 1", "4"),
        (world.battalion_a.uid, "Tiểu đoàn 1", "5"),
    ]
    assert [c.get("id") for c in units[0].findall(f"{DXF}children/{DXF}child")] == [
        world.battalion_a.uid
    ]
    assert units[1].find(f"{DXF}parent").get("id") == world.regiment_a.uid


def test_units_as_csv_are_the_whole_scoped_list_with_references_as_ids(world, client):
    response = client.get(
        "/api/organisationUnits.csv", {"fields": "id,name,parent,children"}, **_auth()
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert rows[0] == ["id", "name", "parent", "children"]
    assert sorted(rows[1:]) == sorted(
        [
            [world.regiment_a.uid, "Trung đoàn 1", "", world.battalion_a.uid],
            [world.battalion_a.uid, "Tiểu đoàn 1", world.regiment_a.uid, ""],
        ]
    )


def test_a_csv_list_is_paged_only_when_a_page_is_asked_for(world, client):
    build_fuel_form([world.regiment_a])
    everything = _csv(client.get("/api/dataElements.csv", {"fields": "code"}, **_auth()))
    assert sorted(r[0] for r in everything[1:]) == ["PET_ISSUED", "PET_NOTE", "PET_STOCK"]
    page = _csv(
        client.get(
            "/api/dataElements.csv", {"fields": "code", "pageSize": 2, "order": "code"}, **_auth()
        )
    )
    assert page[1:] == [["PET_ISSUED"], ["PET_NOTE"]]


def test_csv_text_that_looks_like_a_formula_is_neutralised(world, client):
    build_fuel_form([world.regiment_a])
    DataElement.objects.filter(code="PET_NOTE").update(name='=HYPERLINK("http://x","y")')
    rows = _csv(
        client.get(
            "/api/dataElements.csv",
            {"fields": "code,name", "filter": "code:eq:PET_NOTE"},
            **_auth(),
        )
    )
    assert rows[1] == ["PET_NOTE", '\'=HYPERLINK("http://x","y")']


def test_one_object_answers_with_xml_and_csv_suffixes(world, client):
    uid = world.regiment_a.uid
    xml = client.get(f"/api/organisationUnits/{uid}.xml", {"fields": "id,code,name"}, **_auth())
    assert xml.status_code == 200
    node = ElementTree.fromstring(xml.content)
    assert node.tag == f"{DXF}organisationUnit"
    assert (node.get("id"), node.get("code"), node.get("name")) == (uid, "F324-E1", "Trung đoàn 1")
    rows = _csv(client.get(f"/api/organisationUnits/{uid}.csv", {"fields": "id,code"}, **_auth()))
    assert rows == [["id", "code"], [uid, "F324-E1"]]


def test_the_suffixes_keep_the_scope(world, client):
    # clerk_a cannot see clerk_b's regiment in any format.
    outside = world.regiment_b.uid
    for suffix in (".xml", ".csv"):
        listed = client.get(f"/api/organisationUnits{suffix}", {"fields": "id"}, **_auth())
        assert outside not in listed.content.decode()
        one = client.get(f"/api/organisationUnits/{outside}{suffix}", **_auth())
        assert one.status_code == 404
        assert one.json()["status"] == "ERROR"


def test_the_suffixes_refuse_anonymous_callers(world, client):
    for path in ("/api/dataSets.xml", "/api/dataSets.csv"):
        assert client.get(path).status_code == 401
