"""Review pages above data entry: approval overview, the value audit, and min-max generation.

Who may use what: the approval overview needs VIEW (approve/unapprove buttons need APPROVE in the
forms' domain, checked again by the service); the audit list needs VIEW and shows only the scope;
min-max generation needs DESIGN or APPROVE in the form's domain. Out-of-scope units are 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from haucan.catalog import queries as catalog_queries
from haucan.core.access import requires
from haucan.core.errors import HaucanError, NotFound
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Action, Domain, Scope
from haucan.org import queries as org_queries
from haucan.org.models import Unit
from haucan.reporting.audit_trail import AuditFilter, audit_trail
from haucan.reporting.models import ApprovalWorkflow, AuditAction
from haucan.reporting.services import approval, minmax


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    if not scope.can_any(Action.VIEW):
        raise PermissionDenied
    return scope


def _unit(scope: Scope, key: str | None) -> Unit:
    try:
        if key:
            return org_queries.get_unit(scope, key)
        roots = org_queries.scope_roots(scope)
    except NotFound as exc:
        raise Http404(str(exc)) from None
    if not roots:
        raise Http404(_("Unit not found."))
    return roots[0]


def _default_period(workflow: ApprovalWorkflow | None) -> str:
    kind = PeriodType(workflow.period_type) if workflow else PeriodType.MONTHLY
    return period_of(timezone.localdate(), kind).previous().id


@requires(Action.VIEW)
def approval_overview(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    workflows = list(ApprovalWorkflow.objects.order_by("name"))
    workflow = next((w for w in workflows if w.uid == request.GET.get("wf")), None)
    workflow = workflow or (workflows[0] if workflows else None)
    unit = _unit(scope, request.GET.get("ou"))
    period = request.GET.get("pe") or _default_period(workflow)
    rows: list[approval.ApprovalStatus] = []
    error = ""
    if workflow is not None:
        try:
            rows = approval.overview(scope, workflow, period, unit)
        except HaucanError as exc:
            error = exc.message
    domains = set(workflow.data_sets.values_list("domain", flat=True)) if workflow else set()
    may_approve = bool(domains) and all(scope.can(Action.APPROVE, Domain(d)) for d in domains)
    return render(
        request,
        "reporting/approval.html",
        {
            "workflows": workflows,
            "workflow": workflow,
            "unit": unit,
            "period": period,
            "rows": rows,
            "error": error,
            "may_approve": may_approve,
        },
    )


@requires(Action.VIEW)
@require_POST
def approval_action(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    workflow = ApprovalWorkflow.objects.filter(uid=request.POST.get("wf")).first()
    if workflow is None:
        raise Http404(_("Approval workflow not found."))
    unit = _unit(scope, request.POST.get("ou") or "-")
    period = request.POST.get("pe", "")
    try:
        if request.POST.get("action") == "unapprove":
            approval.unapprove(scope, workflow, period, unit, reason=request.POST.get("reason", ""))
            messages.success(request, _("Approval withdrawn for %(unit)s.") % {"unit": unit.name})
        else:
            approval.approve(scope, workflow, period, unit)
            messages.success(request, _("%(unit)s approved.") % {"unit": unit.name})
    except HaucanError as exc:
        messages.error(request, exc.message)
    root = request.POST.get("root") or unit.uid
    return redirect(f"{reverse('approval')}?wf={workflow.uid}&pe={period}&ou={root}")


@requires(Action.VIEW)
def value_audit(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    data_set = None
    if request.GET.get("ds"):
        try:
            data_set = catalog_queries.get_data_set(scope, request.GET["ds"])
        except NotFound as exc:
            raise Http404(str(exc)) from None
    unit = _unit(scope, request.GET.get("ou")) if request.GET.get("ou") else None
    filters = AuditFilter(
        data_set=data_set,
        unit_path=unit.path if unit else None,
        period=request.GET.get("pe") or None,
        data_element=request.GET.get("de") or None,
        changed_by=request.GET.get("user") or None,
        action=request.GET.get("action") or None,
    )
    return render(
        request,
        "reporting/audit.html",
        {
            "rows": audit_trail(scope, filters),
            "data_sets": catalog_queries.data_sets_for(scope).order_by("name"),
            "filters": filters,
            "unit": unit,
            "actions": AuditAction.choices,
        },
    )


@requires(Action.VIEW)
def minmax_generate(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not (scope.can_any(Action.DESIGN) or scope.can_any(Action.APPROVE)):
        raise PermissionDenied
    data_sets = catalog_queries.data_sets_for(scope).order_by("name")
    if request.method == "POST":
        try:
            data_set = catalog_queries.get_data_set(scope, request.POST.get("ds", ""))
            unit = org_queries.get_unit(scope, request.POST.get("ou") or "-")
            k = float(request.POST.get("k", "2").replace(",", "."))
            count = minmax.generate_limits(
                scope, data_set, unit, method=request.POST.get("method", "sd"), k=k
            )
            messages.success(request, _("%(n)d limits generated.") % {"n": count})
            return redirect(request.path)
        except ValueError:
            messages.error(request, _("k must be a number."))
        except HaucanError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "reporting/minmax.html",
        {"data_sets": data_sets, "roots": org_queries.scope_roots(scope)},
    )
