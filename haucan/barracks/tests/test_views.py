from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haucan.barracks.models import LandCase, LandPurpose, LandSite, LandTransfer
from haucan.barracks.services import land
from haucan.testing import World

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def test_every_barracks_page_renders_for_clerk_a(
    login: Callable[[str], Client],
    make_site: Callable[..., LandSite],
    make_building: Callable[..., Any],
) -> None:
    boundary = {
        "type": "Polygon",
        "coordinates": [[[105, 20], [105.01, 20], [105.01, 20.01], [105, 20.01], [105, 20]]],
    }
    site = make_site(boundary=boundary, markers=[{"code": "M1", "lon": 105, "lat": 20}])
    b = make_building(site)
    client = login("clerk_a")
    for url in [
        reverse("barracks:home"),
        reverse("barracks:sites") + "?q=khu+dat&certificate=no",
        reverse("barracks:site", args=[site.pk]),
        reverse("barracks:buildings") + "?life=5&q=nha",
        reverse("barracks:building", args=[b.pk]),
        reverse("barracks:cases"),
        reverse("barracks:import"),
        reverse("barracks:site_new"),
        reverse("barracks:building_new"),
        reverse("barracks:transfer_new", args=[site.pk]),
        reverse("barracks:import_template", args=["buildings"]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(reverse("barracks:site", args=[site.pk])).content.decode()
    assert 'id="site-map-data"' in page and "plotly" in page
    assert "<script>" not in page  # no inline script: data goes through json_script


def test_clerk_b_gets_404_for_clerk_a_site_and_building(
    login: Callable[[str], Client],
    make_site: Callable[..., LandSite],
    make_building: Callable[..., Any],
) -> None:
    site = make_site()
    b = make_building(site)
    client = login("clerk_b")
    assert client.get(reverse("barracks:site", args=[site.pk])).status_code == 404
    assert client.get(reverse("barracks:building", args=[b.pk])).status_code == 404
    assert client.post(reverse("barracks:transfer_new", args=[site.pk]), {}).status_code == 404
    assert site.code not in client.get(reverse("barracks:sites")).content.decode()


def test_commander_sees_but_cannot_open_the_handover_form(
    login: Callable[[str], Client], make_site: Callable[..., LandSite]
) -> None:
    site = make_site()
    client = login("commander")
    assert client.get(reverse("barracks:site", args=[site.pk])).status_code == 200
    assert client.get(reverse("barracks:transfer_new", args=[site.pk])).status_code == 403


def test_a_handover_posted_through_the_form_changes_the_area(
    login: Callable[[str], Client], make_site: Callable[..., LandSite]
) -> None:
    site = make_site(total="10000")
    client = login("clerk_a")
    response = client.post(
        reverse("barracks:transfer_new", args=[site.pk]),
        {
            "kind": "handover",
            "purpose": LandPurpose.objects.get(code="DOANH_TRAI").pk,
            "decision_number": "QĐ 123/QĐ-BQP",
            "decision_date": "01/03/2025",
            "effective_on": "01/04/2025",
            "area": "2500",
            "party": "UBND xã Hưng Lộc",
        },
    )
    assert response.status_code == 302
    assert land.total_on(site, date(2025, 3, 31)) == 10000
    assert land.total_on(site, date(2025, 4, 1)) == 7500


def test_a_too_large_handover_shows_the_error_beside_the_area(
    login: Callable[[str], Client], make_site: Callable[..., LandSite]
) -> None:
    site = make_site(total="1000")
    client = login("clerk_a")
    response = client.post(
        reverse("barracks:transfer_new", args=[site.pk]),
        {
            "kind": "handover",
            "purpose": LandPurpose.objects.get(code="DOANH_TRAI").pk,
            "decision_number": "QĐ 1",
            "decision_date": "01/03/2025",
            "effective_on": "01/04/2025",
            "area": "5000",
            "party": "UBND xã",
        },
    )
    assert response.status_code == 200
    assert 'data-testid="error-area"' in response.content.decode()
    assert not LandTransfer.objects.exists()


def test_the_case_workflow_goes_new_handling_resolved(
    login: Callable[[str], Client], make_site: Callable[..., LandSite]
) -> None:
    site = make_site(total="5000")
    client = login("clerk_a")
    client.post(
        reverse("barracks:case_new", args=[site.pk]),
        {
            "kind": "encroachment",
            "party_kind": "household",
            "party": "Hộ bà B",
            "area": "120",
            "opened_on": "01/02/2025",
        },
    )
    case = LandCase.objects.get()
    url = reverse("barracks:case", args=[case.pk])
    for status in ("handling", "resolved"):
        response = client.post(
            url,
            {
                "action": "step",
                "taken_on": "01/03/2025",
                "description": "Lập biên bản",
                "status": status,
            },
        )
        assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.resolved_on, case.steps.count()) == ("resolved", date(2025, 3, 1), 2)
    response = client.post(
        url, {"action": "step", "taken_on": "02/03/2025", "description": "x", "status": "handling"}
    )
    assert 'data-testid="case-error"' in response.content.decode()
    assert case.steps.count() == 2


def test_building_register_runs_a_fixed_number_of_queries(
    login: Callable[[str], Client],
    make_site: Callable[..., LandSite],
    make_building: Callable[..., Any],
    django_assert_max_num_queries: Any,
) -> None:
    site = make_site()
    for _ in range(12):
        make_building(site)
    client = login("clerk_a")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("barracks:buildings")).status_code == 200


def test_import_page_lists_errors_and_writes_nothing(
    world: World, login: Callable[[str], Client], make_site: Callable[..., LandSite]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from haucan.barracks.templates_xlsx import BUILDING_HEADERS
    from haucan.barracks.tests.test_importer import building_row, xlsx

    make_site(code="KD-1")
    content = xlsx([BUILDING_HEADERS, building_row("NOPE", "KD-1", "A1")])
    client = login("clerk_a")
    response = client.post(
        reverse("barracks:import"),
        {"kind": "buildings", "file": SimpleUploadedFile("b.xlsx", content)},
    )
    assert response.status_code == 200
    assert "NOPE" in response.content.decode()


def test_a_barracks_specialist_renames_a_building_type_and_a_clerk_cannot(
    world: World, login: Callable[[str], Client]
) -> None:
    from haucan.accounts.services import assign
    from haucan.barracks.models import BuildingType
    from haucan.core.scope import Domain, Scope

    assign(Scope.system("t"), world.specialist, world.ministry, "specialist", Domain.BARRACKS)
    kind = BuildingType.objects.get(code="HOI_TRUONG")
    url = reverse("barracks:classification_edit", args=["types", kind.pk])
    assert login("clerk_a").get(url).status_code == 403
    client = login("specialist")
    response = client.post(
        url, {"code": "HOI_TRUONG", "name": "Hội trường lớn", "report_element": "", "sort_order": 5}
    )
    assert response.status_code == 302
    kind.refresh_from_db()
    assert kind.name == "Hội trường lớn"
    assert client.get(reverse("barracks:classifications")).status_code == 200
