"""What an arrival evaluation reads of the metadata, kept by the process while it is unchanged.

An arrival evaluation runs after nearly every save. Reading the active rules, the catalog and
the forms' validation checks again each time was about a third of it: a dozen queries whose
answers change a few times a day. `snapshot()` reads the metadata stamp (one query; database
triggers change it with every write to a catalog table or an alert rule, haucan.alerts.stamp)
and returns the snapshot read under that stamp, reading a new one only when the stamp moved.

The stamp is read before the metadata: a write committed in between changes the stamp, so what
was read is kept under a stamp that no later evaluation sees. The catalog's memos (validation
checks, compiled threshold rules, links' forms) live with the snapshot and are dropped with it.
Without a stamp row (no metadata written since the database was made) nothing is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from haucan.alerts import stamp
from haucan.alerts.evaluation import threshold
from haucan.alerts.evaluation.context import Catalog
from haucan.alerts.models import AlertRule, RuleKind
from haucan.catalog.models import DataElement, DataSetElement


@dataclass(frozen=True)
class Snapshot:
    rules: list[AlertRule]  # active, not domain events: indicator, form and elements loaded
    catalog: Catalog
    # threshold rule pk -> the element codes or uids its expressions name (None: they do not
    # parse, see threshold.element_names)
    names: dict[int, set[str] | None]
    form_elements: dict[int, frozenset[int]]  # validation rules' forms -> their element ids


_kept: tuple[str, Snapshot] | None = None  # one assignment replaces it: no lock needed


def active_rules() -> list[AlertRule]:
    rules = AlertRule.objects.filter(active=True).select_related("indicator", "data_set")
    # Only the elements' ids are read (outlier rules): whole rows cost more than the rules.
    watched = Prefetch("elements", queryset=DataElement.objects.only("pk"))
    return list(rules.exclude(kind=RuleKind.EVENT).prefetch_related(watched))


def read() -> Snapshot:
    """A snapshot read now, kept by nobody (what snapshot() keeps)."""
    rules = active_rules()
    forms = {r.data_set_id for r in rules if r.kind == RuleKind.VALIDATION and r.data_set_id}
    form_elements: dict[int, set[int]] = {form: set() for form in forms}
    for form, element in DataSetElement.objects.filter(data_set_id__in=forms).values_list(
        "data_set_id", "data_element_id"
    ):
        form_elements[form].add(element)
    return Snapshot(
        rules=rules,
        catalog=Catalog(),
        names={r.pk: threshold.element_names(r) for r in rules if r.kind == RuleKind.THRESHOLD},
        form_elements={form: frozenset(ids) for form, ids in form_elements.items()},
    )


def snapshot() -> Snapshot:
    global _kept
    now = stamp.current()
    kept = _kept
    if now is not None and kept is not None and kept[0] == now:
        return kept[1]
    fresh = read()
    if now is not None:
        _kept = (now, fresh)
    return fresh


def forget() -> None:
    """Drop the kept snapshot (tests that compare a first read with a kept one)."""
    global _kept
    _kept = None
