"""Land sites, their area history, certificates, and handovers and receipts.

The area of a site is the sum of its dated events per purpose (bucket `None` is the unclassified
remainder). Every change first replays the site's whole history with the new event(s) and refuses
any that would leave a bucket negative on some date, so a back-dated handover cannot make a later
balance impossible. The site row is locked first so two handovers at once cannot both pass."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.barracks.geometry import validate_boundary, validate_markers
from haucan.barracks.models import (
    AreaEvent,
    AreaEventKind,
    LandCertificate,
    LandPurpose,
    LandSite,
    LandTransfer,
    TransferKind,
)
from haucan.barracks.services import publish, warnings
from haucan.barracks.services.common import ZERO, area_value, fmt_area, require_enter, require_site
from haucan.core.errors import ValidationFailed
from haucan.core.scope import Scope
from haucan.core.text import fold
from haucan.org.models import Unit

Bucket = int | None  # purpose id, or None for the unclassified remainder


@dataclass
class SiteInput:
    code: str
    name: str
    unit: Unit
    opened_on: date
    total_area: Decimal | float | str
    purpose_areas: Mapping[str, Decimal | float | str] = field(default_factory=dict)  # by code
    identifier: str = ""
    barracks_name: str = ""
    province_code: str = ""
    commune_code: str = ""
    address: str = ""
    origin: str = ""
    boundary: Any = None
    markers: Any = None
    note: str = ""


def check_site(spec: SiteInput, purposes: Mapping[str, LandPurpose]) -> dict[Bucket, Decimal]:
    """Validate a new site without writing; returns its opening area by purpose id."""
    if not spec.code.strip():
        raise ValidationFailed(_("The site needs a code."), field="code")
    if not spec.name.strip():
        raise ValidationFailed(_("The site needs a name."), field="name")
    total = area_value(spec.total_area, "total_area")
    by_purpose: dict[Bucket, Decimal] = {}
    for code, raw in spec.purpose_areas.items():
        purpose = purposes.get(code)
        if purpose is None:
            raise ValidationFailed(
                _("Unknown purpose of use '%(code)s'.") % {"code": code}, field="purpose_areas"
            )
        value = area_value(raw, f"purpose_{code}", allow_zero=True)
        if value:
            by_purpose[purpose.pk] = by_purpose.get(purpose.pk, ZERO) + value
    classified = sum(by_purpose.values(), ZERO)
    if classified > total:
        raise ValidationFailed(
            _(
                "The areas by purpose add up to %(sum)s, more than the total area of the site "
                "(%(total)s)."
            )
            % {"sum": fmt_area(classified), "total": fmt_area(total)},
            field="purpose_areas",
        )
    if spec.opened_on > timezone.localdate():
        raise ValidationFailed(_("The registration date is in the future."), field="opened_on")
    if total > classified:
        by_purpose[None] = total - classified
    return by_purpose


def create_site(scope: Scope, spec: SiteInput) -> LandSite:
    """Register a land site with its opening area by purpose (dated `opened_on`)."""
    require_enter(scope, spec.unit)
    purposes = {p.code: p for p in LandPurpose.objects.all()}
    opening = check_site(spec, purposes)
    boundary = validate_boundary(spec.boundary) if spec.boundary else None
    markers = validate_markers(spec.markers)
    with transaction.atomic():
        if LandSite.objects.filter(code=spec.code.strip()).exists():
            raise ValidationFailed(
                _("A land site with the code %(code)s already exists.") % {"code": spec.code},
                field="code",
            )
        site = LandSite.objects.create(
            code=spec.code.strip(),
            identifier=spec.identifier.strip(),
            name=spec.name.strip(),
            search_name=fold(f"{spec.code} {spec.name} {spec.barracks_name} {spec.address}"),
            unit=spec.unit,
            barracks_name=spec.barracks_name.strip(),
            province_code=spec.province_code.strip(),
            commune_code=spec.commune_code.strip(),
            address=spec.address.strip(),
            origin=spec.origin.strip(),
            boundary=boundary,
            markers=markers,
            opened_on=spec.opened_on,
            note=spec.note,
        )
        AreaEvent.objects.bulk_create(
            AreaEvent(
                site=site,
                purpose_id=pid,
                effective_on=spec.opened_on,
                kind=AreaEventKind.OPENING,
                delta=area,
            )
            for pid, area in opening.items()
        )
        audit.record(scope, "barracks.site.create", site, {"code": site.code})
        warnings.check_site_certificates(scope, site)
        publish.land_changed(scope, [site.unit], since=spec.opened_on)
    return site


def register_sites(
    scope: Scope,
    items: Sequence[tuple[SiteInput, Mapping[str, Any] | None]],
    *,
    publish_since: date | None = None,
) -> list[LandSite]:
    """Register many sites at once (the importer's and the demo's path), each with an optional
    certificate {number, issued_on, area, authority}: all or none, one publication per unit."""
    purposes = {p.code: p for p in LandPurpose.objects.all()}
    openings = [check_site(spec, purposes) for spec, _cert in items]
    for unit in {spec.unit.pk: spec.unit for spec, _c in items}.values():
        require_enter(scope, unit)
    codes = [spec.code.strip() for spec, _c in items]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(_("The same site code appears twice."), field="code")
    with transaction.atomic():
        taken = list(LandSite.objects.filter(code__in=codes).values_list("code", flat=True)[:1])
        if taken:
            raise ValidationFailed(
                _("A land site with the code %(code)s already exists.") % {"code": taken[0]},
                field="code",
            )
        sites = LandSite.objects.bulk_create(
            [
                LandSite(
                    code=spec.code.strip(),
                    identifier=spec.identifier,
                    name=spec.name.strip(),
                    search_name=fold(
                        f"{spec.code} {spec.name} {spec.barracks_name} {spec.address}"
                    ),
                    unit=spec.unit,
                    barracks_name=spec.barracks_name,
                    province_code=spec.province_code,
                    commune_code=spec.commune_code,
                    address=spec.address,
                    origin=spec.origin,
                    boundary=validate_boundary(spec.boundary) if spec.boundary else None,
                    markers=validate_markers(spec.markers),
                    opened_on=spec.opened_on,
                    note=spec.note,
                )
                for spec, _c in items
            ],
            batch_size=1000,
        )
        if sites and sites[0].pk is None:  # backends without RETURNING
            ids = dict(LandSite.objects.filter(code__in=codes).values_list("code", "pk"))
            for site in sites:
                site.pk = ids[site.code]
        events, certificates = [], []
        for site, (spec, cert), opening in zip(sites, items, openings, strict=True):
            for pid, area in opening.items():
                events.append(
                    AreaEvent(
                        site=site,
                        purpose_id=pid,
                        effective_on=spec.opened_on,
                        kind=AreaEventKind.OPENING,
                        delta=area,
                    )
                )
            if cert is not None:
                classified = [pid for pid in opening if pid is not None]
                main = (
                    max(classified, key=lambda pid: opening[pid])
                    if classified
                    else min(p.pk for p in purposes.values())
                )
                certificates.append(LandCertificate(site=site, purpose_id=main, **cert))
        AreaEvent.objects.bulk_create(events, batch_size=2000)
        LandCertificate.objects.bulk_create(certificates, batch_size=2000)
        audit.record(scope, "barracks.site.import", None, {"count": len(sites)})
        for site in sites:
            warnings.check_site_certificates(scope, site)
        units = list({s.unit.pk: s.unit for s in sites}.values())
        if sites:
            since = publish_since or min(s.opened_on for s in sites)
            publish.land_changed(scope, units, since=since)
    return sites


def set_boundary(scope: Scope, site: LandSite, boundary: Any, markers: Any = None) -> LandSite:
    require_site(scope, site)
    clean = validate_boundary(boundary) if boundary else None
    clean_markers = validate_markers(markers) if markers is not None else site.markers
    with transaction.atomic():
        site.boundary = clean
        site.markers = clean_markers
        site.save(update_fields=["boundary", "markers", "updated_at"])
        audit.record(scope, "barracks.site.boundary", site, {"points": _points(clean)})
    return site


def _points(geometry: dict[str, Any] | None) -> int:
    if not geometry:
        return 0
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return sum(len(ring) for poly in polys for ring in poly)


# --- area history ------------------------------------------------------------------------------


def area_on(site_ids: Iterable[int], on: date) -> dict[int, dict[Bucket, Decimal]]:
    """The area of each site on `on`, by purpose id (None = unclassified)."""
    result: dict[int, dict[Bucket, Decimal]] = defaultdict(dict)
    rows = (
        AreaEvent.objects.filter(site_id__in=list(site_ids), effective_on__lte=on)
        .values("site_id", "purpose_id")
        .annotate(area=Sum("delta"))
    )
    for row in rows:
        result[row["site_id"]][row["purpose_id"]] = row["area"] or ZERO
    return result


def total_on(site: LandSite, on: date) -> Decimal:
    return sum(area_on([site.pk], on).get(site.pk, {}).values(), ZERO)


@dataclass(frozen=True)
class HistoryPoint:
    on: date
    total: Decimal
    by_purpose: dict[Bucket, Decimal]
    events: list[AreaEvent]


def history(site: LandSite) -> list[HistoryPoint]:
    """The site's balance after each date that changed it, oldest first."""
    running: dict[Bucket, Decimal] = defaultdict(lambda: ZERO)
    points: list[HistoryPoint] = []
    events = list(site.area_events.select_related("purpose", "transfer").order_by("effective_on"))
    by_day: dict[date, list[AreaEvent]] = defaultdict(list)
    for event in events:
        by_day[event.effective_on].append(event)
    for day in sorted(by_day):
        for event in by_day[day]:
            running[event.purpose_id] += event.delta
        points.append(HistoryPoint(day, sum(running.values(), ZERO), dict(running), by_day[day]))
    return points


class AreaShortfall(ValidationFailed):
    """A change would leave an area bucket negative on some date."""


def check_history(
    events: Iterable[tuple[date, Bucket, Decimal]],
) -> tuple[date, Bucket, Decimal] | None:
    """Replay (date, bucket, delta) events; return the first (date, bucket, balance) that goes
    negative, or None when every balance stays at or above zero on every date."""
    by_day: dict[date, list[tuple[Bucket, Decimal]]] = defaultdict(list)
    for day, bucket, delta in events:
        by_day[day].append((bucket, delta))
    running: dict[Bucket, Decimal] = defaultdict(lambda: ZERO)
    for day in sorted(by_day):
        touched = set()
        for bucket, delta in by_day[day]:
            running[bucket] += delta
            touched.add(bucket)
        for bucket in touched:
            if running[bucket] < 0:
                return day, bucket, running[bucket]
    return None


def _apply(site: LandSite, new: list[AreaEvent], purpose_names: Mapping[Bucket, str]) -> None:
    """Lock the site, replay its history with `new`, and save them, or refuse."""
    LandSite.objects.select_for_update().filter(pk=site.pk).first()
    stored = list(site.area_events.values_list("effective_on", "purpose_id", "delta"))
    proposed = stored + [(e.effective_on, e.purpose_id, e.delta) for e in new]
    short = check_history(proposed)
    if short is not None:
        day, bucket, balance = short
        taken = -sum((e.delta for e in new if e.purpose_id == bucket), ZERO)
        remaining = taken + balance
        raise AreaShortfall(
            _(
                "%(area)s is more than the remaining %(purpose)s area of site %(site)s on "
                "%(day)s (%(left)s)."
            )
            % {
                "area": fmt_area(taken),
                "purpose": purpose_names.get(bucket, _("unclassified")),
                "site": site.code,
                "day": day.strftime("%d/%m/%Y"),
                "left": fmt_area(max(remaining, ZERO)),
            },
            field="area",
        )
    AreaEvent.objects.bulk_create(new)


@dataclass
class TransferInput:
    kind: str
    site: LandSite
    purpose: LandPurpose
    decision_number: str
    decision_date: date
    effective_on: date
    area: Decimal | float | str | None
    party: str
    to_site: LandSite | None = None
    note: str = ""


def record_transfer(scope: Scope, spec: TransferInput) -> LandTransfer:
    """Record a handover, a receipt or a transfer between army units. With its area it changes
    the site's area (both sites' for a transfer) from the effective date; without, it waits for
    the area and a warning says so."""
    require_site(scope, spec.site)
    if spec.kind not in TransferKind.values:
        raise ValidationFailed(_("Unknown kind of record."), field="kind")
    if not spec.decision_number.strip():
        raise ValidationFailed(_("The decision number is required."), field="decision_number")
    if not spec.party.strip() and spec.kind != TransferKind.TRANSFER:
        raise ValidationFailed(_("Name the other party."), field="party")
    if spec.kind == TransferKind.TRANSFER:
        if spec.to_site is None:
            raise ValidationFailed(_("Choose the receiving site."), field="to_site")
        require_site(scope, spec.to_site)
        if spec.to_site.pk == spec.site.pk:
            raise ValidationFailed(_("A site cannot transfer land to itself."), field="to_site")
    if spec.effective_on < spec.site.opened_on:
        raise ValidationFailed(
            _("The effective date is before the site was registered (%(day)s).")
            % {"day": spec.site.opened_on.strftime("%d/%m/%Y")},
            field="effective_on",
        )
    area = None if spec.area in (None, "") else area_value(spec.area, "area")
    with transaction.atomic():
        transfer = LandTransfer.objects.create(
            kind=spec.kind,
            site=spec.site,
            to_site=spec.to_site if spec.kind == TransferKind.TRANSFER else None,
            purpose=spec.purpose,
            decision_number=spec.decision_number.strip(),
            decision_date=spec.decision_date,
            effective_on=spec.effective_on,
            area=area,
            party=spec.party.strip() or (spec.to_site.unit.name if spec.to_site else ""),
            note=spec.note,
            created_by=scope.username,
        )
        if area is not None:
            _post_transfer(transfer, area)
        audit.record(
            scope,
            f"barracks.transfer.{spec.kind}",
            transfer,
            {"site": spec.site.code, "area": str(area) if area is not None else None},
        )
        warnings.check_transfer_area(scope, transfer)
        units = [spec.site.unit]
        if transfer.to_site is not None:
            units.append(transfer.to_site.unit)
        publish.land_changed(scope, units, since=spec.effective_on)
    return transfer


def set_transfer_area(
    scope: Scope, transfer: LandTransfer, area: Decimal | float | str
) -> LandTransfer:
    """Fill in the area of a decision recorded without it (once)."""
    require_site(scope, transfer.site)
    value = area_value(area, "area")
    with transaction.atomic():
        locked = LandTransfer.objects.select_for_update().get(pk=transfer.pk)
        if locked.area is not None:
            raise ValidationFailed(_("The area of this decision is already recorded."))
        locked.area = value
        locked.save(update_fields=["area"])
        _post_transfer(locked, value)
        audit.record(scope, "barracks.transfer.area", locked, {"area": str(value)})
        warnings.check_transfer_area(scope, locked)
        units = [locked.site.unit] + ([locked.to_site.unit] if locked.to_site is not None else [])
        publish.land_changed(scope, units, since=locked.effective_on)
    transfer.area = value
    return transfer


def _post_transfer(transfer: LandTransfer, area: Decimal) -> None:
    names: dict[Bucket, str] = {transfer.purpose_id: transfer.purpose.name}
    if transfer.kind == TransferKind.RECEIPT:
        kind, sign = AreaEventKind.RECEIPT, 1
    elif transfer.kind == TransferKind.HANDOVER:
        kind, sign = AreaEventKind.HANDOVER, -1
    else:
        kind, sign = AreaEventKind.TRANSFER_OUT, -1
    event = AreaEvent(
        site=transfer.site,
        purpose=transfer.purpose,
        effective_on=transfer.effective_on,
        kind=kind,
        delta=sign * area,
        transfer=transfer,
        note=transfer.decision_number,
    )
    _apply(transfer.site, [event], names)
    if transfer.kind == TransferKind.TRANSFER and transfer.to_site is not None:
        _apply(
            transfer.to_site,
            [
                AreaEvent(
                    site=transfer.to_site,
                    purpose=transfer.purpose,
                    effective_on=transfer.effective_on,
                    kind=AreaEventKind.TRANSFER_IN,
                    delta=area,
                    transfer=transfer,
                    note=transfer.decision_number,
                )
            ],
            names,
        )


def correct_area(
    scope: Scope,
    site: LandSite,
    *,
    purpose: LandPurpose | None,
    delta: Decimal | float | str,
    effective_on: date,
    note: str,
) -> AreaEvent:
    """A survey correction (đo đạc lại): plus or minus, dated, with the reason."""
    require_site(scope, site)
    if not note.strip():
        raise ValidationFailed(_("Give the reason for the correction."), field="note")
    try:
        value = Decimal(str(delta).replace(",", ".")).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise ValidationFailed(_("The area must be a number."), field="delta") from None
    if value == 0 or not value.is_finite():
        raise ValidationFailed(_("The correction must change the area."), field="delta")
    event = AreaEvent(
        site=site,
        purpose=purpose,
        effective_on=effective_on,
        kind=AreaEventKind.CORRECTION,
        delta=value,
        note=note.strip(),
    )
    with transaction.atomic():
        _apply(site, [event], {purpose.pk if purpose else None: purpose.name if purpose else ""})
        audit.record(scope, "barracks.site.correct", site, {"delta": str(value)})
        publish.land_changed(scope, [site.unit], since=effective_on)
    return event


# --- certificates ------------------------------------------------------------------------------


def add_certificate(
    scope: Scope,
    site: LandSite,
    *,
    number: str,
    issued_on: date,
    area: Decimal | float | str,
    purpose: LandPurpose,
    authority: str,
) -> LandCertificate:
    """Record a land-use certificate (GCN); the certified area may not exceed the site's."""
    require_site(scope, site)
    value = area_value(area, "area")
    if not number.strip():
        raise ValidationFailed(_("The certificate number is required."), field="number")
    if not authority.strip():
        raise ValidationFailed(_("Name the issuing authority."), field="authority")
    with transaction.atomic():
        LandSite.objects.select_for_update().filter(pk=site.pk).first()
        site_area = total_on(site, max(issued_on, timezone.localdate()))
        certified = site.certificates.aggregate(s=Sum("area"))["s"] or ZERO
        if certified + value > site_area:
            raise ValidationFailed(
                _("The certified area (%(cert)s) would exceed the area of the site (%(site)s).")
                % {"cert": fmt_area(certified + value), "site": fmt_area(site_area)},
                field="area",
            )
        if site.certificates.filter(number=number.strip()).exists():
            raise ValidationFailed(
                _("The certificate %(n)s is already recorded.") % {"n": number}, field="number"
            )
        cert = LandCertificate.objects.create(
            site=site,
            number=number.strip(),
            issued_on=issued_on,
            area=value,
            purpose=purpose,
            authority=authority.strip(),
        )
        audit.record(scope, "barracks.certificate.add", cert, {"site": site.code})
        warnings.check_site_certificates(scope, site)
        publish.land_changed(scope, [site.unit], since=issued_on)
    return cert
