"""The user's own API tokens: list, create (the plaintext is shown once, in the answer to the
POST, and never again) and revoke. Every change goes through `haucan.accounts.tokens`."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from haucan.accounts import tokens
from haucan.core.access import login_only
from haucan.core.errors import HaucanError, NotFound
from haucan.core.scope import Scope
from haucan.org.queries import get_unit


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    expires_on = forms.DateField(
        label=gettext_lazy("Valid until (inclusive)"),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
        help_text=gettext_lazy("Leave empty for a token that does not expire."),
    )
    unit = forms.CharField(
        label=gettext_lazy("Limit to unit (code or uid)"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("The token then sees only this unit and the units below it."),
    )
    read_only = forms.BooleanField(label=gettext_lazy("Read only"), required=False)


_FORM_FIELD = {"name": "name", "expires_at": "expires_on"}


def _page(request: HttpRequest, form: TokenForm, plaintext: str = "") -> HttpResponse:
    context = {
        "form": form,
        "tokens": tokens.tokens_of(request.user),  # type: ignore[arg-type]
        "plaintext": plaintext,
        "now": timezone.now(),
    }
    return render(request, "accounts/tokens.html", context)


@never_cache
@login_only
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    scope: Scope = request.scope  # type: ignore[attr-defined]
    data = form.cleaned_data
    expires_at = None
    if data["expires_on"]:
        # Valid through the chosen day: it expires at the next local midnight.
        next_day = data["expires_on"] + timedelta(days=1)
        expires_at = timezone.make_aware(datetime.combine(next_day, time.min))
    try:
        unit = get_unit(scope, data["unit"].strip()) if data["unit"].strip() else None
        _token, plaintext = tokens.create_token(
            scope,
            request.user,  # type: ignore[arg-type]
            data["name"],
            expires_at=expires_at,
            unit=unit,
            read_only=data["read_only"],
        )
    except HaucanError as error:
        # Service fields map to form fields; an error without one (unit not found) is the unit's.
        form.add_error(_FORM_FIELD.get(error.field or "", "unit"), error.message)
        return _page(request, form)
    messages.success(request, _("Token created. Copy it now: it will not be shown again."))
    return _page(request, TokenForm(), plaintext)


@login_only
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    try:
        token = tokens.revoke_token(scope, token_id)
    except NotFound as error:
        raise Http404(error.message) from None  # someone else's token: it does not exist here
    except HaucanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:tokens")
