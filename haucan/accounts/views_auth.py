"""Signing in: password, then (when the user has one or their role requires it) the second factor.

The password step is Django's LoginView with the outcome audited; when a second factor is due the
session is marked (middleware.MFA_STAGE_KEY) and SecondFactorMiddleware serves nothing but the
verify or set-up page until it is done. Lockouts (django-axes) answer with `locked_out`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from haucan.accounts import security
from haucan.accounts.middleware import MFA_STAGE_KEY, mark_seen
from haucan.accounts.models import User
from haucan.core.access import login_only
from haucan.core.errors import HaucanError


def _safe_next(request: HttpRequest, default: str = "") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)  # signs in; the session key is rotated
        user: User = form.get_user()
        mark_seen(self.request)
        security.record_auth_event(self.request, "auth.login", user=user)
        if security.has_second_factor(user):
            stage = "verify"
        elif security.mfa_required(user) and settings.HAUCAN_MFA_ENFORCED:
            stage = "enrol"
        else:
            return response
        self.request.session[MFA_STAGE_KEY] = stage
        target = reverse("security:verify" if stage == "verify" else "security:setup")
        return HttpResponseRedirect(f"{target}?{urlencode({'next': self.get_success_url()})}")

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = str(self.request.POST.get("username", ""))[:150]
        locked = bool(getattr(self.request, "axes_locked_out", False))
        security.record_auth_event(
            self.request,
            "auth.lockout" if locked else "auth.login_failed",
            username=username,
            detail={"via": "form"},
        )
        return super().form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        return context


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            security.record_auth_event(request, "auth.logout", user=request.user)
        return super().post(request, *args, **kwargs)


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer once an account or address is locked (429, Vietnamese page/JSON)."""
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    message = _(
        "Too many failed sign-in attempts. Sign-in is locked for %(minutes)s minutes; "
        "an administrator can unlock it sooner."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "httpStatus": "Too Many Requests",
                "httpStatusCode": 429,
                "status": "ERROR",
                "message": message,
                "errorCode": "LockedOut",
            },
            status=429,
        )
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)


@login_only
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator, or a recovery code."""
    user: User = request.user  # type: ignore[assignment]
    error = ""
    if request.method == "POST":
        device = security.verify_second_factor(request, user, request.POST.get("token", ""))
        if device is not None:
            otp_login(request, device)
            request.session.pop(MFA_STAGE_KEY, None)
            request.session.cycle_key()
            return HttpResponseRedirect(_safe_next(request))
        error = _("The code is not correct.")
    return render(
        request, "accounts/mfa_verify.html", {"error": error, "next": _safe_next(request)}
    )


def _qr_data_uri(text: str) -> str:
    # Drawn here (segno, no network); an <img src="data:…"> needs no script under the CSP.
    return str(segno.make(text, error="m").svg_data_uri(scale=5, border=2))


@login_only
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Two-step sign-in: its state, the authenticator set-up (QR code), recovery codes, turning
    it off where it is optional."""
    user: User = request.user  # type: ignore[assignment]
    enrolling = request.session.get(MFA_STAGE_KEY) == "enrol"
    context: dict[str, Any] = {
        "required": security.mfa_required(user) and settings.HAUCAN_MFA_ENFORCED,
        "enrolling": enrolling,
        "next": _safe_next(request),
        "error": "",
    }
    if request.method == "POST":
        action = request.POST.get("action", "confirm")
        try:
            if action == "confirm":
                codes = security.confirm_totp(request, user, request.POST.get("token", ""))
                device = security.TOTPDevice.objects.get(user=user, confirmed=True)
                otp_login(request, device)
                if request.session.pop(MFA_STAGE_KEY, None):
                    request.session.cycle_key()
                return render(request, "accounts/mfa_codes.html", {**context, "codes": codes})
            if action == "codes" and not enrolling:
                codes = security.regenerate_recovery_codes(request, user)
                return render(request, "accounts/mfa_codes.html", {**context, "codes": codes})
            if action == "disable" and not enrolling:
                security.disable_mfa(request, user, request.POST.get("token", ""))
                return HttpResponseRedirect(reverse("security:setup"))
        except HaucanError as exc:
            context["error"] = exc.message
    active = security.has_second_factor(user)
    context["active"] = active
    if not active:
        device = security.pending_totp(user)
        context["qr"] = _qr_data_uri(device.config_url)
        context["secret"] = security.b32_secret(device)
    context["recovery_left"] = security.recovery_codes_left(user)
    return render(request, "accounts/mfa_setup.html", context)
