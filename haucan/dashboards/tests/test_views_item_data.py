"""/dashboards/item/<uid>/data/: the figure JSON built from the engine, inside the scope."""

from __future__ import annotations

from haucan.dashboards.analysis import period_drill_target


def data(client, vis, **params):
    return client.get(f"/dashboards/item/{vis.uid}/data/", params)


def test_division_bars_show_each_regiment_and_the_kpi_their_sum(login, world, board, issued):
    client = login("commander")

    bars = data(client, board.by_unit, ou=world.division.uid).json()
    total = data(client, board.total, ou=world.division.uid).json()

    assert bars["ok"] is True
    trace = bars["figure"]["data"][0]
    assert trace["type"] == "bar"
    assert trace["x"] == ["Trung đoàn 1", "Trung đoàn 2"]
    assert trace["y"] == [1234.5, 250.0]
    # Each regiment has a battalion below it, so each bar drills.
    assert [c[0] for c in trace["customdata"]] == [
        f"ou:{world.regiment_a.uid}",
        f"ou:{world.regiment_b.uid}",
    ]
    assert bars["figure"]["layout"]["separators"] == ",."
    indicator = total["figure"]["data"][0]
    assert indicator["type"] == "indicator"
    assert indicator["value"] == 1484.5
    assert total["subtitle"].startswith("Sư đoàn 324 · Tháng")


def test_drilling_to_a_regiment_shows_its_battalion(login, world, board, issued):
    client = login("commander")

    body = data(client, board.by_unit, ou=world.regiment_a.uid).json()

    # The battalion reported nothing itself: the chart says so rather than inventing zeros.
    assert body["ok"] is True
    assert (
        body["figure"]["layout"]["annotations"][0]["text"]
        == "Không có số liệu cho đơn vị và kỳ báo cáo này."
    )


def test_pivot_is_an_html_table_in_vietnamese_number_format(login, world, board, issued):
    body = data(login("commander"), board.pivot, ou=world.division.uid).json()

    assert body["kind"] == "html"
    assert '<td class="text-end">1.234,5</td>' in body["html"]
    assert "Trung đoàn 2" in body["html"]


def test_clerk_a_cannot_load_an_item_for_clerk_bs_regiment(login, world, board, issued):
    response = data(login("clerk_a"), board.total, ou=world.regiment_b.uid)

    assert response.status_code == 404
    assert "1234" not in response.content.decode()


def test_clerk_a_sees_only_their_own_regiment(login, world, board, issued):
    client = login("clerk_a")

    own = data(client, board.total).json()  # no ou: the clerk's own regiment
    division = data(client, board.total, ou=world.division.uid)

    assert own["figure"]["data"][0]["value"] == 1234.5
    assert division.status_code == 404


def test_a_visualisation_on_no_shared_dashboard_is_not_found(login, world, board, issued):
    board.total.shared_roles = []
    board.total.save()
    board.dashboard.shared_roles = ["specialist"]
    board.dashboard.save()

    response = data(login("clerk_a"), board.total)

    assert response.status_code == 404


def test_a_bad_period_is_a_json_error(login, world, board):
    response = data(login("commander"), board.total, pe="2024X9")

    assert response.status_code == 400
    assert response.json()["ok"] is False


def test_a_year_drills_to_quarters_and_a_quarter_to_months():
    assert period_drill_target("2024") == "2024Q1;2024Q2;2024Q3;2024Q4"
    assert period_drill_target("2024Q2") == "202404;202405;202406"
    assert period_drill_target("202405") == "202405"
