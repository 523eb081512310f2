"""Who may design and share dashboards, and who sees them."""

from __future__ import annotations

import pytest

from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Scope
from haucan.dashboards import queries, services
from haucan.dashboards.models import Dashboard

SPEC = services.VisualizationSpec(
    code="V_XD",
    name="Xuất xăng dầu",
    type="column",
    query={"dx": ["PET_ISSUED"], "rows": ["ou"], "columns": ["dx"]},
    domain="petroleum",
)


def test_petroleum_specialist_creates_a_petroleum_chart_with_defaults(scope_of, world):
    vis = services.create_visualization(scope_of("specialist"), SPEC)

    assert vis.owner_id == world.specialist.pk
    assert vis.query == {
        "dx": ["PET_ISSUED"],
        "pe": ["LAST_12_MONTHS"],
        "ou": ["USER_ORGUNIT"],
        "categories": {},
        "rows": ["ou"],
        "columns": ["dx"],
        "filters": ["pe"],
    }


def test_specialist_cannot_design_for_another_domain(scope_of, world):
    with pytest.raises(PermissionDenied):
        services.create_visualization(
            scope_of("specialist"),
            services.VisualizationSpec("V_QY", "Quân y", "pie", {"dx": ["X"]}, domain="medical"),
        )


@pytest.mark.parametrize("name", ["commander", "clerk_a"])
def test_commanders_and_clerks_cannot_design(scope_of, world, name):
    with pytest.raises(PermissionDenied):
        services.create_visualization(scope_of(name), SPEC)
    with pytest.raises(PermissionDenied):
        services.create_dashboard(scope_of(name), code="D", name="D", domain="petroleum")


def test_admin_designs_in_any_domain(scope_of, world):
    board = services.create_dashboard(scope_of("admin"), code="D_QY", name="Y", domain="medical")

    assert board.domain == "medical"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"dx": []}, "dx"),
        ({"dx": ["A"], "rows": ["xx"]}, "rows"),
        ({"dx": ["A"], "rows": ["ou"], "columns": ["ou"]}, "rows"),
        ({"dx": "A"}, "query"),
    ],
)
def test_malformed_queries_are_refused(scope_of, world, query, field):
    spec = services.VisualizationSpec("V", "V", "column", query, domain="petroleum")

    with pytest.raises(ValidationFailed) as caught:
        services.create_visualization(scope_of("specialist"), spec)

    assert caught.value.field == field


def test_unknown_chart_type_and_duplicate_code_are_refused(scope_of, world):
    scope = scope_of("specialist")
    services.create_visualization(scope, SPEC)
    with pytest.raises(ValidationFailed):
        services.create_visualization(
            scope, services.VisualizationSpec("V2", "V", "radar", SPEC.query, domain="petroleum")
        )
    with pytest.raises(Exception, match="already used"):
        services.create_visualization(scope, SPEC)


def _board(name: str = "D") -> Dashboard:
    return services.create_dashboard(Scope.system("t"), code=name, name=name, domain="petroleum")


def test_a_dashboard_shared_with_commanders_is_hidden_from_clerks(scope_of, world):
    board = _board()
    services.share(Scope.system("t"), board, roles=["commander"])

    assert [d.code for d in queries.visible_dashboards(scope_of("commander"))] == ["D"]
    assert queries.visible_dashboards(scope_of("clerk_a")) == []
    with pytest.raises(NotFound):
        queries.get_dashboard(scope_of("clerk_a"), board.uid)


def test_sharing_with_the_division_reaches_its_regiments_but_not_the_sibling_of_a_regiment(
    scope_of, world
):
    shared_division, shared_regiment = _board("D1"), _board("D2")
    services.share(Scope.system("t"), shared_division, units=[world.division.code])
    services.share(Scope.system("t"), shared_regiment, units=[world.regiment_a.code])

    assert [d.code for d in queries.visible_dashboards(scope_of("clerk_a"))] == ["D1", "D2"]
    assert [d.code for d in queries.visible_dashboards(scope_of("clerk_b"))] == ["D1"]
    assert [d.code for d in queries.visible_dashboards(scope_of("commander"))] == ["D1", "D2"]


def test_designers_see_their_domains_work_and_admins_see_all(scope_of, world):
    _board()

    assert [d.code for d in queries.visible_dashboards(scope_of("specialist"))] == ["D"]
    assert [d.code for d in queries.visible_dashboards(scope_of("admin"))] == ["D"]


def test_sharing_checks_roles_and_keeps_units_inside_the_scope(scope_of, world):
    board = _board()
    specialist = scope_of("specialist")
    with pytest.raises(ValidationFailed):
        services.share(specialist, board, roles=["general"])
    with pytest.raises(PermissionDenied):
        services.share(scope_of("clerk_a"), board, roles=["clerk"])

    services.share(specialist, board, roles=["clerk", "clerk"], units=[world.regiment_b.uid])

    board.refresh_from_db()
    assert board.shared_roles == ["clerk"]
    assert list(board.shared_units.all()) == [world.regiment_b]


def test_items_are_appended_in_order(scope_of, world):
    scope = scope_of("specialist")
    board = _board()
    first = services.create_visualization(scope, SPEC)
    second = services.create_visualization(
        scope, services.VisualizationSpec("V_2", "Hai", "line", SPEC.query, domain="petroleum")
    )

    services.add_item(scope, board, first, width=4)
    services.add_item(scope, board, second, width=12)

    assert [(i.visualization.code, i.position, i.width) for i in board.items.all()] == [
        ("V_XD", 0, 4),
        ("V_2", 1, 12),
    ]
    with pytest.raises(ValidationFailed):
        services.add_item(scope, board, first, width=1)
