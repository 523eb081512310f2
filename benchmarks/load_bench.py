"""`haucan bench load`: many clerks entering forms at once, with nothing lost.

The production set-up on loopback (127.0.0.1 only): `haucan serve` (gunicorn, N workers) and
`haucan worker` on a dedicated PostgreSQL database with a generated army (a unit, a clerk and a
100-value monthly form per clerk). A separate load process (this one, asyncio + aiohttp) plays
the clerks: each signs in through the login page, opens the entry screen and types the form's
values into the entry screen's autosave queue, which is sent as its script sends it
(everything typed while no save is in flight, in one JSON POST with the CSRF header; one request
in flight per clerk), with think time between cells and between forms.
Every loop is bounded in count (forms per clerk) and in time (the run's deadline).

Reported: forms/s and values/s, p50/p95/p99 latency of the saves (and of logins and pages), and
errors. The baseline, measured in the same run with the same clients: GET /health/, the floor of a
request through the same server. Afterwards the database is compared with everything the
clients sent: every acknowledged value is stored exactly once (one row holding the value, one
audit entry) and nothing else is stored.

    haucan bench load [--clerks 500] [--values 100] [--forms 2] [--duration 120] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.load_data import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = "postgresql://postgres@127.0.0.1:5432"
DB_NAME = "haucan_bench_load"
TARGET_FORMS_PER_S = 100.0
TARGET_P99_MS = 1000.0


# --- processes ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"{PG_BASE}/{DB_NAME}",
            "HAUCAN_DATA_DIR": data_dir,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "haucan.config.settings",
            "HAUCAN_LOG_LEVEL": "WARNING",
        }
    )
    return env


def _child(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "benchmarks.load_bench", *args], env=env, cwd=ROOT, check=True
    )


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _start(
    env: dict[str, str], port: int, workers: int, log: Path
) -> list[subprocess.Popen[bytes]]:
    cli = "from haucan.config.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
    out = open(log, "ab")  # noqa: SIM115 - closed with the process
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            cli,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,  # the access log: one line per request
        stderr=out,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", cli, "worker"],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=out,
        start_new_session=True,
    )
    return [server, worker]


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for p in processes:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def _cpu_seconds(groups: dict[int, str]) -> dict[str, float]:
    """CPU seconds used so far by the server's and the worker's process groups and by
    PostgreSQL (its live processes, plus what the postmaster collected from ended backends)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {name: 0.0 for name in groups.values()} | {"postgresql": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # After the name: state ppid pgrp ... utime(11) stime(12) cutime(13) cstime(14).
        own = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[2]) in groups:
            used[groups[int(fields[2])]] += own
        elif comm == "postgres":
            used["postgresql"] += own
            if fields[1] == "1" or _is_postmaster(fields):
                used["postgresql"] += (int(fields[13]) + int(fields[14])) / tick
    return used


def _is_postmaster(fields: list[str]) -> bool:
    try:
        parent = Path(f"/proc/{fields[1]}/comm").read_text().strip()
    except OSError:
        return False
    return parent != "postgres"


async def _wait_ready(base: str, timeout: float = 60) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{base}/health/") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError("the server did not answer /health/ in time")


# --- the clients -------------------------------------------------------------------------------


@dataclass
class Stats:
    saves: list[float] = field(default_factory=list)
    logins: list[float] = field(default_factory=list)
    pages: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    forms_done: int = 0
    batch_sizes: list[int] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    acknowledged: list[tuple[str, str, str, str]] = field(default_factory=list)
    attempted: list[tuple[str, str, str]] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def _pct(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))], 1)


async def _sign_in(
    base: str,
    username: str,
    session: Any,
    stats: Stats,
    gate: asyncio.Semaphore,
    deadline: float,
) -> bool:
    """The login page, then its form (CSRF cookie and field), as a browser does; a clerk
    still waiting at the deadline stays out (counted as an error)."""
    import aiohttp

    async with gate:
        if time.monotonic() > deadline:
            stats.error("login not reached before the deadline")
            return False
        try:
            start = time.perf_counter()
            async with session.get(f"{base}/login/") as r:
                await r.read()
            token = _cookie(session.cookie_jar, "csrftoken")
            async with session.post(
                f"{base}/login/",
                data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
                allow_redirects=False,
            ) as r:
                await r.read()
                if r.status != 302:
                    stats.error(f"login {r.status}")
                    return False
            stats.logins.append((time.perf_counter() - start) * 1000)
            return True
        except (TimeoutError, aiohttp.ClientError) as exc:
            stats.error(f"login {type(exc).__name__}")
            return False


async def _type_form(
    base: str,
    army: dict[str, Any],
    index: int,
    n: int,
    period: str,
    unit: str,
    session: Any,
    csrf: str,
    args: argparse.Namespace,
    stats: Stats,
    deadline: float,
    rng: random.Random,
) -> bool:
    """One form as the entry screen sends it: the clerk types cell after cell (think time
    between them) into a queue, and the screen sends everything queued so far in one request
    whenever no request is in flight (entry.js, at most 100 cells a request). True when every
    cell was acknowledged."""
    import aiohttp

    queue: list[dict[str, str]] = []
    typed = asyncio.Event()
    done_typing = False
    complete = True

    async def typist() -> None:
        nonlocal done_typing, complete
        for k, de in enumerate(army["elements"]):
            if time.monotonic() > deadline:
                complete = False
                break
            # Never 0: a zero is not significant for these elements and is not stored (DHIS2).
            value = str(1 + (index * 7919 + k * 104729 + n * 31) % 999_999)
            queue.append({"de": de, "value": value})
            typed.set()
            if args.cell_think_ms:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * args.cell_think_ms / 1000)
        done_typing = True
        typed.set()

    async def sender() -> None:
        nonlocal complete
        while True:
            await typed.wait()
            typed.clear()
            while queue:
                batch = queue[: args.batch]
                del queue[: len(batch)]
                for cell in batch:
                    stats.attempted.append((unit, period, cell["de"]))
                body = {"ds": army["form"], "ou": unit, "pe": period, "cells": batch}
                try:
                    start = time.perf_counter()
                    async with session.post(
                        f"{base}/reporting/entry/save/",
                        json=body,
                        headers={"X-CSRFToken": csrf, "Accept": "application/json"},
                        allow_redirects=False,
                    ) as r:
                        data = await r.json(content_type=None) if r.status < 500 else None
                        elapsed = (time.perf_counter() - start) * 1000
                except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                    stats.error(f"save {type(exc).__name__}")
                    complete = False
                    continue
                if r.status != 200 or not data or not data.get("ok"):
                    stats.error(f"save {r.status}")
                    complete = False
                    continue
                stats.saves.append(elapsed)
                stats.batch_sizes.append(len(batch))
                for cell, result in zip(batch, data["results"], strict=True):
                    if result.get("ok"):
                        stats.acknowledged.append((unit, period, cell["de"], cell["value"]))
                    else:
                        stats.error("cell refused")
                        complete = False
            if done_typing and not queue:
                return

    await asyncio.gather(typist(), sender())
    return complete


async def _clerk(
    base: str,
    army: dict[str, Any],
    index: int,
    session: Any,
    args: argparse.Namespace,
    stats: Stats,
    deadline: float,
) -> None:
    import aiohttp

    _username, unit = army["clerks"][index]
    jar = session.cookie_jar
    rng = random.Random(index)
    await asyncio.sleep(rng.random() * args.ramp)  # arrivals spread over the ramp
    for n, period in enumerate(army["periods"][: args.forms]):
        if time.monotonic() > deadline:
            return
        query = f"ds={army['form']}&ou={unit}&pe={period}"
        try:
            start = time.perf_counter()
            async with session.get(f"{base}/reporting/entry/?{query}") as r:
                await r.read()
                if r.status != 200:
                    stats.error(f"page {r.status}")
                    continue
            stats.pages.append((time.perf_counter() - start) * 1000)
        except (TimeoutError, aiohttp.ClientError) as exc:
            stats.error(f"page {type(exc).__name__}")
            continue
        csrf = _cookie(jar, "csrftoken")
        complete = await _type_form(
            base, army, index, n, period, unit, session, csrf, args, stats, deadline, rng
        )
        if complete:
            stats.forms_done += 1
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.form_think_ms / 1000)


def _cookie(jar: Any, name: str) -> str:
    for cookie in jar:
        if cookie.key == name:
            return str(cookie.value)
    return ""


async def _baseline(base: str, clients: int, seconds: float, stats: Stats) -> float:
    """GET /health/ from `clients` concurrent connections for `seconds`: requests per second."""
    import aiohttp

    deadline = time.monotonic() + seconds
    count = 0

    async def one() -> None:
        nonlocal count
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    async with session.get(f"{base}/health/") as r:
                        await r.read()
                        ok = r.status == 200
                except (TimeoutError, aiohttp.ClientError):
                    ok = False
                if ok:
                    stats.health.append((time.perf_counter() - start) * 1000)
                    count += 1

    begin = time.monotonic()
    await asyncio.gather(*(one() for _ in range(clients)))
    return count / (time.monotonic() - begin)


async def _load(
    base: str, army: dict[str, Any], args: argparse.Namespace, groups: dict[int, str]
) -> tuple[Stats, float, float, float]:
    """The baseline, then every clerk signs in (at most --login-concurrency at a time, like
    a morning's arrivals), then the timed entry phase: forms/s is measured over it."""
    import aiohttp

    stats = Stats()
    health_rps = await _baseline(base, min(args.clerks, 100), args.baseline_seconds, stats)
    sessions = [
        aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies on 127.0.0.1 (an IP host)
            timeout=aiohttp.ClientTimeout(total=args.timeout),
        )
        for _ in range(args.clerks)
    ]
    try:
        gate = asyncio.Semaphore(args.login_concurrency)
        begin_login = time.monotonic()
        login_deadline = begin_login + args.login_seconds
        signed = await asyncio.gather(
            *(
                _sign_in(base, army["clerks"][i][0], sessions[i], stats, gate, login_deadline)
                for i in range(args.clerks)
            )
        )
        login_s = time.monotonic() - begin_login
        begin = time.monotonic()
        cpu_before = _cpu_seconds(groups)
        client_before = time.process_time()
        deadline = begin + args.duration
        await asyncio.gather(
            *(
                _clerk(base, army, i, sessions[i], args, stats, deadline)
                for i in range(args.clerks)
                if signed[i]
            )
        )
        elapsed = time.monotonic() - begin
        cpu_after = _cpu_seconds(groups)
        stats.cpu = {k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after}
        stats.cpu["load_client"] = round(time.process_time() - client_before, 1)
    finally:
        for session in sessions:
            await session.close()
    return stats, elapsed, health_rps, login_s


# --- the program -------------------------------------------------------------------------------


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="haucan bench load")
    parser.add_argument("--clerks", type=int, default=500)
    parser.add_argument("--values", type=int, default=100, help="values per form")
    parser.add_argument("--forms", type=int, default=2, help="forms per clerk at most")
    parser.add_argument("--duration", type=float, default=120, help="seconds of load at most")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which clerks arrive")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--cell-think-ms", type=float, default=20, help="mean pause between cells")
    parser.add_argument(
        "--form-think-ms", type=float, default=2000, help="mean pause between forms"
    )
    parser.add_argument(
        "--batch", type=int, default=100, help="cells per save request at most (entry.js)"
    )
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--login-concurrency", type=int, default=8)
    parser.add_argument(
        "--login-seconds", type=float, default=600, help="bound of the sign-in phase"
    )
    parser.add_argument("--timeout", type=float, default=60, help="seconds per request at most")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results")
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--verify", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.setup or args.verify:
        import django

        django.setup()
        from benchmarks.load_data import setup_army, verify_sent

        if args.setup:
            setup_army(args.values, args.clerks, args.forms, Path(args.setup))
        else:
            verify_sent(Path(args.verify[0]), Path(args.verify[1]))
        return 0

    work = Path(tempfile.mkdtemp(prefix="hc_load_"))
    env = _env(str(work / "data"))
    print(f"load: database {DB_NAME}, {args.clerks} clerks × {args.values} values, work in {work}")
    load_before = _load_average()
    _recreate_database()
    started = time.monotonic()
    _child(
        env,
        "--setup",
        str(work / "army.json"),
        "--clerks",
        str(args.clerks),
        "--values",
        str(args.values),
        "--forms",
        str(args.forms),
    )
    army = json.loads((work / "army.json").read_text())
    print(f"load: army ready in {time.monotonic() - started:.0f} s; serving")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    processes = _start(env, port, args.workers, work / "server.log")
    try:
        asyncio.run(_wait_ready(base))
        # Each started in a session of its own: its process group is its pid.
        groups = {processes[0].pid: "web", processes[1].pid: "worker"}
        stats, elapsed, health_rps, login_s = asyncio.run(_load(base, army, args, groups))
    finally:
        _stop(processes)
    load_after = _load_average()
    (work / "sent.json").write_text(
        json.dumps({"acknowledged": stats.acknowledged, "attempted": stats.attempted})
    )
    _child(env, "--verify", str(work / "sent.json"), str(work / "check.json"))
    check = json.loads((work / "check.json").read_text())

    forms_per_s = stats.forms_done / elapsed
    values_per_s = len(stats.acknowledged) / elapsed
    errors = sum(stats.errors.values())
    nothing_lost = (
        check["lost"] == 0
        and check["duplicated"] == 0
        and check["unexpected"] == 0
        and check["audited_more"] == 0
    )
    result: dict[str, Any] = {
        "set_up": {
            "server": f"haucan serve: gunicorn gthread, {args.workers} workers × 4 threads, "
            "127.0.0.1",
            "worker": "haucan worker (django-tasks database worker)",
            "database": f"PostgreSQL {DB_NAME} (recreated)",
            "client": "asyncio + aiohttp, one session per clerk, one save in flight per clerk",
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "parameters": {
            "clerks": args.clerks,
            "values_per_form": args.values,
            "forms_per_clerk_max": args.forms,
            "duration_max_s": args.duration,
            "ramp_s": args.ramp,
            "cell_think_ms": args.cell_think_ms,
            "form_think_ms": args.form_think_ms,
            "timeout_s": args.timeout,
            "batch_max": args.batch,
        },
        "elapsed_s": round(elapsed, 1),
        "forms_completed": stats.forms_done,
        "forms_per_s": round(forms_per_s, 2),
        "values_acknowledged": len(stats.acknowledged),
        "values_per_s": round(values_per_s, 1),
        "save_requests": len(stats.saves),
        "cells_per_request_mean": round(sum(stats.batch_sizes) / len(stats.batch_sizes), 1)
        if stats.batch_sizes
        else 0,
        "save_ms": {
            "p50": _pct(stats.saves, 0.5),
            "p95": _pct(stats.saves, 0.95),
            "p99": _pct(stats.saves, 0.99),
        },
        "login_ms": {
            "p50": _pct(stats.logins, 0.5),
            "p99": _pct(stats.logins, 0.99),
            "count": len(stats.logins),
            "phase_s": round(login_s, 1),
        },
        "entry_page_ms": {
            "p50": _pct(stats.pages, 0.5),
            "p99": _pct(stats.pages, 0.99),
            "count": len(stats.pages),
        },
        "cpu_seconds_timed_phase": stats.cpu,
        "cpu_ms_per_form": {k: round(v * 1000 / stats.forms_done, 1) for k, v in stats.cpu.items()}
        if stats.forms_done
        else {},
        "errors": errors,
        "errors_by_kind": stats.errors,
        "baseline_health": {
            "requests_per_s": round(health_rps, 1),
            "p50_ms": _pct(stats.health, 0.5),
            "p99_ms": _pct(stats.health, 0.99),
        },
        "nothing_lost_check": {**check, "passed": nothing_lost},
        "targets": {
            "forms_per_s": TARGET_FORMS_PER_S,
            "p99_ms": TARGET_P99_MS,
            "errors": 0,
            "lost_or_duplicated": 0,
        },
        "met": {
            "forms_per_s": forms_per_s >= TARGET_FORMS_PER_S,
            "p99": _pct(stats.saves, 0.99) <= TARGET_P99_MS,
            "errors": errors == 0,
            "nothing_lost": nothing_lost,
        },
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if not args.no_write:
        from benchmarks.common import write_results

        write_results("load", result, _markdown(result))
    return 0 if nothing_lost else 1


def _markdown(r: dict[str, Any]) -> str:
    def yes(flag: bool) -> str:
        return "met" if flag else "**not met**"

    u, p, c, s = r["set_up"], r["parameters"], r["nothing_lost_check"], r["save_ms"]
    t, met, base = r["targets"], r["met"], r["baseline_health"]
    login, page = r["login_ms"], r["entry_page_ms"]
    lines = [
        "# haucan bench load",
        "",
        f"{u['server']}; {u['worker']}; {u['database']}; client: {u['client']}.",
        f"Machine: {u['cpus']} CPUs, shared with other work (load average "
        f"{u['load_average_before']} before, {u['load_average_after']} after).",
        "",
        f"{p['clerks']} clerks, each signing in, opening the entry screen and typing a "
        f"{p['values_per_form']}-value form as the entry screen sends it (its autosave queue: "
        f"everything typed while no save is in flight, in one POST of at most "
        f"{p.get('batch_max', 100)} cells), at most {p['forms_per_clerk_max']} forms each, within "
        f"{p['duration_max_s']:.0f} s; think time {p['cell_think_ms']:.0f} ms between cells, "
        f"{p['form_think_ms']:.0f} ms between forms.",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        f"| forms/s | {r['forms_per_s']} ({r['forms_completed']} forms in {r['elapsed_s']} s) "
        f"| ≥ {t['forms_per_s']:.0f} | {yes(met['forms_per_s'])} |",
        f"| values/s | {r['values_per_s']} ({r['values_acknowledged']} acknowledged) | ≥ 10000 | |",
        f"| save p50 / p95 / p99 | {s['p50']} / {s['p95']} / {s['p99']} ms "
        f"| p99 ≤ {t['p99_ms']:.0f} ms | {yes(met['p99'])} |",
        f"| errors | {r['errors']} {r['errors_by_kind'] or ''} | 0 | {yes(met['errors'])} |",
        f"| lost / duplicated / unexpected | {c['lost']} / {c['duplicated']} / "
        f"{c['unexpected']} | 0 | {yes(met['nothing_lost'])} |",
        "",
        f"Sign-in phase (before the timed one): {login['count']} clerks in "
        f"{login.get('phase_s', '?')} s, p50 {login['p50']} ms, p99 {login['p99']} ms; "
        "entry screen: "
        f"p50 {page['p50']} ms, p99 {page['p99']} ms ({page['count']}).",
        "",
        f"Baseline in the same run: GET /health/ from 100 connections, "
        f"{base['requests_per_s']} requests/s (p50 {base['p50_ms']} ms, p99 {base['p99_ms']} ms): "
        "the floor of the cost of one request through this server.",
        "",
        f"CPU during the timed phase ({u['cpus']} CPUs × {r['elapsed_s']} s available): "
        f"{r.get('cpu_seconds_timed_phase', {})} s; per completed form: "
        f"{r.get('cpu_ms_per_form', {})} ms. At that cost the machine's ceiling is about "
        f"{_ceiling(r)} forms/s.",
        "",
        f"Save requests: {r.get('save_requests', 0)}, "
        f"{r.get('cells_per_request_mean', 0)} cells each on average (the screen sends what "
        "was typed while the previous save was in flight).",
        "",
        f"**Nothing-lost check: {'passed' if c['passed'] else 'FAILED'}.** "
        f"{c['acknowledged']} acknowledged values; {c['stored']} stored, each acknowledged one "
        f"exactly once with the value sent ({c['audited_once']} with exactly one audit entry, "
        f"{c['audited_more']} with more); {c['lost']} lost, {c['duplicated']} duplicated, "
        f"{c['unexpected']} stored without being sent"
        + (
            f"; {c['stored_unacknowledged']} more were sent but not acknowledged (the client's "
            f"{p.get('timeout_s', 60):.0f} s timeout ran out) and are stored once each."
            if c.get("stored_unacknowledged")
            else "."
        ),
        "",
    ]
    return "\n".join(lines)


def _ceiling(r: dict[str, Any]) -> str:
    per_form = r.get("cpu_ms_per_form") or {}
    total = sum(per_form.values())
    if not total:
        return "?"
    return f"{r['set_up']['cpus'] * 1000 / total:.0f}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
