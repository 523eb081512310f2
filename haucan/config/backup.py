"""`haucan backup` and `haucan restore`: a consistent snapshot while the system runs, and its
restoration into an empty database, checked end to end (docs/operations.md).

A backup folder holds the data file (`haucan.sqlite3`, made with SQLite's online backup API, or
`haucan.dump`, pg_dump's custom format), `manifest.json` (version, database kind, migrations,
row counts per table, audit head, SHA-256 of the data file) and `SHA256SUMS` (`sha256sum -c`
reads it). The manifest is computed from the snapshot itself, so it describes exactly what the
data file holds even while users keep writing.

Restore refuses a database that has any table, checks every checksum first, and afterwards
compares migrations and row counts with the manifest and verifies the whole audit chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.db import connections, transaction
from django.db.utils import load_backend
from django.utils import timezone

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
SQLITE_FILE = "haucan.sqlite3"
PG_FILE = "haucan.dump"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    audit_events: int
    audit_head: str


def _version() -> str:
    try:
        return metadata.version("haucan")
    except metadata.PackageNotFoundError:
        return "dev"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- Reading a database through DB-API (the snapshot, or the restored target) ----------------


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [str(name) for (name,) in rows]


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _describe_sqlite(conn: sqlite3.Connection) -> dict[str, Any]:
    tables = _sqlite_tables(conn)
    counts = {}
    for table in tables:
        # The name comes from sqlite_master and is quoted as an identifier; no value is
        # interpolated (S608 guards against values, which always go as parameters).
        query = "SELECT COUNT(*) FROM " + _sqlite_quote(table)  # noqa: S608
        counts[table] = int(conn.execute(query).fetchone()[0])
    return {
        "tables": counts,
        "migrations": _migrations(conn.execute("SELECT app, name FROM django_migrations")),
        "audit": _audit_head(conn.execute("SELECT last_hash, count FROM audit_audithead")),
    }


def _describe_postgres(cursor: Any) -> dict[str, Any]:
    from psycopg import sql

    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    tables = [str(name) for (name,) in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = int(cursor.fetchone()[0])
    cursor.execute("SELECT app, name FROM django_migrations")
    migrations = _migrations(cursor.fetchall())
    cursor.execute("SELECT last_hash, count FROM audit_audithead")
    return {"tables": counts, "migrations": migrations, "audit": _audit_head(cursor.fetchall())}


def _migrations(rows: Any) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(str(app), []).append(str(name))
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _audit_head(rows: Any) -> dict[str, Any]:
    for last_hash, count in rows:
        return {"last_hash": str(last_hash), "count": int(count)}
    return {"last_hash": "", "count": 0}


# --- Backup ----------------------------------------------------------------------------------


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: give a new or empty folder for the backup.")
    out.mkdir(parents=True, exist_ok=True)


def create_backup(out: Path, using: str = "default") -> dict[str, Any]:
    """Snapshot the database into `out` (a new or empty folder); return the manifest."""
    _prepare_out(out)
    connection = connections[using]
    vendor = connection.vendor
    if vendor == "sqlite":
        data_file = out / SQLITE_FILE
        described = _backup_sqlite(Path(str(connection.settings_dict["NAME"])), data_file)
    elif vendor == "postgresql":
        data_file = out / PG_FILE
        described = _backup_postgres(using, data_file)
    else:
        raise BackupError(f"Backing up a {vendor} database is not supported.")
    manifest = {
        "format": FORMAT,
        "haucan_version": _version(),
        "database": vendor,
        "created_at": timezone.now().isoformat(),
        "data_file": data_file.name,
        "sha256": sha256_of(data_file),
        **described,
        "rows": sum(described["tables"].values()),
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    sums = [f"{sha256_of(out / name)}  {name}" for name in (data_file.name, MANIFEST)]
    (out / SUMS).write_text("\n".join(sums) + "\n", encoding="utf-8")
    return manifest


def _backup_sqlite(source: Path, target: Path) -> dict[str, Any]:
    # The online backup API copies a consistent image page by page while other connections
    # keep reading and writing (WAL); the manifest is then read from the copy itself.
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst, pages=4096)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return _describe_sqlite(dst)
    finally:
        dst.close()
        src.close()


def _pg_env(settings: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if settings.get(key):
            env[var] = str(settings[key])
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return found


def _backup_postgres(using: str, target: Path) -> dict[str, Any]:
    connection = connections[using]
    settings = connection.settings_dict
    pg_dump = _pg_tool("pg_dump")
    # One REPEATABLE READ transaction exports its snapshot; pg_dump dumps exactly that snapshot
    # and the manifest counts are read in it, so both describe the same instant.
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        # An argument list (no shell) of the PostgreSQL tool found on PATH and our settings.
        result = subprocess.run(  # noqa: S603
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                str(settings["NAME"]),
            ],
            env=_pg_env(settings),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return _describe_postgres(cursor)


# --- Restore ---------------------------------------------------------------------------------


def read_backup(folder: Path) -> dict[str, Any]:
    """Check SHA256SUMS and return the manifest; any mismatch stops the restore."""
    sums = folder / SUMS
    if not sums.exists() or not (folder / MANIFEST).exists():
        raise BackupError(f"{folder} is not a Hậu Cần Số backup (no {MANIFEST} or {SUMS}).")
    for line in sums.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        expected, _sep, name = line.partition("  ")
        path = folder / name.strip()
        if not path.exists():
            raise BackupError(f"The backup is incomplete: {name} is missing.")
        if sha256_of(path) != expected:
            raise BackupError(f"The checksum of {name} does not match: the backup is damaged.")
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    if sha256_of(folder / str(manifest["data_file"])) != manifest["sha256"]:
        raise BackupError("The data file does not match the manifest.")
    return manifest


def _existing_tables(using: str) -> list[str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


def restore_backup(folder: Path, using: str = "default") -> RestoreReport:
    """Restore the backup in `folder` into the (empty) database `using`, then verify it."""
    manifest = read_backup(folder)
    connection = connections[using]
    if manifest["database"] != connection.vendor:
        raise BackupError(
            f"This is a {manifest['database']} backup; the configured database is "
            f"{connection.vendor}. Restore it into the same kind of database."
        )
    existing = _existing_tables(using)
    if existing:
        raise BackupError(
            f"The target database is not empty ({len(existing)} tables). Restore goes into an "
            "empty database only: create a new database (or point HAUCAN_DATA_DIR at a new "
            "folder) and run the restore again."
        )
    data_file = folder / str(manifest["data_file"])
    if connection.vendor == "sqlite":
        _restore_sqlite(data_file, using)
    else:
        _restore_postgres(data_file, using)
    return verify_restored(manifest, using)


def _restore_sqlite(snapshot: Path, using: str) -> None:
    connection = connections[using]
    connection.close()
    target = Path(str(connection.settings_dict["NAME"]))
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(str(snapshot))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _restore_postgres(dump: Path, using: str) -> None:
    connection = connections[using]
    settings = connection.settings_dict
    connection.close()
    result = subprocess.run(  # noqa: S603 - an argument list, no shell
        [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={settings['NAME']}",
            str(dump),
        ],
        env=_pg_env(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def describe_database(using: str = "default") -> dict[str, Any]:
    connection = connections[using]
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return _describe_sqlite(connection.connection)
    with connection.cursor() as cursor:
        return _describe_postgres(cursor)


def verify_restored(manifest: dict[str, Any], using: str = "default") -> RestoreReport:
    """The restored database must hold exactly what the manifest says, and its audit chain
    must verify from the first event to the recorded head."""
    from haucan.audit.services import verify_chain

    actual = describe_database(using)
    if actual["migrations"] != manifest["migrations"]:
        raise BackupError("The restored migrations differ from the manifest.")
    if actual["tables"] != manifest["tables"]:
        differing = sorted(
            t
            for t in set(actual["tables"]) | set(manifest["tables"])
            if actual["tables"].get(t) != manifest["tables"].get(t)
        )
        raise BackupError(f"Row counts differ from the manifest in: {', '.join(differing)}.")
    report = verify_chain(full=True, using=using)
    if not report.ok:
        raise BackupError(
            f"The restored audit chain does not verify at event {report.first_bad_id}: "
            f"{report.reason}. (A different secret key than the backed-up installation's also "
            "breaks the signatures: restore HAUCAN_SECRET_KEY or the data folder's secret_key.)"
        )
    if actual["audit"] != manifest["audit"]:
        raise BackupError("The restored audit head differs from the manifest.")
    return RestoreReport(
        tables=len(actual["tables"]),
        rows=sum(actual["tables"].values()),
        audit_events=report.total,
        audit_head=str(actual["audit"]["last_hash"]),
    )


@contextmanager
def extra_database(alias: str, **overrides: Any) -> Iterator[str]:
    """A second connection like `default` with some settings changed (restore checks, tests).

    It lives in this thread only and is not added to the DATABASES setting."""
    settings_dict = {**connections.settings["default"], **overrides}
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


def created_at(manifest: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(manifest["created_at"]))
