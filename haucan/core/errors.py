"""Typed errors that services raise and the edges map to HTTP status codes and messages.

Messages are already translated (services call gettext), so a view shows `str(error)` as is.
"""

from __future__ import annotations


class HaucanError(Exception):
    """Base of every expected, user-facing failure."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(HaucanError):
    """The input is malformed or breaks a rule; nothing was written."""


class NotFound(HaucanError):
    """The object does not exist, or is outside the actor's scope (the two look the same)."""

    status = 404


class PermissionDenied(HaucanError):
    """The object is visible but the actor may not perform this action on it."""

    status = 403


class Conflict(HaucanError):
    """The object changed since the actor read it, or its state forbids the change."""

    status = 409
