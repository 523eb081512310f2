"""The data-entry screen and the completeness page.

Who may use what:
- /reporting/entry/ and its endpoints (save, cell, submit, validate, reopen): a signed-in user with
  ENTER in the form's domain, for units of their scope that the form is assigned to. The scope,
  lock and submission checks live in `haucan.reporting.services`; a unit outside the scope is 404.
- /reporting/completeness/: a signed-in user with VIEW in the form's domain, for units of their
  scope.

The views only parse input, call one service or query and map `HaucanError` to HTTP: JSON for the
endpoints the grid script calls, an HTML fragment for the report panel, a page otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haucan.catalog.models import CategoryOptionCombo, DataElement, Option, ValueType
from haucan.core.access import login_only, requires
from haucan.core.cells import protect_sheet
from haucan.core.errors import HaucanError, NotFound, ValidationFailed
from haucan.core.periods import Period, PeriodError, parse_period
from haucan.core.scope import Action, Scope
from haucan.org import queries as org_queries
from haucan.org.models import Unit
from haucan.reporting import queries
from haucan.reporting.services.approval import ApprovalState, status_for_form
from haucan.reporting.services.submission import (
    ValidationBlocked,
    reopen_report,
    submit_report,
    validate_report,
)
from haucan.reporting.services.values import (
    CellInput,
    InvalidCells,
    SaveResult,
    StaleCell,
    StaleCells,
    Target,
    is_locked,
    lock_date,
    resolve_target,
    save_values,
)
from haucan.reporting.structure import FormStructure, load_structure
from haucan.reporting.validation import Violation

# --- helpers ----------------------------------------------------------------------------------


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    return scope


def vn_number(value: float | None, decimals: int = 2) -> str:
    """12345.5 → "12.345,5": Vietnamese grouping '.' and decimal ','."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def display_value(element: DataElement, text: str | None) -> str:
    """A stored value as typed in a cell: numbers keep a decimal comma but no grouping, since
    "1.234" typed back into a cell would read as one point two three four (see values.py)."""
    if not text:
        return ""
    if element.is_numeric:
        return text.replace(".", ",")
    if element.value_type == ValueType.DATE and len(text) == 10 and text[4] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(_("The request is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise ValidationFailed(_("The request is not valid JSON."))
    return body


def _strings(body: dict[Any, Any]) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in body.items()}


def _params(request: HttpRequest) -> dict[str, str]:
    """The request's parameters: a JSON body, a form body or the query string."""
    if request.method == "POST":
        if request.content_type == "application/json":
            return _strings(_json_body(request))
        return {k: str(request.POST.get(k, "")) for k in request.POST}
    return {k: str(request.GET.get(k, "")) for k in request.GET}


def _target(scope: Scope, params: dict[str, str]) -> Target:
    data_set = queries.find_entry_form(scope, params.get("ds", "").strip())
    unit_key = params.get("ou", "").strip()
    if not unit_key:
        raise NotFound(_("Unit not found."))
    unit = org_queries.get_unit(scope, unit_key)
    return resolve_target(scope, data_set, unit, params.get("pe", "").strip())


def _version(raw: str | None) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        version = int(raw)
    except ValueError:
        raise ValidationFailed(_("The version must be a whole number.")) from None
    if version < 0:
        raise ValidationFailed(_("The version must be a whole number."))
    return version


def _json_error(exc: HaucanError) -> JsonResponse:
    return JsonResponse({"ok": False, "error": exc.message, "field": exc.field}, status=exc.status)


# --- the grid ---------------------------------------------------------------------------------


@dataclass
class GridCell:
    combo: CategoryOptionCombo
    value: str = ""
    version: int = 0
    greyed: bool = False
    comment: str = ""
    source: str = ""


@dataclass
class GridRow:
    element: DataElement
    cells: list[GridCell]
    widget: str  # number | text | textarea | select | date
    choices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def numeric(self) -> bool:
        return self.element.is_numeric


@dataclass
class GridTable:
    combos: tuple[CategoryOptionCombo, ...]
    rows: list[GridRow]

    @property
    def has_numbers(self) -> bool:
        return any(r.numeric for r in self.rows)

    @property
    def col_totals(self) -> bool:
        return sum(1 for r in self.rows if r.numeric) > 1

    @property
    def row_totals(self) -> bool:
        return self.has_numbers and len(self.combos) > 1

    @property
    def single_default(self) -> bool:
        return len(self.combos) == 1 and self.combos[0].name == "default"


@dataclass
class GridSection:
    name: str
    tables: list[GridTable]


def _widget(element: DataElement, has_options: bool) -> str:
    if has_options or element.value_type in (ValueType.BOOLEAN, ValueType.TRUE_ONLY):
        return "select"
    if element.is_numeric:
        return "number"
    if element.value_type == ValueType.LONG_TEXT:
        return "textarea"
    if element.value_type == ValueType.DATE:
        return "date"
    return "text"


def build_grid(scope: Scope, structure: FormStructure, target: Target) -> list[GridSection]:
    """Sections of tables: rows are elements, columns the option combos; elements sharing a
    combo share a table. Two queries (values, option names) whatever the size of the form."""
    values = queries.current_values(scope, target)
    option_sets = {
        r.element.option_set_id
        for r in structure.rows_by_element.values()
        if r.element.option_set_id
    }
    choices_by_set: dict[int, list[tuple[str, str]]] = {}
    if option_sets:
        for set_id, code, name in (
            Option.objects.filter(option_set_id__in=option_sets)
            .order_by("sort_order", "name")
            .values_list("option_set_id", "code", "name")
        ):
            choices_by_set.setdefault(set_id, []).append((code, name))
    sections: list[GridSection] = []
    for section in structure.sections:
        tables: dict[tuple[int, ...], GridTable] = {}
        for form_row in section.rows:
            element = form_row.element
            cells = []
            for combo in form_row.combos:
                stored = values.get((element.pk, combo.pk))
                cell = GridCell(combo, greyed=(element.pk, combo.pk) in section.greyed)
                if stored is not None:
                    cell.version = stored.version
                    cell.comment = stored.comment
                    cell.source = stored.source if stored.origin == "source" else ""
                    if not stored.deleted:
                        cell.value = display_value(element, stored.value)
                cells.append(cell)
            if element.option_set_id:
                choices = choices_by_set.get(element.option_set_id, [])
            elif element.value_type == ValueType.BOOLEAN:
                choices = [("true", _("Yes")), ("false", _("No"))]
            elif element.value_type == ValueType.TRUE_ONLY:
                choices = [("true", _("Yes"))]
            else:
                choices = []
            row = GridRow(element, cells, _widget(element, form_row.options is not None), choices)
            key = tuple(c.pk for c in form_row.combos)
            tables.setdefault(key, GridTable(form_row.combos, [])).rows.append(row)
        sections.append(GridSection(section.name, list(tables.values())))
    return sections


def _status_context(scope: Scope, target: Target) -> dict[str, Any]:
    registration = queries.registration(scope, target)
    locked = is_locked(target.data_set, target.period)
    submitted = registration is not None and registration.is_complete
    approval_status = status_for_form(target.data_set, target.period.id, target.unit)
    approved = approval_status is not None and approval_status.state in (
        ApprovalState.APPROVED_HERE,
        ApprovalState.APPROVED_ABOVE,
    )
    return {
        "target": target,
        "registration": registration,
        "submitted": submitted,
        "locked": locked,
        "lock_date": lock_date(target.data_set, target.period),
        "approval": approval_status,
        "readonly": submitted or locked or approved,
    }


@login_only
@require_GET
def entry(request: HttpRequest) -> HttpResponse:
    """Pick a form, unit and period, then enter the grid (ENTER in the form's domain)."""
    scope = _scope(request)
    params = _params(request)
    context: dict[str, Any] = {"forms": queries.entry_forms(scope), "params": params}
    status = 200
    try:
        if params.get("ds"):
            data_set = queries.find_entry_form(scope, params["ds"])
            context["data_set"] = data_set
            context["units"] = list(queries.entry_units(scope, data_set))
            context["periods"] = queries.open_periods(data_set)
            if params.get("partial"):
                pass  # the pickers only: the grid opens on a full page load
            elif params.get("ou") and params.get("pe"):
                target = _target(scope, params)
                structure = load_structure(data_set)
                context.update(_status_context(scope, target))
                context["sections"] = build_grid(scope, structure, target)
                context["period_name"] = target.period.display_name()
                if target.period.id not in {p.id for p in context["periods"]}:
                    context["periods"] = [target.period, *context["periods"]]
                context["config"] = {
                    "ds": data_set.uid,
                    "ou": target.unit.uid,
                    "pe": target.period.id,
                    "user": scope.username,
                    "csrf": get_token(request),
                    "urls": {
                        "save": reverse("entry_save"),
                        "cell": reverse("entry_cell"),
                        "submit": reverse("entry_submit"),
                        "validate": reverse("entry_validate"),
                        "reopen": reverse("entry_reopen"),
                    },
                }
                context["strings"] = _entry_strings()
            elif params.get("ou"):
                org_queries.get_unit(scope, params["ou"])  # 404 for a unit out of scope
    except HaucanError as exc:
        context["error"] = exc.message
        status = exc.status
    template = "reporting/_pickers.html" if params.get("partial") else "reporting/entry.html"
    return render(request, template, context, status=status)


def _entry_strings() -> dict[str, str]:
    # Translated here so entry.js never holds a user-facing string of its own.
    return {
        "saving": _("Saving…"),
        "saved": _("Saved"),
        "queued": _("Waiting to send"),
        "pending": _("Waiting to send %(n)s value(s) (connection lost)"),
        "pending_online": _("Sending %(n)s value(s)…"),
        "all_saved": _("All values saved"),
        "conflict": _("Changed by %(user)s: server has “%(server)s”, you typed “%(yours)s”."),
        "keep_server": _("Keep the server's value"),
        "overwrite": _("Overwrite with mine"),
        "empty": _("(empty)"),
        "session": _("Your session has ended; log in again in another tab, your values are kept."),
        "reopen_reason": _("Reason for reopening"),
        "flush_first": _("Some values are not sent yet; wait for them before submitting."),
        "pick_cell": _("Click a cell first."),
        "error": _("Error"),
    }


MAX_BATCH_CELLS = 500  # cells in one save request of the entry screen


@login_only
@require_POST
def save(request: HttpRequest) -> JsonResponse:
    """Save what the grid queued (ENTER).

    One cell ({de, coc, value, version, comment}): {ok, version, value}, 400 with a message, or
    409 with the conflict. A batch ({ds, ou, pe, cells: [...]}): {ok, results}, one result per
    cell in the order sent, each saved, refused (error) or stale (conflict); the saved ones are
    written in one transaction, and a refused or stale cell never blocks the others, since each
    is its own edit. An error of the whole request (the unit, the period, a submitted report) is
    answered as for one cell, and nothing is written."""
    scope = _scope(request)
    try:
        body = _json_body(request) if request.content_type == "application/json" else None
        if body is not None and "cells" in body:
            form = _strings({k: body.get(k) for k in ("ds", "ou", "pe")})
            return _save_batch(scope, form, body["cells"])
        params = _strings(body) if body is not None else _params(request)
        target = _target(scope, params)
        cell = _cell_input(params)
        structure = load_structure(target.data_set, [cell.data_element])
        result = save_values(scope, target, [cell], structure=structure)
    except StaleCells as exc:
        return JsonResponse(_conflict(structure, exc.stale[0], exc.message), status=409)
    except InvalidCells as exc:
        return JsonResponse({"ok": False, "error": exc.errors[0].message}, status=400)
    except HaucanError as exc:
        return _json_error(exc)
    return JsonResponse(_saved(structure, result, cell))


def _cell_input(params: dict[str, str]) -> CellInput:
    de_key = params.get("de", "").strip()
    if not de_key:
        raise ValidationFailed(_("Choose a data element."), field="de")
    return CellInput(
        de_key,
        params.get("value", ""),
        params.get("coc", "").strip() or None,
        comment=params.get("comment"),  # absent: keep the stored comment
        expected_version=_version(params.get("version")),
    )


def _save_batch(scope: Scope, params: dict[str, str], raw_cells: object) -> JsonResponse:
    if not isinstance(raw_cells, list) or not raw_cells:
        raise ValidationFailed(_("cells must be a non-empty list."), field="cells")
    if len(raw_cells) > MAX_BATCH_CELLS:
        raise ValidationFailed(
            _("At most %(n)d cells can be saved in one request.") % {"n": MAX_BATCH_CELLS},
            field="cells",
        )
    target = _target(scope, params)
    results: list[dict[str, Any] | None] = [None] * len(raw_cells)
    pending: list[tuple[int, CellInput]] = []  # (position in the request, the cell)
    seen: set[tuple[str, str | None]] = set()
    for position, raw in enumerate(raw_cells):
        try:
            if not isinstance(raw, dict):
                raise ValidationFailed(_("The request is not valid JSON."))
            cell = _cell_input(_strings(raw))
        except ValidationFailed as exc:
            results[position] = {"ok": False, "error": exc.message}
            continue
        key = (cell.data_element, cell.category_option_combo)
        if key in seen:
            results[position] = {"ok": False, "error": _("This cell was sent twice.")}
            continue
        seen.add(key)
        pending.append((position, cell))
    if not pending:
        return JsonResponse({"ok": True, "results": results})
    structure = load_structure(target.data_set, sorted({c.data_element for _p, c in pending}))
    # Each pass sets aside the cells it refuses, so this ends after at most len(pending) passes
    # (in practice two: the refused values, then the stale ones).
    while pending:
        try:
            result = save_values(scope, target, [c for _p, c in pending], structure=structure)
        except InvalidCells as exc:
            refused = {e.index: e.message for e in exc.errors}
            for index, message in refused.items():
                results[pending[index][0]] = {"ok": False, "error": message}
            pending = [p for i, p in enumerate(pending) if i not in refused]
            continue
        except StaleCells as exc:
            stale = {s.index: s for s in exc.stale}
            for index, cell_stale in stale.items():
                results[pending[index][0]] = _conflict(structure, cell_stale, exc.message)
            pending = [p for i, p in enumerate(pending) if i not in stale]
            continue
        for position, cell in pending:
            results[position] = _saved(structure, result, cell)
        break
    return JsonResponse({"ok": True, "results": results})


def _conflict(structure: FormStructure, stale: StaleCell, message: str) -> dict[str, Any]:
    element = structure.element_by_key[stale.data_element]
    return {
        "ok": False,
        "error": message,
        "conflict": {
            "your_value": stale.your_value or "",
            "server_value": display_value(element, stale.server_value),
            "server_version": stale.server_version,
            "stored_by": stale.stored_by,
        },
    }


def _saved(structure: FormStructure, result: SaveResult, cell: CellInput) -> dict[str, Any]:
    element = structure.element_by_key[cell.data_element]
    form_row = structure.rows_by_element[element.pk]
    coc_key = cell.category_option_combo
    combo = structure.combo_by_key[coc_key] if coc_key else form_row.combos[0]
    stored = result.rows.get((element.pk, combo.pk))
    value = "" if stored is None or stored.deleted else display_value(element, stored.value)
    return {
        "ok": True,
        "version": result.versions.get((element.pk, combo.pk), 0),
        "value": value,
        "comment": stored.comment if stored is not None else "",
    }


@login_only
@require_GET
def cell(request: HttpRequest) -> HttpResponse:
    """The side panel of one cell: who stored it, its comment and its history (ENTER)."""
    scope = _scope(request)
    params = _params(request)
    try:
        target = _target(scope, params)
        structure = load_structure(target.data_set)
        element = structure.element_by_key.get(params.get("de", ""))
        if element is None:
            raise NotFound(_("The data element is not in this form."))
        row = structure.rows_by_element[element.pk]
        combo = (
            structure.combo_by_key.get(params.get("coc", ""))
            if params.get("coc")
            else row.combos[0]
        )
        if combo is None or combo not in row.combos:
            raise NotFound(_("The column is not in this form."))
    except HaucanError as exc:
        return render(request, "reporting/_error.html", {"error": exc.message}, status=exc.status)
    stored = queries.current_values(scope, target).get((element.pk, combo.pk))
    context = {
        "element": element,
        "combo": combo,
        "stored": stored,
        "value": display_value(element, stored.value) if stored and not stored.deleted else "",
        "history": [
            (a, display_value(element, a.previous_value), display_value(element, a.value))
            for a in queries.cell_history(scope, target, element, combo)
        ],
        **_status_context(scope, target),
    }
    return render(request, "reporting/_cell.html", context)


def _violation_rows(violations: list[Violation]) -> list[dict[str, Any]]:
    return [
        {
            "name": v.rule.name,
            "instruction": v.rule.instruction,
            "importance": v.rule.get_importance_display(),
            "high": v.is_high,
            "left": vn_number(v.left),
            "right": vn_number(v.right),
            "operator": v.rule.get_operator_display(),
        }
        for v in violations
    ]


def _report_panel(
    request: HttpRequest, scope: Scope, target: Target, extra: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {**_status_context(scope, target), **extra}
    return render(request, "reporting/_status.html", context, status=status)


def _report_action(request: HttpRequest, action: str) -> HttpResponse:
    scope = _scope(request)
    try:
        params = _params(request)
        target = _target(scope, params)
    except HaucanError as exc:
        return render(request, "reporting/_error.html", {"error": exc.message}, status=exc.status)
    try:
        if action == "submit":
            result = submit_report(scope, target)
            return _report_panel(
                request,
                scope,
                target,
                {
                    "just_submitted": True,
                    "on_time": result.registration.on_time,
                    "violations": _violation_rows(result.violations),
                },
            )
        if action == "validate":
            violations = validate_report(scope, target)
            return _report_panel(
                request,
                scope,
                target,
                {
                    "validated": True,
                    "violations": _violation_rows(violations),
                },
            )
        reopen_report(scope, target, reason=params.get("reason", ""))
        return _report_panel(request, scope, target, {"just_reopened": True})
    except ValidationBlocked as exc:
        return _report_panel(
            request,
            scope,
            target,
            {
                "error": exc.message,
                "violations": _violation_rows([v for v in exc.violations if v.is_high]),
            },
            status=409,
        )
    except HaucanError as exc:
        return _report_panel(request, scope, target, {"error": exc.message}, status=exc.status)


@login_only
@require_POST
def submit(request: HttpRequest) -> HttpResponse:
    """Nộp báo cáo (ENTER): the report panel with on-time/late and any violations."""
    return _report_action(request, "submit")


@login_only
@require_POST
def validate(request: HttpRequest) -> HttpResponse:
    """Kiểm tra (ENTER): run the validation rules now and list the failures."""
    return _report_action(request, "validate")


@login_only
@require_POST
def reopen(request: HttpRequest) -> HttpResponse:
    """Mở lại (ENTER or APPROVE): reopen a submitted report with a reason."""
    return _report_action(request, "reopen")


# --- completeness -----------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "" if value is None else vn_number(value, 1) + " %"


@requires(Action.VIEW)
@require_GET
def completeness(request: HttpRequest) -> HttpResponse:
    """Completeness and timeliness of a form for a period under a unit (VIEW, own scope)."""
    scope = _scope(request)
    if not scope.can_any(Action.VIEW):
        raise DjangoPermissionDenied
    params = _params(request)
    forms = queries.completeness_forms(scope)
    context: dict[str, Any] = {"forms": forms, "params": params}
    try:
        data_set = next((f for f in forms if params.get("ds") in (f.uid, f.code)), None)
        if params.get("ds") and data_set is None:
            raise NotFound(_("Report form not found."))
        data_set = data_set or (forms[0] if forms else None)
        if data_set is None:
            return render(request, "reporting/completeness.html", context)
        periods = queries.recent_periods(data_set)
        period = _period(params.get("pe"), default=periods[1])
        if period.type.value != data_set.period_type:
            raise ValidationFailed(_("The period does not match the form's period type."))
        roots = org_queries.scope_roots(scope)
        root = org_queries.get_unit(scope, params["ou"]) if params.get("ou") else roots[0]
        report = queries.completeness(scope, data_set, period, root)
    except HaucanError as exc:
        context["error"] = exc.message
        return render(request, "reporting/completeness.html", context, status=exc.status)
    if params.get("format") == "xlsx":
        return _completeness_xlsx(report)
    context.update(
        data_set=data_set,
        periods=periods if period in periods else [period, *periods],
        period=period,
        report=report,
        roots=roots,
        breadcrumb=org_queries.visible_ancestors(scope, root),
        rate=_rate,
        total_rates=(_rate(report.total.submitted_rate), _rate(report.total.on_time_rate)),
        child_rows=[
            (unit, tally, _rate(tally.submitted_rate), _rate(tally.on_time_rate))
            for unit, tally in report.children
        ],
    )
    return render(request, "reporting/completeness.html", context)


def _period(text: str | None, *, default: Period) -> Period:
    if not text:
        return default
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise ValidationFailed(str(exc), field="pe") from None


def _completeness_xlsx(report: queries.Completeness) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Completeness")[:31]
    bold = Font(bold=True)
    sheet.append([_("Form"), report.data_set.name])
    sheet.append([_("Period"), report.period.display_name()])
    sheet.append([_("Unit"), report.root.name])
    sheet.append([])
    header = [
        _("Unit"),
        _("Expected"),
        _("Submitted"),
        _("On time"),
        _("Submitted %"),
        _("On time %"),
    ]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = bold

    def line(unit: Unit, tally: queries.Tally) -> list[Any]:
        return [
            unit.name,
            tally.expected,
            tally.submitted,
            tally.on_time,
            round(tally.submitted_rate, 1) if tally.submitted_rate is not None else None,
            round(tally.on_time_rate, 1) if tally.on_time_rate is not None else None,
        ]

    sheet.append(line(report.root, report.total))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for unit, tally in report.children:
        sheet.append(line(unit, tally))
    late = book.create_sheet(_("Late or missing")[:31])
    late.append([_("Unit"), _("Code"), _("Status"), _("Submitted at"), _("Clerks")])
    for cell in late[1]:
        cell.font = bold
    for d in report.defaulters:
        late.append(
            [
                d.unit.name,
                d.unit.code,
                _("Late") if d.status == "late" else _("Missing"),
                timezone.localtime(d.completed_at).strftime("%d/%m/%Y %H:%M")
                if d.completed_at
                else "",
                ", ".join(f"{c.name} ({c.phone})" if c.phone else c.name for c in d.clerks),
            ]
        )
    for ws in (sheet, late):
        ws.column_dimensions["A"].width = 40
        protect_sheet(ws)  # unit names and clerks' names are text, never formulas
    buffer = BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"completeness-{report.data_set.code}-{report.period.id}-{report.root.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
