"""`haucan audit verify` and `haucan audit checkpoint` on a real data folder, tampered with
through sqlite3 directly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


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


def test_verify_names_the_first_broken_event_and_checkpoint_records_the_head(
    tmp_path: Path,
) -> None:
    init = cli("init", "--admin-user", "boss", "--admin-password", "Chi-huy-2024!x", data=tmp_path)
    assert init.returncode == 0, init.stderr
    mark = cli("audit", "checkpoint", data=tmp_path)
    assert mark.returncode == 0 and "Checkpoint at event" in mark.stdout
    ok = cli("audit", "verify", data=tmp_path)
    assert ok.returncode == 0 and "intact: 0 events verified after event" in ok.stdout

    db = sqlite3.connect(tmp_path / "haucan.sqlite3")
    first = db.execute("SELECT MIN(id) FROM audit_auditevent").fetchone()[0]
    db.execute("UPDATE audit_auditevent SET actor = 'intruder' WHERE id = ?", [first])
    db.commit()
    db.close()

    incremental = cli("audit", "verify", data=tmp_path)
    assert incremental.returncode == 0  # the change is older than the trusted checkpoint
    full = cli("audit", "verify", "--full", data=tmp_path)
    assert full.returncode == 2
    assert f"broken at event {first}: content does not match its hash" in full.stderr
    assert "Traceback" not in full.stderr
