"""The unit tree in the browser: browse, search, look back in time, and (admins) reorganise.

Who may use what: every page needs a signed-in user with VIEW somewhere and shows only the units of
their scope (others are 404). Creating, editing, moving and closing need ADMINISTER, and go through
`haucan.org.services`, whose errors are shown next to the field they concern.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haucan.core.access import requires
from haucan.core.errors import HaucanError, NotFound
from haucan.core.scope import Action, Scope
from haucan.org import queries, services
from haucan.org.models import Unit, UnitKind

if TYPE_CHECKING:  # django-stubs is a development dependency only
    from django_stubs_ext import StrOrPromise

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def _date_field(label: StrOrPromise, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}),
    )


class UnitCreateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=230)
    code = forms.CharField(label=gettext_lazy("Code"), max_length=50)
    short_name = forms.CharField(label=gettext_lazy("Short name"), max_length=80, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=UnitKind.choices)
    identifier = forms.CharField(
        label=gettext_lazy("Electronic identifier"), max_length=35, required=False
    )
    opened_on = _date_field(gettext_lazy("Opened on"))


class UnitEditForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=230)
    short_name = forms.CharField(label=gettext_lazy("Short name"), max_length=80, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=UnitKind.choices)
    identifier = forms.CharField(
        label=gettext_lazy("Electronic identifier"), max_length=35, required=False
    )


class UnitMoveForm(forms.Form):
    parent = forms.CharField(label=gettext_lazy("New parent unit (code or uid)"), max_length=50)
    effective_on = _date_field(gettext_lazy("Effective from"))
    note = forms.CharField(label=gettext_lazy("Reason / decision"), max_length=500, required=False)


class UnitCloseForm(forms.Form):
    closed_on = _date_field(gettext_lazy("Closed on"))


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    if not scope.can_any(Action.VIEW):
        raise PermissionDenied
    return scope


def _unit_or_404(scope: Scope, uid: str) -> Unit:
    try:
        return queries.get_unit(scope, uid)
    except NotFound as error:
        raise Http404(error.message) from None


def _admin_unit(request: HttpRequest, uid: str) -> tuple[Scope, Unit]:
    """Out-of-scope units are 404 for everybody; in-scope ones are 403 without ADMINISTER."""
    scope = _scope(request)
    unit = _unit_or_404(scope, uid)
    if not scope.can(Action.ADMINISTER):
        raise PermissionDenied
    return scope, unit


def _show_error(form: forms.Form, error: HaucanError, default: str | None = None) -> None:
    """Put a service error next to the field it names, or on top of the form."""
    field = error.field if error.field in form.fields else default
    form.add_error(field, error.message)


def _parse_day(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _nodes(units: list[Unit]) -> list[tuple[Unit, int]]:
    counts = queries.open_child_counts(units)
    return [(unit, counts.get(unit.pk, 0)) for unit in units]


@requires(Action.VIEW)
def tree(request: HttpRequest) -> HttpResponse:
    """The scope's roots, expanded lazily; with ?as_of=, the whole tree as it was that day."""
    scope = _scope(request)
    as_of_text = request.GET.get("as_of", "").strip()
    context: dict[str, Any] = {"as_of_text": as_of_text}
    if as_of_text:
        day = _parse_day(as_of_text)
        if day is None:
            messages.error(request, _("Enter the date as dd/mm/yyyy."))
        else:
            context.update(as_of=day, rows=queries.tree_as_of(scope, day))
    if "as_of" not in context:
        context["nodes"] = _nodes(queries.scope_roots(scope))
    return render(request, "org/tree.html", context)


@requires(Action.VIEW)
def children(request: HttpRequest, uid: str) -> HttpResponse:
    """HTMX fragment: the open children of one unit of the scope."""
    scope = _scope(request)
    unit = _unit_or_404(scope, uid)
    return render(request, "org/_children.html", {"nodes": _nodes(queries.children(scope, unit))})


@requires(Action.VIEW)
def search(request: HttpRequest) -> HttpResponse:
    """HTMX fragment (or a page without HTMX): units whose name or code matches, sans diacritics."""
    scope = _scope(request)
    text = request.GET.get("q", "")
    results = queries.search_units(scope, text) if text.strip() else []
    template = "org/_search_results.html" if request.htmx else "org/search.html"  # type: ignore[attr-defined]
    return render(request, template, {"q": text, "results": results})


@requires(Action.VIEW)
def detail(request: HttpRequest, uid: str) -> HttpResponse:
    scope = _scope(request)
    unit = _unit_or_404(scope, uid)
    context = {
        "unit": unit,
        "level_name": queries.level_names().get(unit.depth, ""),
        "ancestors": queries.visible_ancestors(scope, unit),
        "children": queries.children(scope, unit, include_closed=True),
        "history": queries.unit_history(scope, unit),
        # The forms assigned here: catalog's M2M seen from the unit, so org needs no catalog import.
        "data_sets": list(unit.data_sets.order_by("name")),
        "can_admin": scope.can(Action.ADMINISTER),
    }
    return render(request, "org/detail.html", context)


def _form_page(
    request: HttpRequest, unit: Unit, form: forms.Form, title: str, submit: str
) -> HttpResponse:
    context = {"unit": unit, "form": form, "title": title, "submit": submit}
    return render(request, "org/unit_form.html", context)


@requires(Action.VIEW)
def create_child(request: HttpRequest, uid: str) -> HttpResponse:
    scope, parent = _admin_unit(request, uid)
    form = UnitCreateForm(request.POST or None, initial={"opened_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        spec = services.UnitSpec(
            name=data["name"],
            code=data["code"],
            kind=data["kind"],
            identifier=data["identifier"] or None,
            short_name=data["short_name"],
        )
        try:
            unit = services.create_unit(
                scope, spec=spec, parent=parent, opened_on=data["opened_on"]
            )
        except HaucanError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The unit %(name)s was created.") % {"name": unit.name})
            return redirect("org:detail", unit.uid)
    return _form_page(request, parent, form, _("Add a subordinate unit"), _("Create"))


@requires(Action.VIEW)
def edit(request: HttpRequest, uid: str) -> HttpResponse:
    scope, unit = _admin_unit(request, uid)
    initial = {
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "identifier": unit.identifier or "",
    }
    form = UnitEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_unit(scope, unit, **form.cleaned_data)
        except HaucanError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("org:detail", unit.uid)
    return _form_page(request, unit, form, _("Edit the unit"), _("Save"))


@requires(Action.VIEW)
def move(request: HttpRequest, uid: str) -> HttpResponse:
    scope, unit = _admin_unit(request, uid)
    form = UnitMoveForm(request.POST or None, initial={"effective_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new_parent = queries.get_unit(scope, data["parent"].strip())
            services.move_unit(
                scope, unit, new_parent, effective_on=data["effective_on"], note=data["note"]
            )
        except HaucanError as error:
            _show_error(form, error, default="parent" if isinstance(error, NotFound) else None)
        else:
            messages.success(request, _("The unit was moved."))
            return redirect("org:detail", unit.uid)
    return _form_page(request, unit, form, _("Move the unit"), _("Move"))


@requires(Action.VIEW)
def close(request: HttpRequest, uid: str) -> HttpResponse:
    scope, unit = _admin_unit(request, uid)
    form = UnitCloseForm(request.POST or None, initial={"closed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.close_unit(scope, unit, closed_on=form.cleaned_data["closed_on"])
        except HaucanError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The unit was closed."))
            return redirect("org:detail", unit.uid)
    return _form_page(request, unit, form, _("Close the unit"), _("Close the unit"))
