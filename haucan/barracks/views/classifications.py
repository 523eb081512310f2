from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from haucan.barracks.services.classifications import TABLES, save_entry
from haucan.barracks.views.common import attempt, scope_of
from haucan.core.access import requires
from haucan.core.scope import Action, Domain

EXCLUDE = ["id"]


def _form_class(table: str) -> type[forms.ModelForm[Any]]:
    model = TABLES[table]
    return forms.modelform_factory(model, exclude=EXCLUDE)


@requires(Action.VIEW, Domain.BARRACKS)
def classifications(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    tables = [
        (
            key,
            model._meta.verbose_name_plural,
            [
                (
                    row.pk,
                    getattr(row, "code", ""),
                    str(row),
                    getattr(row, "report_option", "") or getattr(row, "report_element", ""),
                )
                for row in model._default_manager.all()
            ],
        )
        for key, model in TABLES.items()
    ]
    return render(
        request,
        "barracks/classifications.html",
        {"tables": tables, "can_design": scope.can(Action.DESIGN, Domain.BARRACKS)},
    )


@requires(Action.DESIGN, Domain.BARRACKS)
def classification_edit(request: HttpRequest, table: str, pk: int | None = None) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    model = TABLES[table]
    instance = model._default_manager.filter(pk=pk).first() if pk else None
    if pk and instance is None:
        raise Http404
    form = _form_class(table)(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.fields}
        fresh = model._default_manager.filter(pk=pk).first() if pk else None
        done = attempt(form, lambda: save_entry(scope_of(request), table, values, fresh))
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("barracks:classifications")
    return render(
        request,
        "barracks/classification_form.html",
        {"form": form, "title": model._meta.verbose_name, "site": None},
    )
