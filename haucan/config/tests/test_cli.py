from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HAUCAN_DATA_DIR": str(data_dir), **env}
    environment.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "haucan.config.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=240,
        check=False,
    )


def test_init_check_and_audit_verify_on_a_fresh_data_dir(tmp_path):
    init = run_cli(
        "init", "--admin-user", "boss", "--admin-password", "Chi-huy-2024!x", data_dir=tmp_path
    )
    assert init.returncode == 0, init.stderr
    assert "Administrator 'boss' created." in init.stdout
    assert (tmp_path / "haucan.sqlite3").exists()
    check = run_cli("check", data_dir=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "journal mode: wal" in check.stdout
    assert "metadata triggers: in place" in check.stdout
    verify = run_cli("audit", "verify", data_dir=tmp_path)
    assert verify.returncode == 0
    assert "intact" in verify.stdout
    worker = run_cli("worker", "--batch", data_dir=tmp_path)
    assert worker.returncode == 0, worker.stderr
    assert "No more tasks to run" in worker.stderr


def test_user_mistakes_give_one_line_and_no_traceback(tmp_path):
    bad = run_cli("check", data_dir=tmp_path, HAUCAN_DEBUG="perhaps")
    assert bad.returncode == 2
    assert "HAUCAN_DEBUG='perhaps' is not a boolean" in bad.stderr
    assert "Traceback" not in bad.stderr
    weak = run_cli("init", "--admin-user", "boss", "--admin-password", "123", data_dir=tmp_path)
    assert weak.returncode == 2
    assert "Traceback" not in weak.stderr
    serve = run_cli("serve", data_dir=tmp_path / "empty")
    assert serve.returncode == 2
    assert "haucan init" in serve.stderr
