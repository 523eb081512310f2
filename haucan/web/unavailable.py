"""A clear 503 when the database cannot be reached, and recovery without a restart.

A lost connection (the server restarted, a failover, the network) raises OperationalError or
InterfaceError from wherever the request first touches the database: a view, the session or the
Scope middleware. Pages answer a self-contained 503 page (it needs no database: no context
processors, no user), the API a JSON WebMessage (haucan.config.api registers the same answer),
both with Retry-After. The broken connection is closed on the spot, so the next request opens a
new one as soon as the database is back; nothing needs restarting.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

log = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def close_broken_connections() -> None:
    """Drop every connection that errored, so the next query reconnects."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(*DATABASE_DOWN):  # already gone; the next query reconnects
            conn.close()


def unavailable_message() -> str:
    return _("The database is unavailable; please try again in a minute.")


def api_unavailable_body() -> dict[str, object]:
    return {
        "httpStatus": "Service Unavailable",
        "httpStatusCode": 503,
        "status": "ERROR",
        "errorCode": "DatabaseUnavailable",
        "message": unavailable_message(),
    }


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    log.warning("Database unavailable on %s: %s", request.path, exc)
    close_broken_connections()
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(api_unavailable_body(), status=503)
    else:
        html = render_to_string("503.html", {"retry_url": request.get_full_path()})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Answers 503 for a view that lost the database (process_exception); handler500 below
    covers the middleware layers, whose exceptions Django turns into a 500 before they could
    reach an outer middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_DOWN):
            return unavailable_response(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage anywhere in the request is a 503, anything else the 500
    page."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_DOWN):
        return unavailable_response(request, exc)
    return defaults.server_error(request)
