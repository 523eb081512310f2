"""The Vietnamese catalogue is complete, consistent with the code and compiled.

Msgids are English; the ``vi`` catalogue (haucan/locale/vi/LC_MESSAGES) must translate every one.
After adding or changing a user-facing string, run ``python -m haucan.config.i18n`` (needs GNU
gettext), translate the entries it lists, run it again to compile, and commit both django.po and
django.mo: a fresh machine serves the committed .mo and needs no gettext.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.utils import translation

import haucan

PACKAGE_DIR = Path(haucan.__file__).resolve().parent
LC_MESSAGES = PACKAGE_DIR / "locale" / "vi" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

NAMED = re.compile(r"%\(\w+\)[-#0 +]*\d*[sdfi]")
POSITIONAL = re.compile(r"%[sd]")
BRACES = re.compile(r"\{[\w.]*\}")

Key = tuple[str | None, str]


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    assert PO_PATH.is_file(), f"{PO_PATH} is missing; run python -m haucan.config.i18n"
    return polib.pofile(str(PO_PATH))


def _describe(entries: list[polib.POEntry]) -> str:
    return "\n".join(f"  {e.msgid!r}" for e in entries)


def test_header_is_vietnamese(po: polib.POFile) -> None:
    assert po.metadata.get("Language") == "vi"
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert not po.metadata_is_fuzzy, "remove the '#, fuzzy' flag from the header"


def test_every_entry_is_translated(po: polib.POFile) -> None:
    untranslated = [e for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e for e in po.fuzzy_entries() if not e.obsolete]
    assert not untranslated, f"{len(untranslated)} untranslated msgids:\n{_describe(untranslated)}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries (check, then drop the flag):\n{_describe(fuzzy)}"


def _placeholders(text: str) -> tuple[frozenset[str], Counter[str], frozenset[str]]:
    text = text.replace("%%", "")
    named = frozenset(NAMED.findall(text))
    positional = Counter(POSITIONAL.findall(NAMED.sub("", text)))
    return named, positional, frozenset(BRACES.findall(text))


def test_translations_keep_placeholders(po: polib.POFile) -> None:
    wrong = []
    for entry in po.translated_entries():
        if entry.msgid_plural:
            # Vietnamese has a single form; it may follow the singular or the plural msgid.
            sources = [entry.msgid, entry.msgid_plural]
            texts = list(entry.msgstr_plural.values())
        else:
            sources, texts = [entry.msgid], [entry.msgstr]
        expected = [_placeholders(source) for source in sources]
        wrong += [f"  {entry.msgid!r} -> {t!r}" for t in texts if _placeholders(t) not in expected]
    assert not wrong, "translations whose placeholders differ from the msgid:\n" + "\n".join(wrong)


def _po_messages(po: polib.POFile | polib.MOFile) -> dict[Key, object]:
    messages: dict[Key, object] = {}
    for entry in po.translated_entries():
        if entry.msgid_plural:
            plural = {int(k): v for k, v in entry.msgstr_plural.items()}
            messages[(entry.msgctxt, entry.msgid)] = (entry.msgid_plural, plural)
        else:
            messages[(entry.msgctxt, entry.msgid)] = entry.msgstr
    return messages


def test_mo_file_is_compiled_from_the_po_file(po: polib.POFile) -> None:
    assert MO_PATH.is_file(), f"{MO_PATH} is missing; run compilemessages"
    mo = polib.mofile(str(MO_PATH))
    assert _po_messages(mo) == _po_messages(po), (
        "django.mo is out of date with django.po; run "
        "`django-admin compilemessages` (or python -m haucan.config.i18n) and commit django.mo"
    )


def test_catalogue_is_used_at_run_time() -> None:
    with translation.override("vi"):
        assert translation.gettext("Units") == "Đơn vị"
        assert translation.gettext("Month %(month)02d/%(year)d") == "Tháng %(month)02d/%(year)d"
    with translation.override("en"):
        assert translation.gettext("Units") == "Units"


def test_period_labels_are_vietnamese() -> None:
    from haucan.core.periods import parse_period

    with translation.override("vi"):
        assert parse_period("202401").display_name() == "Tháng 01/2024"
        assert parse_period("2024Q3").display_name() == "Quý 3/2024"
        assert parse_period("2024").display_name() == "Năm 2024"
    with translation.override("en"):
        assert parse_period("202401").display_name() == "Month 01/2024"


# --- every marked string of the code is in the catalogue -----------------------------------------
# A light re-implementation of what makemessages extracts, so that this check needs no gettext:
# a string marked after the last catalogue update fails here instead of showing up in English.

SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}
CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}

TRANSLATE_TAG = re.compile(
    r"""\{%\s*trans(?:late)?\s+(?P<q>["'])(?P<msg>.*?)(?P=q)"""
    r"""(?:[^%]*?\bcontext\s+(?P<cq>["'])(?P<ctx>.*?)(?P=cq))?[^%]*%\}""",
    re.DOTALL,
)
UNDERSCORE_IN_TEMPLATE = re.compile(r"""\b_\((?P<q>["'])(?P<msg>.*?)(?P=q)\)""")
BLOCK = re.compile(
    r"\{%\s*blocktrans(?:late)?(?P<args>[^%]*)%\}(?P<body>.*?)"
    r"\{%\s*(?:plural|endblocktrans(?:late)?)\s*%\}",
    re.DOTALL,
)
BLOCK_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
BLOCK_CONTEXT = re.compile(r"""\bcontext\s+(["'])(.*?)\1""")


def _source_files(suffix: str) -> list[Path]:
    return sorted(
        path
        for path in PACKAGE_DIR.rglob(f"*{suffix}")
        if "tests" not in path.relative_to(PACKAGE_DIR).parts
        and not any(part.startswith(".") for part in path.relative_to(PACKAGE_DIR).parts)
    )


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _python_msgids(path: Path) -> list[Key]:
    found: list[Key] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        texts = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if name in SINGULAR | PLURAL and texts and isinstance(texts[0], str):
            found.append((None, texts[0]))
        elif (
            name in CONTEXT | CONTEXT_PLURAL
            and len(texts) > 1
            and isinstance(texts[0], str)
            and isinstance(texts[1], str)
        ):
            found.append((texts[0], texts[1]))
    return found


def _template_msgids(path: Path) -> list[Key]:
    text = path.read_text(encoding="utf-8")
    # The translate tag looks its literal up with each "%" doubled, as makemessages writes it.
    found: list[Key] = [
        (m["ctx"], m["msg"].replace("%", "%%")) for m in TRANSLATE_TAG.finditer(text)
    ]
    found += [(None, m["msg"]) for m in UNDERSCORE_IN_TEMPLATE.finditer(text)]
    for match in BLOCK.finditer(text):
        body = match["body"].replace("%", "%%")
        if "trimmed" in match["args"].split():
            body = " ".join(line.strip() for line in body.splitlines() if line.strip())
        context = BLOCK_CONTEXT.search(match["args"])
        found.append((context[2] if context else None, BLOCK_VARIABLE.sub(r"%(\1)s", body)))
    return found


def test_every_marked_string_is_in_the_catalogue(po: polib.POFile) -> None:
    known = {(e.msgctxt, e.msgid) for e in po if not e.obsolete}
    missing: dict[Key, str] = {}
    for path in _source_files(".py"):
        for key in _python_msgids(path):
            missing.setdefault(key, str(path.relative_to(PACKAGE_DIR)))
    for path in _source_files(".html") + _source_files(".txt"):
        for key in _template_msgids(path):
            missing.setdefault(key, str(path.relative_to(PACKAGE_DIR)))
    missing = {key: where for key, where in missing.items() if key not in known and key[1]}
    listing = sorted((msgid, where) for (_, msgid), where in missing.items())
    assert not missing, (
        "strings marked for translation but missing from the vi catalogue "
        "(run python -m haucan.config.i18n, then translate them):\n"
        + "\n".join(f"  {msgid!r} ({where})" for msgid, where in listing)
    )
