"""The barracks registry in the authorization matrix (haucan/web/tests).

See test_authorization_matrix.py.

One land site of each regiment with a building, a handover waiting for its area, a certificate
and a dispute with a document, all made through the module's services. Who sees them: the
regiment's clerk, the commander of the division above both, the administrator (the test world's
specialist works in petroleum: no barracks right, refused by every declaration). Changing needs
ENTER in barracks; the classification tables need DESIGN in barracks (the administrator only).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from haucan.barracks.models import (
    AreaEvent,
    Assessment,
    Building,
    BuildingType,
    CaseDocument,
    CaseStep,
    ConditionLevel,
    DurabilityClass,
    LandCase,
    LandCertificate,
    LandPurpose,
    LandSite,
    LandTransfer,
    Repair,
)
from haucan.barracks.services import buildings, cases, land
from haucan.core.scope import Action, Domain, Scope
from haucan.testing import World
from haucan.web.tests.authz import EVERYONE, SEES_A, SEES_B, Case, Finer, Objects, Target

OPENED = date(2021, 1, 1)
TODAY = "01/06/2024"

# (collection noun before the parameter, parameter) → kind.
PARAM_KINDS: dict[tuple[str, str], str] = {
    ("sites", "pk"): "land_site",
    ("buildings", "pk"): "building",
    ("cases", "pk"): "land_case",
    ("documents", "doc"): "case_document",
    ("transfers", "pk"): "land_transfer",
    ("classifications", "table"): "classification_table",
    ("<str:table>", "pk"): "classification_row",
    ("template", "kind"): "barracks_template",
}


def build(world: World, objects: Objects) -> None:
    system = Scope.system("authorization matrix: barracks")
    purpose = LandPurpose.objects.order_by("pk").first()
    assert purpose is not None, "the barracks classifications are seeded by migration"
    made: dict[str, list[str]] = {}
    for owner, unit in (("a", world.regiment_a), ("b", world.regiment_b)):
        code = f"KD-MX-{owner.upper()}"
        site = land.create_site(
            system,
            land.SiteInput(
                code=code,
                name=f"Khu đất ma trận {owner.upper()}",
                unit=unit,
                opened_on=OPENED,
                total_area=Decimal("5000"),
                purpose_areas={purpose.code: Decimal("5000")},
            ),
        )
        building = buildings.register_building(
            system,
            buildings.BuildingInput(
                site=site,
                code=f"CT-MX-{owner.upper()}",
                name=f"Nhà ma trận {owner.upper()}",
                type=BuildingType.objects.order_by("pk")[0],
                durability=DurabilityClass.objects.order_by("pk")[0],
                condition=ConditionLevel.objects.order_by("pk")[0],
                year_built=2010,
                year_in_service=2011,
                built_area=Decimal("100"),
                floors=1,
                capacity=10,
            ),
        )
        transfer = land.record_transfer(
            system,
            land.TransferInput(
                kind="handover",
                site=site,
                purpose=purpose,
                decision_number=f"QĐ-MX-{owner}",
                decision_date=OPENED,
                effective_on=OPENED,
                area=None,
                party="UBND xã",
            ),
        )
        land.add_certificate(
            system,
            site,
            number=f"GCN-MX-{owner}",
            issued_on=OPENED,
            area=Decimal("1000"),
            purpose=purpose,
            authority="UBND tỉnh",
        )
        case = cases.open_case(
            system,
            cases.CaseInput(
                site=site,
                kind="dispute",
                party_kind="household",
                party="Hộ ông X",
                area=Decimal("10"),
                opened_on=OPENED,
            ),
        )
        secret = f"BIEN-BAN-MAT-{owner.upper()}-5e21"
        doc = cases.attach_document(
            system, case, title="Biên bản", file_name="bb.pdf", content=secret.encode()
        )
        made[owner] = [
            str(site.pk),
            str(building.pk),
            str(transfer.pk),
            str(case.pk),
            str(doc.pk),
            site.code,
        ]
        # The site's and the building's names are the regiment's own: no page may show them to
        # the other clerk (a register whose filter ignored the scope would). Not their codes,
        # which a form echoes back to whoever typed them.
        readers = SEES_A if owner == "a" else SEES_B
        objects.secret(site.name, readers)
        objects.secret(building.name, readers)
        objects.secret(secret, readers)  # the document's content
    c = objects.cases
    for i, kind in enumerate(
        ("land_site", "building", "land_transfer", "land_case", "case_document", "site_code")
    ):
        c[kind] = [
            Case(kind, made["a"][i], "a", SEES_A, "barracks"),
            Case(kind, made["b"][i], "b", SEES_B, "barracks"),
        ]
    c["classification_table"] = [Case("classification_table", "purposes", "", EVERYONE)]
    c["classification_row"] = [Case("classification_row", str(purpose.pk), "", EVERYONE)]
    c["barracks_template"] = [Case("barracks_template", "sites", "", EVERYONE)]


def _enter(scope: Scope, target: Target) -> bool:
    return scope.can(Action.ENTER, Domain.BARRACKS)


# The site, building and case pages show to VIEW and change on ENTER (their POST).
FINER: dict[str, Finer] = {
    "barracks:building": Finer(_enter, writes=True),
    "barracks:case": Finer(_enter, writes=True),
}

# The registers' filters name objects of either regiment: one outside the scope is ignored (the
# page lists the actor's own), never shown — the secrets above prove it.
QUERIES: dict[str, list[str]] = {
    "barracks:home": ["unit={unit_code}"],
    "barracks:sites": ["unit={unit_code}"],
    "barracks:buildings": ["unit={unit_code}", "site={site_code}"],
    "barracks:building_new": ["site={site_code}"],
}

# The registers drop a filter naming another regiment's unit or site (they list the actor's
# own); the forms answer such a code with a field error ("unknown unit code"), writing nothing.
LISTS = {"barracks:home", "barracks:sites", "barracks:buildings", "barracks:building_new"}
FORM_ERRORS = {"barracks:site_new", "barracks:building_new"}

# Valid writes, so that a refusal proves the rule and not a form error.
BODIES: dict[str, str] = {
    "barracks:site_new": (
        f"code=KD-NEW&name=Khu mới&unit={{unit_code}}&opened_on={TODAY}&total_area=100"
    ),
    "barracks:building_new": (
        "site={site_code}&code=CT-NEW&name=Nhà mới&type=1&grade=&durability=1&floors=1"
        "&built_area=50&capacity=1&year_built=2015&year_in_service=2016&condition=1"
    ),
    "barracks:boundary": "boundary=&markers=",
    "barracks:transfer_new": (
        f"kind=handover&purpose=1&decision_number=QĐ-1&decision_date={TODAY}"
        f"&effective_on={TODAY}&area=10&party=UBND"
    ),
    "barracks:transfer_area": "area=10",
    "barracks:certificate_new": f"number=GCN-1&issued_on={TODAY}&area=10&purpose=1&authority=X",
    "barracks:case_new": (f"kind=dispute&party_kind=household&party=Hộ Y&area=1&opened_on={TODAY}"),
    "barracks:case": f"action=step&taken_on={TODAY}&description=Làm việc&status=handling",
    "barracks:building": f"action=repair&completed_on={TODAY}&description=Sơn lại",
    "barracks:import": "kind=sites",
    "barracks:classification_new": "code=MX&name=Mới&order=9",
    "barracks:classification_edit": "code=MX&name=Đổi&order=9",
}

COUNTED: list[Any] = [
    LandSite,
    AreaEvent,
    LandTransfer,
    LandTransfer.objects.filter(area__isnull=False),
    LandCertificate,
    LandCase,
    CaseDocument,
    Building,
    LandPurpose,
    Repair,
    Assessment,
    CaseStep,
]
