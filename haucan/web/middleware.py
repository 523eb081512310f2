from __future__ import annotations

from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """The pages speak Vietnamese unless the user picked another language (the language cookie
    set by the switcher). A browser's Accept-Language is ignored on pages, since many machines on
    the network ship with English browsers; API clients still choose with Accept-Language."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
