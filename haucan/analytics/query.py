"""The analytics query model, after DHIS2's `/api/analytics` (shared/reference/dhis2.md §2.3).

A query names dimensions (`dx`, `pe`, `ou`, and category dimensions by uid or code) with their
items, and filters of the same shape, which are aggregated away. `parse_query` reads the DHIS2
query string; `haucan.analytics.engine.run_query(scope, query)` answers it.

Items:
- dx: data element uid/code (the total over its option combos), `de.coc` (one option combo),
  indicator uid/code, `ds.REPORTING_RATE` / `ds.REPORTING_RATE_ON_TIME` / `ds.ACTUAL_REPORTS` /
  `ds.EXPECTED_REPORTS` (ds = form uid or code).
- pe: fixed period ids of any type (`202401`, `2024Q1`, `2024`, `2024N9`, …) or relative keys
  (`LAST_12_MONTHS`, …), resolved against `relative_period_date` (default: today).
- ou: unit uid/code, `USER_ORGUNIT`, `USER_ORGUNIT_CHILDREN`, `USER_ORGUNIT_GRANDCHILDREN`,
  `LEVEL-n` (combined with given units it means "the level-n units inside them"),
  `OU_GROUP-<group uid or code>`.
- a category uid/code: its option uids/codes (empty list = all options).
`hierarchy`: `current` (default), `as-of:YYYY-MM-DD`, or `period` (each period by the tree as it
was on the period's last day).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from haucan.core.errors import ValidationFailed


@dataclass(frozen=True)
class AnalyticsQuery:
    dimensions: tuple[tuple[str, tuple[str, ...]], ...]  # ordered (dimension, items)
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    hierarchy: str = "current"
    relative_period_date: date | None = None
    skip_meta: bool = False
    aggregation_type: str | None = None  # override every element's aggregation type

    def items(self, name: str) -> tuple[str, ...]:
        for dimension, values in (*self.dimensions, *self.filters):
            if dimension == name:
                return values
        return ()


def _split(spec: str) -> tuple[str, tuple[str, ...]]:
    name, _sep, rest = spec.partition(":")
    name = name.strip()
    if not name:
        raise ValidationFailed(_("A dimension has no name: '%(spec)s'.") % {"spec": spec})
    items = tuple(item.strip() for item in rest.split(";") if item.strip())
    return name, items


def parse_query(params: Mapping[str, Sequence[str]]) -> AnalyticsQuery:
    """Read `dimension=dx:a;b&dimension=pe:LAST_12_MONTHS&filter=ou:X&hierarchy=period`."""
    dimensions = tuple(_split(spec) for spec in params.get("dimension", ()))
    filters = tuple(_split(spec) for spec in params.get("filter", ()))
    names = [name for name, _items in (*dimensions, *filters)]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise ValidationFailed(
            _("The dimension %(name)s is given more than once.") % {"name": sorted(duplicated)[0]}
        )
    for required in ("dx", "pe", "ou"):
        if required not in names:
            raise ValidationFailed(
                _("The query needs the dimension or filter '%(name)s'.") % {"name": required}
            )
    hierarchy = (params.get("hierarchy") or ["current"])[-1]
    relative = (params.get("relativePeriodDate") or [""])[-1]
    try:
        relative_date = date.fromisoformat(relative) if relative else None
    except ValueError:
        raise ValidationFailed(
            _("relativePeriodDate '%(d)s' is not a date (YYYY-MM-DD).") % {"d": relative}
        ) from None
    aggregation = (params.get("aggregationType") or [""])[-1] or None
    skip = (params.get("skipMeta") or ["false"])[-1].lower() == "true"
    return AnalyticsQuery(dimensions, filters, hierarchy, relative_date, skip, aggregation)


@dataclass
class AnalyticsResult:
    """The answer in DHIS2's shape: one row per combination of dimension items that has a value."""

    headers: list[dict[str, object]]
    rows: list[list[str]]
    items: dict[str, dict[str, str]] = field(default_factory=dict)  # uid/id -> {"name": …}
    dimension_items: dict[str, list[str]] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.headers)

    def to_dhis2(self, *, skip_meta: bool = False) -> dict[str, object]:
        body: dict[str, object] = {
            "headers": self.headers,
            "rows": self.rows,
            "height": self.height,
            "width": self.width,
        }
        if not skip_meta:
            body["metaData"] = {"items": self.items, "dimensions": self.dimension_items}
        return body

    def value_map(self) -> dict[tuple[str, ...], float]:
        """(dimension item, …) in header order -> value, for tests and charts."""
        return {tuple(row[:-1]): float(row[-1]) for row in self.rows}
