from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import Http404, HttpRequest
from django.utils import timezone

from haucan.core.errors import HaucanError, NotFound
from haucan.core.scope import Action, Domain, Scope


def scope_of(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    return scope


def can_enter(request: HttpRequest) -> bool:
    return scope_of(request).can(Action.ENTER, Domain.BARRACKS)


def found(call: Callable[[], Any]) -> Any:
    """Run a query; an object out of scope is a 404 like any missing one."""
    try:
        return call()
    except NotFound as exc:
        raise Http404(str(exc)) from None


def attempt(form: forms.BaseForm, call: Callable[[], Any]) -> Any:
    """Run a service; its error goes beside the field it names (or on top). None on failure."""
    try:
        return call()
    except NotFound as exc:
        raise Http404(str(exc)) from None
    except HaucanError as exc:
        target = exc.field if exc.field in form.fields else None
        form.add_error(target, exc.message)
        return None


def today() -> Any:
    return timezone.localdate()
