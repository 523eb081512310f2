"""Petroleum in the authorization matrix (haucan/web/tests).

See test_authorization_matrix.py. A fuel point in each regiment with a receipt note posted to it
and a draft physical count, made through the module's services. Who sees them: the regiment's
clerk, the commander above both, the petroleum specialist and the administrator (army-wide).
Posting notes, entering activity and counting need ENTER in petroleum: the clerks and the
administrator, never the commander or the specialist (VIEW, DESIGN, APPROVE only).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from haucan.core.scope import Action, Domain, Scope
from haucan.inventory.models import Count, CountLine, Document, Line, Location
from haucan.inventory.services import start_count
from haucan.petroleum.models import Activity, LocationKind, Product
from haucan.petroleum.seed import ensure_standard_catalog
from haucan.petroleum.services import NoteInput, NoteKind, NoteLine, create_location, record_note
from haucan.testing import World
from haucan.web.tests.authz import EVERYONE, SEES_A, SEES_B, Case, Finer, Objects, Target

PARAM_KINDS: dict[tuple[str, str], str] = {
    ("notes", "pk"): "fuel_note",
    ("new", "kind"): "note_kind",
    ("counts", "pk"): "fuel_count",
}


def build(world: World, objects: Objects) -> None:
    system = Scope.system("authorization matrix: petroleum")
    ensure_standard_catalog(system)
    diesel = Product.objects.select_related("item").get(item__code="DO_005S")
    today = timezone.localdate()
    made: dict[str, list[str]] = {}
    for owner, unit in (("a", world.regiment_a), ("b", world.regiment_b)):
        depot = create_location(
            system,
            unit=unit,
            code=f"MX-XD-{owner.upper()}",
            name=f"Điểm cấp phát ma trận {owner.upper()}",
            kind=LocationKind.FUEL_POINT,
        )
        note = record_note(
            system,
            NoteInput(
                kind=NoteKind.RECEIPT,
                unit=unit,
                location=depot,
                date=today,
                lines=[NoteLine(product=diesel, quantity=Decimal("1000"))],
                counterparty=f"Kho ma trận {owner.upper()}",
            ),
        ).document
        count = start_count(system, depot, today, items=[diesel.item])
        made[owner] = [str(note.pk), str(count.pk), str(depot.pk)]
        readers = SEES_A if owner == "a" else SEES_B
        objects.secret(depot.name, readers)
        objects.secret(f"Kho ma trận {owner.upper()}", readers)  # the note's supplier
    c = objects.cases
    for i, kind in enumerate(("fuel_note", "fuel_count", "depot")):
        c[kind] = [
            Case(kind, made["a"][i], "a", SEES_A, "petroleum"),
            Case(kind, made["b"][i], "b", SEES_B, "petroleum"),
        ]
    c["note_kind"] = [Case("note_kind", NoteKind.ISSUE, "", EVERYONE)]
    c["fuel_item"] = [Case("fuel_item", str(diesel.item_id), "", EVERYONE)]
    c["day"] = [Case("day", today.strftime("%d/%m/%Y"), "", EVERYONE)]


def _enter(scope: Scope, target: Target) -> bool:
    return scope.can(Action.ENTER, Domain.PETROLEUM)


# Their pages show to VIEW; their POST needs ENTER.
FINER: dict[str, Finer] = {
    "petroleum:norms": Finer(_enter, writes=True),
    "petroleum:counts": Finer(_enter, writes=True),
    "petroleum:count": Finer(_enter, writes=True),
    # Without ?item= the stock card has no product: not found for everyone.
    "petroleum:card": Finer(lambda scope, target: bool(target.cases), "not_found"),
}

# Every screen is of one unit (?unit=uid): another regiment's is not found.
QUERIES: dict[str, list[str]] = {
    "petroleum:home": ["unit={unit}"],
    "petroleum:stock": ["unit={unit}"],
    "petroleum:card": ["unit={unit}&item={fuel_item}", "location={depot}&item={fuel_item}"],
    "petroleum:quotas": ["unit={unit}"],
    "petroleum:norms": ["unit={unit}"],
    "petroleum:counts": ["unit={unit}"],
    "petroleum:note_new": ["unit={unit}"],
}

BODIES: dict[str, str] = {
    "petroleum:note_new": "unit={unit}",
    "petroleum:note_reverse": "reason=Nhầm số",
    "petroleum:note_receive": "date={day}",
    "petroleum:norms": "unit={unit}",
    "petroleum:counts": "unit={unit}&location={depot}&date={day}",
    "petroleum:count": "submit=",
}

COUNTED: list[Any] = [Location, Document, Line, Count, CountLine, Activity]
