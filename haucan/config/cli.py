"""The `haucan` command: one entry point for operators and developers.

A user's mistake (a bad setting, a bad flag, a failed check) prints one readable line and exits
non-zero; only a bug in the program shows a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

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
        print("Loading the demo army (this takes under a minute)…")
        summary = load_demo(months=24, seed=20231, verbose=True)
        print(summary.describe())
    else:
        print("The database already holds data; the demo army is not loaded again.")
    url = f"http://{args.host}:{args.port}/"
    print()
    print(f"Hậu Cần Số is serving the demo army at {url}")
    print(f"Data directory: {settings.DATA_DIR}")
    print(f"Demo logins (password {DEMO_PASSWORD}):")
    for persona in PERSONAS:
        print(f"  {persona.username:<11} {persona.description}")
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
    from haucan.audit.services import verify_chain

    report = verify_chain()
    if not report.ok:
        raise UserError(
            f"The audit chain is broken at event {report.first_bad_id}: {report.reason} "
            f"({report.checked} events verified before it)."
        )
    print(f"The audit chain is intact: {report.checked} events verified.")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / f"{args.program}.py").exists():
        raise UserError("The benchmarks live in the source checkout; run this from a clone.")
    sys.path.insert(0, str(root))
    module = importlib.import_module(f"benchmarks.{args.program}")
    return int(module.main(args.rest))


def cmd_warehouse(args: argparse.Namespace) -> int:
    from pathlib import Path

    from haucan.analytics.warehouse import export_warehouse

    formats = tuple(f for f in args.format.split(",") if f.strip())
    summary = export_warehouse(
        Path(args.out), formats, progress=lambda step: print(f"Exporting {step}…")
    )
    print(summary.describe())
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

    p = sub.add_parser("audit", help="verify that the audit log is intact")
    p.add_argument("action", choices=["verify"])
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("manage", help="run a Django management command", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)

    p = sub.add_parser("bench", help="run a benchmark program (source checkout only)")
    p.add_argument("program", choices=["entry", "analytics"])
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("warehouse", help="export raw values and monthly totals (CSV, Parquet)")
    p.add_argument("action", choices=["export"])
    p.add_argument("--out", required=True, help="the folder to write the warehouse into")
    p.add_argument("--format", default="csv,parquet", help="csv, parquet or csv,parquet")
    p.set_defaults(func=cmd_warehouse)

    for name in ("worker", "import", "export", "backup"):
        p = sub.add_parser(name, help="(not available yet)")
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=_not_yet(name))
    return parser


def _not_yet(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        raise UserError(f"`haucan {name}` is not available in this version yet.")

    return run


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
