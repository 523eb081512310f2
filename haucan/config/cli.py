"""The `haucan` command: one entry point for operators and developers.

A user's mistake (a bad setting, a bad flag, a failed check) prints one readable line and exits
non-zero; only a bug in the program shows a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from haucan.core.scope import Scope

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A mistake the person running the command can fix; printed without a traceback."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haucan.config.settings")
    import django

    django.setup()


def _migrate(verbosity: int) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def cmd_init(args: argparse.Namespace) -> int:
    from haucan.config.env import env_secret

    _migrate(args.verbosity)
    username = args.admin_user or os.environ.get("HAUCAN_ADMIN_USER")
    password = args.admin_password or env_secret("HAUCAN_ADMIN_PASSWORD")
    if username:
        if not password:
            raise UserError(
                "An administrator needs a password: pass --admin-password or set "
                "HAUCAN_ADMIN_PASSWORD (or HAUCAN_ADMIN_PASSWORD_FILE)."
            )
        from haucan.accounts.models import User
        from haucan.accounts.services import create_user
        from haucan.core.errors import HaucanError
        from haucan.core.scope import Scope

        if User.objects.filter(username=username).exists():
            print(f"Administrator '{username}' already exists; left unchanged.")
        else:
            try:
                create_user(
                    Scope.system("haucan init"),
                    username=username,
                    password=password,
                    email=args.admin_email or "",
                    is_superuser=True,
                )
            except HaucanError as exc:
                raise UserError(str(exc)) from None
            print(f"Administrator '{username}' created.")
    from haucan.catalog.services import ensure_default_combo

    ensure_default_combo()
    print("Database ready.")
    return 0


def cmd_load_demo(args: argparse.Namespace) -> int:
    from haucan.demo.loader import load_demo

    summary = load_demo(months=args.months, seed=args.seed, verbose=True)
    print(summary.describe())
    return 0


def _database_is_empty() -> bool:
    from haucan.org.models import Unit

    return not Unit.objects.exists()


def cmd_demo(args: argparse.Namespace) -> int:
    from django.conf import settings

    from haucan.demo.loader import DEMO_PASSWORD, PERSONAS, load_demo

    _migrate(0)
    if _database_is_empty():
        print("Loading the demo army (this takes a few minutes)…")
        summary = load_demo(months=24, seed=20231, verbose=True)
        print(summary.describe())
    else:
        print("The database already holds data; the demo army is not loaded again.")
    url = f"http://{args.host}:{args.port}/"
    print()
    print(f"Hậu Cần Số is serving the demo army at {url}")
    print(f"Data directory: {settings.DATA_DIR}")
    print(f"Demo logins (password {DEMO_PASSWORD}):")
    from haucan.demo.modules import extra_personas

    for persona in [*PERSONAS, *extra_personas()]:
        print(f"  {persona.username:<11} {persona.description}")
    if settings.HAUCAN_MFA_ENFORCED:
        print(
            "Administrators, specialists and approvers set up two-step sign-in (any TOTP "
            "authenticator app) at their first sign-in; HAUCAN_MFA_ENFORCED=false skips that "
            "for a classroom demo."
        )
    sys.stdout.flush()
    if args.no_serve:
        return 0
    return _serve(args.host, args.port, args.workers)


def _serve(host: str, port: int, workers: int) -> int:
    from gunicorn.app.base import BaseApplication

    from haucan.config.wsgi import application

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 120)

        def load(self) -> object:
            return application

    _Server().run()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from haucan.config.checks import pending_migrations

    if pending_migrations():
        raise UserError("The database needs migrating first: run `haucan init`.")
    return _serve(args.host, args.port, args.workers)


def cmd_check(args: argparse.Namespace) -> int:
    from haucan.config.checks import run_checks

    problems = run_checks(print)
    if problems:
        raise UserError(f"{problems} problem(s) found.")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["haucan manage", *args.rest])
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from haucan.audit.services import checkpoint, verify_chain

    if args.action == "checkpoint":
        mark = checkpoint()
        if mark is None:
            print("The audit chain is empty: nothing to checkpoint.")
        else:
            print(f"Checkpoint at event {mark.event_id} ({mark.count} events): head {mark.hash}")
        return 0
    report = verify_chain(full=args.full)
    where = "from the beginning" if not report.start_id else f"after event {report.start_id}"
    if not report.ok:
        at = f"event {report.first_bad_id}" if report.first_bad_id else "the end of the chain"
        raise UserError(
            f"The audit chain is broken at {at}: {report.reason} "
            f"({report.checked} events verified {where} before it)."
        )
    print(
        f"The audit chain is intact: {report.checked} events verified {where} "
        f"({report.total} in all)."
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from haucan.config.backup import BackupError, create_backup

    try:
        manifest = create_backup(Path(args.out))
    except BackupError as exc:
        raise UserError(str(exc)) from None
    print(
        f"Backup of the {manifest['database']} database written to {args.out}: "
        f"{len(manifest['tables'])} tables, {manifest['rows']} rows, "
        f"audit head {manifest['audit']['last_hash'] or '(empty)'} "
        f"({manifest['audit']['count']} events)."
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from haucan.config.backup import BackupError, restore_backup

    try:
        report = restore_backup(Path(args.folder))
    except BackupError as exc:
        raise UserError(str(exc)) from None
    print(
        f"Restored {report.tables} tables, {report.rows} rows; the audit chain verifies "
        f"({report.audit_events} events, head {report.audit_head})."
    )
    return 0


# Benchmark program -> its module in benchmarks/ (`import` is a Python keyword).
BENCH_MODULES = {
    "entry": "entry",
    "analytics": "analytics",
    "import": "import_bench",
    "alerts": "alerts_bench",
    "inventory": "inventory_bench",
    "barracks": "barracks_bench",
    "medical": "medical_bench",
    "load": "load_bench",
}


def cmd_bench(args: argparse.Namespace) -> int:
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    module_name = BENCH_MODULES[args.program]
    if not (root / "benchmarks" / f"{module_name}.py").exists():
        raise UserError("The benchmarks live in the source checkout; run this from a clone.")
    sys.path.insert(0, str(root))
    module = importlib.import_module(f"benchmarks.{module_name}")
    return int(module.main(args.rest))


def _scope_for(username: str | None) -> Scope:
    from haucan.core.scope import Scope

    if not username:
        return Scope.system("haucan import")
    from haucan.accounts.models import User
    from haucan.accounts.queries import resolve_scope

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise UserError(f"No active user '{username}'.")
    return resolve_scope(user)


def _format_of(path: str, given: str | None) -> str:
    if given:
        return given
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix in {"json", "xml", "csv", "adx", "xlsx"}:
        return suffix
    raise UserError("Cannot tell the file's format from its name; pass --format.")


def cmd_import(args: argparse.Namespace) -> int:
    """Import a file through the same service as the API; print the ImportSummary."""
    import importlib.util
    import json
    from pathlib import Path

    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"No such file: {path}")
    name = _format_of(args.file, args.format)
    scope = _scope_for(args.user)
    if name == "xlsx":
        if importlib.util.find_spec("haucan.exchange.excel") is None:
            raise UserError("Excel import is not available in this version yet.")
        from haucan.exchange import excel

        if not hasattr(excel, "import_workbook"):
            raise UserError("Excel import is not available in this version yet.")
        result = excel.import_workbook(scope, path.read_bytes(), dry_run=args.dry_run)
        report = {
            "status": "SUCCESS" if result.ok else "ERROR",
            "dryRun": result.dry_run,
            "counts": result.counts,
            "errors": result.errors,
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0 if result.ok else EXIT_USER_ERROR
    from haucan.exchange.formats import FORMATS
    from haucan.reporting.services.imports import import_values

    fmt = FORMATS[name]
    size = path.stat().st_size
    with open(path, "rb") as handle, _progress(size, handle) as (stream, tick):
        summary = import_values(
            scope,
            fmt.read(stream),
            strategy=args.strategy,
            dry_run=args.dry_run,
            id_scheme=args.id_scheme or fmt.default_id_scheme,
            progress=tick,
            force=args.force,
        )
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0 if summary["status"] != "ERROR" else EXIT_USER_ERROR


class _Counting:
    """A file read through, counting bytes for the progress bar."""

    def __init__(self, handle: object) -> None:
        self.handle = handle
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        data: bytes = self.handle.read(n)  # type: ignore[attr-defined]
        self.read_bytes += len(data)
        return data


class _progress:
    """A rich progress bar over the bytes read, for files over 5 MB when rich is installed."""

    def __init__(self, size: int, handle: object) -> None:
        self.size = size
        self.stream = _Counting(handle)
        self.bar: object = None

    def __enter__(self) -> tuple[_Counting, Callable[[int], None] | None]:
        if self.size > 5 * 1024 * 1024 and sys.stderr.isatty():
            try:
                from rich.progress import Progress
            except ImportError:
                return self.stream, None
            bar = Progress(transient=True)
            self.bar = bar
            bar.__enter__()
            task = bar.add_task("Importing", total=self.size)

            def tick(rows: int) -> None:
                bar.update(task, completed=self.stream.read_bytes, description=f"{rows:,} values")

            return self.stream, tick
        return self.stream, None

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)  # type: ignore[attr-defined]


def cmd_export(args: argparse.Namespace) -> int:
    from datetime import date

    from haucan.core.scope import Scope
    from haucan.exchange.formats import FORMATS
    from haucan.reporting.services.imports import ExportQuery, IdSchemes, export_values

    fmt = FORMATS[args.format]
    try:
        start = date.fromisoformat(args.start_date) if args.start_date else None
        end = date.fromisoformat(args.end_date) if args.end_date else None
    except ValueError:
        raise UserError("Dates are yyyy-mm-dd.") from None
    query = ExportQuery(
        data_sets=tuple(args.data_set),
        periods=tuple(args.period),
        start_date=start,
        end_date=end,
        org_units=tuple(args.org_unit),
        children=args.children,
        id_scheme=IdSchemes.of(args.id_scheme or fmt.default_id_scheme),
    )
    rows = export_values(Scope.system("haucan export"), query)
    data_set = args.data_set[0] if len(args.data_set) == 1 else None
    if args.out:
        with open(args.out, "wb") as out:
            for chunk in fmt.write(rows, data_set=data_set):
                out.write(chunk)
        print(f"Exported to {args.out}.", file=sys.stderr)
    else:
        for chunk in fmt.write(rows, data_set=data_set):
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
    return 0


def cmd_warehouse(args: argparse.Namespace) -> int:
    from pathlib import Path

    from haucan.analytics.warehouse import export_warehouse

    formats = tuple(f for f in args.format.split(",") if f.strip())
    summary = export_warehouse(
        Path(args.out), formats, progress=lambda step: print(f"Exporting {step}…")
    )
    print(summary.describe())
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """django-tasks' database worker: tasks are rows, so no broker is needed (DESIGN.md §3).

    Beside it runs our scheduler of periodic jobs (haucan.alerts.scheduler: the daily alert
    evaluation, e-mail digests and retries), unless --no-scheduler; with --batch, the due jobs
    are enqueued once before the queue is drained."""
    from django.core.management import call_command

    from haucan.alerts import scheduler
    from haucan.config.recovery import requeue_orphaned_tasks, worker_id

    # Tasks a killed worker left RUNNING run again (haucan.config.recovery).
    requeued = requeue_orphaned_tasks()
    if requeued:
        print(f"Requeued {len(requeued)} task(s) of a worker that stopped mid-task.")
    stop = None
    if args.batch:
        if not args.no_scheduler:
            scheduler.tick()
    elif not args.no_scheduler:
        stop = scheduler.start(interval=args.schedule_interval)
    options: dict[str, object] = {
        "interval": args.interval,
        "no_startup_delay": True,
        "worker_id": worker_id(),
    }
    if args.batch:
        options["batch"] = True
    try:
        call_command("db_worker", **options)
    finally:
        if stop is not None:
            stop.set()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="haucan", description="Hậu Cần Số: digital logistics for the army."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("init", help="migrate the database and create an administrator")
    p.add_argument("--admin-user", help="administrator user name (or HAUCAN_ADMIN_USER)")
    p.add_argument("--admin-password", help="administrator password (or HAUCAN_ADMIN_PASSWORD)")
    p.add_argument("--admin-email", default="")
    p.add_argument("-v", "--verbosity", type=int, default=1)
    p.set_defaults(func=cmd_init)

    def add_server_flags(p: argparse.ArgumentParser, workers: int) -> None:
        p.add_argument("--host", default=os.environ.get("HAUCAN_HOST", "127.0.0.1"))
        p.add_argument("--port", type=int, default=int(os.environ.get("HAUCAN_PORT", "8000")))
        p.add_argument("--workers", type=int, default=workers)

    p = sub.add_parser("serve", help="serve the web interface and API with gunicorn")
    add_server_flags(p, workers=max(2, (os.cpu_count() or 1) + 1))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="set up and serve the demo army on 127.0.0.1:8000")
    add_server_flags(p, workers=2)
    p.add_argument("--no-serve", action="store_true", help="prepare the demo but do not serve")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("load-demo", help="load the demo army into the database")
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--seed", type=int, default=20231)
    p.set_defaults(func=cmd_load_demo)

    p = sub.add_parser("check", help="check the configuration and the database")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("audit", help="verify the audit chain, or record a checkpoint of it")
    p.add_argument("action", choices=["verify", "checkpoint"])
    p.add_argument(
        "--full", action="store_true", help="verify from the first event, not the last checkpoint"
    )
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("manage", help="run a Django management command", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)

    p = sub.add_parser("bench", help="run a benchmark program (source checkout only)")
    p.add_argument("program", choices=list(BENCH_MODULES))
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("warehouse", help="export raw values and monthly totals (CSV, Parquet)")
    p.add_argument("action", choices=["export"])
    p.add_argument("--out", required=True, help="the folder to write the warehouse into")
    p.add_argument("--format", default="csv,parquet", help="csv, parquet or csv,parquet")
    p.set_defaults(func=cmd_warehouse)

    p = sub.add_parser("import", help="import data values from a file (JSON, XML, CSV, ADX, xlsx)")
    p.add_argument("file", help="the file to import")
    p.add_argument("--format", choices=["json", "xml", "csv", "adx", "xlsx"])
    p.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    p.add_argument(
        "--strategy",
        default="CREATE_AND_UPDATE",
        choices=["CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE"],
    )
    p.add_argument("--id-scheme", help="uid, code or name (default: uid; code for ADX)")
    p.add_argument("--user", help="import as this user (default: the system)")
    p.add_argument(
        "--force",
        action="store_true",
        help="write over locked periods, approvals and submissions (administrators; audited)",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export data values (JSON, XML, CSV, ADX)")
    p.add_argument("--data-set", required=True, action="append", help="form uid or code")
    p.add_argument("--period", action="append", default=[], help="period id, e.g. 202401")
    p.add_argument("--start-date")
    p.add_argument("--end-date")
    p.add_argument("--org-unit", required=True, action="append", help="unit uid or code")
    p.add_argument("--children", action="store_true", help="include the units' subtrees")
    p.add_argument("--format", default="json", choices=["json", "xml", "csv", "adx"])
    p.add_argument("--id-scheme", help="uid, code or name (default: uid; code for ADX)")
    p.add_argument("--out", help="the file to write (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "worker", help="run background jobs (imports, alert evaluation, e-mail) and the scheduler"
    )
    p.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
    p.add_argument(
        "--no-scheduler", action="store_true", help="do not run the periodic jobs in this worker"
    )
    p.add_argument(
        "--schedule-interval", type=float, default=30.0, help="seconds between scheduler ticks"
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("backup", help="snapshot the database while it runs (with a manifest)")
    p.add_argument("--out", required=True, help="a new or empty folder for the backup")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup into an empty database and verify it")
    p.add_argument("folder", help="the folder `haucan backup` wrote")
    p.set_defaults(func=cmd_restore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from haucan.config.env import ConfigError

    try:
        _setup_django()
        from haucan.core.errors import HaucanError

        try:
            return int(args.func(args))
        except HaucanError as exc:
            raise UserError(str(exc)) from None
    except (UserError, ConfigError) as exc:
        print(f"haucan: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from django.core.management.base import CommandError
        from django.db import OperationalError

        if isinstance(exc, (CommandError, OperationalError)):
            print(f"haucan: {exc}", file=sys.stderr)
            return EXIT_USER_ERROR
        raise


if __name__ == "__main__":
    sys.exit(main())
