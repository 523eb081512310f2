"""Identifiers: DHIS2-style uids and the electronic identifier (mã định danh điện tử).

The electronic identifier follows QĐ 20/2020/QĐ-TTg: at most 35 characters of `0-9`, `A-Z` and
`.`, written in groups separated by single dots (for example `000.00.00.G12`). The ministry's own
scheme is not public, so we store it opaquely and only enforce that shape: no empty group, no
leading or trailing dot, upper-case only.
"""

from __future__ import annotations

import re
import secrets
import string

from django.utils.translation import gettext as _

from haucan.core.errors import ValidationFailed

UID_LENGTH = 11
_UID_FIRST = string.ascii_letters
_UID_REST = string.ascii_letters + string.digits
_UID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")

IDENTIFIER_MAX_LENGTH = 35
_IDENTIFIER_RE = re.compile(r"^[0-9A-Z]+(?:\.[0-9A-Z]+)*$")


def generate_uid() -> str:
    """A random 11-character uid that starts with a letter, as DHIS2 makes them."""
    return secrets.choice(_UID_FIRST) + "".join(secrets.choice(_UID_REST) for _ in range(10))


def is_valid_uid(value: str) -> bool:
    return bool(_UID_RE.match(value))


def validate_identifier(value: str) -> str:
    """Return the electronic identifier if well-formed, else raise ValidationFailed."""
    if not value:
        raise ValidationFailed(_("The electronic identifier is empty."), field="identifier")
    if len(value) > IDENTIFIER_MAX_LENGTH:
        raise ValidationFailed(
            _("The electronic identifier has %(n)d characters; at most 35 are allowed.")
            % {"n": len(value)},
            field="identifier",
        )
    if not _IDENTIFIER_RE.match(value):
        bad = next((ch for ch in value if ch not in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ."), None)
        if bad is not None:
            message = _(
                "The electronic identifier may contain only 0-9, A-Z and '.'; "
                "'%(ch)s' is not allowed."
            ) % {"ch": bad}
        else:
            message = _(
                "The electronic identifier must be groups of 0-9/A-Z separated by single dots."
            )
        raise ValidationFailed(message, field="identifier")
    return value


def identifier_groups(value: str) -> list[str]:
    """The parsed view: the dot-separated groups, from the widest level to the narrowest."""
    return value.split(".")
