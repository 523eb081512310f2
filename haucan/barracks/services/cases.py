"""Disputes and encroachment: open a case, record the steps taken (which move its status), attach
documents. Status goes new → being handled → resolved; a resolved case is closed for steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.barracks.models import (
    CaseDocument,
    CaseKind,
    CaseStatus,
    CaseStep,
    LandCase,
    LandSite,
    PartyKind,
)
from haucan.barracks.services import publish, warnings
from haucan.barracks.services.common import area_value, fmt_area, require_site
from haucan.barracks.services.land import total_on
from haucan.core.errors import Conflict, ValidationFailed
from haucan.core.scope import Scope

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


@dataclass
class CaseInput:
    site: LandSite
    kind: str
    party_kind: str
    party: str
    area: Decimal | float | str
    opened_on: date
    location: str = ""
    description: str = ""


def open_case(scope: Scope, spec: CaseInput) -> LandCase:
    require_site(scope, spec.site)
    if spec.kind not in CaseKind.values:
        raise ValidationFailed(_("Choose dispute or encroachment."), field="kind")
    if spec.party_kind not in PartyKind.values:
        raise ValidationFailed(_("Choose the kind of party."), field="party_kind")
    if not spec.party.strip():
        raise ValidationFailed(_("Name the other party."), field="party")
    if spec.opened_on > timezone.localdate():
        raise ValidationFailed(_("The date is in the future."), field="opened_on")
    area = area_value(spec.area, "area")
    site_area = total_on(spec.site, spec.opened_on)
    if area > site_area:
        raise ValidationFailed(
            _("The area of the case (%(area)s) is larger than the site (%(site)s).")
            % {"area": fmt_area(area), "site": fmt_area(site_area)},
            field="area",
        )
    with transaction.atomic():
        case = LandCase.objects.create(
            site=spec.site,
            kind=spec.kind,
            party_kind=spec.party_kind,
            party=spec.party.strip(),
            location=spec.location.strip(),
            area=area,
            opened_on=spec.opened_on,
            description=spec.description,
        )
        audit.record(scope, "barracks.case.open", case, {"site": spec.site.code})
        warnings.check_case(scope, case)
        publish.land_changed(scope, [spec.site.unit], since=spec.opened_on)
    return case


ALLOWED = {
    CaseStatus.NEW: {CaseStatus.NEW, CaseStatus.HANDLING, CaseStatus.RESOLVED},
    CaseStatus.HANDLING: {CaseStatus.HANDLING, CaseStatus.RESOLVED},
    CaseStatus.RESOLVED: set(),
}


def add_step(
    scope: Scope,
    case: LandCase,
    *,
    taken_on: date,
    description: str,
    status: str,
    recovered_area: Decimal | float | str | None = None,
) -> CaseStep:
    """Record a step taken; it may move the case on (a resolved case takes no more steps)."""
    require_site(scope, case.site)
    if not description.strip():
        raise ValidationFailed(_("Describe the step taken."), field="description")
    if status not in CaseStatus.values:
        raise ValidationFailed(_("Unknown status."), field="status")
    if taken_on < case.opened_on:
        raise ValidationFailed(_("The step is dated before the case was found."), field="taken_on")
    if taken_on > timezone.localdate():
        raise ValidationFailed(_("The date is in the future."), field="taken_on")
    recovered = None
    if recovered_area not in (None, ""):
        recovered = area_value(recovered_area, "recovered_area", allow_zero=True)
        if recovered > case.area:
            raise ValidationFailed(
                _("The recovered area is larger than the area of the case."),
                field="recovered_area",
            )
    with transaction.atomic():
        locked = LandCase.objects.select_for_update().get(pk=case.pk)
        if CaseStatus(status) not in ALLOWED[CaseStatus(locked.status)]:
            raise Conflict(
                _("A case that is %(now)s cannot become %(next)s.")
                % {
                    "now": CaseStatus(locked.status).label,
                    "next": CaseStatus(status).label,
                }
            )
        step = CaseStep.objects.create(
            case=locked,
            taken_on=taken_on,
            description=description.strip(),
            status_after=status,
            recorded_by=scope.username,
        )
        locked.status = status
        fields = ["status"]
        if status == CaseStatus.RESOLVED:
            locked.resolved_on = taken_on
            locked.recovered_area = recovered
            fields += ["resolved_on", "recovered_area"]
        locked.save(update_fields=fields)
        audit.record(scope, "barracks.case.step", locked, {"status": status})
        warnings.check_case(scope, locked)
        publish.land_changed(scope, [locked.site.unit], since=taken_on)
    case.refresh_from_db()
    return step


def attach_document(
    scope: Scope,
    case: LandCase,
    *,
    title: str,
    number: str = "",
    dated: date | None = None,
    file_name: str = "",
    content: bytes | None = None,
    content_type: str = "",
) -> CaseDocument:
    require_site(scope, case.site)
    if not title.strip():
        raise ValidationFailed(_("The document needs a title."), field="title")
    if content is not None and len(content) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(_("The file is larger than 10 MB."), field="file")
    with transaction.atomic():
        doc = CaseDocument.objects.create(
            case=case,
            title=title.strip(),
            number=number.strip(),
            dated=dated,
            file_name=file_name[:200],
            content=content,
            content_type=content_type[:100],
            uploaded_by=scope.username,
        )
        audit.record(scope, "barracks.case.document", doc, {"case": case.pk})
    return doc
