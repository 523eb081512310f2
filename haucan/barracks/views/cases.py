from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from haucan.barracks import queries
from haucan.barracks.forms import DocumentForm, StepForm
from haucan.barracks.models import CaseStatus
from haucan.barracks.services import cases as services
from haucan.barracks.views.common import attempt, can_enter, found, scope_of, today
from haucan.core.access import requires
from haucan.core.scope import Action, Domain


@requires(Action.VIEW, Domain.BARRACKS)
def case_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    page = Paginator(queries.cases(scope_of(request), status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "barracks/cases.html",
        {"page": page, "status": status, "statuses": CaseStatus.choices},
    )


@requires(Action.VIEW, Domain.BARRACKS)
def case(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    item = found(lambda: queries.get_case(scope, pk))
    action = request.POST.get("action") if request.method == "POST" else None
    step_form = StepForm(
        request.POST if action == "step" else None,
        initial={"taken_on": today(), "status": item.status},
    )
    doc_form = DocumentForm(
        request.POST if action == "document" else None,
        request.FILES if action == "document" else None,
    )
    if request.method == "POST":
        if not can_enter(request):
            # The case is in the scope (it was found): seeing it is not changing it.
            raise PermissionDenied
        if action == "document" and doc_form.is_valid():
            d = doc_form.cleaned_data
            upload = d["file"]
            done = attempt(
                doc_form,
                lambda: services.attach_document(
                    scope,
                    item,
                    title=d["title"],
                    number=d["number"],
                    dated=d["dated"],
                    file_name=upload.name if upload else "",
                    content=upload.read() if upload else None,
                    content_type=getattr(upload, "content_type", "") if upload else "",
                ),
            )
            if done is not None:
                messages.success(request, _("Document attached."))
                return redirect("barracks:case", item.pk)
        elif action == "step" and step_form.is_valid():
            d = step_form.cleaned_data
            done = attempt(
                step_form,
                lambda: services.add_step(
                    scope,
                    item,
                    taken_on=d["taken_on"],
                    description=d["description"],
                    status=d["status"],
                    recovered_area=d["recovered_area"],
                ),
            )
            if done is not None:
                messages.success(request, _("Step recorded."))
                return redirect("barracks:case", item.pk)
    return render(
        request,
        "barracks/case.html",
        {
            "case": item,
            "steps": item.steps.all(),
            "documents": item.documents.defer("content"),
            "step_form": step_form,
            "doc_form": doc_form,
            "can_enter": can_enter(request) and item.status != CaseStatus.RESOLVED,
        },
    )


@requires(Action.VIEW, Domain.BARRACKS)
def document(request: HttpRequest, pk: int, doc: int) -> HttpResponse:
    item = found(lambda: queries.get_case(scope_of(request), pk))
    found_doc = item.documents.filter(pk=doc).first()
    if found_doc is None or not found_doc.content:
        raise Http404
    response = HttpResponse(bytes(found_doc.content), content_type="application/octet-stream")
    name = found_doc.file_name.replace('"', "") or "document"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
