"""Excel templates and metadata packages, for people (the API lives in the other exchange modules).

Who may use what:
- /exchange/ and /exchange/template/: a signed-in user with VIEW in the form's domain, for units
  of their scope that the form is assigned to (a unit outside the scope is 404).
- /exchange/upload/: ENTER in the form's domain for every unit of the workbook; the per-cell
  report is shown whatever happens, and nothing is written unless the whole file is valid.
- /exchange/packages/ and /exchange/packages/export/: VIEW in some domain (units outside the
  scope are left out of the package).
- /exchange/packages/import/: DESIGN in the domains of the catalog objects, ADMINISTER for units,
  levels and groups.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haucan.core.access import login_only
from haucan.core.errors import HaucanError, NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Scope
from haucan.exchange import excel, packages
from haucan.org import queries as org_queries
from haucan.org.queries import scope_filter
from haucan.reporting import queries as reporting_queries

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    return scope


def _upload(request: HttpRequest) -> bytes:
    upload: UploadedFile | None = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed(_("Choose a file to upload."), field="file")
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
    return upload.read()


def _stamp() -> str:
    now: datetime = timezone.localtime()
    return now.strftime("%Y%m%d-%H%M")


# --- Excel ---------------------------------------------------------------------------------


def _pickers(scope: Scope, params: dict[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = {"forms": excel.template_forms(scope), "params": params}
    if params.get("ds"):
        data_set = excel.find_template_form(scope, params["ds"])
        context["data_set"] = data_set
        context["units"] = list(
            data_set.units.filter(scope_filter(scope), closed_on__isnull=True).order_by("path")
        )
        context["periods"] = reporting_queries.recent_periods(data_set)
    return context


@login_only
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Choose a form, units and a period to download a template; upload a filled one."""
    scope = _scope(request)
    params = {"ds": request.GET.get("ds", ""), "ou": request.GET.getlist("ou")}
    try:
        context = _pickers(scope, params)
    except HaucanError as exc:
        context = {"forms": excel.template_forms(scope), "params": params, "error": exc.message}
        return render(request, "exchange/index.html", context, status=exc.status)
    return render(request, "exchange/index.html", context)


@login_only
@require_GET
def template(request: HttpRequest) -> HttpResponse:
    """The .xlsx template of a form for the chosen units and period."""
    scope = _scope(request)
    params: dict[str, Any] = {"ds": request.GET.get("ds", ""), "ou": request.GET.getlist("ou")}
    period = request.GET.get("pe", "").strip()
    try:
        data_set = excel.find_template_form(scope, str(params["ds"]))
        if not params["ou"]:
            raise ValidationFailed(_("Choose at least one unit."), field="ou")
        units = [org_queries.get_unit(scope, key) for key in params["ou"]]
        content = excel.build_template(scope, data_set, units, period)
    except HaucanError as exc:
        context = _pickers_or_empty(scope, params)
        context["error"] = exc.message
        return render(request, "exchange/index.html", context, status=exc.status)
    response = HttpResponse(content, content_type=excel.CONTENT_TYPE)
    name = f"{data_set.code}_{period}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _pickers_or_empty(scope: Scope, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return _pickers(scope, params)
    except HaucanError:
        return {"forms": excel.template_forms(scope), "params": params}


@login_only
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Import a filled template (or only check it, with the dry-run box), and show the report."""
    scope = _scope(request)
    dry_run = bool(request.POST.get("dry_run"))
    try:
        result = excel.import_workbook(scope, _upload(request), dry_run=dry_run)
    except HaucanError as exc:
        result = excel.WorkbookResult(errors=[exc.message], dry_run=dry_run)
    status = 200 if result.ok else 400
    return render(request, "exchange/result.html", {"result": result}, status=status)


# --- metadata packages ---------------------------------------------------------------------


@login_only
@require_GET
def package_index(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not scope.can_any(Action.VIEW):
        raise NotFound(_("Page not found."))
    context = {"sections": packages.SECTIONS, "can_import": packages.can_import(scope)}
    return render(request, "exchange/packages.html", context)


@login_only
@require_GET
def package_export(request: HttpRequest) -> HttpResponse:
    """The metadata package as a JSON download."""
    scope = _scope(request)
    include = tuple(request.GET.getlist("include")) or packages.SECTION_KEYS
    try:
        doc = packages.export_package(scope, include=include)
    except HaucanError as exc:
        context = {
            "sections": packages.SECTIONS,
            "can_import": packages.can_import(scope),
            "error": exc.message,
        }
        status = 404 if isinstance(exc, PermissionDenied) else exc.status
        return render(request, "exchange/packages.html", context, status=status)
    response = HttpResponse(
        json.dumps(doc, ensure_ascii=False, indent=1), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="haucan-metadata-{_stamp()}.json"'
    return response


@login_only
@require_POST
def package_import(request: HttpRequest) -> HttpResponse:
    """Import (or only check) a metadata package and show the import report."""
    scope = _scope(request)
    dry_run = bool(request.POST.get("dry_run"))
    try:
        raw = _upload(request)
        try:
            doc = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            raise ValidationFailed(_("The file is not a JSON metadata package.")) from None
        report = packages.import_package(scope, doc, dry_run=dry_run)
    except HaucanError as exc:
        report = packages.PackageReport(dry_run=dry_run)
        report.errors.append(packages.PackageError("", "", "", exc.message))
    status = 200 if report.ok else 400
    return render(request, "exchange/package_result.html", {"report": report}, status=status)
