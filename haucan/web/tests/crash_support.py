"""A live PostgreSQL database and real processes for the crash tests (test_crash_*.py).

pytest-django's test database lives inside the test's transaction, invisible to another process;
the crash tests need `haucan serve` and `haucan worker` as real processes to kill -9, so they get
their own database, created and migrated here (in a child process with Django pointed at it),
with the test world and a wide form for large imports.

    python -m haucan.web.tests.crash_support setup   # prints the world's keys as JSON

`call(live, name, **kwargs)` runs one of the `STEPS` below the same way (a child process with
Django on the live database) for what a test must do through the services: define alert rules,
import values, enqueue a task, evaluate afresh.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from base64 import b64encode
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[3]
ELEMENTS = 100
UNITS = 20
PERIODS = 24  # 100 × 20 × 24 = 48,000 values in the large import


def _setup() -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from haucan.catalog.models import DataElement, DataSet, DataSetElement, ValueType
    from haucan.catalog.services import ensure_default_combo
    from haucan.core.scope import Scope
    from haucan.org.services import UnitSpec, create_unit
    from haucan.testing import OPENED, build_world

    world = build_world()
    system = Scope.system("crash tests")
    units = [
        create_unit(
            system,
            spec=UnitSpec(name=f"Đại đội {i}", code=f"CR-{i:02d}"),
            parent=world.battalion_a,
            opened_on=OPENED,
        )
        for i in range(UNITS)
    ]
    default = ensure_default_combo()
    elements = DataElement.objects.bulk_create(
        DataElement(
            code=f"CR_{k:03d}",
            name=f"Chỉ tiêu {k:03d}",
            domain="general",
            value_type=ValueType.INTEGER_POSITIVE,
            aggregation_type="SUM",
            category_combo=default,
        )
        for k in range(ELEMENTS)
    )
    form = DataSet.objects.create(
        code="CRASH",
        name="Báo cáo thử sự cố",
        domain="general",
        period_type="Monthly",
        category_combo=default,
        expiry_days=0,
    )
    DataSetElement.objects.bulk_create(
        DataSetElement(data_set=form, data_element=e) for e in elements
    )
    form.units.add(*units)
    return {
        "elements": [e.uid for e in elements],
        "units": [u.uid for u in units],
        "periods": [f"{2020 + m // 12}{m % 12 + 1:02d}" for m in range(PERIODS + 1)],
    }


@dataclass
class Live:
    """The live database and the processes started on it."""

    url: str
    name: str
    data_dir: Path
    keys: dict[str, Any]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": self.url,
                "HAUCAN_DATA_DIR": str(self.data_dir),
                "PYTHONPATH": str(ROOT),
                "DJANGO_SETTINGS_MODULE": "haucan.config.settings",
                "HAUCAN_LOG_LEVEL": "WARNING",
            }
        )
        return env

    def sql(self, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(query, params or [])  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def scalar(self, query: str, params: list[Any] | None = None) -> Any:
        return self.sql(query, params)[0][0]

    def writing(self, *tables: str) -> bool:
        """Whether another backend holds an open transaction that has written to one of
        `tables`."""
        return bool(
            self.scalar(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = ANY(%s) AND l.mode = 'RowExclusiveLock' "
                "AND l.pid <> pg_backend_pid()",
                [list(tables)],
            )
        )


def create_live_database(base_url: str, name: str, data_dir: Path) -> Live:
    admin_url = base_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    live = Live(base_url.rsplit("/", 1)[0] + f"/{name}", name, data_dir, {})
    out = subprocess.run(
        [sys.executable, "-m", "haucan.web.tests.crash_support", "setup"],
        env=live.env(),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    live.keys = json.loads(out.stdout.strip().splitlines()[-1])
    return live


def drop_live_database(live: Live) -> None:
    admin_url = live.url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{live.name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_CLI = "from haucan.config.cli import main; import sys; sys.exit(main(sys.argv[1:]))"


def start(live: Live, *args: str, log: Path) -> subprocess.Popen[bytes]:
    """`haucan <args>` in its own process group (so kill -9 reaches gunicorn's workers too)."""
    out = open(log, "ab")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        [sys.executable, "-c", _CLI, *args],
        env=live.env(),
        cwd=ROOT,
        stdout=out,
        stderr=out,
        start_new_session=True,
    )


def kill9(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill9(process)


@contextmanager
def server(live: Live, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = start(
        live, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", log=log
    )
    try:
        wait_until(lambda: _healthy(port), 90, "the server to answer /health/")
        yield process
    finally:
        stop(process)


def _healthy(port: int) -> bool:
    try:
        status, _body = request(port, "GET", "/health/", timeout=2)
    except OSError:
        return False
    return status == 200


def wait_until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    user: str = "clerk_a",
    timeout: float = 120,
) -> tuple[int, bytes]:
    from haucan.testing import PASSWORD

    token = b64encode(f"{user}:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Accept-Language": "en"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def payload(keys: dict[str, Any], periods: list[str], value: int) -> bytes:
    rows = [
        {"dataElement": de, "period": pe, "orgUnit": ou, "value": str(value)}
        for pe in periods
        for ou in keys["units"]
        for de in keys["elements"]
    ]
    return json.dumps({"dataValues": rows}).encode()


def _threshold_rules(prefix: str, level: int, compare_to: str, lookback: int) -> int:
    """One threshold rule per element of the crash form: `#{CR_k} > compare_to` at `level`."""
    from haucan.alerts.rules import save_rule
    from haucan.core.scope import Scope

    system = Scope.system("crash tests")
    for k in range(ELEMENTS):
        save_rule(
            system,
            {
                "code": f"{prefix}_{k:03d}",
                "name": f"Chỉ tiêu {k:03d} vượt {compare_to}",
                "kind": "threshold",
                "domain": "general",
                "expression": f"#{{CR_{k:03d}}}",
                "operator": ">",
                "compare_to": compare_to,
                "levels": [level],
                "period_type": "Monthly",
                "lookback": lookback,
            },
        )
    return ELEMENTS


def _import(cells: list[list[Any]], announce: bool) -> dict[str, Any]:
    """Import `cells` ([element index, unit index, period, value]) as the API does, in one
    transaction. `announce=False` unregisters the arrival listeners first, so the import
    queues no evaluation of its own."""
    from haucan.core import arrivals
    from haucan.core.scope import Scope
    from haucan.reporting.services.imports import ImportRow, import_values

    if not announce:
        arrivals._listeners.clear()
    keys = json.loads(os.environ["CRASH_KEYS"])
    rows = [
        ImportRow(keys["elements"][k], period, keys["units"][u], str(value))
        for k, u, period, value in cells
    ]
    summary = import_values(Scope.system("crash tests"), rows, origin="api")
    return {"imported": summary["importCount"]["imported"], "conflicts": summary["conflicts"][:3]}


def _enqueue(task: str) -> str:
    from haucan.alerts import tasks

    return str(getattr(tasks, task).enqueue().id)


def _build_rollups() -> int:
    from haucan.analytics import store

    return store.rebuild().rows


def _fresh_evaluation() -> dict[str, int]:
    """A full evaluation now: what it would still change (nothing, when the alerts are right)."""
    from haucan.alerts.evaluation import evaluate_all
    from haucan.core.scope import Scope

    report = evaluate_all(Scope.system("crash tests"))
    r = report.result
    return {
        "opened": len(r.opened),
        "reopened": len(r.reopened),
        "refreshed": r.refreshed,
        "resolved": r.resolved,
        "errors": len(report.errors),
    }


def _expected_notifications() -> int:
    """How many notifications the active alerts should have, by the recipients' rules."""
    from haucan.alerts.models import Alert
    from haucan.alerts.recipients import recipients

    alerts = list(Alert.objects.select_related("rule").filter(status="open"))
    return sum(len(users) for users in recipients(alerts).values())


def _chain_ok() -> bool:
    from haucan.audit.services import verify_chain

    return bool(verify_chain().ok)


STEPS: dict[str, Callable[..., Any]] = {
    "threshold_rules": _threshold_rules,
    "import": _import,
    "enqueue": _enqueue,
    "build_rollups": _build_rollups,
    "fresh_evaluation": _fresh_evaluation,
    "expected_notifications": _expected_notifications,
    "chain_ok": _chain_ok,
}


def call(live: Live, step: str, **kwargs: Any) -> Any:
    """Run `STEPS[step](**kwargs)` in a child process on the live database; its JSON result."""
    env = live.env()
    env["CRASH_KEYS"] = json.dumps(live.keys)
    out = subprocess.run(
        [sys.executable, "-m", "haucan.web.tests.crash_support", "call", step],
        input=json.dumps(kwargs),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise AssertionError(f"{step} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def task_status(live: Live, task_id: str) -> str:
    return str(
        live.scalar(
            "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s", [task_id]
        )
    )


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1:] == ["setup"]:
        print(json.dumps(_setup()))
    elif sys.argv[1:2] == ["call"]:
        print(json.dumps(STEPS[sys.argv[2]](**json.loads(sys.stdin.read()))))
