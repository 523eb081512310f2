"""DHIS2's aggregate data endpoints: /api/dataValueSets, /api/dataValues,
/api/completeDataSetRegistrations and the import task summaries.

Handlers are thin: they pick a format, stream the request body into a reader, call
`reporting.services.imports.import_values` (or `export_values`), and stream the answer. Errors are
WebMessage JSON (haucan.config.api); an import with conflicts answers 409 with its ImportSummary.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django_tasks import task
from ninja import Router

from haucan.core.access import AccessRule, declare, requires
from haucan.core.errors import HaucanError, NotFound, PermissionDenied, ValidationFailed
from haucan.core.periods import PeriodError, parse_period
from haucan.core.scope import Action, Scope
from haucan.exchange import openapi as doc
from haucan.exchange.formats import FORMATS, charset_of, format_of_content_type
from haucan.exchange.models import ImportJob
from haucan.reporting.services.imports import (
    ExportQuery,
    IdSchemes,
    ImportRow,
    ImportSummary,
    export_values,
    import_values,
)

router = Router(tags=["data values"])

DEFAULT_MAX_IMPORT_MB = 200


def max_import_bytes() -> int:
    """HAUCAN_MAX_IMPORT_MB (setting, else environment), default 200 MB."""
    raw = getattr(settings, "HAUCAN_MAX_IMPORT_MB", None) or os.environ.get("HAUCAN_MAX_IMPORT_MB")
    try:
        megabytes = float(raw) if raw else DEFAULT_MAX_IMPORT_MB
    except ValueError:
        megabytes = DEFAULT_MAX_IMPORT_MB
    return int(megabytes * 1024 * 1024)


class TooLarge(HaucanError):
    status = 413


class _Limited:
    """A request body read in pieces, refused once it passes the size limit."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.seen = 0

    def read(self, n: int = -1) -> bytes:
        if n == 0:  # ijson probes the type of the stream with read(0)
            return b""
        data = self.stream.read(n if n and n > 0 else 1 << 16)
        self.seen += len(data)
        if self.seen > self.limit:
            raise TooLarge(_too_large(self.limit))
        return data


def _too_large(limit: int) -> str:
    return (
        f"The request is larger than the import limit of {limit // (1024 * 1024)} MB "
        "(HAUCAN_MAX_IMPORT_MB)."
    )


def _scope(request: HttpRequest) -> Scope:
    # request.scope, not the user's scope: an API token may narrow it to one unit, read-only.
    scope: Scope = request.scope  # type: ignore[attr-defined]
    return scope


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "").strip().lower() in {"true", "1", "yes"}


def _schemes(request: HttpRequest, default: str) -> IdSchemes:
    q = request.GET
    return IdSchemes.of(
        q.get("idScheme") or default,
        data_element=q.get("dataElementIdScheme"),
        org_unit=q.get("orgUnitIdScheme"),
        category_option_combo=q.get("categoryOptionComboIdScheme"),
        attribute_option_combo=q.get("attributeOptionComboIdScheme"),
        data_set=q.get("dataSetIdScheme"),
    )


def _summary_response(summary: ImportSummary) -> JsonResponse:
    status = 409 if summary["status"] == "ERROR" else 200
    return JsonResponse(summary, status=status, json_dumps_params={"ensure_ascii": False})


# --- /api/dataValueSets: export ------------------------------------------------------------------


def _export(request: HttpRequest, suffix: str | None) -> HttpResponseBase:
    name = suffix or format_of_content_type(request.headers.get("Accept")) or "json"
    if name not in FORMATS:
        raise ValidationFailed(f"Unknown format '{name}'.")
    fmt = FORMATS[name]
    q = request.GET
    last_updated = None
    if q.get("lastUpdated"):
        text = q["lastUpdated"]
        day = parse_date(text)
        last_updated = parse_datetime(text) or (
            datetime.combine(day, datetime.min.time()) if day else None
        )
        if last_updated is None:
            raise ValidationFailed(
                "lastUpdated must be a date or a date-time.", field="lastUpdated"
            )
        if timezone.is_naive(last_updated):
            last_updated = timezone.make_aware(last_updated)
    periods = tuple(p for v in q.getlist("period") for p in v.split(",") if p)
    query = ExportQuery(
        data_sets=tuple(d for v in q.getlist("dataSet") for d in v.split(",") if d),
        periods=periods,
        start_date=_date(q.get("startDate"), "startDate"),
        end_date=_date(q.get("endDate"), "endDate"),
        org_units=tuple(u for v in q.getlist("orgUnit") for u in v.split(",") if u),
        children=_flag(request, "children"),
        last_updated=last_updated,
        include_deleted=_flag(request, "includeDeleted"),
        id_scheme=_schemes(request, fmt.default_id_scheme),
    )
    rows = export_values(_scope(request), query)  # checks now, streams later
    data_set = query.data_sets[0] if len(query.data_sets) == 1 else None
    response = StreamingHttpResponse(
        fmt.write(rows, data_set=data_set), content_type=f"{fmt.media_type}; charset=utf-8"
    )
    if name in {"csv", "adx"} or _flag(request, "attachment"):
        response["Content-Disposition"] = f'attachment; filename="dataValueSet.{fmt.suffix}"'
    return response


def _date(text: str | None, name: str) -> date | None:
    if not text:
        return None
    day = parse_date(text)
    if day is None:
        raise ValidationFailed(f"{name} must be a date (yyyy-mm-dd).", field=name)
    return day


_EXPORT_DOC = doc.responses(
    {
        200: {
            "description": "The data value set, in the format of the suffix or the Accept header",
            "content": {
                doc.JSON: {"schema": doc.DATA_VALUE_SET},
                "application/xml": {"schema": doc.TEXT},
                "text/csv": {"schema": doc.TEXT},
                "application/adx+xml": {"schema": doc.TEXT},
            },
        }
    },
    parameters=[
        doc.query("dataSet", many=True, description="Data set (form) ids, repeatable"),
        doc.query("period", many=True, description="ISO periods (202401, 2024Q1, 2024…)"),
        doc.query("startDate", doc.DATE),
        doc.query("endDate", doc.DATE),
        doc.query("orgUnit", many=True, description="Organisation unit ids, repeatable"),
        doc.query("children", doc.BOOLEAN),
        doc.query("lastUpdated", description="Only values changed since (date or date-time)"),
        doc.query("includeDeleted", doc.BOOLEAN),
        doc.query("attachment", doc.BOOLEAN),
        *doc.id_scheme_parameters(),
    ],
    description="Also at /api/dataValueSets.json, .xml, .csv and .adx.",
)


@router.get(
    "/dataValueSets",
    operation_id="getDataValueSets",
    summary="Export data values",
    openapi_extra=_EXPORT_DOC,
)
@declare(AccessRule("login"))  # export_values checks VIEW/ENTER and the units in the scope
def get_data_value_sets(request: HttpRequest) -> HttpResponseBase:
    return _export(request, None)


def _export_view(suffix: str) -> Any:
    @declare(AccessRule("login"))
    def view(request: HttpRequest) -> HttpResponseBase:
        return _export(request, suffix)

    view.__name__ = f"get_data_value_sets_{suffix}"
    return view


for _suffix in ("json", "xml", "csv", "adx"):
    router.get(
        f"/dataValueSets.{_suffix}",
        operation_id=f"getDataValueSets{_suffix.title()}",
        include_in_schema=False,
    )(_export_view(_suffix))


# --- /api/dataValueSets: import ------------------------------------------------------------------


_FORCE_DOC = doc.query(
    "force",
    doc.BOOLEAN,
    description="Write over locked periods, approvals and submissions (administrators only; "
    "audited). Anyone else gets 403.",
)

_BODY_DOC = {
    **doc.responses(
        # The ImportSummary, or with async=true the WebMessage that names the queued task.
        doc.ok_json({"anyOf": [doc.IMPORT_SUMMARY, doc.WEB_MESSAGE]}),
        errors=doc.WRITE_ERRORS,
        conflict=doc.IMPORT_SUMMARY,
        parameters=[
            doc.query(
                "importStrategy",
                {"type": "string", "enum": ["CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE"]},
            ),
            doc.query("dryRun", doc.BOOLEAN),
            doc.query("async", doc.BOOLEAN, description="Queue the import; poll the task"),
            _FORCE_DOC,
            *doc.id_scheme_parameters(),
        ],
    ),
    "requestBody": {
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in (
                "application/json",
                "application/xml",
                "text/csv",
                "application/adx+xml",
            )
        }
    },
}


@router.post(
    "/dataValueSets",
    operation_id="postDataValueSets",
    summary="Import data values (JSON, XML, CSV or ADX)",
    openapi_extra=_BODY_DOC,
)
@requires(Action.ENTER, json=True)  # the import checks each form's domain and unit
def post_data_value_sets(request: HttpRequest) -> HttpResponse:
    content_type = request.headers.get("Content-Type", "")
    name = format_of_content_type(content_type)
    if name is None:
        raise ValidationFailed(
            "Send the data as application/json, application/xml, text/csv or application/adx+xml."
        )
    limit = max_import_bytes()
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limit:
        raise TooLarge(_too_large(limit))
    strategy = (
        request.GET.get("importStrategy") or request.GET.get("strategy") or "CREATE_AND_UPDATE"
    )
    schemes = _schemes(request, FORMATS[name].default_id_scheme)
    dry_run = _flag(request, "dryRun")
    stream = _Limited(request, limit)
    scope = _scope(request)
    force = _force(request, scope)
    if _flag(request, "async"):
        return _start_job(
            request, scope, name, content_type, stream, strategy, dry_run, schemes, force
        )
    rows = FORMATS[name].read(stream, charset=charset_of(content_type))
    summary = import_values(
        scope,
        rows,
        strategy=strategy,
        dry_run=dry_run,
        id_scheme=schemes,
        origin="api",
        force=force,
    )
    return _summary_response(summary)


def _force(request: HttpRequest, scope: Scope) -> bool:
    """`force=true`, refused (403) before anything is read unless the caller is an administrator."""
    force = _flag(request, "force")
    if force and not scope.is_admin:
        raise PermissionDenied(gettext("Only an administrator may force an import over locks."))
    return force


def _jobs_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _start_job(
    request: HttpRequest,
    scope: Scope,
    name: str,
    content_type: str,
    stream: IO[bytes] | _Limited,
    strategy: str,
    dry_run: bool,
    schemes: IdSchemes,
    force: bool = False,
) -> HttpResponse:
    job = ImportJob(
        user_id=scope.user_id,
        username=scope.username,
        format=name,
        charset=charset_of(content_type) or "",
        options={
            "strategy": strategy,
            "dry_run": dry_run,
            "force": force,
            "id_scheme": schemes.__dict__,
            # The job runs with the scope of the request that queued it: a token narrowed to one
            # unit stays narrowed, even though the job runs later in the worker.
            "scope": {
                "unit_paths": sorted(scope.unit_paths),
                "permissions": sorted([d, a] for d, a in scope.permissions),
                "is_admin": scope.is_admin,
            },
        },
    )
    path = _jobs_dir() / f"{job.uid}.{FORMATS[name].suffix}"
    with open(path, "wb") as out:
        shutil.copyfileobj(stream, out, 1 << 16)
    job.payload_path = str(path)
    with transaction.atomic():
        job.save()
        transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return JsonResponse(
        {
            "httpStatus": "OK",
            "httpStatusCode": 200,
            "status": "OK",
            "message": "Initiated DATAVALUE_IMPORT",
            "response": {
                "id": job.uid,
                "name": "DATAVALUE_IMPORT",
                "jobType": "DATAVALUE_IMPORT",
                "created": job.created_at.isoformat(),
                "relativeNotifierEndpoint": f"/api/system/tasks/DATAVALUE_IMPORT/{job.uid}",
            },
        }
    )


@task()
def run_import_job(job_id: int) -> str:
    """Import a waiting job's payload; a job already claimed or done is left alone (idempotent)."""

    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    job = ImportJob.objects.get(pk=job_id)
    options = job.options
    scope = _job_scope(job)
    try:
        with open(job.payload_path, "rb") as payload:
            rows = FORMATS[job.format].read(payload, charset=job.charset or None)
            summary: dict[str, Any] = dict(
                import_values(
                    scope,
                    rows,
                    strategy=options.get("strategy", "CREATE_AND_UPDATE"),
                    dry_run=bool(options.get("dry_run")),
                    id_scheme=IdSchemes(**options.get("id_scheme", {})),
                    origin="api",
                    force=bool(options.get("force")),
                )
            )
        status = ImportJob.Status.COMPLETED
    except (HaucanError, OSError) as exc:
        summary = {
            "responseType": "ImportSummary",
            "status": "ERROR",
            "description": str(exc),
            "importCount": {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0},
            "conflicts": [],
        }
        status = ImportJob.Status.FAILED
    ImportJob.objects.filter(pk=job_id).update(
        status=status, summary=summary, finished_at=timezone.now()
    )
    Path(job.payload_path).unlink(missing_ok=True)
    return status


def _job_scope(job: ImportJob) -> Scope:
    """The scope the job was queued with; nothing at all if its user has since been disabled."""
    from haucan.accounts.models import User

    saved = job.options.get("scope")
    if job.user_id is None:
        return Scope.system(job.username or "import")
    user = User.objects.filter(pk=job.user_id, is_active=True).first()
    if user is None or saved is None:
        return Scope(user_id=job.user_id, username=job.username, unit_paths=frozenset())
    return Scope(
        user_id=user.pk,
        username=user.get_username(),
        unit_paths=frozenset(saved["unit_paths"]),
        permissions=frozenset((d, a) for d, a in saved["permissions"]),
        is_admin=bool(saved["is_admin"]),
    )


def _job(request: HttpRequest, uid: str) -> ImportJob:
    scope = _scope(request)
    job = ImportJob.objects.filter(uid=uid, job_type="DATAVALUE_IMPORT").first()
    if job is None or not (scope.is_admin or job.user_id == scope.user_id):
        raise NotFound("Task not found.")
    return job


_TASK_DOC = doc.responses(doc.ok_json(doc.OBJECT))


@router.get(
    "/system/taskSummaries/DATAVALUE_IMPORT/{uid}",
    operation_id="getImportTaskSummary",
    openapi_extra=_TASK_DOC,
)
@declare(AccessRule("login"))  # the task's owner or an administrator, else 404
def task_summary(request: HttpRequest, uid: str) -> HttpResponse:
    job = _job(request, uid)
    if job.summary is None:
        return JsonResponse({"status": job.status, "description": "The import is not finished."})
    return JsonResponse(job.summary, json_dumps_params={"ensure_ascii": False})


@router.get(
    "/system/tasks/DATAVALUE_IMPORT/{uid}",
    operation_id="getImportTask",
    openapi_extra=doc.responses(doc.ok_json({"type": "array", "items": doc.OBJECT})),
)
@declare(AccessRule("login"))  # the task's owner or an administrator, else 404
def task_notifications(request: HttpRequest, uid: str) -> HttpResponse:
    job = _job(request, uid)
    done = job.status in {ImportJob.Status.COMPLETED, ImportJob.Status.FAILED}
    message = {"PENDING": "Waiting", "RUNNING": "Importing data values"}.get(
        job.status, f"Import finished: {(job.summary or {}).get('status', job.status)}"
    )
    return JsonResponse(
        [
            {
                "uid": job.uid,
                "level": "ERROR" if job.status == ImportJob.Status.FAILED else "INFO",
                "category": "DATAVALUE_IMPORT",
                "time": (job.finished_at or job.started_at or job.created_at).isoformat(),
                "message": message,
                "completed": done,
            }
        ],
        safe=False,
    )


# --- /api/dataValues: one value through the same import path ------------------------------------


def _param(request: HttpRequest, name: str) -> str | None:
    value = request.GET.get(name)
    if value is None and request.method == "POST":
        value = request.POST.get(name)
    return value


def _single_row(request: HttpRequest, *, with_value: bool) -> tuple[ImportRow, IdSchemes]:
    de, pe, ou = _param(request, "de"), _param(request, "pe"), _param(request, "ou")
    if not de or not pe or not ou:
        raise ValidationFailed("de, pe and ou are required.")
    schemes = _schemes(request, "uid")
    aoc = _param(request, "cc") and _attribute_combo(request)
    row = ImportRow(
        data_element=de,
        period=pe,
        org_unit=ou,
        value=_param(request, "value") if with_value else None,
        category_option_combo=_param(request, "co") or None,
        attribute_option_combo=aoc or None,
        comment=_param(request, "comment") if with_value else None,
        follow_up=(
            None
            if _param(request, "followUp") is None
            else (_param(request, "followUp") or "").lower() == "true"
        ),
        data_set=_param(request, "ds") or None,
    )
    if aoc:
        schemes = IdSchemes(**{**schemes.__dict__, "attribute_option_combo": "uid"})
    return row, schemes


def _attribute_combo(request: HttpRequest) -> str:
    """The uid of the attribute option combo named by `cc` (combo) and `cp` (option uids)."""
    from haucan.catalog.models import CategoryOptionCombo

    cc = _param(request, "cc") or ""
    wanted = {p for p in (_param(request, "cp") or "").split(";") if p}
    for coc in CategoryOptionCombo.objects.filter(combo__uid=cc).prefetch_related("options"):
        if {o.uid for o in coc.options.all()} == wanted:
            return coc.uid
    raise ValidationFailed("The attribute option combination (cc, cp) was not found.")


def _first_conflict(summary: ImportSummary) -> HttpResponse:
    conflict = summary["conflicts"][0] if summary["conflicts"] else {"value": "Import failed."}
    return JsonResponse(
        {
            "httpStatus": "Conflict",
            "httpStatusCode": 409,
            "status": "ERROR",
            "message": conflict["value"],
            "errorCode": conflict.get("errorCode", ""),
            "response": summary,
        },
        status=409,
        json_dumps_params={"ensure_ascii": False},
    )


def _value_parameters(*, write: bool) -> list[dict[str, Any]]:
    params = [
        doc.query("de", required=True, description="Data element id"),
        doc.query("pe", required=True, description="ISO period"),
        doc.query("ou", required=True, description="Organisation unit id"),
        doc.query("co", description="Category option combo id"),
        doc.query("cc", description="Attribute category combo id"),
        doc.query("cp", description="Attribute option ids, separated by ;"),
        doc.query("ds", description="Data set id, when the element is in several"),
        *doc.id_scheme_parameters(),
    ]
    if write:
        params += [doc.query("value"), doc.query("comment"), doc.query("followUp", doc.BOOLEAN)]
    return params


@router.get(
    "/dataValues",
    operation_id="getDataValue",
    summary="Read one data value",
    openapi_extra=doc.responses(
        doc.ok_json(doc.DATA_VALUE), parameters=_value_parameters(write=False)
    ),
)
@declare(AccessRule("login"))  # export_values checks VIEW/ENTER and the unit
def get_data_value(request: HttpRequest) -> HttpResponse:
    row, schemes = _single_row(request, with_value=False)
    try:
        period = parse_period(row.period)
    except PeriodError as exc:
        raise ValidationFailed(str(exc), field="pe") from None
    from haucan.catalog.models import DataSetElement

    query = ExportQuery(
        data_sets=tuple(
            DataSetElement.objects.filter(
                **{f"data_element__{schemes.data_element}": row.data_element}
            ).values_list(f"data_set__{schemes.data_set}", flat=True)
        ),
        periods=(period.id,),
        org_units=(row.org_unit,),
        id_scheme=schemes,
    )
    if not query.data_sets:
        raise NotFound("Data value not found.")
    for value in export_values(_scope(request), query):
        if value.data_element != row.data_element:
            continue
        if row.category_option_combo and value.category_option_combo != row.category_option_combo:
            continue
        if (
            row.attribute_option_combo
            and value.attribute_option_combo != row.attribute_option_combo
        ):
            continue
        from haucan.exchange.formats.json_io import export_dict

        return JsonResponse(export_dict(value), json_dumps_params={"ensure_ascii": False})
    raise NotFound("Data value not found.")


@router.post(
    "/dataValues",
    operation_id="postDataValue",
    summary="Save one data value",
    openapi_extra=doc.responses(
        {201: {"description": "Saved"}},
        errors=doc.WRITE_ERRORS,
        conflict=doc.WEB_MESSAGE,
        parameters=[*_value_parameters(write=True), _FORCE_DOC],
    ),
)
@requires(Action.ENTER, json=True)
def post_data_value(request: HttpRequest) -> HttpResponse:
    row, schemes = _single_row(request, with_value=True)
    scope = _scope(request)
    summary = import_values(
        scope, [row], id_scheme=schemes, origin="api", force=_force(request, scope)
    )
    if summary["status"] == "ERROR":
        return _first_conflict(summary)
    return HttpResponse(status=201)


@router.delete(
    "/dataValues",
    operation_id="deleteDataValue",
    summary="Delete one data value",
    openapi_extra=doc.responses(
        {204: {"description": "Deleted"}},
        errors=doc.WRITE_ERRORS,
        conflict=doc.WEB_MESSAGE,
        parameters=[*_value_parameters(write=False), _FORCE_DOC],
    ),
)
@requires(Action.ENTER, json=True)
def delete_data_value(request: HttpRequest) -> HttpResponse:
    row, schemes = _single_row(request, with_value=False)
    scope = _scope(request)
    summary = import_values(
        scope,
        [row],
        strategy="DELETE",
        id_scheme=schemes,
        origin="api",
        force=_force(request, scope),
    )
    if summary["status"] == "ERROR":
        return _first_conflict(summary)
    if summary["importCount"]["deleted"] == 0:
        raise NotFound("Data value not found.")
    return HttpResponse(status=204)


# --- /api/completeDataSetRegistrations -----------------------------------------------------------


@router.get(
    "/completeDataSetRegistrations",
    operation_id="getCompleteRegistrations",
    openapi_extra=doc.responses(
        doc.ok_json(
            {
                "type": "object",
                "required": ["completeDataSetRegistrations"],
                "properties": {
                    "completeDataSetRegistrations": {"type": "array", "items": doc.OBJECT}
                },
            }
        ),
        parameters=[
            doc.query("dataSet", required=True, many=True),
            doc.query("orgUnit", required=True, many=True),
            doc.query("period", many=True),
            doc.query("startDate", doc.DATE),
            doc.query("endDate", doc.DATE),
            doc.query("children", doc.BOOLEAN),
        ],
    ),
)
@declare(AccessRule("login"))  # only units in the scope, else 404
def get_registrations(request: HttpRequest) -> HttpResponse:
    from haucan.org.models import Unit
    from haucan.reporting.models import CompleteRegistration

    scope = _scope(request)
    q = request.GET
    data_sets = [d for v in q.getlist("dataSet") for d in v.split(",") if d]
    units = [u for v in q.getlist("orgUnit") for u in v.split(",") if u]
    periods = [p for v in q.getlist("period") for p in v.split(",") if p]
    if not data_sets or not units:
        raise ValidationFailed("dataSet and orgUnit are required.")
    found = list(Unit.objects.filter(uid__in=units))
    if len(found) != len(set(units)) or any(not scope.covers_path(u.path) for u in found):
        raise NotFound("Organisation unit not found or not accessible.")
    rows = CompleteRegistration.objects.filter(data_set__uid__in=data_sets)
    if _flag(request, "children"):
        from django.db.models import Q

        condition = Q(pk__in=[])
        for unit in found:
            condition |= Q(unit__path__startswith=unit.path)
        rows = rows.filter(condition)
    else:
        rows = rows.filter(unit__in=found)
    if periods:
        rows = rows.filter(period__in=periods)
    start, end = _date(q.get("startDate"), "startDate"), _date(q.get("endDate"), "endDate")
    items = []
    for r in rows.select_related("data_set", "unit", "attribute_option_combo").order_by("id")[
        :50000
    ]:
        if start or end:
            try:
                period = parse_period(r.period)
            except PeriodError:
                continue
            if (start and period.start < start) or (end and period.end > end):
                continue
        items.append(
            {
                "dataSet": r.data_set.uid,
                "period": r.period,
                "organisationUnit": r.unit.uid,
                "attributeOptionCombo": r.attribute_option_combo.uid,
                "date": r.completed_at.isoformat(),
                "storedBy": r.completed_by,
                "completed": r.is_complete,
            }
        )
    return JsonResponse(
        {"completeDataSetRegistrations": items}, json_dumps_params={"ensure_ascii": False}
    )


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


@router.post(
    "/completeDataSetRegistrations",
    operation_id="postCompleteRegistrations",
    openapi_extra={
        **doc.responses(
            doc.ok_json(doc.IMPORT_SUMMARY),
            errors=doc.WRITE_ERRORS,
            conflict=doc.IMPORT_SUMMARY,
        ),
        "requestBody": {
            "content": {
                doc.JSON: {
                    "schema": {
                        "type": "object",
                        "required": ["completeDataSetRegistrations"],
                        "properties": {
                            "completeDataSetRegistrations": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "dataSet": {"type": "string"},
                                        "period": {"type": "string"},
                                        "organisationUnit": {"type": "string"},
                                        "attributeOptionCombo": {"type": "string"},
                                        "completed": {"type": "boolean"},
                                    },
                                },
                            }
                        },
                    }
                }
            }
        },
    },
)
@requires(Action.ENTER, json=True)  # submit_report checks the form and unit
def post_registrations(request: HttpRequest) -> HttpResponse:
    """Submit reports, all or nothing, through `submit_report` (validation rules included)."""
    import json

    from haucan.catalog.models import CategoryOptionCombo, DataSet
    from haucan.org.models import Unit
    from haucan.reporting.services.submission import submit_report
    from haucan.reporting.services.values import resolve_target

    limit = max_import_bytes()
    try:
        payload = json.loads(_Limited(request, limit).read(limit + 1) or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("The body must be JSON.") from None
    if _holds_nul(payload):
        raise ValidationFailed(gettext("Text may not contain NUL characters."))
    items = payload.get("completeDataSetRegistrations") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise ValidationFailed('Send {"completeDataSetRegistrations": [...]}.')
    scope = _scope(request)
    conflicts: list[dict[str, Any]] = []
    imported = 0
    with transaction.atomic():
        for index, item in enumerate(items):
            try:
                if not isinstance(item, dict):
                    raise ValidationFailed("Each registration must be an object.")
                ds = DataSet.objects.filter(uid=str(item.get("dataSet", ""))).first()
                unit = Unit.objects.filter(
                    uid=str(item.get("organisationUnit") or item.get("orgUnit") or "")
                ).first()
                if ds is None:
                    raise NotFound("Data set not found.")
                if unit is None:
                    raise NotFound("Organisation unit not found or not accessible.")
                aoc = None
                if item.get("attributeOptionCombo"):
                    aoc = CategoryOptionCombo.objects.filter(
                        uid=str(item["attributeOptionCombo"])
                    ).first()
                    if aoc is None:
                        raise NotFound("Attribute option combo not found.")
                target = resolve_target(scope, ds, unit, str(item.get("period", "")), aoc)
                if item.get("completed", True) is False:
                    raise ValidationFailed("Reopen a report from the entry screen with a reason.")
                with transaction.atomic():
                    submit_report(scope, target)
                imported += 1
            except HaucanError as exc:
                conflicts.append(
                    {
                        "object": str(item.get("dataSet", "")) if isinstance(item, dict) else "",
                        "value": exc.message,
                        "errorCode": type(exc).__name__,
                        "indexes": [index],
                    }
                )
        if conflicts:
            transaction.set_rollback(True)
    summary: dict[str, Any] = {
        "responseType": "ImportSummary",
        "status": "ERROR" if conflicts else "SUCCESS",
        "description": "Nothing was registered." if conflicts else "Registrations saved.",
        "importCount": {
            "imported": 0 if conflicts else imported,
            "updated": 0,
            "ignored": len(items) if conflicts else 0,
            "deleted": 0,
        },
        "conflicts": conflicts,
    }
    return JsonResponse(
        summary, status=409 if conflicts else 200, json_dumps_params={"ensure_ascii": False}
    )


__all__ = ["router", "run_import_job"]
