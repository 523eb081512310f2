"""The data side of `haucan bench load` (benchmarks/load_bench.py), run in a child process with
Django on the bench database: the generated army before the run, the nothing-lost check after."""

from __future__ import annotations

import json
from pathlib import Path

PASSWORD = "Tai-khoan-tai-2024"  # noqa: S105 - the generated clerks of a throw-away database


def setup_army(values: int, clerks: int, forms: int, out: Path) -> None:
    """Create the army: 10 regiments of companies, one clerk per company, one form of `values`
    integers assigned to every company. Passwords share one Argon2 hash (computed once)."""
    from datetime import date

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from haucan.accounts.models import Assignment, User
    from haucan.catalog.models import DataElement, DataSet, DataSetElement, ValueType
    from haucan.catalog.services import ensure_default_combo
    from haucan.core.periods import PeriodType, period_of
    from haucan.core.scope import Scope
    from haucan.org.services import UnitSpec, create_unit

    system = Scope.system("load benchmark")
    opened = date(2000, 1, 1)
    root = create_unit(
        system, spec=UnitSpec(name="Bộ tư lệnh thử tải", code="LT"), parent=None, opened_on=opened
    )
    regiments = [
        create_unit(
            system,
            spec=UnitSpec(name=f"Trung đoàn {r}", code=f"LT-E{r}"),
            parent=root,
            opened_on=opened,
        )
        for r in range(10)
    ]
    companies = [
        create_unit(
            system,
            spec=UnitSpec(name=f"Đại đội {i}", code=f"LT-C{i:04d}"),
            parent=regiments[i % 10],
            opened_on=opened,
        )
        for i in range(clerks)
    ]
    default = ensure_default_combo()
    elements = DataElement.objects.bulk_create(
        DataElement(
            code=f"LD_{k:03d}",
            name=f"Chỉ tiêu tải {k:03d}",
            domain="general",
            value_type=ValueType.INTEGER_ZERO_OR_POSITIVE,
            aggregation_type="SUM",
            category_combo=default,
        )
        for k in range(values)
    )
    form = DataSet.objects.create(
        code="LOAD_FORM",
        name="Báo cáo thử tải",
        domain="general",
        period_type="Monthly",
        category_combo=default,
        expiry_days=0,
    )
    DataSetElement.objects.bulk_create(
        DataSetElement(data_set=form, data_element=e) for e in elements
    )
    form.units.add(*companies)
    hashed = make_password(PASSWORD)  # the production hasher, once
    users = User.objects.bulk_create(
        User(username=f"ld{i:04d}", password=hashed, full_name=f"Nhân viên {i}")
        for i in range(clerks)
    )
    Assignment.objects.bulk_create(
        Assignment(user=u, unit=c, role="clerk", domain="general")
        for u, c in zip(users, companies, strict=True)
    )
    current = period_of(timezone.localdate(), PeriodType.MONTHLY)
    periods = [current.shift(-1 - n).id for n in range(forms)]
    out.write_text(
        json.dumps(
            {
                "form": form.uid,
                "periods": periods,
                "elements": [e.code for e in elements],
                "clerks": [[u.username, c.uid] for u, c in zip(users, companies, strict=True)],
            }
        )
    )


def verify_sent(sent_path: Path, out: Path) -> None:
    """Compare the database with the acknowledged values: each stored exactly once."""
    from django.db.models import Count

    from haucan.reporting.models import DataValue, DataValueAudit

    sent = json.loads(sent_path.read_text())
    acknowledged = {(u, p, d): v for u, p, d, v in sent["acknowledged"]}
    attempted = {(u, p, d) for u, p, d in sent["attempted"]}
    rows = DataValue.objects.filter(data_element__code__startswith="LD_").values_list(
        "unit__uid", "period", "data_element__code", "value", "deleted"
    )
    stored: dict[tuple[str, str, str], list[str]] = {}
    for unit, period, de, value, deleted in rows:
        stored.setdefault((unit, period, de), []).append("" if deleted else value)
    lost = [k for k, v in acknowledged.items() if stored.get(k) != [v]]
    duplicated = [k for k, v in stored.items() if len(v) > 1]
    unexpected = [k for k in stored if k not in acknowledged and k not in attempted]
    # Unacknowledged but attempted (timed out, cut by the deadline) may or may not be stored;
    # each is then stored once, with the value sent.
    audits = (
        DataValueAudit.objects.filter(data_value__data_element__code__startswith="LD_")
        .values("data_value")
        .annotate(n=Count("id"))
    )
    audit_counts = [a["n"] for a in audits]
    out.write_text(
        json.dumps(
            {
                "acknowledged": len(acknowledged),
                "stored": len(stored),
                "lost": len(lost),
                "duplicated": len(duplicated),
                "unexpected": len(unexpected),
                # Sent, not acknowledged (the client gave up waiting), yet stored once: the
                # server finished the save after the client's timeout.
                "stored_unacknowledged": sum(
                    1 for k in stored if k in attempted and k not in acknowledged
                ),
                "audited_once": sum(1 for n in audit_counts if n == 1),
                "audited_more": sum(1 for n in audit_counts if n > 1),
                "examples_lost": [list(k) for k in lost[:5]],
            }
        )
    )
