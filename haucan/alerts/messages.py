"""Vietnamese alert messages: a rule's template (or its kind's default) with the values filled in.

Templates use `%(name)s` placeholders. A placeholder the evaluator does not know renders as "…"
rather than failing, so a typo in a template can never stop an evaluation; templates are checked
when a rule is saved (`check_template`) so the typo is caught there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from haucan.alerts.models import RuleKind
from haucan.core.errors import ValidationFailed

DEFAULT_TEMPLATES = {
    RuleKind.THRESHOLD: _(
        "%(rule)s: %(unit)s, %(period)s: the value %(value)s %(operator)s %(limit)s."
    ),
    RuleKind.VALIDATION: _(
        "%(rule)s: %(unit)s, %(period)s: the validation rule “%(check)s” is violated "
        "(%(left)s %(operator)s %(right)s)."
    ),
    RuleKind.OUTLIER: _(
        "%(rule)s: %(unit)s, %(period)s: %(element)s = %(value)s is unusual "
        "(usual %(expected)s, %(detail)s)."
    ),
    RuleKind.LATE: _("%(rule)s: %(unit)s has not submitted %(form)s for %(period)s yet."),
}
LATE_SUMMARY = _(
    "%(rule)s: %(missing)s of %(total)s units under %(unit)s have not submitted %(form)s for "
    "%(period)s."
)

PLACEHOLDERS = {
    RuleKind.THRESHOLD: ("rule", "unit", "period", "value", "operator", "limit"),
    RuleKind.VALIDATION: ("rule", "unit", "period", "check", "left", "operator", "right"),
    RuleKind.OUTLIER: ("rule", "unit", "period", "element", "value", "expected", "detail"),
    RuleKind.LATE: ("rule", "unit", "period", "form", "missing", "total"),
    RuleKind.EVENT: (),
}


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


def number(value: float | None, decimals: int = 2) -> str:
    """A number the Vietnamese way: 1.234,5 (dot for thousands, comma for decimals)."""
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def render(template: str | Promise, params: Mapping[str, Any]) -> str:
    """Fill a template in Vietnamese; a broken template falls back to showing it as written."""
    with translation.override("vi"):
        text = str(template)
        shown = _Params({k: str(v) for k, v in params.items()})
        try:
            return text % shown
        except (TypeError, ValueError, KeyError):
            return text


def template_for(template: str, kind: str) -> str | Promise:
    """The rule's own template, or its kind's default."""
    return template or DEFAULT_TEMPLATES.get(RuleKind(kind), "%(rule)s")


def message_for(template: str, kind: str, params: Mapping[str, Any]) -> str:
    return render(template_for(template, kind), params)


def check_template(template: str, kind: str) -> None:
    """Refuse a template with an unknown placeholder or broken % syntax, naming the problem."""
    if not template:
        return
    allowed = set(PLACEHOLDERS.get(RuleKind(kind), ()))

    class Probe(dict[str, str]):
        def __missing__(self, key: str) -> str:
            if key not in allowed:
                raise ValidationFailed(
                    _(
                        "The message uses %%(%(name)s)s, which this kind of rule does not know; "
                        "use one of: %(allowed)s."
                    )
                    % {"name": key, "allowed": ", ".join(sorted(allowed)) or "—"},
                    field="message",
                )
            return "x"

    try:
        template % Probe()
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("The message template is malformed; write placeholders as %(example)s.")
            % {"example": "%(value)s"},
            field="message",
        ) from None
