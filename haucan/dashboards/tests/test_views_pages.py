"""The list, the dashboard page (filters, drill-down breadcrumb, wall mode) and the builder."""

from __future__ import annotations

import re


def test_commander_sees_the_dashboard_list(login, board):
    page = login("commander").get("/dashboards/").content.decode()

    assert "Bảng điều hành xăng dầu" in page
    assert f"/dashboards/{board.dashboard.uid}/" in page


def test_dashboard_page_renders_for_commander_with_local_assets_only(
    login, world, board, issued, django_assert_max_num_queries
):
    client = login("commander")

    with django_assert_max_num_queries(20):
        response = client.get(f"/dashboards/{board.dashboard.uid}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="card h-100 hc-item"') == 3
    assert "/dashboards/assets/plotly.min.js" in page
    assert 'data-testid="current-unit">Sư đoàn 324<' in page
    assert not re.search(r"""(src|href)=["']https?://""", page)  # air-gapped: nothing external


def test_drilled_page_has_a_breadcrumb_back_up_and_keeps_the_period(login, world, board):
    client = login("commander")

    page = client.get(
        f"/dashboards/{board.dashboard.uid}/",
        {"ou": world.regiment_a.uid, "pe": "2025Q1;2025Q2", "drill": "2025"},
    ).content.decode()

    assert 'data-testid="current-unit">Trung đoàn 1<' in page
    assert f"?ou={world.division.uid}&amp;pe=2025Q1%3B2025Q2&amp;drill=2025" in page
    assert "Năm 2025" in page  # the period breadcrumb back to the year


def test_a_unit_outside_the_scope_is_404(login, world, board):
    response = login("clerk_a").get(
        f"/dashboards/{board.dashboard.uid}/", {"ou": world.regiment_b.uid}
    )

    assert response.status_code == 404


def test_wall_mode_rotates_and_hides_the_navigation(login, world, board):
    page = (
        login("commander")
        .get(f"/dashboards/{board.dashboard.uid}/", {"wall": "1", "rotate": "5"})
        .content.decode()
    )

    assert 'data-wall="1"' in page
    assert 'data-rotate="10"' in page  # at least 10 s between dashboards
    assert ".hc-navbar, footer.hc-footer" in page


def test_plotly_is_served_from_the_installed_package_with_long_caching(login, world):
    response = login("clerk_a").get("/dashboards/assets/plotly.min.js")

    assert response.status_code == 200
    assert "max-age=31536000" in response["Cache-Control"]
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()


def test_anonymous_users_are_sent_to_the_login(client, world, board):
    response = client.get(f"/dashboards/item/{board.total.uid}/data/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_builder_is_for_designers_only(login, world):
    assert login("specialist").get("/dashboards/builder/").status_code == 200
    assert login("commander").get("/dashboards/builder/").status_code == 403


def test_builder_previews_and_saves_a_chart_onto_a_dashboard(login, world, board, issued):
    client = login("specialist")
    query = {
        "dx": "PET_ISSUED", "pe": issued["period"], "ou": "USER_ORGUNIT_CHILDREN",
        "rows": "ou", "columns": "dx", "type": "bar", "filter_ou": world.division.uid,
    }  # fmt: skip

    preview = client.get("/dashboards/builder/preview/", query).json()
    saved = client.post(
        "/dashboards/builder/save/",
        {**query, "name": "Xuất theo trung đoàn", "code": "V_NEW", "domain": "petroleum",
         "dashboard": board.dashboard.uid, "width": "12", "roles": ["commander"]},
    ).json()  # fmt: skip

    assert preview["figure"]["data"][0]["x"] == [1234.5, 250.0]
    assert saved["ok"] is True
    items = [(i.visualization.code, i.width) for i in board.dashboard.items.all()]
    assert items[-1] == ("V_NEW", 12)
    assert board.dashboard.items.last().visualization.shared_roles == ["commander"]


def test_builder_save_refuses_a_commander(login, world):
    response = login("commander").post(
        "/dashboards/builder/save/", {"dx": "PET_ISSUED", "name": "X", "domain": "petroleum"}
    )

    assert response.status_code == 403
    assert response.json()["ok"] is False
