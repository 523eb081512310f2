"""No SQL built from values by string formatting (issue 10 §4).

Ruff's S608 flags string-built SQL, but two analytics modules are exempt (per-file ignore) and a
few lines carry `noqa: S608`: their SQL names tables and columns through constants or quoted
identifiers and expands placeholder lists ("%s, %s, …"); values always go as parameters. This
test is the rule for all of them, and for every other module too: each expression formatted,
concatenated or interpolated into an SQL string must be one of the reviewed expressions below,
so `f"… WHERE name = '{name}'"` fails here by file and line, whatever noqa it carries.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|ANALYZE|WHERE|JOIN|COPY)\b")

# Reviewed interpolations, per module: table-name constants, fixed column lists, quoted
# identifiers, placeholder lists and condition fragments built only from these.
ALLOWED = {
    "haucan/analytics/store.py": {
        "ROLLUP", "VALUES", "ANCESTOR", "OUTBOX", "LINKS", "STATE", "STAGED", "KEYS", "KEY",
        "where", "columns",
        "_least('r.minimum', 'excluded.minimum')", "_greatest('r.maximum', 'excluded.maximum')",
        # _recompute_stale_extremes: column names and operators from a literal tuple, MIN/MAX,
        # and a subquery built from the table constants.
        "column", "old", "stale", "compare", "fn", "subtree",
    },
    "haucan/analytics/engine.py": {
        "VALUES", "column", "_placeholders(own)", "_placeholders(whole)", "units", "bounds",
        "bounds.replace(' AND ', ' AND v.')", "condition", "de",
    },
    "haucan/reporting/services/imports.py": {
        "self.dv_table", "table", "quoted", "marks", "sets", "cols_sql",
    },
    "haucan/config/backup.py": {"_sqlite_quote(table)"},
    # Table-name constants, placeholder lists and a list of int() ids.
    # ... and the subtree's path condition of "%s" placeholders (_subtree_condition).
    "haucan/alerts/evaluation/context.py": {"VALUES", "UNITS", "marks", "id_list", "subtree"},
    # The model's quoted table and column names (update_rows).
    "haucan/core/bulk.py": {"qn(meta.db_table)", "sets", "pk"},
    # The stamp's table and trigger function (constants), the watched tables' names (from the
    # models) and the trigger names made of them; the SQLite trigger body is a constant.
    "haucan/alerts/stamp.py": {
        "STAMP", "FUNCTION", "table", "name", "trigger_name(table)", "_SQLITE_STAMP",
        "trigger_name(table, event)", "event.upper()", "cursor.fetchone()[0]",
    },
    # The model's own table name, "%s" placeholder lists and CASE/guard fragments of "%s" only.
    "haucan/inventory/services/posting.py": {"table", "add_sql", "placeholders", "guard_sql"},
}  # fmt: skip
S608_EXEMPT = ["haucan/analytics/engine.py", "haucan/analytics/store.py"]


def _sql_constant(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(SQL.search(node.value))
    )


def sql_interpolations(path: Path) -> list[tuple[int, str]]:
    """(line, expression) for everything spliced into an SQL-looking string literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
            if SQL.search(text):
                found += [
                    (node.lineno, ast.unparse(v.value))
                    for v in node.values
                    if isinstance(v, ast.FormattedValue)
                ]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            if _sql_constant(node.left) and not isinstance(node.right, ast.Constant):
                found.append((node.lineno, ast.unparse(node.right)))
            elif _sql_constant(node.right) and not isinstance(
                node.left, ast.Constant | ast.JoinedStr | ast.BinOp
            ):
                found.append((node.lineno, ast.unparse(node.left)))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and _sql_constant(node.func.value)
        ):
            found += [(node.lineno, ast.unparse(a)) for a in node.args]
    return found


def _modules() -> list[Path]:
    return [
        p
        for p in sorted((ROOT / "haucan").rglob("*.py"))
        if "tests" not in p.parts and "migrations" not in p.parts
    ]


def test_only_the_reviewed_files_are_exempt_from_s608() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ignores = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    assert sorted(path for path, rules in ignores.items() if "S608" in rules) == S608_EXEMPT


def test_sql_strings_interpolate_only_reviewed_expressions() -> None:
    unexpected = []
    for path in _modules():
        name = str(path.relative_to(ROOT))
        allowed = ALLOWED.get(name, set())
        unexpected += [
            f"{name}:{line}: {expr}"
            for line, expr in sql_interpolations(path)
            if expr not in allowed
        ]
    assert unexpected == []


def test_the_rule_catches_a_value_spliced_into_sql(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def q(c, name, uid):\n"
        "    c.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n"
        "    c.execute(\"DELETE FROM t WHERE uid = '%s'\" % uid)\n"
        '    c.execute("UPDATE t SET a = 1 WHERE b = " + uid)\n'
        '    c.execute("SELECT * FROM t WHERE x = {}".format(uid))\n'
    )
    assert sql_interpolations(bad) == [(2, "name"), (3, "uid"), (4, "uid"), (5, "uid")]
