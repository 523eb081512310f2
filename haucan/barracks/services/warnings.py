"""The barracks conditions raised and cleared through the alerts service.

Each condition is one alert per object (key `building:12`, `site:3`, `case:7`, `transfer:5`), raised
or cleared in the transaction of the change. Conditions that arrive with the calendar (a building
reaching its end of life, a case left unresolved) are re-evaluated by `refresh_all` (run by the
`barracks_refresh` command and after the demo load)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from haucan.alerts.models import Alert, AlertStatus, Severity
from haucan.alerts.services import clear_event, raise_event
from haucan.barracks.models import (
    Building,
    CaseKind,
    CaseStatus,
    LandCase,
    LandSite,
    LandTransfer,
)
from haucan.barracks.services.common import case_overdue_days, warn_years
from haucan.core.scope import Domain, Scope
from haucan.org.models import Unit

PAST_LIFE = "barracks.building_past_life"
NEAR_LIFE = "barracks.building_near_life"
DANGEROUS = "barracks.building_dangerous"
NEW_CASE = "barracks.case_new"
OVERDUE_CASE = "barracks.case_overdue"
NO_CERTIFICATE = "barracks.site_no_certificate"
NO_AREA = "barracks.handover_no_area"
CODES = (PAST_LIFE, NEAR_LIFE, DANGEROUS, NEW_CASE, OVERDUE_CASE, NO_CERTIFICATE, NO_AREA)


def building_conditions(building: Building, year: int) -> dict[str, Severity]:
    """The conditions that hold for a building in `year` (what should be open)."""
    if building.retired_on is not None:
        return {}
    found: dict[str, Severity] = {}
    left = building.end_of_life_year - year
    if left <= 0:
        found[PAST_LIFE] = Severity.WARNING
    elif left <= warn_years():
        found[NEAR_LIFE] = Severity.INFO
    if building.condition.dangerous:
        found[DANGEROUS] = Severity.CRITICAL
    return found


def _building_alert(
    scope: Scope, building: Building, code: str, severity: Severity, year: int
) -> None:
    params = {
        "code": building.code,
        "name": building.name,
        "year": building.end_of_life_year,
        "left": building.end_of_life_year - year,
        "site": building.site.name,
    }
    messages = {
        PAST_LIFE: _("Building %(code)s %(name)s (%(site)s) passed its service life in %(year)s"),
        NEAR_LIFE: _(
            "Building %(code)s %(name)s (%(site)s) reaches the end of its service life in "
            "%(year)s (%(left)s years left)"
        ),
        DANGEROUS: _("Building %(code)s %(name)s (%(site)s) is assessed dangerous"),
    }
    raise_event(
        scope,
        code=code,
        domain=Domain.BARRACKS,
        unit=building.site.unit,
        severity=severity,
        message=messages[code],
        params=params,
        values={"end_of_life_year": building.end_of_life_year, "year": year},
        key=f"building:{building.pk}",
        link=reverse("barracks:building", args=[building.pk]),
    )


def check_buildings(scope: Scope, buildings: Sequence[Building], today: date) -> None:
    """Raise what holds and clear what no longer does, for these buildings."""
    if not buildings:
        return
    keys = {f"building:{b.pk}": b for b in buildings}
    active = _active({PAST_LIFE, NEAR_LIFE, DANGEROUS}, keys)
    for building in buildings:
        key = f"building:{building.pk}"
        wanted = building_conditions(building, today.year)
        for code, severity in wanted.items():
            if (code, key) not in active:
                _building_alert(scope, building, code, severity, today.year)
        for code in (PAST_LIFE, NEAR_LIFE, DANGEROUS):
            if code not in wanted and (code, key) in active:
                clear_event(scope, code=code, unit=active[(code, key)], key=key)


def _active(codes: Iterable[str], keys: Iterable[str]) -> dict[tuple[str, str], Unit]:
    """(code, key) -> unit of the alerts still open or acknowledged (one query)."""
    rows = (
        Alert.objects.filter(code__in=list(codes), key__in=list(keys))
        .exclude(status=AlertStatus.RESOLVED)
        .select_related("unit")
    )
    return {(a.code, a.key): a.unit for a in rows}


def check_site_certificates(scope: Scope, site: LandSite) -> None:
    key = f"site:{site.pk}"
    if site.certificates.exists():
        clear_event(scope, code=NO_CERTIFICATE, unit=site.unit, key=key)
        return
    raise_event(
        scope,
        code=NO_CERTIFICATE,
        domain=Domain.BARRACKS,
        unit=site.unit,
        severity=Severity.INFO,
        message=_("Land site %(code)s %(name)s has no land-use certificate"),
        params={"code": site.code, "name": site.name},
        key=key,
        link=reverse("barracks:site", args=[site.pk]),
    )


def check_transfer_area(scope: Scope, transfer: LandTransfer) -> None:
    key = f"transfer:{transfer.pk}"
    if transfer.area is not None:
        clear_event(scope, code=NO_AREA, unit=transfer.site.unit, key=key)
        return
    raise_event(
        scope,
        code=NO_AREA,
        domain=Domain.BARRACKS,
        unit=transfer.site.unit,
        severity=Severity.WARNING,
        message=_("Decision %(number)s for site %(site)s was recorded without its area"),
        params={"number": transfer.decision_number, "site": transfer.site.code},
        key=key,
        link=reverse("barracks:site", args=[transfer.site_id]),
    )


def check_case(scope: Scope, case: LandCase, today: date | None = None) -> None:
    today = today or timezone.localdate()
    key = f"case:{case.pk}"
    unit = case.site.unit
    link = reverse("barracks:case", args=[case.pk])
    with translation.override("vi"):  # alerts are stored in Vietnamese, as shown
        kind = str(CaseKind(case.kind).label).lower()
    params = {"kind": kind, "site": case.site.code, "party": case.party}
    if case.status == CaseStatus.NEW:
        raise_event(
            scope,
            code=NEW_CASE,
            domain=Domain.BARRACKS,
            unit=unit,
            severity=Severity.WARNING,
            message=_("New %(kind)s case on site %(site)s (%(party)s)"),
            params=params,
            values={"area": float(case.area)},
            key=key,
            link=link,
        )
    else:
        clear_event(scope, code=NEW_CASE, unit=unit, key=key)
    overdue = case.status != CaseStatus.RESOLVED and case.opened_on <= today - timedelta(
        days=case_overdue_days()
    )
    if overdue:
        raise_event(
            scope,
            code=OVERDUE_CASE,
            domain=Domain.BARRACKS,
            unit=unit,
            severity=Severity.WARNING,
            message=_(
                "The %(kind)s case on site %(site)s (%(party)s) is unresolved after %(days)s days"
            ),
            params=params | {"days": (today - case.opened_on).days},
            key=key,
            link=link,
        )
    else:
        clear_event(scope, code=OVERDUE_CASE, unit=unit, key=key)


def refresh_all(scope: Scope, today: date | None = None) -> int:
    """Re-evaluate the calendar-driven conditions of the whole registry; returns buildings and
    cases checked. Idempotent: run it daily."""
    today = today or timezone.localdate()
    checked = 0
    horizon = today.year + warn_years()
    candidates = Building.objects.select_related("site__unit", "condition").filter(
        retired_on__isnull=True
    )
    flagged = list(
        candidates.filter(end_of_life_year__lte=horizon)
        | candidates.filter(condition__dangerous=True)
    )
    flagged_ids = {b.pk for b in flagged}
    # Open alerts on buildings that no longer qualify (repaired, retired, reclassified).
    stale_keys = set(
        Alert.objects.filter(code__in=[PAST_LIFE, NEAR_LIFE, DANGEROUS])
        .exclude(status=AlertStatus.RESOLVED)
        .values_list("key", flat=True)
    )
    stale_ids = {int(k.split(":")[1]) for k in stale_keys} - flagged_ids
    others = list(
        Building.objects.select_related("site__unit", "condition").filter(pk__in=stale_ids)
    )
    check_buildings(scope, flagged + others, today)
    checked += len(flagged) + len(others)
    for case in LandCase.objects.select_related("site__unit").exclude(status=CaseStatus.RESOLVED):
        check_case(scope, case, today)
        checked += 1
    return checked
