"""Evaluate alert rules: all of them on schedule, or only those the arriving values touch.

`evaluate_all` looks at every unit and the rules' recent periods; `evaluate_arrivals` looks only
at the rules whose elements (or form) changed, for the changed units, their ancestors at the
rules' levels, and the changed periods. Both end in `sync_rule`, which makes the alerts match
what was found inside what was looked at, so either can run any number of times.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone, translation

from haucan.alerts.evaluation import late, metadata, outlier, threshold, validation
from haucan.alerts.evaluation.context import (
    Catalog,
    UnitInfo,
    Units,
    Values,
    periods_checked,
)
from haucan.alerts.models import Alert, AlertRule, OutlierMethod, RuleKind
from haucan.alerts.queries import ACTIVE
from haucan.alerts.sync import Finding, SyncResult, Universe, sync_rule, sync_rules
from haucan.core.arrivals import Arrival
from haucan.core.errors import ValidationFailed
from haucan.core.expressions import Operand
from haucan.core.periods import Period, PeriodError, parse_period
from haucan.core.scope import Scope
from haucan.org.models import Unit

logger = logging.getLogger(__name__)


@dataclass
class Report:
    rules: int = 0
    findings: int = 0
    result: SyncResult = field(default_factory=SyncResult)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    active: set[str] | None = None
    # An arrival evaluation reads first and writes at the end (see evaluate_arrivals): what
    # each rule found waits here.
    pending: list[tuple[AlertRule, list[Finding], Universe]] | None = None

    def describe(self) -> str:
        r = self.result
        return (
            f"{self.rules} rules, {self.findings} conditions: {len(r.opened)} opened, "
            f"{len(r.reopened)} reopened, {r.refreshed} refreshed, {r.resolved} resolved "
            f"in {self.seconds:.2f} s"
        )


def _apply(
    scope: Scope,
    rule: AlertRule,
    findings: list[Finding],
    universe: Universe,
    report: Report,
) -> None:
    """Sync the rule's alerts. In an arrival evaluation `report.active` holds the codes with
    active alerts near the arrival: a rule that found nothing there is then not even locked."""
    if report.active is not None and not findings and rule.code not in report.active:
        return
    if report.pending is not None:
        report.pending.append((rule, findings, universe))
        return
    _sync(scope, rule, findings, universe, report)


def _sync(
    scope: Scope, rule: AlertRule, findings: list[Finding], universe: Universe, report: Report
) -> None:
    # The alerts and their notifications commit together (as raise_event's do): a worker killed
    # between two commits left alerts nobody was told of, and its re-run, finding them unchanged,
    # raised nothing (issue 10 §7, test_crash_worker_tasks.py).
    with transaction.atomic():
        result = sync_rule(scope, rule, findings, universe)
        _notify(scope, result)
    report.findings += len(findings)
    report.result.add(result)


def _notify(scope: Scope, result: SyncResult) -> None:
    # Imported here: notify → recipients → evaluation.context would start a cycle when a module
    # imports haucan.alerts.services first.
    from haucan.alerts.notify import notify

    notify(scope, result.raised)


def _ids(periods: list[Period]) -> frozenset[str]:
    return frozenset(p.id for p in periods)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cycle collector. A full evaluation builds a few million small dicts and
    tuples that all live until it ends; the collector walked them again and again and found
    nothing (PostgreSQL, 10,000 units: 9.3-11.3 s against 8.2-8.7 s paused, same session).
    Reference counting still frees everything as usual; the collector resumes at the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate_all(
    scope: Scope, *, today: date | None = None, rules: list[AlertRule] | None = None
) -> Report:
    """Evaluate every active rule (or `rules`) over the whole army."""
    with _no_cyclic_gc():
        return _evaluate_all(scope, today=today, rules=rules)


def _evaluate_all(scope: Scope, *, today: date | None, rules: list[AlertRule] | None) -> Report:
    started = time.perf_counter()
    today = today or timezone.localdate()
    report = Report()
    chosen = rules if rules is not None else metadata.active_rules()
    units = Units.everything()
    values = Values(units)
    catalog = Catalog()
    _prefetch_for_all(chosen, today, units, values, catalog)
    with translation.override("vi"):
        for rule in chosen:
            try:
                _evaluate_rule(scope, rule, today, units, values, catalog, report)
            except ValidationFailed as exc:  # a rule broken since it was saved: skip, report it
                report.errors.append(f"{rule.code}: {exc.message}")
                logger.warning("alert rule %s skipped: %s", rule.code, exc.message)
            report.rules += 1
    report.seconds = time.perf_counter() - started
    return report


def _evaluate_rule(
    scope: Scope,
    rule: AlertRule,
    today: date,
    units: Units,
    values: Values,
    catalog: Catalog,
    report: Report,
) -> None:
    if rule.kind == RuleKind.THRESHOLD:
        periods = periods_checked(rule.period_type, today, rule.lookback)
        compiled = threshold.compile_rule(rule, catalog, today)
        targets = units.at_levels(rule.levels)
        values.load(_ids(periods), compiled.element_ids)
        found = threshold.evaluate(rule, compiled, targets, periods, values, catalog)
        _apply(scope, rule, found, Universe(_ids(periods)), report)
    elif rule.kind == RuleKind.VALIDATION and rule.data_set is not None:
        periods = periods_checked(rule.data_set.period_type, today, rule.lookback)
        checks = validation.checks_of(rule, catalog.checks)
        values.load(_ids(periods), validation.element_ids(checks, catalog))
        everyone = units.at_levels(rule.levels)
        found = validation.evaluate(rule, checks, everyone, periods, values, catalog)
        _apply(scope, rule, found, Universe(_ids(periods)), report)
    elif rule.kind == RuleKind.OUTLIER and rule.period_type:
        periods = periods_checked(rule.period_type, today, rule.lookback)
        element_ids = {e.pk for e in rule.elements.all()}
        values.load(outlier.history_periods(rule, periods), element_ids)
        everyone = units.at_levels(rule.levels)
        found = outlier.evaluate(rule, element_ids, everyone, periods, values, catalog)
        _apply(scope, rule, found, Universe(_ids(periods)), report)
    elif rule.kind == RuleKind.LATE and rule.data_set is not None:
        periods = late.overdue_periods(rule.data_set, today, rule.lookback)
        assigned = [
            pk for pk in rule.data_set.units.values_list("pk", flat=True) if pk in units.by_pk
        ]
        found = late.evaluate(rule, rule.data_set, assigned, periods, units)
        _apply(scope, rule, found, Universe(_ids(periods)), report)


def _period(text: str) -> Period | None:
    try:
        return parse_period(text)
    except PeriodError:
        return None


def evaluate_arrivals(
    scope: Scope, arrivals: list[Arrival], *, today: date | None = None
) -> Report:
    """Evaluate only what `arrivals` touch (see the module docstring)."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    report = Report(pending=[])
    value_arrivals = [a for a in arrivals if a.element_ids]
    submissions = [a for a in arrivals if a.data_set_id is not None]
    kept = metadata.snapshot()  # the rules and the catalog, read again only when they change
    rules = _touched(kept, value_arrivals, submissions)
    if not rules:  # most saves: no rule watches what changed, and nothing else is read
        report.seconds = time.perf_counter() - started
        return report
    catalog = kept.catalog
    changed_units = {a.unit_id for a in arrivals}
    units = Units.around(changed_units)
    values = Values(units)
    report.active = set(
        Alert.objects.filter(
            unit_id__in=list(units.by_pk),
            period__in={a.period for a in arrivals},
            status__in=ACTIVE,
        ).values_list("code", flat=True)
    )
    arrival_periods = sorted({a.period for a in value_arrivals})
    changed_paths = [units.by_pk[u].path for u in changed_units if u in units.by_pk]
    changed_elements = {e for a in value_arrivals for e in a.element_ids}
    values.load(arrival_periods, changed_elements, changed_paths)  # one query for all rules
    _prefetch_for_arrivals(rules, today, value_arrivals, units, values, catalog)
    with translation.override("vi"):
        for rule in rules:
            try:
                touched = _arrival_rule(
                    scope, rule, today, value_arrivals, submissions, units, values, catalog, report
                )
            except ValidationFailed as exc:
                report.errors.append(f"{rule.code}: {exc.message}")
                continue
            report.rules += touched
        # Every rule that found something or has alerts to resolve, in one transaction and one
        # query per kind of write: a transaction and a dozen queries per rule were most of the
        # time. Inside the override: messages are rendered when written.
        pending, report.pending = report.pending or [], None
        with transaction.atomic():  # the alerts and their notifications together, as in _sync
            result = sync_rules(scope, pending)
            _notify(scope, result)
        report.findings += sum(len(findings) for _rule, findings, _universe in pending)
        report.result.add(result)
    report.seconds = time.perf_counter() - started
    return report


def _touched(
    kept: metadata.Snapshot, value_arrivals: list[Arrival], submissions: list[Arrival]
) -> list[AlertRule]:
    """The rules the arrivals may touch: a cheap superset of what `_arrival_rule` evaluates
    (the elements named by a threshold rule's expressions, or held by a validation rule's form,
    changed in a period of the rule's type; an outlier rule's elements; a late rule's form
    submitted), from the kept metadata alone."""
    changed: dict[str, set[int]] = defaultdict(set)  # period type -> changed element ids
    for a in value_arrivals:
        period = _period(a.period)
        if period is not None:
            changed[period.type.value] |= a.element_ids
    element_pks = kept.catalog.elements
    everything = set().union(*changed.values()) if changed else set()
    held = {form for form, ids in kept.form_elements.items() if not ids.isdisjoint(everything)}
    submitted = {a.data_set_id for a in submissions}
    chosen = []
    for rule in kept.rules:
        if rule.kind == RuleKind.THRESHOLD:
            names = kept.names[rule.pk]
            # A broken expression or an unknown element: evaluated, so that it is reported.
            touched = (
                names is None
                or any(n not in element_pks for n in names)
                or bool({element_pks[n] for n in names} & changed.get(rule.period_type, set()))
            )
        elif rule.kind == RuleKind.VALIDATION:
            touched = rule.data_set_id in held
        elif rule.kind == RuleKind.OUTLIER:
            touched = bool(
                {e.pk for e in rule.elements.all()} & changed.get(rule.period_type, set())
            )
        else:
            touched = rule.kind == RuleKind.LATE and rule.data_set_id in submitted
        if touched:
            chosen.append(rule)
    return chosen


def _prefetch_for_arrivals(
    rules: list[AlertRule],
    today: date,
    value_arrivals: list[Arrival],
    units: Units,
    values: Values,
    catalog: Catalog,
) -> None:
    """One analytics query for the aggregates of every touched threshold rule, and one read of
    the outlier rules' history, instead of one of each per rule."""
    operands: set[Operand] = set()
    upper: dict[int, UnitInfo] = {}
    periods: set[str] = set()
    history: set[str] = set()
    history_elements: set[int] = set()
    changed = {e for a in value_arrivals for e in a.element_ids}
    limited: set[int] = set()
    for rule in rules:
        if rule.kind == RuleKind.OUTLIER and rule.period_type:
            elements = {e.pk for e in rule.elements.all()} & changed
            for period_id in _by_period(value_arrivals, rule.period_type, elements):
                history.update(outlier.history_periods(rule, [parse_period(period_id)]))
                history_elements |= elements
                if rule.method == OutlierMethod.MINMAX:
                    limited |= elements
            continue
        if rule.kind != RuleKind.THRESHOLD:
            continue
        try:
            compiled = threshold.compile_rule(rule, catalog, today)
        except ValidationFailed:
            continue
        touched = _by_period(value_arrivals, rule.period_type, set(compiled.element_ids))
        if not touched:
            continue
        operands |= compiled.left.operands() | compiled.right.operands()
        for period_id, unit_ids in touched.items():
            periods.add(period_id)
            for pk in unit_ids:
                if pk not in units.by_pk:
                    continue
                for path in _ancestry(units.by_pk[pk].path):
                    info = units.by_path.get(path)
                    wanted = not rule.levels or (info is not None and info.depth in rule.levels)
                    if info is not None and not units.is_leaf(info.pk) and wanted:
                        upper[info.pk] = info
    if limited:
        values.limits(limited)
    if history_elements:
        paths = [units.by_pk[a.unit_id].path for a in value_arrivals if a.unit_id in units.by_pk]
        values.load(sorted(history), history_elements, paths)
    if operands and upper:
        threshold.prefetch(
            values,
            list(upper.values()),
            [parse_period(p) for p in sorted(periods)],
            frozenset(operands),
            catalog,
        )


def _prefetch_for_all(
    rules: list[AlertRule], today: date, units: Units, values: Values, catalog: Catalog
) -> None:
    """The full evaluation's reads, once for all rules: the values of every element the
    threshold and validation rules use, the outlier rules' histories, and, level by level, the
    aggregates of the operands that the rules looking at that level use (asking every level
    for every rule's operands tripled the analytics work)."""
    by_level: dict[int, set[Operand]] = defaultdict(set)
    depths = {u.depth for u in units.by_pk.values()}
    periods: dict[str, Period] = {}
    element_ids: set[int] = set()
    limited: set[int] = set()
    histories: dict[tuple[str, ...], set[int]] = defaultdict(set)  # periods -> elements
    for rule in rules:
        if rule.kind == RuleKind.OUTLIER and rule.period_type:
            watched = {e.pk for e in rule.elements.all()}
            checked = periods_checked(rule.period_type, today, rule.lookback)
            histories[tuple(outlier.history_periods(rule, checked))] |= watched
            if rule.method == OutlierMethod.MINMAX:
                limited |= watched
        if rule.kind == RuleKind.VALIDATION and rule.data_set is not None:
            checks = validation.checks_of(rule, catalog.checks)
            for p in periods_checked(rule.data_set.period_type, today, rule.lookback):
                periods.setdefault(p.id, p)
            element_ids |= validation.element_ids(checks, catalog)
            continue
        if rule.kind != RuleKind.THRESHOLD:
            continue
        try:
            compiled = threshold.compile_rule(rule, catalog, today)
        except ValidationFailed:
            continue
        element_ids |= compiled.element_ids
        for p in periods_checked(rule.period_type, today, rule.lookback):
            periods.setdefault(p.id, p)
        for depth in rule.levels or depths:
            by_level[depth] |= compiled.left.operands() | compiled.right.operands()
    if element_ids:
        values.load(sorted(periods), element_ids)
    # The outlier rules' histories, one read for the rules with the same periods: the values of
    # a unit's elements lie together, and reading five elements at once cost the database
    # less than half of reading them one by one (PostgreSQL, 10,000 units: 0.36 s against
    # 0.15-0.2 s for each).
    for history, watched in histories.items():
        values.load(history, watched)
    if limited:
        values.limits(limited)
    for depth, operands in sorted(by_level.items()):
        upper = [u for u in units.at_levels([depth]) if not units.is_leaf(u.pk)]
        if operands and upper:
            threshold.prefetch(values, upper, list(periods.values()), frozenset(operands), catalog)


def _by_period(
    arrivals: list[Arrival], period_type: str, elements: set[int]
) -> dict[str, set[int]]:
    """period id -> changed unit ids, for arrivals of `period_type` touching `elements`."""
    found: dict[str, set[int]] = defaultdict(set)
    for a in arrivals:
        period = _period(a.period)
        if period is not None and period.type.value == period_type and a.element_ids & elements:
            found[a.period].add(a.unit_id)
    return found


def _arrival_rule(
    scope: Scope,
    rule: AlertRule,
    today: date,
    value_arrivals: list[Arrival],
    submissions: list[Arrival],
    units: Units,
    values: Values,
    catalog: Catalog,
    report: Report,
) -> int:
    if rule.kind == RuleKind.THRESHOLD:
        compiled = threshold.compile_rule(rule, catalog, today)
        touched = _by_period(value_arrivals, rule.period_type, set(compiled.element_ids))
        for period_id, unit_ids in touched.items():
            period = parse_period(period_id)
            wanted = set(rule.levels)
            targets = {
                info.pk: info
                for pk in unit_ids
                if pk in units.by_pk
                for path in _ancestry(units.by_pk[pk].path)
                if (info := units.by_path.get(path)) is not None
                and (not wanted or info.depth in wanted)
            }
            chosen = list(targets.values())
            leaves = [t.path for t in chosen if units.is_leaf(t.pk)]
            values.load([period_id], compiled.element_ids, leaves)
            found = threshold.evaluate(rule, compiled, chosen, [period], values, catalog)
            universe = Universe(frozenset({period_id}), frozenset(targets))
            _apply(scope, rule, found, universe, report)
        return int(bool(touched))
    if rule.kind == RuleKind.VALIDATION and rule.data_set is not None:
        checks = validation.checks_of(rule, catalog.checks)
        elements = validation.element_ids(checks, catalog)
        touched = _by_period(value_arrivals, rule.data_set.period_type, elements)
        for period_id, unit_ids in touched.items():
            chosen = [units.by_pk[u] for u in unit_ids if u in units.by_pk]
            chosen = [u for u in chosen if not rule.levels or u.depth in rule.levels]
            values.load([period_id], elements, [u.path for u in chosen])
            found = validation.evaluate(
                rule, checks, chosen, [parse_period(period_id)], values, catalog
            )
            universe = Universe(frozenset({period_id}), frozenset(u.pk for u in chosen))
            _apply(scope, rule, found, universe, report)
        return int(bool(touched))
    if rule.kind == RuleKind.OUTLIER and rule.period_type:
        elements = {e.pk for e in rule.elements.all()}
        touched = _by_period(value_arrivals, rule.period_type, elements)
        changed = {e for a in value_arrivals for e in a.element_ids} & elements
        for period_id, unit_ids in touched.items():
            period = parse_period(period_id)
            chosen = [units.by_pk[u] for u in unit_ids if u in units.by_pk]
            chosen = [u for u in chosen if not rule.levels or u.depth in rule.levels]
            values.load(outlier.history_periods(rule, [period]), changed, [u.path for u in chosen])
            found = outlier.evaluate(rule, changed, chosen, [period], values, catalog)
            universe = Universe(
                frozenset({period_id}), frozenset(u.pk for u in chosen), _keys_of(changed)
            )
            _apply(scope, rule, found, universe, report)
        return int(bool(touched))
    if rule.kind == RuleKind.LATE and rule.data_set is not None:
        mine = [a for a in submissions if a.data_set_id == rule.data_set_id]
        overdue = {p.id: p for p in late.overdue_periods(rule.data_set, today, rule.lookback)}
        for arrival in mine:
            if arrival.period not in overdue:
                continue
            unit = Unit.objects.filter(pk=arrival.unit_id).values_list("parent_id", flat=True)
            parent_id = unit.first()
            assigned_all = rule.data_set.units.all()
            siblings = list(
                assigned_all.filter(parent_id=parent_id).values_list("pk", flat=True)
                if parent_id is not None
                else assigned_all.filter(pk=arrival.unit_id).values_list("pk", flat=True)
            )
            around = Units.around(siblings)
            found = late.evaluate(
                rule,
                rule.data_set,
                siblings,
                [overdue[arrival.period]],
                around,
                parents={parent_id} if parent_id is not None else set(),
            )
            period_ids = frozenset({arrival.period})
            own = [f for f in found if f.key != late.SUMMARY]
            _apply(scope, rule, own, Universe(period_ids, frozenset(siblings)), report)
            if parent_id is not None:
                summary = [f for f in found if f.key == late.SUMMARY]
                parent = Universe(
                    period_ids, frozenset({parent_id}), lambda key: key == late.SUMMARY
                )
                _apply(scope, rule, summary, parent, report)
        return int(bool(mine))
    return 0


def _ancestry(path: str) -> list[str]:
    uids = [p for p in path.split("/") if p]
    return ["/" + "/".join(uids[: i + 1]) + "/" for i in range(len(uids))]


def _keys_of(elements: set[int]) -> Callable[[str], bool]:
    """A key test for outlier alerts ("<element>:<combo>") of these elements only."""
    chosen = frozenset(elements)
    return lambda key: _element_of(key) in chosen


def _element_of(key: str) -> int | None:
    head = key.split(":", 1)[0]
    return int(head) if head.isdigit() else None
