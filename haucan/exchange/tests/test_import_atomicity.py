"""An import killed with SIGKILL midway leaves no partial data (SQLite file and PostgreSQL);
and the `haucan import` / `haucan export` commands."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# One database per test process: parallel runs on the same server (CI, several worktrees) must not
# drop each other's database.
PG_NAME = f"haucan_killtest_{os.getpid()}"
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}"

SETUP = r"""
import django, json, sys
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from haucan.catalog.models import DataElement, DataSetElement
from haucan.catalog.services import ensure_default_combo
from haucan.testing import build_world, build_fuel_form
world = build_world()
fuel = build_fuel_form([world.regiment_a, world.regiment_b, world.battalion_a])
default = ensure_default_combo()
elements = DataElement.objects.bulk_create(
    DataElement(code=f"K{i:03d}", name=f"K{i:03d}", category_combo=default) for i in range(150)
)
DataSetElement.objects.bulk_create(
    DataSetElement(data_set=fuel.data_set, data_element=e)
    for e in DataElement.objects.filter(code__startswith="K")
)
periods = [f"{y}{m:02d}" for y in (2020, 2021, 2022, 2023) for m in range(1, 13)]
units = ["F324-E1", "F324-E2", "F324-E1-D1"]
values = [
    {"dataElement": f"K{i:03d}", "period": p, "orgUnit": u, "value": str(i + 1)}
    for p in periods for u in units for i in range(150)
]
with open(sys.argv[1], "w") as out:
    json.dump({"dataValues": values}, out)
print(len(values))
"""

IMPORT = r"""
import django, os, sys
django.setup()
from haucan.core.scope import Scope
from haucan.exchange.formats import FORMATS
from haucan.reporting.services.imports import import_values

def progress(n):
    if n >= 10000:
        print("MIDWAY", n, flush=True)
        os.kill(os.getpid(), 19)  # SIGSTOP: wait here, mid-transaction, for the parent's SIGKILL

with open(sys.argv[1], "rb") as f:
    import_values(Scope.system("kill test"), FORMATS["json"].read(f), id_scheme="code",
                  progress=progress)
print("FINISHED", flush=True)
"""

COUNT = r"""
import django
django.setup()
from haucan.reporting.models import DataValue, DataValueAudit, ValueChange
print(DataValue.objects.count(), DataValueAudit.objects.count(),
      ValueChange.objects.filter(reset=False).count())
"""


def _env(data_dir: str, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "haucan.config.settings",
        "HAUCAN_DATA_DIR": data_dir,
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _python(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def _postgres_available() -> bool:
    if shutil.which("psql") is None:
        return False
    done = subprocess.run(["psql", PG_ADMIN, "-qtAc", "SELECT 1"], capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_killed_import_leaves_nothing_behind(backend: str) -> None:
    url = None
    if backend == "postgresql":
        if not _postgres_available():
            pytest.skip("PostgreSQL is not reachable")
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {PG_NAME}"], check=True)
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {PG_NAME}"], check=True)
        url = PG_URL
    data_dir = tempfile.mkdtemp(prefix="haucan-kill-")
    env = _env(data_dir, url)
    payload = str(Path(data_dir) / "values.json")
    assert int(_python(SETUP, env, payload)) == 21600
    process = subprocess.Popen(
        [sys.executable, "-c", IMPORT, payload],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("MIDWAY"), process.stderr.read() if process.stderr else line
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert _python(COUNT, env) == "0 0 0"
    # The same file imports completely afterwards (the killed transaction left no lock behind).
    finished = subprocess.run(
        [sys.executable, "-m", "haucan.config.cli", "import", payload, "--id-scheme", "code"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert json.loads(finished.stdout)["importCount"]["imported"] == 21600
    assert _python(COUNT, env) == "21600 21600 21600"
    out = Path(data_dir) / "export.csv"
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "haucan.config.cli",
            "export",
            "--data-set",
            "PET_MONTHLY",
            "--start-date",
            "2020-01-01",
            "--end-date",
            "2023-12-31",
            "--org-unit",
            "F324",
            "--children",
            "--format",
            "csv",
            "--id-scheme",
            "code",
            "--out",
            str(out),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert len(out.read_text().splitlines()) == 21601
    dry = subprocess.run(
        [sys.executable, "-m", "haucan.config.cli", "import", str(out), "--dry-run"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert dry.returncode == 2, dry.stderr  # codes in a uid import: every row is unknown
    assert json.loads(dry.stdout)["status"] == "ERROR"
    shutil.rmtree(data_dir, ignore_errors=True)
    if backend == "postgresql":
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {PG_NAME}"], check=False)
