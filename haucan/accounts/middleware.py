"""Per-request account plumbing: the Scope, idle-session expiry, the second-factor gate, headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from haucan.accounts.queries import resolve_scope

# Session keys (kept short: they travel in every session row).
SEEN_KEY = "hc_seen"  # epoch seconds of the last request
MFA_STAGE_KEY = "hc_mfa"  # "verify" or "enrol" while the second factor is outstanding
# The last-seen time is written back at most this often, so ordinary requests do not save the
# session (one UPDATE) each time; idle expiry is therefore exact to within this many seconds.
SEEN_RESOLUTION = 60


class ScopeMiddleware:
    """Resolve the Scope once per request, lazily, as `request.scope`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.scope = SimpleLazyObject(lambda: resolve_scope(request.user))  # type: ignore[attr-defined]
        return self.get_response(request)


def mark_seen(request: HttpRequest) -> None:
    """Start the idle clock of a new session (called when a user signs in)."""
    request.session[SEEN_KEY] = int(time.time())


class IdleSessionMiddleware:
    """Sign out a session that made no request for HAUCAN_SESSION_IDLE_SECONDS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(SEEN_KEY)
            if isinstance(seen, int) and now - seen > settings.HAUCAN_SESSION_IDLE_SECONDS:
                from haucan.accounts.security import record_auth_event

                record_auth_event(
                    request, "auth.session_expired", user=user, detail={"idle": now - seen}
                )
                logout(request)
                return _to_login(request, expired=True)
            if not isinstance(seen, int) or now - seen >= SEEN_RESOLUTION:
                request.session[SEEN_KEY] = now
        return self.get_response(request)


def _to_login(request: HttpRequest, *, expired: bool = False) -> HttpResponse:
    if request.path.startswith("/api/") or request.headers.get("HX-Request"):
        return JsonResponse(
            {"status": "ERROR", "httpStatusCode": 401, "message": _("Your session has ended.")},
            status=401,
        )
    query = {"next": request.get_full_path()}
    if expired:
        query["expired"] = "1"
    return HttpResponseRedirect(f"{reverse('login')}?{urlencode(query)}")


class SecondFactorMiddleware:
    """Hold a session that passed the password but not yet the second factor at the verify (or,
    for a role that requires it and has none yet, the set-up) page: nothing else is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        stage = request.session.get(MFA_STAGE_KEY) if user is not None else None
        if stage and user is not None and user.is_authenticated:
            target = reverse("security:verify" if stage == "verify" else "security:setup")
            allowed = (target, reverse("logout"), reverse("set_language"), settings.STATIC_URL)
            if not request.path.startswith(allowed):
                if request.path.startswith("/api/") or request.headers.get("HX-Request"):
                    return JsonResponse(
                        {
                            "status": "ERROR",
                            "httpStatusCode": 401,
                            "message": _("Finish signing in with your second factor."),
                        },
                        status=401,
                    )
                return HttpResponseRedirect(
                    f"{target}?{urlencode({'next': request.get_full_path()})}"
                )
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Permissions-Policy (no camera, microphone, location…): Django has no setting for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


class RequestSizeMiddleware:
    """Refuse a request body over HAUCAN_MAX_REQUEST_MB before Django parses (and spools to a
    temporary file) any of it: the views' own per-file limits then only see sane sizes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = int(getattr(settings, "HAUCAN_MAX_REQUEST_BYTES", 0))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            message = _("The request is too large (at most %(mb)d MB).") % {
                "mb": limit // (1024 * 1024)
            }
            if request.path.startswith("/api/") or request.headers.get("HX-Request"):
                return JsonResponse(
                    {"status": "ERROR", "httpStatusCode": 413, "message": message}, status=413
                )
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
