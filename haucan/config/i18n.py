"""Refresh and compile the Vietnamese catalogue: ``python -m haucan.config.i18n``.

Runs makemessages for ``vi`` over the package (tests excluded, no source locations, obsolete
entries dropped), lists the msgids that still need a translation (empty or fuzzy), then compiles
django.mo. Needs GNU gettext (``apt-get install gettext``) and the dev extra (polib). Exits 1 while
some entry is untranslated, so it can be run again until the catalogue is complete.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PO_PATH = PACKAGE_DIR / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haucan.config.settings")
    import django
    import polib
    from django.core.management import call_command

    django.setup()
    os.chdir(PACKAGE_DIR)  # makemessages reads the tree below the working directory
    call_command(
        "makemessages",
        locale=["vi"],
        # One catalogue for the whole package: an app's own locale/ would take its strings away.
        ignore_patterns=["tests/*", "*/tests/*", "*/locale"],
        no_location=True,
        no_obsolete=True,
        verbosity=0,
    )
    po = polib.pofile(str(PO_PATH))
    po.metadata["Language"] = "vi"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata_is_fuzzy = False
    po.save()
    todo = po.untranslated_entries() + po.fuzzy_entries()
    for entry in todo:
        print(f"{'fuzzy' if entry.fuzzy else 'untranslated'}: {entry.msgid!r}")
    call_command("compilemessages", locale=["vi"], ignore_patterns=["*/locale"], verbosity=0)
    print(f"{PO_PATH.relative_to(PACKAGE_DIR.parent)}: {len(po)} entries, {len(todo)} to translate")
    return 1 if todo else 0


if __name__ == "__main__":
    sys.exit(main())
