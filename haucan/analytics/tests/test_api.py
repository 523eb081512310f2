from __future__ import annotations

import base64

from haucan.core.scope import Scope
from haucan.reporting.services.values import CellInput, resolve_target, save_values
from haucan.testing import PASSWORD


def _seed(world, fuel_form):
    system = Scope.system("test")
    for unit, value in ((world.regiment_a, "4"), (world.regiment_b, "6")):
        target = resolve_target(system, fuel_form.data_set, unit, "202401")
        save_values(system, target, [CellInput("PET_ISSUED", value)])


def test_commander_reads_division_total_in_dhis2_shape(world, fuel_form, login):
    _seed(world, fuel_form)
    client = login("commander")
    response = client.get(
        "/api/analytics.json",
        {"dimension": ["dx:PET_ISSUED", "pe:202401", f"ou:{world.division.uid}"]},
    )
    assert response.status_code == 200
    body = response.json()
    assert [h["name"] for h in body["headers"]] == ["dx", "pe", "ou", "value"]
    assert body["rows"] == [[fuel_form.issued.uid, "202401", world.division.uid, "10"]]
    assert body["metaData"]["items"][world.division.uid]["name"] == "Sư đoàn 324"
    assert (body["height"], body["width"]) == (1, 4)


def test_clerk_asking_for_sibling_gets_json_404(world, fuel_form, login):
    _seed(world, fuel_form)
    response = login("clerk_a").get(
        "/api/analytics",
        {"dimension": ["dx:PET_ISSUED", "pe:202401", f"ou:{world.regiment_b.uid}"]},
    )
    assert response.status_code == 404
    assert response.json()["status"] == "ERROR"


def test_bad_query_is_a_400_with_a_message(world, fuel_form, login):
    response = login("commander").get(
        "/api/analytics", {"dimension": ["dx:PET_ISSUED", "pe:2024Q5"]}
    )
    assert response.status_code == 400
    assert "ou" in response.json()["message"]


def test_basic_auth_and_anonymous(world, fuel_form, client):
    _seed(world, fuel_form)
    assert client.get("/api/analytics").status_code == 401
    token = base64.b64encode(f"clerk_a:{PASSWORD}".encode()).decode()
    response = client.get(
        "/api/analytics",
        {"dimension": ["dx:PET_ISSUED", "pe:202401", "ou:USER_ORGUNIT"]},
        HTTP_AUTHORIZATION=f"Basic {token}",
    )
    assert response.status_code == 200
    assert response.json()["rows"] == [[fuel_form.issued.uid, "202401", world.regiment_a.uid, "4"]]
