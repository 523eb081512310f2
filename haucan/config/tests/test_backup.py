"""Backup and restore round trip on the database the suite runs on (SQLite or PostgreSQL): the
restored database holds the same rows, table by table, and its audit chain verifies."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from haucan.audit.models import AuditEvent, AuditHead
from haucan.audit.services import record
from haucan.config.backup import (
    PG_FILE,
    SQLITE_FILE,
    BackupError,
    create_backup,
    extra_database,
    read_backup,
    restore_backup,
    sha256_of,
)
from haucan.core.scope import Scope
from haucan.reporting.services.values import CellInput, resolve_target, save_values
from haucan.testing import World, build_fuel_form

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump/sqlite3 read committed data


@pytest.fixture
def filled(world: World, scope_of: Any) -> World:
    form = build_fuel_form([world.regiment_a, world.regiment_b])
    scope = scope_of("clerk_a")
    target = resolve_target(scope, form.data_set, world.regiment_a, "202401")
    save_values(
        scope, target, [CellInput(form.issued.code, "1234,5"), CellInput(form.note.code, "Kho <A>")]
    )
    return world


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    """An empty second database of the same kind: a new SQLite file, or a new PG database."""
    if connection.vendor == "sqlite":
        with extra_database("restore_target", NAME=str(tmp_path / "restored.sqlite3")) as alias:
            yield alias
        return
    import psycopg

    name = f"{connection.settings_dict['NAME']}_restore"
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    with extra_database("restore_target", NAME=name) as alias:
        yield alias
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def table_digests(alias: str) -> dict[str, str]:
    conn = connections[alias]
    digests = {}
    with conn.cursor() as cursor:
        for table in sorted(conn.introspection.table_names(cursor)):
            cursor.execute("SELECT * FROM " + conn.ops.quote_name(table))  # noqa: S608 - identifier
            rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def test_backup_then_restore_gives_the_same_contents(
    filled: World, tmp_path: Path, target: str
) -> None:
    out = tmp_path / "backup"
    manifest = create_backup(out)
    head = AuditHead.objects.get()
    data_file = SQLITE_FILE if connection.vendor == "sqlite" else PG_FILE
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [data_file, "manifest.json", "SHA256SUMS"]
    )
    assert manifest["database"] == connection.vendor
    assert manifest["audit"] == {"last_hash": head.last_hash, "count": head.count}
    assert manifest["tables"]["audit_auditevent"] == AuditEvent.objects.count()
    assert "0003_session_generation" in manifest["migrations"]["accounts"]
    assert manifest["sha256"] == sha256_of(out / data_file)
    assert json.loads((out / "manifest.json").read_text())["rows"] == sum(
        manifest["tables"].values()
    )

    report = restore_backup(out, using=target)

    assert report.audit_head == head.last_hash
    assert report.audit_events == head.count
    assert report.rows == manifest["rows"]
    assert table_digests(target) == table_digests("default")


def test_restore_refuses_a_database_that_is_not_empty(filled: World, tmp_path: Path) -> None:
    create_backup(tmp_path / "b")
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(tmp_path / "b")  # the running database itself


def test_a_damaged_backup_is_refused_before_anything_is_written(
    filled: World, tmp_path: Path, target: str
) -> None:
    out = tmp_path / "b"
    manifest = create_backup(out)
    data = out / str(manifest["data_file"])
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    with pytest.raises(BackupError, match="checksum"):
        restore_backup(out, using=target)
    with connections[target].cursor() as cursor:
        assert connections[target].introspection.table_names(cursor) == []


def test_backup_refuses_a_folder_that_is_not_empty(filled: World, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "old.txt").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        create_backup(tmp_path / "b")


def test_a_backup_taken_while_users_write_is_consistent(
    filled: World, tmp_path: Path, target: str
) -> None:
    stop = threading.Event()

    def write() -> None:
        try:
            n = 0
            while not stop.is_set() and n < 2000:
                record(Scope.system("writer"), "test.write", f"w{n}", {"n": n})
                n += 1
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        manifest = create_backup(tmp_path / "b")
    finally:
        stop.set()
        writer.join()
    # Whatever instant the snapshot caught, its audit head matches its events exactly.
    report = restore_backup(tmp_path / "b", using=target)
    assert report.audit_events == manifest["audit"]["count"]
    assert read_backup(tmp_path / "b")["audit"] == manifest["audit"]


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the CLI test runs on SQLite")
def test_the_commands_back_up_and_restore_a_data_folder(tmp_path: Path) -> None:
    def cli(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HAUCAN_DATA_DIR": str(data)}
        env.pop("DATABASE_URL", None)
        return subprocess.run(
            [sys.executable, "-m", "haucan.config.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=240,
            check=False,
        )

    first, second = tmp_path / "a", tmp_path / "b"
    assert (
        cli(
            "init", "--admin-user", "boss", "--admin-password", "Chi-huy-2024!x", data=first
        ).returncode
        == 0
    )
    backup = cli("backup", "--out", str(tmp_path / "bk"), data=first)
    # The procedure (docs/operations.md): the secret key travels separately from the backup.
    second.mkdir()
    (second / "secret_key").write_text((first / "secret_key").read_text())
    assert backup.returncode == 0, backup.stderr
    assert "Backup of the sqlite database" in backup.stdout
    restored = cli("restore", str(tmp_path / "bk"), data=second)
    assert restored.returncode == 0, restored.stderr
    assert "the audit chain verifies" in restored.stdout
    again = cli("restore", str(tmp_path / "bk"), data=second)
    assert again.returncode == 2
    assert "not empty" in again.stderr and "Traceback" not in again.stderr
    verify = cli("audit", "verify", "--full", data=second)
    assert verify.returncode == 0 and "intact" in verify.stdout
