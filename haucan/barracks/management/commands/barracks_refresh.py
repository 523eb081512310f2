"""`haucan manage barracks_refresh`: the daily re-evaluation of the calendar-driven barracks
warnings, and (with --publish) the full republication of the barracks forms."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from haucan.barracks.services import publish, warnings
from haucan.core.scope import Scope


class Command(BaseCommand):
    help = "Re-evaluate end-of-life and overdue-case warnings; --publish also republishes forms."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--publish", action="store_true", help="republish every unit's forms")

    def handle(self, *args: Any, **options: Any) -> None:
        scope = Scope.system("barracks refresh")
        checked = warnings.refresh_all(scope)
        self.stdout.write(f"{checked} buildings and cases checked")
        if options["publish"]:
            written = publish.publish_all(scope)
            self.stdout.write(f"{written} report values written")
