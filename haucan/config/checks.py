"""`haucan check`: is the configuration sound and the database reachable and up to date?"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


def pending_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def run_checks(say: Callable[[str], object]) -> int:
    """Print one line per check; return the number of problems."""
    problems = 0
    vendor = connection.vendor
    say(f"Database: {vendor} ({settings.DATABASES['default']['NAME']})")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if vendor == "sqlite":
                cursor.execute("PRAGMA journal_mode")
                mode = cursor.fetchone()[0]
                say(f"  journal mode: {mode}")
                if mode != "wal":
                    say("  problem: SQLite is not in WAL mode")
                    problems += 1
                cursor.execute("PRAGMA integrity_check")
                result = cursor.fetchone()[0]
                say(f"  integrity: {result}")
                problems += result != "ok"
    except DatabaseError as exc:
        say(f"  problem: the database cannot be reached: {exc}")
        return problems + 1
    pending = pending_migrations()
    if pending:
        say(f"  problem: {len(pending)} migration(s) not applied; run `haucan init`")
        problems += 1
    else:
        say("  migrations: up to date")
        problems += _check_triggers(say)
    say(f"Data directory: {settings.DATA_DIR}")
    if settings.DEBUG:
        say("  warning: HAUCAN_DEBUG is on; never run production like this")
    say(f"Language: {settings.LANGUAGE_CODE}, time zone: {settings.TIME_ZONE}")
    return problems


def _check_triggers(say: Callable[[str], object]) -> int:
    """The metadata stamp's triggers (haucan.alerts.stamp): without one, a process could keep
    rules or catalog entries that changed."""
    from haucan.alerts import stamp

    missing = stamp.expected_triggers(connection.vendor) - stamp.installed_triggers(connection)
    if missing:
        say(f"  problem: {len(missing)} metadata trigger(s) missing; run `haucan init`")
        return 1
    say("  metadata triggers: in place")
    return 0
