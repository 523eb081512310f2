"""Text helpers for Vietnamese: search that ignores diacritics."""

from __future__ import annotations

import unicodedata

# đ/Đ are letters of their own, not d with a combining mark, so NFD does not strip them.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case `text` and strip Vietnamese diacritics: "Quân khu 4" -> "quan khu 4"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())
