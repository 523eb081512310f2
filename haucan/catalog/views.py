"""Catalog pages: browse forms, elements, indicators, rules, combinations and norms; design them.

Who may use what: lists and form layouts need VIEW (a clerk sees only the forms assigned in their
scope; designers see every form). Create pages need DESIGN in some domain; editing an object needs
DESIGN in that object's domain, else 403. Saving goes through `haucan.catalog.services`, whose
errors (an expression's position, a duplicate code, a forbidden domain) appear next to the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from haucan.catalog import queries, services
from haucan.catalog.forms import (
    DataElementForm,
    DataSetForm,
    DomainScopedForm,
    IndicatorForm,
    NormForm,
    ValidationRuleForm,
    designable_domains,
)
from haucan.catalog.models import (
    DataElement,
    DataSet,
    Identified,
    Indicator,
    NormSet,
    ValidationRule,
)
from haucan.core.access import requires
from haucan.core.errors import HaucanError, NotFound
from haucan.core.scope import Action, Domain, Scope

Obj = TypeVar("Obj", bound=Identified)


def _viewer(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    if not scope.can_any(Action.VIEW):
        raise PermissionDenied
    return scope


def _designer(request: HttpRequest, domain: str | None = None) -> Scope:
    """DESIGN in `domain`, or in any domain when creating (the form offers only those)."""
    scope: Scope = request.scope  # type: ignore[attr-defined]
    allowed = scope.can(Action.DESIGN, Domain(domain)) if domain else scope.can_any(Action.DESIGN)
    if not allowed:
        raise PermissionDenied
    return scope


def _get(model: type[Obj], uid: str) -> Obj:
    try:
        return queries.get_catalog_object(model, uid)
    except NotFound as error:
        raise Http404(error.message) from None


def _show_error(form: BaseForm, error: HaucanError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _listing(
    request: HttpRequest, rows: QuerySet[Any], template: str, **extra: Any
) -> HttpResponse:
    scope = _viewer(request)
    text = request.GET.get("q", "")
    context = {
        "objects": queries.search_catalog(rows, text),
        "q": text,
        "can_design": scope.can_any(Action.DESIGN),
        # Rows whose domain is in this list show an edit button.
        "design_domains": [value for value, _label in designable_domains(scope)],
        **extra,
    }
    return render(request, template, context)


def _design_page(
    request: HttpRequest,
    form_class: type[DomainScopedForm],
    instance: Obj,
    save: Callable[[Scope, Any], Obj],
    back: str,
    title: str,
) -> HttpResponse:
    """Create or edit one catalog object; the edit check uses the domain it has before the edit."""
    scope = _designer(request, instance.domain if instance.pk else None)  # type: ignore[attr-defined]
    form = form_class(request.POST or None, instance=instance, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(scope, form.save(commit=False))
        except HaucanError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": saved.name})
            return redirect(back)
    context = {"form": form, "title": title, "back": back, "object": instance}
    return render(request, "catalog/form.html", context)


@requires(Action.VIEW)
def index(request: HttpRequest) -> HttpResponse:
    scope = _viewer(request)
    context = {
        "can_design": scope.can_any(Action.DESIGN),
        "counts": {
            "elements": DataElement.objects.count(),
            "data_sets": queries.data_sets_overview(scope).count(),
            "indicators": Indicator.objects.count(),
            "rules": ValidationRule.objects.count(),
            "norm_sets": NormSet.objects.count(),
        },
    }
    return render(request, "catalog/index.html", context)


@requires(Action.VIEW)
def elements(request: HttpRequest) -> HttpResponse:
    rows = DataElement.objects.select_related("category_combo")
    return _listing(request, rows, "catalog/elements.html")


@requires(Action.DESIGN)
def element_create(request: HttpRequest) -> HttpResponse:
    return _design_page(
        request,
        DataElementForm,
        DataElement(),
        services.save_data_element,
        "catalog:elements",
        _("New data element"),
    )


@requires(Action.DESIGN)
def element_edit(request: HttpRequest, uid: str) -> HttpResponse:
    return _design_page(
        request,
        DataElementForm,
        _get(DataElement, uid),
        services.save_data_element,
        "catalog:elements",
        _("Edit data element"),
    )


@requires(Action.VIEW)
def data_sets(request: HttpRequest) -> HttpResponse:
    scope = _viewer(request)
    return _listing(request, queries.data_sets_overview(scope), "catalog/data_sets.html")


@requires(Action.VIEW)
def data_set_detail(request: HttpRequest, uid: str) -> HttpResponse:
    scope = _viewer(request)
    try:
        data_set = queries.visible_data_set(scope, uid)
    except NotFound as error:
        raise Http404(error.message) from None
    context = {
        "data_set": data_set,
        "layout": queries.data_set_layout(scope, data_set),
        "can_edit": scope.can(Action.DESIGN, Domain(data_set.domain)),
    }
    return render(request, "catalog/data_set_detail.html", context)


@requires(Action.DESIGN)
def data_set_create(request: HttpRequest) -> HttpResponse:
    return _design_page(
        request,
        DataSetForm,
        DataSet(),
        services.save_data_set,
        "catalog:data_sets",
        _("New report form"),
    )


@requires(Action.DESIGN)
def data_set_edit(request: HttpRequest, uid: str) -> HttpResponse:
    return _design_page(
        request,
        DataSetForm,
        _get(DataSet, uid),
        services.save_data_set,
        "catalog:data_sets",
        _("Edit report form"),
    )


@requires(Action.VIEW)
def indicators(request: HttpRequest) -> HttpResponse:
    return _listing(request, Indicator.objects.all(), "catalog/indicators.html")


@requires(Action.DESIGN)
def indicator_create(request: HttpRequest) -> HttpResponse:
    return _design_page(
        request,
        IndicatorForm,
        Indicator(),
        services.save_indicator,
        "catalog:indicators",
        _("New indicator"),
    )


@requires(Action.DESIGN)
def indicator_edit(request: HttpRequest, uid: str) -> HttpResponse:
    return _design_page(
        request,
        IndicatorForm,
        _get(Indicator, uid),
        services.save_indicator,
        "catalog:indicators",
        _("Edit indicator"),
    )


@requires(Action.VIEW)
def rules(request: HttpRequest) -> HttpResponse:
    return _listing(request, ValidationRule.objects.all(), "catalog/rules.html")


@requires(Action.DESIGN)
def rule_create(request: HttpRequest) -> HttpResponse:
    return _design_page(
        request,
        ValidationRuleForm,
        ValidationRule(),
        services.save_validation_rule,
        "catalog:rules",
        _("New validation rule"),
    )


@requires(Action.DESIGN)
def rule_edit(request: HttpRequest, uid: str) -> HttpResponse:
    return _design_page(
        request,
        ValidationRuleForm,
        _get(ValidationRule, uid),
        services.save_validation_rule,
        "catalog:rules",
        _("Edit validation rule"),
    )


@requires(Action.VIEW)
def combos(request: HttpRequest) -> HttpResponse:
    return _listing(request, queries.category_combos(), "catalog/combos.html")


@requires(Action.VIEW)
def norm_sets(request: HttpRequest) -> HttpResponse:
    return _listing(request, queries.norm_sets(), "catalog/norm_sets.html")


@requires(Action.VIEW)
def norm_set_detail(request: HttpRequest, uid: str) -> HttpResponse:
    scope = _viewer(request)
    norm_set = _get(NormSet, uid)
    context = {
        "norm_set": norm_set,
        "norms": queries.norms_of(norm_set),
        "can_edit": scope.can(Action.DESIGN, Domain(norm_set.domain)),
    }
    return render(request, "catalog/norm_set_detail.html", context)


@requires(Action.DESIGN)
def norm_add(request: HttpRequest, uid: str) -> HttpResponse:
    norm_set = _get(NormSet, uid)
    scope = _designer(request, norm_set.domain)
    form = NormForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_norm(scope, norm_set, **form.cleaned_data)
        except HaucanError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The norm was added."))
            return redirect("catalog:norm_set_detail", norm_set.uid)
    context = {"form": form, "title": _("Add a norm"), "object": norm_set}
    return render(request, "catalog/norm_form.html", context)
