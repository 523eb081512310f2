from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from haucan.barracks.forms import ImportForm
from haucan.barracks.services import importer
from haucan.barracks.templates_xlsx import template_workbook
from haucan.barracks.views.common import scope_of
from haucan.core.access import requires
from haucan.core.errors import HaucanError, NotFound
from haucan.core.scope import Action, Domain
from haucan.org.models import Unit

MAX_UPLOAD = 20 * 1024 * 1024


@requires(Action.ENTER, Domain.BARRACKS)
def import_page(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[importer.CellError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 20 MB."))
        else:
            content = upload.read()
            run = (
                importer.import_sites
                if form.cleaned_data["kind"] == "sites"
                else importer.import_buildings
            )
            try:
                result = run(scope, content)
            except importer.ImportFailed as exc:
                errors = exc.errors
            except NotFound as exc:
                form.add_error(None, str(exc))
            except HaucanError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Imported %(n)d records for %(u)d units.")
                    % {"n": result.created, "u": result.units},
                )
                return redirect(
                    "barracks:sites"
                    if form.cleaned_data["kind"] == "sites"
                    else "barracks:buildings"
                )
    return render(request, "barracks/import.html", {"form": form, "errors": errors})


@requires(Action.VIEW, Domain.BARRACKS)
def template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ("sites", "buildings"):
        raise Http404
    scope = scope_of(request)
    own = Unit.objects.filter(path__in=scope.root_paths).order_by("depth").first()
    response = HttpResponse(
        template_workbook(kind, own.code if own else "QK4-F324-E1"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="mau-{kind}.xlsx"'
    return response
