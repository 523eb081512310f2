"""Editing the classification tables (specialists with DESIGN in barracks): purposes of land use,
building types, durability classes and condition levels. Codes are stable once used; names,
report mappings, order and service-life ranges may change."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.barracks.models import BuildingType, ConditionLevel, DurabilityClass, LandPurpose
from haucan.core.errors import PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope

TABLES: dict[str, type[models.Model]] = {
    "purposes": LandPurpose,
    "types": BuildingType,
    "durability": DurabilityClass,
    "conditions": ConditionLevel,
}


def save_entry(
    scope: Scope, table: str, values: dict[str, Any], instance: models.Model | None = None
) -> models.Model:
    """Create or update one row; `values` are the model's editable fields, already parsed."""
    if not scope.can(Action.DESIGN, Domain.BARRACKS):
        raise PermissionDenied(_("You are not allowed to edit the barracks classifications."))
    model = TABLES[table]
    code = str(values.get("code", "")).strip()
    if not code or not str(values.get("name", "")).strip():
        raise ValidationFailed(_("Give a code and a name."), field="code")
    if model is DurabilityClass:
        low, high, default = values["min_years"], values.get("max_years"), values["default_years"]
        if (
            (high is not None and low > high)
            or default < low
            or (high is not None and default > high)
        ):
            raise ValidationFailed(
                _("The default service life must lie within the class's range."),
                field="default_years",
            )
    with transaction.atomic():
        clash = model._default_manager.filter(code=code)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            raise ValidationFailed(
                _("The code %(code)s is already used.") % {"code": code}, field="code"
            )
        obj = instance or model()
        for name, value in values.items():
            setattr(obj, name, value.strip() if isinstance(value, str) else value)
        obj.save()
        audit.record(scope, f"barracks.classification.{table}", obj, {"code": code})
    return obj
