"""The metadata stamp: a value that database triggers change with every write to a catalog table
or an alert rule, so that a process may keep what it read of them while the stamp is unchanged.

A trigger, not a signal: bulk_create, QuerySet.update(), raw SQL and a metadata package import
all change it, where a post_save handler would miss most of them. The value is random, not a
counter: a rolled-back transaction that changed it leaves the stamp as it was, and no later write
can bring back a stamp some process has already seen with other content.

The triggers are (re)made after every `migrate` (`ensure_triggers`, from a post_migrate handler):
SQLite drops a table's triggers when a migration rebuilds the table, and a catalog table added
later gets its trigger without anyone remembering to write one.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from haucan.alerts.models import AlertRule, MetadataStamp

STAMP = MetadataStamp._meta.db_table
FUNCTION = "haucan_touch_metadata"
# The model's table and the function's name, both constants (test_sql_rule.py).
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {STAMP} (id, value) VALUES (1, md5(random()::text || clock_timestamp()::text))
    ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
    RETURN NULL;
END $$
"""  # noqa: S608
# An UPDATE, and an INSERT only of the missing row: SQLite runs a trigger's statements under the
# outer statement's conflict policy, so an INSERT OR REPLACE here became an INSERT OR IGNORE (and
# changed nothing) when the ORM added many-to-many rows with INSERT OR IGNORE.
_SQLITE_STAMP = (
    f"UPDATE {STAMP} SET value = lower(hex(randomblob(16))) WHERE id = 1;"  # noqa: S608
    f" INSERT INTO {STAMP} (id, value) SELECT 1, lower(hex(randomblob(16)))"
    f" WHERE NOT EXISTS (SELECT 1 FROM {STAMP} WHERE id = 1)"
)
_SQLITE_EVENTS = ("insert", "update", "delete")


def watched_tables() -> list[str]:
    """Every catalog table (with the many-to-many ones) and the alert rules' tables."""
    through: Any = AlertRule.elements.through
    models = [
        *apps.get_app_config("catalog").get_models(include_auto_created=True),
        AlertRule,
        through,
    ]
    return sorted({m._meta.db_table for m in models})


def trigger_name(table: str, event: str = "") -> str:
    return f"haucan_stamp_{table}" + (f"_{event}" if event else "")


def ensure_triggers(connection: BaseDatabaseWrapper) -> None:
    """Create the stamp's triggers that are missing (idempotent), on the tables that exist (a
    migration half-way through the history may run this before a later table is made)."""
    existing = set(connection.introspection.table_names())
    if STAMP not in existing:  # alerts not migrated this far: nothing to point a trigger at
        return
    tables = [t for t in watched_tables() if t in existing]
    present = installed_triggers(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            for table in tables:
                if trigger_name(table) not in present:  # one per statement, not per row
                    cursor.execute(
                        f"CREATE TRIGGER {trigger_name(table)} AFTER INSERT OR UPDATE OR DELETE"
                        f" OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                    )
        elif connection.vendor == "sqlite":  # row triggers only
            for table in tables:
                for event in _SQLITE_EVENTS:
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {trigger_name(table, event)}"
                        f" AFTER {event.upper()} ON {table} BEGIN {_SQLITE_STAMP}; END"
                    )
        else:  # the platform runs on these two (DESIGN.md §2)
            raise NotImplementedError(connection.vendor)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """Undo ensure_triggers (migrating alerts back before the stamp)."""
    with connection.cursor() as cursor:
        for name in installed_triggers(connection):
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT relname FROM pg_trigger JOIN pg_class ON pg_class.oid = tgrelid"
                    " WHERE tgname = %s",
                    [name],
                )
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {cursor.fetchone()[0]}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


def installed_triggers(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE %s", ["haucan\\_stamp\\_%"]
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                ["haucan_stamp_%"],
            )
        return {row[0] for row in cursor.fetchall()}


def expected_triggers(vendor: str) -> set[str]:
    if vendor == "postgresql":
        return {trigger_name(t) for t in watched_tables()}
    return {trigger_name(t, e) for t in watched_tables() for e in _SQLITE_EVENTS}


def current(using: str = "default") -> str | None:
    """The stamp now (None before any metadata was written: nothing may then be kept)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT value FROM {STAMP} WHERE id = 1")  # noqa: S608 - a model's table
        row = cursor.fetchone()
    return row[0] if row else None


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    ensure_triggers(connections[using])
