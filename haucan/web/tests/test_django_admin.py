from __future__ import annotations

import pytest


@pytest.mark.parametrize("persona", ["clerk_a", "commander", "specialist"])
def test_django_admin_is_for_administrators_only(world, login, persona):
    response = login(persona).get("/django-admin/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response["Location"]


def test_admin_opens_the_django_admin(world, login):
    client = login("admin")
    assert client.get("/django-admin/").status_code == 200
    assert client.get("/django-admin/org/unit/").status_code == 200
    assert client.get("/django-admin/reporting/datavalueaudit/").status_code == 200
