"""The home page: who you are and what you can reach, per persona."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from haucan.catalog import services
from haucan.catalog.models import DataSet
from haucan.core.scope import Scope
from haucan.testing import World

Login = Callable[[str], Client]


def test_anonymous_user_is_sent_to_login(client: Client, world: World) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


@pytest.mark.parametrize(
    ("persona", "full_name", "root"),
    [
        ("clerk_a", "Nguyễn Văn An", "Trung đoàn 1"),
        ("clerk_b", "Trần Văn Bình", "Trung đoàn 2"),
        ("commander", "Lê Văn Cường", "Sư đoàn 324"),
        ("specialist", "Phạm Thị Dung", "Bộ Quốc phòng"),
        ("admin", "Hoàng Văn Em", "Bộ Quốc phòng"),
    ],
)
def test_home_shows_who_you_are_and_your_roots(
    login: Login, world: World, persona: str, full_name: str, root: str
) -> None:
    response = login(persona).get("/")
    assert response.status_code == 200
    assert full_name in response.text
    assert [r.name for r, _count in response.context["root_counts"]] == [root]


def test_clerk_home_counts_only_their_regiment(login: Login, world: World) -> None:
    response = login("clerk_a").get("/")
    assert response.context["unit_total"] == 2  # the regiment and its battalion
    assert "Trung đoàn 2" not in response.text


def test_commander_home_counts_the_division(login: Login, world: World) -> None:
    assert login("commander").get("/").context["unit_total"] == 5


def test_home_lists_forms_assigned_in_scope_only(login: Login, world: World) -> None:
    data_set = services.save_data_set(
        Scope.system("test"),
        DataSet(code="BC1", name="Báo cáo quân số", period_type="Monthly"),
    )
    data_set.units.add(world.regiment_a)
    assert "Báo cáo quân số" in login("clerk_a").get("/").text
    assert "Báo cáo quân số" not in login("clerk_b").get("/").text


def test_navigation_follows_permissions(login: Login, world: World) -> None:
    assert "/catalog/" not in login("clerk_a").get("/").text.split("</nav>")[0]
    assert "/catalog/" in login("specialist").get("/").text.split("</nav>")[0]
    assert "/catalog/" in login("admin").get("/").text.split("</nav>")[0]


def test_home_has_a_language_switcher_and_a_post_logout(login: Login, world: World) -> None:
    text = login("clerk_a").get("/").text
    assert 'action="/i18n/setlang/"' in text
    assert 'action="/logout/"' in text
