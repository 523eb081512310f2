"""The unit tree pages: scope, search, history and the admin's reorganisation forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.conf import settings
from django.test import Client

from haucan.core.scope import Scope
from haucan.org import services
from haucan.org.models import Unit, UnitLink
from haucan.testing import World

Login = Callable[[str], Client]


def english(client: Client) -> Client:
    # Message assertions use the English msgids, whatever the Vietnamese catalogue says.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_anonymous_user_is_sent_to_login(client: Client, world: World) -> None:
    for url in ("/units/", f"/units/{world.regiment_a.uid}/", "/units/search/?q=a"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_tree_shows_the_clerks_regiment_as_root(login: Login, world: World) -> None:
    response = login("clerk_a").get("/units/")
    assert response.status_code == 200
    assert "Trung đoàn 1" in response.text
    assert "Trung đoàn 2" not in response.text
    assert "Sư đoàn 324" not in response.text


def test_commander_tree_root_is_the_division(login: Login, world: World) -> None:
    response = login("commander").get("/units/")
    assert "Sư đoàn 324" in response.text
    children = login("commander").get(f"/units/{world.division.uid}/children/")
    assert "Trung đoàn 1" in children.text
    assert "Trung đoàn 2" in children.text


def test_children_fragment_lists_open_children_only(login: Login, world: World) -> None:
    url = f"/units/{world.regiment_a.uid}/children/"
    response = login("clerk_a").get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Tiểu đoàn 1" in response.text
    assert "<html" not in response.text


def test_clerk_cannot_open_sibling_regiment(login: Login, world: World) -> None:
    client = login("clerk_a")
    assert client.get(f"/units/{world.regiment_b.uid}/").status_code == 404
    assert client.get(f"/units/{world.regiment_b.uid}/children/").status_code == 404
    assert client.get(f"/units/{world.battalion_b.uid}/").status_code == 404
    assert client.get(f"/units/{world.division.uid}/").status_code == 404


def test_search_ignores_diacritics(login: Login, world: World) -> None:
    response = login("admin").get("/units/search/", {"q": "quan khu 4"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Quân khu 4" in response.text
    assert "<html" not in response.text


def test_search_never_lists_sibling_units_for_clerk(login: Login, world: World) -> None:
    response = login("clerk_a").get("/units/search/", {"q": "tieu doan"})
    assert "Tiểu đoàn 1" in response.text
    assert "Tiểu đoàn 4" not in response.text
    response = login("clerk_a").get("/units/search/", {"q": "trung doan"})
    assert "Trung đoàn 2" not in response.text


def test_detail_shows_unit_facts_and_history(login: Login, world: World) -> None:
    response = login("commander").get(f"/units/{world.regiment_a.uid}/")
    assert response.status_code == 200
    text = response.text
    assert "004.24.01.G07" in text
    assert "F324-E1" in text
    assert "01/01/2020" in text  # opened on, dd/mm/yyyy
    assert "Sư đoàn 324" in text  # breadcrumb and history parent
    assert "Tiểu đoàn 1" in text
    # The commander does not administer: no reorganisation buttons.
    assert f"/units/{world.regiment_a.uid}/move/" not in text


def test_breadcrumb_hides_ancestors_outside_scope(login: Login, world: World) -> None:
    response = login("clerk_a").get(f"/units/{world.battalion_a.uid}/")
    breadcrumb = response.text.split('<ol class="breadcrumb">')[1].split("</ol>")[0]
    assert "Trung đoàn 1" in breadcrumb
    assert "Sư đoàn 324" not in breadcrumb


def test_as_of_tree_shows_the_old_parent_after_a_move(login: Login, world: World) -> None:
    services.move_unit(
        Scope.system("test"), world.battalion_a, world.regiment_b, effective_on=date(2024, 1, 1)
    )
    client = login("commander")
    before = client.get("/units/", {"as_of": "01/06/2023"}).text
    assert f'data-uid="{world.battalion_a.uid}" data-parent-id="{world.regiment_a.pk}"' in before
    after = client.get("/units/", {"as_of": "2024-06-01"}).text
    assert f'data-uid="{world.battalion_a.uid}" data-parent-id="{world.regiment_b.pk}"' in after
    history = client.get(f"/units/{world.battalion_a.uid}/").text
    assert "Trung đoàn 1" in history
    assert "01/01/2024" in history


def test_as_of_tree_is_cut_to_the_scope(login: Login, world: World) -> None:
    response = login("clerk_a").get("/units/", {"as_of": "01/06/2023"})
    assert "Trung đoàn 1" in response.text
    assert "Trung đoàn 2" not in response.text


def test_bad_as_of_date_shows_a_message_and_todays_tree(login: Login, world: World) -> None:
    response = english(login("clerk_a")).get("/units/", {"as_of": "31/02/2023"})
    assert response.status_code == 200
    assert "Enter the date as dd/mm/yyyy." in response.text
    assert 'data-testid="tree"' in response.text


def test_admin_creates_a_child_unit(login: Login, world: World) -> None:
    response = login("admin").post(
        f"/units/{world.regiment_a.uid}/add/",
        {
            "name": "Đại đội 5",
            "code": "F324-E1-C5",
            "kind": "command",
            "identifier": "",
            "short_name": "",
            "opened_on": "01/02/2021",
        },
    )
    created = Unit.objects.get(code="F324-E1-C5")
    assert response.status_code == 302
    assert response["Location"] == f"/units/{created.uid}/"
    assert created.parent_id == world.regiment_a.pk
    assert created.opened_on == date(2021, 2, 1)


def test_create_with_bad_identifier_shows_the_error_next_to_the_field(
    login: Login, world: World
) -> None:
    response = english(login("admin")).post(
        f"/units/{world.regiment_a.uid}/add/",
        {
            "name": "Đại đội 6",
            "code": "F324-E1-C6",
            "kind": "command",
            "identifier": "abc",
            "short_name": "",
            "opened_on": "01/02/2021",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["identifier"] == [
        "The electronic identifier may contain only 0-9, A-Z and '.'; 'a' is not allowed."
    ]
    assert not Unit.objects.filter(code="F324-E1-C6").exists()


def test_admin_renames_a_unit(login: Login, world: World) -> None:
    response = login("admin").post(
        f"/units/{world.regiment_a.uid}/edit/",
        {
            "name": "Trung đoàn 1 (mới)",
            "short_name": "E1",
            "kind": "command",
            "identifier": "004.24.01.G07",
        },
    )
    assert response.status_code == 302
    world.regiment_a.refresh_from_db()
    assert world.regiment_a.name == "Trung đoàn 1 (mới)"


def test_admin_moves_a_unit(login: Login, world: World) -> None:
    response = login("admin").post(
        f"/units/{world.battalion_a.uid}/move/",
        {"parent": "F324-E2", "effective_on": "01/03/2024", "note": "QĐ 12"},
    )
    assert response.status_code == 302
    world.battalion_a.refresh_from_db()
    assert world.battalion_a.parent_id == world.regiment_b.pk


def test_admin_unit_move_with_a_cycle_shows_the_error_and_saves_nothing(
    login: Login, world: World
) -> None:
    links_before = list(UnitLink.objects.order_by("pk").values_list("pk", "valid_to"))
    response = english(login("admin")).post(
        f"/units/{world.regiment_a.uid}/move/",
        {"parent": world.battalion_a.uid, "effective_on": "01/03/2024", "note": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [
        "Trung đoàn 1 cannot be moved under Tiểu đoàn 1, which lies inside it."
    ]
    world.regiment_a.refresh_from_db()
    assert world.regiment_a.parent_id == world.division.pk
    assert list(UnitLink.objects.order_by("pk").values_list("pk", "valid_to")) == links_before


def test_move_to_an_unknown_parent_is_a_field_error(login: Login, world: World) -> None:
    response = english(login("admin")).post(
        f"/units/{world.battalion_a.uid}/move/",
        {"parent": "NO-SUCH-UNIT", "effective_on": "01/03/2024"},
    )
    assert response.context["form"].errors["parent"] == ["Unit not found."]


def test_closing_a_unit_with_open_children_is_refused(login: Login, world: World) -> None:
    response = english(login("admin")).post(
        f"/units/{world.regiment_a.uid}/close/", {"closed_on": "01/03/2024"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Trung đoàn 1 still has open units under it; move or close them first."
    ]
    world.regiment_a.refresh_from_db()
    assert world.regiment_a.closed_on is None


def test_admin_closes_a_leaf_unit(login: Login, world: World) -> None:
    response = login("admin").post(
        f"/units/{world.battalion_a.uid}/close/", {"closed_on": "01/03/2024"}
    )
    assert response.status_code == 302
    world.battalion_a.refresh_from_db()
    assert world.battalion_a.closed_on == date(2024, 3, 1)


@pytest.mark.parametrize("action", ["add", "edit", "move", "close"])
def test_commander_cannot_reorganise(login: Login, world: World, action: str) -> None:
    client = login("commander")
    assert client.get(f"/units/{world.regiment_a.uid}/{action}/").status_code == 403
    assert client.post(f"/units/{world.regiment_a.uid}/{action}/", {}).status_code == 403


def test_clerk_gets_404_not_403_for_a_sibling_reorganisation(login: Login, world: World) -> None:
    assert login("clerk_a").post(f"/units/{world.regiment_b.uid}/move/", {}).status_code == 404


def test_tree_root_query_count(login: Login, world: World, django_assert_num_queries) -> None:
    client = login("commander")
    # session, user, scope (assignments), roots, child counts, the navigation's warning count
    with django_assert_num_queries(6):
        response = client.get("/units/")
    assert response.status_code == 200


def test_unit_detail_query_count(login: Login, world: World, django_assert_num_queries) -> None:
    client = login("commander")
    # session, user, scope, unit, levels, ancestors, children, history, forms, warning count
    with django_assert_num_queries(10):
        response = client.get(f"/units/{world.regiment_a.uid}/")
    assert response.status_code == 200
