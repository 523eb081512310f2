"""The HTTP API: one django-ninja instance at /api (OpenAPI 3 at /api/schema, docs at /api/docs).

Errors are JSON in DHIS2's WebMessage shape, so DHIS2 clients read them as they expect, and never
an HTML page: a `HaucanError` keeps its status, anything else is a logged 500 with a plain message.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth import authenticate
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBasicAuth
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.security.http import HttpAuthBase

from haucan.core.errors import HaucanError

log = logging.getLogger(__name__)


class BasicAuth(HttpBasicAuth):
    """HTTP Basic, as DHIS2 scripts use it; the user becomes request.user for the Scope."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> object | None:
        # authenticate() passes through django-axes: failures count towards the lockout, and a
        # locked account or address is refused (AxesMiddleware then answers 429).
        user = authenticate(request, username=username, password=password)
        if user is None or not user.is_active:
            from haucan.accounts.security import record_auth_event

            locked = bool(getattr(request, "axes_locked_out", False))
            record_auth_event(
                request,
                "auth.lockout" if locked else "auth.login_failed",
                username=username,
                detail={"via": "basic"},
            )
            return None
        request.user = user
        return user


class ApiTokenAuth(HttpAuthBase):
    """`Authorization: ApiToken hcs_…` (DHIS2's header). The token's owner becomes request.user and
    request.scope is the owner's scope narrowed by the token (haucan.accounts.tokens)."""

    openapi_scheme = "ApiToken"
    keyword = "apitoken"

    def __call__(self, request: HttpRequest) -> object | None:
        keyword, _sep, plaintext = request.headers.get("Authorization", "").partition(" ")
        if keyword.lower() != self.keyword:
            return None
        from haucan.accounts import tokens

        try:
            token = tokens.authenticate_token(plaintext.strip())
        except tokens.TokenRejected as exc:
            raise HttpError(401, exc.message) from None
        if token.read_only and request.method not in ("GET", "HEAD", "OPTIONS"):
            raise HttpError(403, gettext("This API token is read-only."))
        request.user = token.user
        request.scope = tokens.token_scope(token)  # type: ignore[attr-defined]
        return token.user


class SessionAuth(NinjaSessionAuth):
    """The browser's session. Without a signed-in session the caller is anonymous: 401, as for
    the other schemes (ninja would first refuse a write's missing CSRF token with 403)."""

    def __call__(self, request: HttpRequest) -> object | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)


api = NinjaAPI(
    title="Hậu Cần Số API",
    version="1",
    description="DHIS2-compatible aggregate API and module APIs of Hậu Cần Số.",
    # Header schemes first: without their header they pass on, so the session check (which
    # demands a CSRF token on writes) never blocks a Basic or token client.
    auth=[ApiTokenAuth(), BasicAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/schema",
)


def _message(request: HttpRequest, status: int, message: str, code: str = "") -> HttpResponse:
    body = {
        "httpStatus": HttpResponse(status=status).reason_phrase,
        "httpStatusCode": status,
        "status": "ERROR",
        "message": message,
    }
    if code:
        body["errorCode"] = code
    return api.create_response(request, body, status=status)


@api.exception_handler(HaucanError)
def _haucan_error(request: HttpRequest, exc: HaucanError) -> HttpResponse:
    return _message(request, exc.status, exc.message, type(exc).__name__)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _message(request, 404, str(exc) or "Not found")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _message(request, 401, "Authentication required")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _message(request, exc.status_code, str(exc))


@api.exception_handler(NinjaValidationError)
def _invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """A body or parameter that does not fit an operation's declared schema: 400, naming the
    fields (as every other refusal here), not ninja's bare 422."""
    fields = []
    for error in exc.errors[:10]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body",))
        fields.append(f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", "")))
    message = gettext("The request does not match the operation's schema: %(fields)s") % {
        "fields": "; ".join(fields)
    }
    return _message(request, 400, message, "E4000")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    from haucan.web.unavailable import api_unavailable_body, close_broken_connections

    log.warning("Database unavailable on %s: %s", request.path, exc)
    close_broken_connections()
    response = api.create_response(request, api_unavailable_body(), status=503)
    response["Retry-After"] = "30"
    return response


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s", request.path)
    return _message(request, 500, "Internal error; it has been logged.")


def _refuse_nul(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A NUL character in the path or a query parameter is refused (400) before anything else:
    PostgreSQL cannot hold it in a text value (a query with it fails there and not on SQLite), and
    no identifier, period or filter of ours contains one. A finding of the schemathesis run."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        forms = [request.GET]
        if request.content_type == "application/x-www-form-urlencoded":
            forms.append(request.POST)  # /api/dataValues takes its fields from a form too
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values)
            for form in forms
            for key, values in form.lists()
        ):
            return _message(request, 400, gettext("Text may not contain NUL characters."))
        return view(request, *args, **kwargs)

    return wrapper


api.add_decorator(_refuse_nul, mode="view")


def _register_routers() -> None:
    # One line per router; the DHIS2-compatible routes live at the root of /api.
    from haucan.analytics.api import router as analytics_router
    from haucan.exchange.metadata_api import router as metadata_router

    api.add_router("", analytics_router)
    from haucan.exchange.datavalues_api import router as datavalues_router

    api.add_router("", datavalues_router)
    api.add_router("", metadata_router)
    # A domain module's router is plugged in by name, so the core's import graph (checked by
    # import-linter: the core never imports a domain module) stays free of it.
    import importlib

    api.add_router("/v1/medical", importlib.import_module("haucan.medical.api").router)


_register_routers()
