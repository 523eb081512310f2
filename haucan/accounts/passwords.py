"""The password rule Django's validators leave out: the user name must not appear in it.

UserAttributeSimilarityValidator rejects a password that *resembles* the user name as a whole, but
a long password that merely contains it ("clerk_a-mua-thu-2024") passes; this one closes that gap.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from haucan.core.text import fold


class NotUsernameValidator:
    """Refuse a password that contains the user name, forwards or backwards, ignoring case and
    diacritics (user names of three characters or more)."""

    def validate(self, password: str, user: Any = None) -> None:
        username = fold(str(getattr(user, "username", "") or ""))
        if len(username) < 3:
            return
        folded = fold(password)
        if username in folded or username[::-1] in folded:
            raise ValidationError(
                _("The password must not contain the user name."), code="password_has_username"
            )

    def get_help_text(self) -> str:
        return _("Your password must not contain your user name.")
