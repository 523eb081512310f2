"""What every barracks service shares: permission checks, area parsing and the period window."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from haucan.barracks.models import LandSite
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.org.models import Unit

ZERO = Decimal("0")
M2_PER_HA = Decimal("10000")


def warn_years() -> int:
    """A building this many years or fewer from its end of life is warned about."""
    return int(getattr(settings, "BARRACKS_END_OF_LIFE_WARNING_YEARS", 3))


def case_overdue_days() -> int:
    """A dispute or encroachment still unresolved this many days after it was found is warned
    about."""
    return int(getattr(settings, "BARRACKS_CASE_OVERDUE_DAYS", 90))


def require_enter(scope: Scope, unit: Unit) -> None:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    if not scope.can(Action.ENTER, Domain.BARRACKS):
        raise PermissionDenied(_("You are not allowed to change the barracks registry."))


def require_site(scope: Scope, site: LandSite) -> None:
    if not scope.covers_path(site.unit.path):
        raise NotFound(_("Land site not found."))
    if not scope.can(Action.ENTER, Domain.BARRACKS):
        raise PermissionDenied(_("You are not allowed to change the barracks registry."))


def area_value(raw: object, field: str, *, allow_zero: bool = False) -> Decimal:
    """A non-negative area in m² (already converted); refuse anything else by name."""
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("The area must be a number."), field=field) from None
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        raise ValidationFailed(
            _("The area must be greater than zero.")
            if not allow_zero
            else _("The area may not be negative."),
            field=field,
        )
    return value.quantize(Decimal("0.01"))


def fmt_area(value: Decimal | float) -> str:
    """An area as Vietnamese readers write it: 12.345,5 m²."""
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".") + " m²"
