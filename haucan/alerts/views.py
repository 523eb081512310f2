"""The warnings pages (cảnh báo). Views are thin: parse, call one query or service, render.

- /alerts/                      the inbox: my warnings (or all in my scope), filters   login
- /alerts/<id>/                 one warning, its history, acknowledge and assign       login
- /alerts/<id>/acknowledge/     POST, note required                                     login*
- /alerts/<id>/assign/          POST, a user who can see it                             login*
- /alerts/preferences/          my e-mail preference                                    login
- /alerts/rules/                the rules (specialists: their domains; admins: all)    DESIGN
- /alerts/rules/new/, /alerts/rules/<id>/   define or change a rule (a new version)     DESIGN
(* the service also needs ENTER, APPROVE or DESIGN in the warning's domain.) A warning outside
the reader's scope is 404, as if it did not exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from haucan.alerts import lifecycle, queries, rules
from haucan.alerts.models import (
    AlertRule,
    AlertStatus,
    Comparison,
    EmailMode,
    NotificationPreference,
    OutlierMethod,
    RuleKind,
    Severity,
)
from haucan.catalog.models import PERIOD_TYPE_CHOICES, DataSet
from haucan.core.access import login_only, requires
from haucan.core.errors import HaucanError, NotFound
from haucan.core.scope import DOMAIN_CHOICES, Action, Domain, Scope
from haucan.org.models import Unit


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    return scope


def handles_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapper


def _filters(request: HttpRequest, scope: Scope) -> tuple[queries.InboxFilter, Unit | None]:
    unit: Unit | None = None
    code = request.GET.get("unit", "").strip()
    if code:
        unit = Unit.objects.filter(code=code).first() or Unit.objects.filter(uid=code).first()
        if unit is None or not scope.covers_path(unit.path):
            unit = None
    return (
        queries.InboxFilter(
            mine=request.GET.get("all") != "1",
            status=request.GET.get("status", "active") or "active",
            severity=request.GET.get("severity", ""),
            domain=request.GET.get("domain", ""),
            unit_path=unit.path if unit else "",
            period=request.GET.get("period", "").strip(),
        ),
        unit,
    )


@login_only
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    f, unit = _filters(request, scope)
    page = Paginator(queries.inbox(scope, f), 50).get_page(request.GET.get("page"))
    alerts = list(page.object_list)
    unread = queries.unread_ids(scope, [a.pk for a in alerts])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "alerts/inbox.html",
        {
            "section": "alerts",
            "page": page,
            "alerts": alerts,
            "unread": unread,
            "f": f,
            "unit": unit,
            "query": query.urlencode(),
            "severities": Severity.choices,
            "statuses": [
                ("active", _("Open or acknowledged")),
                *AlertStatus.choices,
                ("all", _("All")),
            ],
            "domains": DOMAIN_CHOICES,
        },
    )


@login_only
@require_http_methods(["GET"])
@handles_errors
def detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    scope = _scope(request)
    alert = queries.get_alert(scope, alert_id)
    lifecycle.mark_read(scope, alert.pk)
    return render(
        request,
        "alerts/detail.html",
        {
            "section": "alerts",
            "alert": alert,
            "transitions": alert.transitions.order_by("at", "pk"),
            "values": sorted(alert.values.items()),
            "can_act": scope.can(Action.ENTER, Domain(alert.domain))
            or scope.can(Action.APPROVE, Domain(alert.domain))
            or scope.can(Action.DESIGN, Domain(alert.domain)),
        },
    )


def _act(
    request: HttpRequest, alert_id: int, action: Callable[[], object], done: str
) -> HttpResponse:
    try:
        action()
    except NotFound as exc:
        raise Http404(exc.message) from None
    except HaucanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("alerts:detail", alert_id)


@login_only
@require_POST
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    scope = _scope(request)
    note = request.POST.get("note", "")
    return _act(
        request,
        alert_id,
        lambda: lifecycle.acknowledge(scope, alert_id, note),
        _("The warning is acknowledged."),
    )


@login_only
@require_POST
def assign(request: HttpRequest, alert_id: int) -> HttpResponse:
    scope = _scope(request)
    username = request.POST.get("user", "")
    return _act(
        request,
        alert_id,
        lambda: lifecycle.assign(scope, alert_id, username),
        _("The warning is assigned."),
    )


@login_only
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    pref, _created = NotificationPreference.objects.get_or_create(user=request.user)
    if request.method == "POST":
        mode = request.POST.get("email_mode", "")
        lowest = request.POST.get("minimum_severity", "")
        if mode in EmailMode.values and lowest in Severity.values:
            pref.email_mode, pref.minimum_severity = mode, lowest
            pref.save()
            messages.success(request, _("Your notification settings are saved."))
            return redirect("alerts:preferences")
        messages.error(request, _("Choose an e-mail option and a severity."))
    return render(
        request,
        "alerts/preferences.html",
        {
            "section": "alerts",
            "pref": pref,
            "modes": EmailMode.choices,
            "severities": Severity.choices,
            "email": getattr(request.user, "email", ""),
        },
    )


def _rule_domains(scope: Scope) -> list[tuple[str, Any]]:
    return [(code, name) for code, name in DOMAIN_CHOICES if scope.can(Action.DESIGN, Domain(code))]


@requires(Action.DESIGN)
@require_http_methods(["GET"])
def rule_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    allowed = [code for code, _name in _rule_domains(scope)]
    return render(
        request,
        "alerts/rules.html",
        {"section": "alerts", "rules": AlertRule.objects.filter(domain__in=allowed)},
    )


def _form_data(post: Any) -> dict[str, Any]:
    def number(name: str) -> float | None:
        raw = post.get(name, "").strip().replace(",", ".")
        try:
            return float(raw) if raw else None
        except ValueError:
            raise HaucanError(_("%(field)s must be a number.") % {"field": name}) from None

    def integer(name: str, default: int) -> int:
        raw = post.get(name, "").strip()
        if not raw:
            return default
        if not raw.isdigit():
            raise HaucanError(_("%(field)s must be a whole number.") % {"field": name})
        return int(raw)

    levels = [int(x) for x in post.get("levels", "").replace(" ", "").split(",") if x.isdigit()]
    return {
        "code": post.get("code", "").strip(),
        "name": post.get("name", "").strip(),
        "kind": post.get("kind", ""),
        "domain": post.get("domain", ""),
        "severity": post.get("severity", ""),
        "active": post.get("active") == "on",
        "expression": post.get("expression", "").strip(),
        "indicator": post.get("indicator", "").strip() or None,
        "operator": post.get("operator", ""),
        "compare_to": post.get("compare_to", "").strip(),
        "levels": levels,
        "period_type": post.get("period_type", ""),
        "data_set": post.get("data_set", "").strip() or None,
        "validation_rule": post.get("validation_rule", "").strip() or None,
        "elements": [c.strip() for c in post.get("elements", "").split(",") if c.strip()],
        "method": post.get("method", ""),
        "threshold": number("threshold"),
        "history": integer("history", 12),
        "lookback": integer("lookback", 2),
        "event_code": post.get("event_code", "").strip(),
        "message": post.get("message", "").strip(),
        "notify_roles": post.getlist("notify_roles"),
        "levels_up": integer("levels_up", 3),
        "notify_specialists": post.get("notify_specialists") == "on",
    }


@requires(Action.DESIGN)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    scope = _scope(request)
    rule = None
    if rule_id is not None:
        rule = AlertRule.objects.filter(pk=rule_id).first()
        if rule is None or not rules.may_design(scope, rule.domain):
            raise Http404(_("Warning rule not found."))
    data: dict[str, Any] = (
        rules.definition(rule)
        if rule
        else {
            "active": True,
            "severity": Severity.WARNING,
            "history": 12,
            "lookback": 2,
            "levels_up": 3,
            "notify_specialists": True,
            "notify_roles": ["clerk", "commander"],
            "levels": [],
        }
    )
    error = ""
    status = 200
    if request.method == "POST":
        try:
            data = _form_data(request.POST)
            saved = rules.save_rule(scope, data, rule_id=rule.pk if rule else None)
        except HaucanError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(
                request,
                _("Rule %(code)s saved (version %(v)s).")
                % {"code": saved.code, "v": saved.version},
            )
            return redirect("alerts:rules")
    return render(
        request,
        "alerts/rule_form.html",
        {
            "section": "alerts",
            "rule": rule,
            "data": data,
            "levels_text": ", ".join(str(x) for x in data.get("levels") or []),
            "elements_text": ", ".join(data.get("elements") or []),
            "error": error,
            "kinds": RuleKind.choices,
            "severities": Severity.choices,
            "domains": _rule_domains(scope),
            "operators": Comparison.choices,
            "methods": OutlierMethod.choices,
            "period_types": PERIOD_TYPE_CHOICES,
            "data_sets": DataSet.objects.order_by("name").values_list("code", "name"),
            "roles": [
                ("clerk", _("Unit logistics clerk")),
                ("commander", _("Commander")),
                ("approver", _("Approver")),
                ("viewer", _("Viewer")),
            ],
            "versions": rule.versions.all()[:20] if rule else [],
            "definition_json": json.dumps(data, ensure_ascii=False, indent=1, default=str),
        },
        status=status,
    )
