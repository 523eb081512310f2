"""Defining alert rules (specialists, their own domain only), versioned, and their exchange form.

Every save checks the rule completely (expressions parse and name existing elements, the kind's
required fields are there, the message template only uses known placeholders), bumps the version
and keeps the previous definition in AlertRuleVersion, in one audited transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.alerts.evaluation.context import Catalog
from haucan.alerts.evaluation.threshold import compile_rule
from haucan.alerts.messages import check_template
from haucan.alerts.models import (
    AlertRule,
    AlertRuleVersion,
    Comparison,
    OutlierMethod,
    RuleKind,
    Severity,
)
from haucan.audit import services as audit
from haucan.catalog.models import DataElement, DataSet, Indicator, ValidationRule
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.periods import PeriodType
from haucan.core.scope import Action, Domain, Scope

FIELDS = (
    "name",
    "kind",
    "domain",
    "severity",
    "active",
    "expression",
    "operator",
    "compare_to",
    "levels",
    "period_type",
    "method",
    "threshold",
    "history",
    "lookback",
    "event_code",
    "message",
    "notify_roles",
    "levels_up",
    "notify_specialists",
)


def may_design(scope: Scope, domain: str) -> bool:
    return scope.can(Action.DESIGN, Domain(domain))


def definition(rule: AlertRule) -> dict[str, Any]:
    """The rule as plain data, with references by code (the export and version format)."""
    data: dict[str, Any] = {"code": rule.code, "version": rule.version}
    data.update({name: getattr(rule, name) for name in FIELDS})
    data["indicator"] = rule.indicator.code if rule.indicator else None
    data["data_set"] = rule.data_set.code if rule.data_set else None
    data["validation_rule"] = rule.validation_rule.code if rule.validation_rule else None
    data["elements"] = sorted(rule.elements.values_list("code", flat=True)) if rule.pk else []
    return data


def _ref(model: Any, code: str | None, field: str) -> Any:
    if not code:
        return None
    found = model.objects.filter(code=code).first() or model.objects.filter(uid=code).first()
    if found is None:
        raise ValidationFailed(_("'%(code)s' does not exist.") % {"code": code}, field=field)
    return found


def _check(rule: AlertRule, element_codes: list[str]) -> None:
    if not rule.code.strip():
        raise ValidationFailed(_("Give the rule a code."), field="code")
    if not rule.name.strip():
        raise ValidationFailed(_("Give the rule a name."), field="name")
    if rule.kind not in RuleKind.values:
        raise ValidationFailed(_("Choose a kind of rule."), field="kind")
    if rule.severity not in Severity.values:
        raise ValidationFailed(_("Choose a severity."), field="severity")
    if not all(isinstance(x, int) and 1 <= x <= 20 for x in rule.levels):
        raise ValidationFailed(_("Unit levels are whole numbers from 1 to 20."), field="levels")
    needs_period = rule.kind in (RuleKind.THRESHOLD, RuleKind.OUTLIER)
    if needs_period and rule.period_type not in PeriodType.__members__.values():
        raise ValidationFailed(_("Choose a period type."), field="period_type")
    if rule.kind == RuleKind.THRESHOLD:
        if rule.operator not in Comparison.values:
            raise ValidationFailed(_("Choose a comparison."), field="operator")
        if not (rule.expression.strip() or rule.indicator_id):
            raise ValidationFailed(
                _("Give an expression or choose an indicator."), field="expression"
            )
        if not rule.compare_to.strip():
            raise ValidationFailed(_("Give the value to compare with."), field="compare_to")
        compile_rule(rule, Catalog(), timezone.localdate())
    elif rule.kind in (RuleKind.VALIDATION, RuleKind.LATE):
        if rule.data_set_id is None:
            raise ValidationFailed(_("Choose a form."), field="data_set")
    elif rule.kind == RuleKind.OUTLIER:
        if rule.method not in OutlierMethod.values:
            raise ValidationFailed(_("Choose an outlier method."), field="method")
        if not element_codes:
            raise ValidationFailed(_("Choose at least one data element."), field="elements")
        if rule.threshold is not None and not 0 < rule.threshold <= 100:
            raise ValidationFailed(
                _("The threshold must lie between 0 and 100."), field="threshold"
            )
    elif rule.kind == RuleKind.EVENT and not rule.event_code.strip():
        raise ValidationFailed(_("Give the event code this rule configures."), field="event_code")
    if not 1 <= rule.lookback <= 24 or not 1 <= rule.history <= 60:
        raise ValidationFailed(_("Periods checked: 1 to 24; history: 1 to 60."), field="lookback")
    check_template(rule.message, rule.kind)


@transaction.atomic
def save_rule(scope: Scope, data: Mapping[str, Any], *, rule_id: int | None = None) -> AlertRule:
    """Create a rule, or change one (a new version); `data` is in the `definition` format."""
    domain = str(data.get("domain") or Domain.GENERAL)
    if domain not in {d.value for d in Domain}:
        raise ValidationFailed(_("Unknown domain."), field="domain")
    if not may_design(scope, domain):
        raise PermissionDenied(_("You may define warning rules of your own domain only."))
    if rule_id is not None:
        rule = AlertRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None or not may_design(scope, rule.domain):
            raise NotFound(_("Warning rule not found."))
        old = definition(rule)
        rule.version += 1
    else:
        code = str(data.get("code") or "").strip()
        if AlertRule.objects.filter(code=code).exists():
            raise ValidationFailed(
                _("A warning rule with the code %(code)s exists already.") % {"code": code},
                field="code",
            )
        rule = AlertRule(code=code)
        old = None
    for name in FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    rule.levels = [int(x) for x in (rule.levels or [])]
    rule.indicator = _ref(Indicator, data.get("indicator"), "indicator")
    rule.data_set = _ref(DataSet, data.get("data_set"), "data_set")
    rule.validation_rule = _ref(ValidationRule, data.get("validation_rule"), "validation_rule")
    codes = [str(c) for c in data.get("elements") or []]
    elements = [_ref(DataElement, c, "elements") for c in codes]
    _check(rule, codes)
    rule.updated_by = scope.username
    rule.save()
    rule.elements.set(elements)
    if old is not None:
        AlertRuleVersion.objects.create(
            rule=rule,
            version=old["version"],
            definition=old,
            changed_by=scope.username,
            changed_at=timezone.now(),
        )
    audit.record(scope, "alerts.rule.save", rule, {"code": rule.code, "version": rule.version})
    return rule


def export_rules() -> list[dict[str, Any]]:
    """Every rule in the metadata-package format (haucan.exchange.packages calls this)."""
    rules = AlertRule.objects.select_related("indicator", "data_set", "validation_rule")
    return [definition(r) for r in rules.prefetch_related("elements").order_by("code")]


def import_rule(scope: Scope, item: Mapping[str, Any]) -> str:
    """Create or update one rule by code (a package import); returns "created", "updated" or
    "ignored" (already identical). Errors are ValidationFailed naming the field."""
    if not isinstance(item, Mapping):
        raise ValidationFailed(_("A warning rule must be an object."))
    code = str(item.get("code") or "")
    existing = AlertRule.objects.filter(code=code).first()
    if existing is None:
        save_rule(scope, item)
        return "created"
    same = {k: v for k, v in definition(existing).items() if k != "version"}
    given = {k: item.get(k, same.get(k)) for k in same}
    if given == same:
        return "ignored"
    save_rule(scope, {**same, **item}, rule_id=existing.pk)
    return "updated"


@transaction.atomic
def import_rules(scope: Scope, items: list[Mapping[str, Any]]) -> dict[str, int]:
    """Import several rules, all or nothing; returns the count of each outcome."""
    counts = {"created": 0, "updated": 0, "ignored": 0}
    for item in items:
        counts[import_rule(scope, item)] += 1
    return counts
