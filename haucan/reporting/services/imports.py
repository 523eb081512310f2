"""`import_values`: the one entry point for bulk imports of data values.

Every bulk source calls it: the DHIS2 `/api/dataValueSets` endpoint (JSON, XML, CSV, ADX), the
`haucan import` command, async import jobs and Excel uploads. A parser turns its format into a
stream of `ImportRow`s; this module resolves, checks and writes them.

Contract (stable; other modules depend on it)::

    import_values(scope, rows, *, strategy="CREATE_AND_UPDATE", dry_run=False,
                  id_scheme="uid", origin="import") -> ImportSummary

- `rows` is any iterable of `ImportRow`; it is consumed once, in chunks, so memory stays flat.
  A parser may raise `ImportFormatError(message, index)` while it is consumed: the import then
  stops with status ERROR and that conflict, and nothing is written.
- The index of a row is its position in `rows` (0-based); conflicts carry these indexes.
- **All or nothing.** Every row is checked (element, value type, unit in scope and open, form
  assignment, period type, future periods, lock, approval, submission). If any row has a
  conflict, nothing is written and the status is ERROR. Otherwise every change is written in one
  transaction with its `DataValueAudit` row and, for numbers, its `ValueChange` outbox row (so the
  analytics are fresh at the next query; ADR 0005).
- **Idempotent.** A value equal to the stored one is "ignored" and writes nothing (no audit).
- **force** (administrators only, else PermissionDenied) writes over the locks E7604, E7605 and
  E7606 instead of refusing; the import is then audited as `reporting.values.forced_import` with
  the list of locks it overrode. A closed unit or a future period is never forced.
- **dry_run** runs every check and computes the same counts, and writes nothing. (A key repeated
  in *different* chunks of a dry run is counted against the stored state both times.)
- The answer is DHIS2's ImportSummary dict (`responseType`, `status`, `description`,
  `importCount{imported,updated,ignored,deleted}`, `conflicts[{object, objects, value,
  errorCode, indexes}]`).

Strategies: CREATE_AND_UPDATE (default) writes everything; CREATE only adds values that do not
exist (existing ones are ignored); UPDATE only changes existing values (others are ignored);
DELETE soft-deletes the given keys whatever their value. An empty value, `deleted: true`, or a
zero of an element that does not store zeros deletes the value in the other strategies.

Error codes (DHIS2's E76xx family where it has one):

======  ======================================================================
E7600   data set not found
E7601   the actor may not enter data for the form's domain
E7602   the unit is closed during the period
E7603   the period is not open yet (later than the form's open future periods)
E7604   the period is locked (the form's expiry days have passed)
E7605   the data is approved at this unit or above
E7606   the report is submitted; reopen it first
E7607   the cell is greyed (does not apply) on the form
E7610   data element not found
E7611   period not valid
E7612   organisation unit not found or not accessible
E7613   category option combo not found or not in the element's disaggregation
E7614   attribute option combo not found or not the form's attribute combination
E7619   the value does not fit the element's value type
E7633   the element is not in a form assigned to the unit for this period type
E7650   the file is malformed (the index is the row where reading stopped)
E7651   a concurrent import wrote the same values; retry
======  ======================================================================
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from itertools import islice
from typing import Any, Literal, TypedDict

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.catalog.models import (
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DataSetElement,
    GreyedField,
    Option,
)
from haucan.catalog.services import DEFAULT_CODE
from haucan.core import arrivals
from haucan.core.errors import PermissionDenied, ValidationFailed
from haucan.core.periods import Period, PeriodError, PeriodType, parse_period, period_of
from haucan.core.scope import Action, Domain, Scope
from haucan.org.models import Unit
from haucan.reporting.models import (
    CompleteRegistration,
    DataApproval,
    DataValue,
    DataValueAudit,
    Origin,
    ValueChange,
)
from haucan.reporting.services.values import lock_date
from haucan.reporting.values import parse_value

Strategy = Literal["CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE"]
STRATEGIES: tuple[str, ...] = ("CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE")
SCHEMES: tuple[str, ...] = ("uid", "code", "name")
CHUNK_SIZE = 5000
MAX_CONFLICTS = 500  # distinct conflicts kept in a summary
MAX_INDEXES = 1000  # row indexes kept per conflict


# --- public types ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One value as a parser read it; keys are in the import's id scheme."""

    data_element: str
    period: str
    org_unit: str
    value: str | None = None
    category_option_combo: str | None = None  # None = the default combo (or `category_options`)
    attribute_option_combo: str | None = None  # None = default (or `attribute_options`)
    comment: str | None = None  # None keeps the stored comment
    follow_up: bool | None = None
    deleted: bool = False
    data_set: str | None = None  # restricts the row to this form (data set key)
    # ADX: disaggregation as (category code, option code) pairs instead of an option combo.
    category_options: tuple[tuple[str, str], ...] | None = None
    attribute_options: tuple[tuple[str, str], ...] | None = None


def _has_nul(row: ImportRow) -> bool:
    """A NUL character anywhere in the row (PostgreSQL cannot store or even compare it)."""
    texts = [
        row.data_element,
        row.period,
        row.org_unit,
        row.value,
        row.category_option_combo,
        row.attribute_option_combo,
        row.comment,
        row.data_set,
    ]
    for pairs in (row.category_options, row.attribute_options):
        texts.extend(text for pair in pairs or () for text in pair)
    return any(text and "\x00" in text for text in texts)


class ImportFormatError(Exception):
    """A parser could not read its input; `index` is the row where reading stopped."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass(frozen=True)
class IdSchemes:
    """How keys of each kind are matched: by `uid`, `code` or `name` (DHIS2's idScheme)."""

    data_element: str = "uid"
    org_unit: str = "uid"
    category_option_combo: str = "uid"
    attribute_option_combo: str = "uid"
    data_set: str = "uid"

    @classmethod
    def of(cls, id_scheme: str = "uid", **overrides: str | None) -> IdSchemes:
        """`id_scheme` for every kind, then the given per-kind overrides (None = not given)."""
        base = _scheme(id_scheme)
        values = {name: base for name in cls.__dataclass_fields__}
        for name, scheme in overrides.items():
            if scheme:
                values[name] = _scheme(scheme)
        return cls(**values)


def _scheme(text: str) -> str:
    scheme = text.strip().lower()
    if scheme not in SCHEMES:
        raise ValidationFailed(
            _("Unknown id scheme '%(s)s'; use uid, code or name.") % {"s": text}, field="idScheme"
        )
    return scheme


class ImportCount(TypedDict):
    imported: int
    updated: int
    ignored: int
    deleted: int


class ImportSummary(TypedDict, total=False):
    responseType: str
    status: str  # SUCCESS | WARNING | ERROR
    description: str
    importCount: ImportCount
    conflicts: list[dict[str, Any]]
    dryRun: bool
    strategy: str


@dataclass
class ImportTimings:
    """Seconds spent in each part of an import (for `haucan bench import`)."""

    parsing: float = 0.0
    validation: float = 0.0
    values: float = 0.0
    audit: float = 0.0
    outbox: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.__dict__.items()}


# --- the entry point -----------------------------------------------------------------------------


def import_values(
    scope: Scope,
    rows: Iterable[ImportRow],
    *,
    strategy: str = "CREATE_AND_UPDATE",
    dry_run: bool = False,
    id_scheme: IdSchemes | str = "uid",
    origin: str = Origin.IMPORT,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
    timings: ImportTimings | None = None,
    force: bool = False,
) -> ImportSummary:
    """Check and write `rows` all or nothing; see the module docstring for the contract.

    `progress(n)` is called after each chunk with the number of rows read so far. `force` (an
    administrator only) writes over locks: an expired period (E7604), approved data (E7605) and
    a submitted report (E7606); the overridden locks are listed in the import's audit record."""
    if force and not scope.is_admin:
        raise PermissionDenied(_("Only an administrator may force an import over locks."))
    strategy = (strategy or "CREATE_AND_UPDATE").upper()
    if strategy not in STRATEGIES:
        raise ValidationFailed(
            _("Unknown import strategy '%(s)s'.") % {"s": strategy}, field="importStrategy"
        )
    schemes = id_scheme if isinstance(id_scheme, IdSchemes) else IdSchemes.of(id_scheme)
    clock = timings or ImportTimings()
    run = _Run(scope, schemes, strategy, origin, dry_run, clock, force=force)
    try:
        with transaction.atomic():
            iterator = iter(rows)
            index = 0
            while True:
                started = time.perf_counter()
                chunk = list(islice(iterator, chunk_size))
                clock.parsing += time.perf_counter() - started
                if not chunk:
                    break
                run.process(index, chunk)
                index += len(chunk)
                if progress is not None:
                    progress(index)
            run.total = index
            if run.conflicts or dry_run:
                transaction.set_rollback(True)
            elif run.written:
                detail: dict[str, Any] = {"origin": origin, "strategy": strategy, **run.counts}
                if run.forced:
                    detail["force"] = True
                    detail["locks_overridden"] = sorted(run.forced)[:200]
                    detail["locks_overridden_count"] = len(run.forced)
                audit.record(
                    scope,
                    "reporting.values.forced_import" if run.forced else "reporting.values.import",
                    None,
                    detail,
                )
    except ImportFormatError as exc:
        run.total = max(run.total, exc.index or 0)
        run.conflict(
            "E7650",
            "file",
            _("The file cannot be read: %(msg)s") % {"msg": exc.message},
            exc.index if exc.index is not None else run.total,
        )
    except IntegrityError:
        run.conflict(
            "E7651",
            "dataValues",
            _("Another import wrote the same values at the same moment; retry."),
            0,
        )
    return run.summary()


# --- one run -------------------------------------------------------------------------------------


@dataclass
class _Form:
    id: int
    name: str
    period_type: PeriodType
    expiry_days: int
    open_future_periods: int
    domain: str
    attribute_combo_id: int


@dataclass
class _Element:
    id: int
    name: str
    value_type: str
    zero_is_significant: bool
    is_numeric: bool
    combo_id: int
    options: frozenset[str] | None
    forms: dict[int, int] = field(default_factory=dict)  # form id -> combo id on that form

    @cached_property
    def signature(self) -> tuple[int, ...]:
        return tuple(sorted(self.forms))


@dataclass
class _Unit:
    id: int
    path: str
    opened_on: date
    closed_on: date | None


@dataclass(slots=True)
class _Cell:
    """A stored or pending value of one key during the run."""

    id: int | None
    value: str | None  # None when absent or deleted
    number: float | None
    comment: str
    follow_up: bool
    version: int
    exists: bool  # a row exists in the table (maybe soft-deleted)
    dirty: bool = False


# (element, period, unit, option combo, attribute combo)
Key = tuple[int, str, int, int, int]


class _Run:
    def __init__(
        self,
        scope: Scope,
        schemes: IdSchemes,
        strategy: str,
        origin: str,
        dry_run: bool,
        clock: ImportTimings,
        *,
        force: bool = False,
    ) -> None:
        self.scope = scope
        self.force = force
        # "E7604 PET_MONTHLY 202401 [unit uid]": each lock this (forced) import wrote over.
        self.forced: set[str] = set()
        self.schemes = schemes
        self.strategy = strategy
        self.origin = origin
        self.dry_run = dry_run
        self.clock = clock
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.counts = {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}
        self.total = 0
        self.written = False
        self._conflicts: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.conflict_rows = 0
        self._periods: dict[str, Period | None] = {}
        self._units: dict[str, _Unit | None] = {}
        self._unit_forms: dict[int, set[int]] = {}
        self._picks: dict[tuple[Any, ...], tuple[_Form | None, tuple[str, str, str]]] = {}
        self._load_catalog()
        self._writer = _Writer(origin, scope.username, self.now)

    @property
    def conflicts(self) -> bool:
        return bool(self._conflicts)

    # -- catalog, loaded once per import in a fixed number of queries --

    def _load_catalog(self) -> None:
        field_of = {"uid": "uid", "code": "code", "name": "name"}
        self.forms = {
            f.pk: _Form(
                f.pk,
                f.name,
                PeriodType(f.period_type),
                f.expiry_days,
                f.open_future_periods,
                f.domain,
                f.category_combo_id,
            )
            for f in DataSet.objects.all()
        }
        ds_field = field_of[self.schemes.data_set]
        self.form_by_key = {getattr(f, ds_field): f.pk for f in DataSet.objects.only(ds_field)}
        options: dict[int, set[str]] = {}
        for set_id, code in Option.objects.values_list("option_set_id", "code"):
            options.setdefault(set_id, set()).add(code)
        de_field = field_of[self.schemes.data_element]
        self.elements: dict[str, _Element] = {}
        by_id: dict[int, _Element] = {}
        for e in DataElement.objects.all():
            element = _Element(
                e.pk,
                e.label(),
                e.value_type,
                e.zero_is_significant,
                e.is_numeric,
                e.category_combo_id,
                frozenset(options.get(e.option_set_id, ())) if e.option_set_id else None,
            )
            self.elements[getattr(e, de_field)] = element
            by_id[e.pk] = element
        for ds_id, de_id, combo_id in DataSetElement.objects.values_list(
            "data_set_id", "data_element_id", "category_combo_id"
        ):
            if de_id in by_id:
                by_id[de_id].forms[ds_id] = combo_id or by_id[de_id].combo_id
        # Option combos: by key in each scheme, and by their (category code, option code) pairs.
        self.cocs: dict[int, tuple[int, bool]] = {}  # id -> (combo id, active)
        self.coc_by_key: dict[str, dict[str, int]] = {s: {} for s in SCHEMES}
        self.combo_cocs: dict[int, list[int]] = {}
        self.default_coc: int | None = None
        for coc_id, uid, code, name, combo_id, active in CategoryOptionCombo.objects.values_list(
            "id", "uid", "code", "name", "combo_id", "is_active"
        ).order_by("combo_id", "sort_order"):
            self.cocs[coc_id] = (combo_id, active)
            self.coc_by_key["uid"][uid] = coc_id
            self.coc_by_key["code"][code] = coc_id
            self.coc_by_key["name"].setdefault(name, coc_id)
            if active:
                self.combo_cocs.setdefault(combo_id, []).append(coc_id)
            if code == DEFAULT_CODE:
                self.default_coc = coc_id
        self._pairs: dict[tuple[int, frozenset[tuple[str, str]]], int] | None = None
        self.greyed = {
            (ds, de, coc)
            for ds, de, coc in GreyedField.objects.values_list(
                "section__data_set_id", "data_element_id", "option_combo_id"
            )
        }
        self.approved_forms = set(
            DataSet.objects.filter(approval_workflows__isnull=False).values_list("id", flat=True)
        )

    def _coc_by_pairs(self, combo_id: int, pairs: tuple[tuple[str, str], ...]) -> int | None:
        """The option combo of `combo_id` whose options are `pairs` (ADX category attributes)."""
        if self._pairs is None:
            self._pairs = {}
            option_code = dict(CategoryOption.objects.values_list("id", "code"))
            category_code: dict[int, str] = {}
            combo_categories: dict[int, set[int]] = {}
            for combo, category, code in CategoryComboMembership.objects.values_list(
                "combo_id", "category_id", "category__code"
            ):
                combo_categories.setdefault(combo, set()).add(category)
                category_code[category] = code
            category_of: dict[tuple[int, int], int] = {}  # (combo, option) -> category
            for category, option in CategoryMembership.objects.values_list(
                "category_id", "option_id"
            ):
                for combo, categories in combo_categories.items():
                    if category in categories:
                        category_of[(combo, option)] = category
            members: dict[int, set[tuple[str, str]]] = {}
            for coc_id, option_id in CategoryOptionCombo.options.through.objects.values_list(
                "categoryoptioncombo_id", "categoryoption_id"
            ):
                combo = self.cocs.get(coc_id, (0, False))[0]
                owner = category_of.get((combo, option_id))
                if owner is not None:
                    members.setdefault(coc_id, set()).add(
                        (category_code[owner], option_code[option_id])
                    )
            for coc_id, pair_set in members.items():
                self._pairs[(self.cocs[coc_id][0], frozenset(pair_set))] = coc_id
        return self._pairs.get((combo_id, frozenset(pairs)))

    def _resolve_units(self, keys: set[str]) -> None:
        missing = [k for k in keys if k not in self._units]
        if not missing:
            return
        column = {"uid": "uid", "code": "code", "name": "name"}[self.schemes.org_unit]
        found: list[tuple[int, str, str, date, date | None]] = []
        for start in range(0, len(missing), 900):  # stay under SQLite's variable limit
            part = missing[start : start + 900]
            found += Unit.objects.filter(**{f"{column}__in": part}).values_list(
                "id", column, "path", "opened_on", "closed_on"
            )
        for key in missing:
            self._units[key] = None
        new_ids = []
        for unit_id, key, path, opened, closed in found:
            self._units[key] = _Unit(unit_id, path, opened, closed)
            new_ids.append(unit_id)
            self._unit_forms[unit_id] = set()
        through = DataSet.units.through
        for start in range(0, len(new_ids), 900):
            for unit_id, ds_id in through.objects.filter(
                unit_id__in=new_ids[start : start + 900]
            ).values_list("unit_id", "dataset_id"):
                self._unit_forms[unit_id].add(ds_id)

    def _period(self, text: str) -> Period | None:
        if text not in self._periods:
            try:
                self._periods[text] = parse_period(text.strip())
            except (PeriodError, AttributeError):
                self._periods[text] = None
        return self._periods[text]

    # -- conflicts --

    def conflict(self, code: str, obj: str, message: str, index: int, kind: str = "") -> None:
        self.conflict_rows += 1
        key = (code, obj, message)
        entry = self._conflicts.get(key)
        if entry is None:
            if len(self._conflicts) >= MAX_CONFLICTS:
                return
            entry = {"object": obj, "value": message, "errorCode": code, "indexes": []}
            if kind:
                entry["objects"] = {kind: obj}
            self._conflicts[key] = entry
        if len(entry["indexes"]) < MAX_INDEXES:
            entry["indexes"].append(index)

    # -- one chunk --

    def process(self, first_index: int, chunk: list[ImportRow]) -> None:
        started = time.perf_counter()
        checked = self._check(first_index, chunk)
        self.clock.validation += time.perf_counter() - started
        if self._conflicts:
            return  # nothing will be written; keep checking the rest for conflicts only
        self._apply(checked)

    def _check(
        self, first: int, chunk: list[ImportRow]
    ) -> list[tuple[int, Key, Period, str | None, float | None, ImportRow]]:
        self._resolve_units({r.org_unit for r in chunk if "\x00" not in r.org_unit})
        scope = self.scope
        coc_keys = self.coc_by_key[self.schemes.category_option_combo]
        aoc_keys = self.coc_by_key[self.schemes.attribute_option_combo]
        out: list[tuple[int, Key, Period, str | None, float | None, ImportRow]] = []
        targets: dict[tuple[int, str, int, int], list[int]] = {}  # (form, pe, unit, aoc) -> idx
        deleting = self.strategy == "DELETE"
        for offset, row in enumerate(chunk):
            index = first + offset
            if _has_nul(row):
                self.conflict(
                    "E7619",
                    row.data_element.replace("\x00", ""),
                    _("The row contains a NUL character, which no value may hold."),
                    index,
                )
                continue
            element = self.elements.get(row.data_element)
            if element is None:
                self.conflict(
                    "E7610",
                    row.data_element,
                    _("Data element not found or not accessible."),
                    index,
                    "dataElement",
                )
                continue
            unit = self._units.get(row.org_unit)
            if unit is None or not scope.covers_path(unit.path):
                self.conflict(
                    "E7612",
                    row.org_unit,
                    _("Organisation unit not found or not accessible."),
                    index,
                    "orgUnit",
                )
                continue
            period = self._period(row.period)
            if period is None:
                self.conflict("E7611", str(row.period), _("Period not valid."), index, "period")
                continue
            # The attribute combo.
            if row.attribute_option_combo:
                aoc = aoc_keys.get(row.attribute_option_combo)
            elif row.attribute_options:
                aoc = None  # resolved against each candidate form's attribute combination
            else:
                aoc = self.default_coc
            if aoc is None and not row.attribute_options:
                self.conflict(
                    "E7614",
                    row.attribute_option_combo or "default",
                    _("Attribute option combo not found."),
                    index,
                    "attributeOptionCombo",
                )
                continue
            # The forms that can hold this value, and the first that accepts it (cached per
            # form set, unit, period and attribute combo: rows share them by the thousand).
            signature = element.signature
            pick_key = (signature, unit.id, period.id, aoc, row.data_set, row.attribute_options)
            picked = self._picks.get(pick_key)
            if picked is None:
                picked = self._pick(element, unit, period, aoc, row)
                if len(self._picks) > 100_000:
                    self._picks.clear()
                self._picks[pick_key] = picked
            form, problem = picked
            if form is None:
                code, obj, message = problem
                self.conflict(code, obj or row.data_element, message, index)
                continue
            aoc_id = aoc if aoc is not None else self._aoc_of(form, row)
            assert aoc_id is not None
            combo_id = element.forms[form.id]
            if row.category_option_combo:
                coc = coc_keys.get(row.category_option_combo)
            elif row.category_options:
                coc = self._coc_by_pairs(combo_id, row.category_options)
            else:
                default = self.combo_cocs.get(combo_id, [])
                coc = default[0] if len(default) == 1 else None
            if coc is None or self.cocs[coc][0] != combo_id or not self.cocs[coc][1]:
                given = row.category_option_combo or (
                    ",".join(f"{c}={o}" for c, o in row.category_options or ()) or "default"
                )
                self.conflict(
                    "E7613",
                    given,
                    _("Category option combo not found or not valid for %(de)s.")
                    % {"de": element.name},
                    index,
                    "categoryOptionCombo",
                )
                continue
            if (form.id, element.id, coc) in self.greyed:
                self.conflict(
                    "E7607",
                    row.data_element,
                    _("%(de)s does not apply to this column on the form.") % {"de": element.name},
                    index,
                    "dataElement",
                )
                continue
            text: str | None = None
            number: float | None = None
            raw = (row.value or "").strip() if isinstance(row.value, str) else row.value
            if not deleting and not row.deleted and raw:
                try:
                    parsed = parse_value(
                        element.value_type, unicodedata.normalize("NFC", str(raw)), element.options
                    )
                except ValidationFailed as exc:
                    self.conflict(
                        "E7619",
                        row.data_element,
                        f"{element.name}: {exc.message}",
                        index,
                        "dataElement",
                    )
                    continue
                text, number = parsed.text, parsed.number
                if number == 0 and element.is_numeric and not element.zero_is_significant:
                    text, number = None, None  # zeros are not stored unless significant
            targets.setdefault((form.id, period.id, unit.id, aoc_id), []).append(index)
            out.append(
                (index, (element.id, period.id, unit.id, coc, aoc_id), period, text, number, row)
            )
        self._check_targets(targets)
        return out

    def _pick(
        self, element: _Element, unit: _Unit, period: Period, aoc: int | None, row: ImportRow
    ) -> tuple[_Form | None, tuple[str, str, str]]:
        candidates = [
            self.forms[ds]
            for ds in sorted(element.forms.keys() & self._unit_forms.get(unit.id, set()))
            if self.forms[ds].period_type == period.type
        ]
        if row.data_set:
            wanted = self.form_by_key.get(row.data_set)
            if wanted is None:
                return None, ("E7600", row.data_set, _("Data set not found."))
            candidates = [f for f in candidates if f.id == wanted]
        if not candidates:
            return None, (
                "E7633",
                "",
                _("The data element is not in a form assigned to the unit for %(type)s periods.")
                % {"type": period.type.label},
            )
        return self._pick_form(candidates, element, unit, period, aoc, row)

    def _aoc_of(self, form: _Form, row: ImportRow) -> int | None:
        if row.attribute_options:
            return self._coc_by_pairs(form.attribute_combo_id, row.attribute_options)
        return self.default_coc

    def _pick_form(
        self,
        candidates: list[_Form],
        element: _Element,
        unit: _Unit,
        period: Period,
        aoc: int | None,
        row: ImportRow,
    ) -> tuple[_Form | None, tuple[str, str, str]]:
        """The first candidate form that accepts the value, or the reason the first refuses."""
        problem: tuple[str, str, str] | None = None
        for form in candidates:
            aoc_id = aoc if aoc is not None else self._aoc_of(form, row)
            if aoc_id is None or self.cocs[aoc_id][0] != form.attribute_combo_id:
                problem = problem or (
                    "E7614",
                    row.attribute_option_combo or "default",
                    _("The attribute option combo does not belong to the form %(f)s.")
                    % {"f": form.name},
                )
                continue
            if not self.scope.can(Action.ENTER, Domain(form.domain)):
                problem = problem or (
                    "E7601",
                    "",
                    _("You are not allowed to enter data for the form %(f)s.") % {"f": form.name},
                )
                continue
            if unit.opened_on > period.end or (unit.closed_on and unit.closed_on <= period.start):
                problem = problem or (
                    "E7602",
                    row.org_unit,
                    _("The unit was not open during %(p)s.") % {"p": period.id},
                )
                continue
            last_open = period_of(self.today, form.period_type).shift(form.open_future_periods)
            if period.start > last_open.start:
                problem = problem or (
                    "E7603",
                    period.id,
                    _("The period %(p)s has not started yet.") % {"p": period.id},
                )
                continue
            locked_on = lock_date(_FormProxy(form), period)  # type: ignore[arg-type]
            if locked_on is not None and self.today >= locked_on and self.force:
                self.forced.add(f"E7604 {form.name} {period.id}")
            elif locked_on is not None and self.today >= locked_on:
                problem = problem or (
                    "E7604",
                    period.id,
                    _("The period %(p)s is locked for the form %(f)s since %(d)s.")
                    % {"p": period.id, "f": form.name, "d": locked_on.strftime("%d/%m/%Y")},
                )
                continue
            return form, ("", "", "")
        assert problem is not None
        return None, problem

    def _check_targets(self, targets: dict[tuple[int, str, int, int], list[int]]) -> None:
        """Submitted and approved reports refuse changes (two queries per chunk)."""
        if not targets:
            return
        forms = {t[0] for t in targets}
        periods = {t[1] for t in targets}
        units = {t[2] for t in targets}
        submitted = set(
            CompleteRegistration.objects.filter(
                data_set_id__in=forms, period__in=periods, unit_id__in=units, is_complete=True
            ).values_list("data_set_id", "period", "unit_id", "attribute_option_combo_id")
        )
        paths = {u.id: u.path for u in self._units.values() if u is not None}
        for target in submitted & targets.keys():
            if self.force:
                form_name = self.forms[target[0]].name
                self.forced.add(f"E7606 {form_name} {target[1]} {paths.get(target[2], '')}")
                continue
            for index in targets[target]:
                self.conflict(
                    "E7606",
                    target[1],
                    _("The report has been submitted; reopen it before changing values."),
                    index,
                )
        approval_forms = forms & self.approved_forms
        if not approval_forms:
            return
        approved: dict[tuple[int, str], list[str]] = {}
        for ds_id, period, path in DataApproval.objects.filter(
            workflow__data_sets__in=approval_forms, period__in=periods
        ).values_list("workflow__data_sets", "period", "unit__path"):
            approved.setdefault((ds_id, period), []).append(path)
        if not approved:
            return
        for (form_id, period, unit_id, _aoc), indexes in targets.items():
            unit_path = paths.get(unit_id, "")
            if any(unit_path.startswith(p) for p in approved.get((form_id, period), ())):
                if self.force:
                    self.forced.add(f"E7605 {self.forms[form_id].name} {period} {unit_path}")
                    continue
                for index in indexes:
                    self.conflict("E7605", period, _("The data is approved; it is locked."), index)

    # -- apply a checked chunk --

    def _apply(
        self, checked: list[tuple[int, Key, Period, str | None, float | None, ImportRow]]
    ) -> None:
        if not checked:
            return
        started = time.perf_counter()
        cells = self._existing({c[1] for c in checked})
        self.clock.validation += time.perf_counter() - started
        strategy = self.strategy
        counts = self.counts
        audits: list[tuple[_Cell, Key, str, str | None, str | None, str]] = []
        changes: list[tuple[Key, Period, float | None, float | None]] = []
        touched: dict[Key, tuple[_Cell, Period]] = {}
        for _index, key, period, text, number, row in checked:
            cell = cells.get(key)
            live = cell.value if cell is not None else None
            if text is None:  # delete (or nothing to do)
                if live is None or strategy == "CREATE":
                    counts["ignored"] += 1
                    continue
                assert cell is not None
                changes.append((key, period, cell.number, None))
                audits.append((cell, key, "DELETE", live, None, cell.comment))
                cell.value, cell.number, cell.dirty = None, None, True
                cell.version += 1
                counts["deleted"] += 1
                touched[key] = (cell, period)
                continue
            if strategy == "UPDATE" and live is None:
                counts["ignored"] += 1
                continue
            if strategy == "CREATE" and live is not None:
                counts["ignored"] += 1
                continue
            comment = row.comment if row.comment is not None else None
            if (
                live == text
                and (comment is None or comment == cell.comment)  # type: ignore[union-attr]
                and (row.follow_up is None or row.follow_up == cell.follow_up)  # type: ignore[union-attr]
            ):
                counts["ignored"] += 1
                continue
            if cell is None:
                cell = _Cell(None, None, None, "", False, 0, exists=False)
                cells[key] = cell
            old_number = cell.number if live is not None else None
            action = "CREATE" if live is None else "UPDATE"
            cell.value, cell.number, cell.dirty = text, number, True
            if comment is not None:
                cell.comment = comment
            if row.follow_up is not None:
                cell.follow_up = row.follow_up
            cell.version += 1
            counts["imported" if live is None else "updated"] += 1
            audits.append((cell, key, action, live, text, cell.comment))
            if old_number != number:
                changes.append((key, period, old_number, number))
            touched[key] = (cell, period)
        if self.dry_run or not touched:
            return
        self.written = True
        self._writer.write(touched, audits, changes, self.clock)

    def _existing(self, keys: set[Key]) -> dict[Key, _Cell]:
        """The stored rows of `keys` (one query per chunk; the filter is a superset)."""
        elements = {k[0] for k in keys}
        periods = {k[1] for k in keys}
        units = {k[2] for k in keys}
        result: dict[Key, _Cell] = {}
        unit_list = sorted(units)
        for start in range(0, len(unit_list), 900):
            rows = DataValue.objects.filter(
                unit_id__in=unit_list[start : start + 900], period__in=periods
            )
            if len(elements) < 300:
                rows = rows.filter(data_element_id__in=elements)
            for (
                pk,
                de,
                pe,
                unit,
                coc,
                aoc,
                value,
                number,
                deleted,
                comment,
                follow_up,
                version,
            ) in rows.values_list(
                "id",
                "data_element_id",
                "period",
                "unit_id",
                "category_option_combo_id",
                "attribute_option_combo_id",
                "value",
                "numeric_value",
                "deleted",
                "comment",
                "follow_up",
                "version",
            ).iterator(chunk_size=5000):
                key = (de, pe, unit, coc, aoc)
                if key in keys:
                    result[key] = _Cell(
                        pk,
                        None if deleted else value,
                        None if deleted else number,
                        comment,
                        follow_up,
                        version,
                        exists=True,
                    )
        return result

    # -- the answer --

    def summary(self) -> ImportSummary:
        conflicts = list(self._conflicts.values())
        if conflicts:
            status = "ERROR"
            counts: ImportCount = {
                "imported": 0,
                "updated": 0,
                "ignored": self.total,
                "deleted": 0,
            }
            description = _(
                "The import was refused: %(n)d row(s) have conflicts; nothing was written."
            ) % {"n": self.conflict_rows}
        else:
            status = "SUCCESS"
            counts = ImportCount(**self.counts)  # type: ignore[typeddict-item]
            description = (
                _("Dry run: nothing was written.") if self.dry_run else _("Import complete.")
            )
        return {
            "responseType": "ImportSummary",
            "status": status,
            "description": description,
            "importCount": counts,
            "conflicts": conflicts,
            "dryRun": self.dry_run,
            "strategy": self.strategy,
        }


@dataclass
class _FormProxy:
    """Lets `lock_date` (which reads `expiry_days`) work on a preloaded form."""

    form: _Form

    @property
    def expiry_days(self) -> int:
        return self.form.expiry_days


# --- the writer: set-based SQL per chunk, COPY on PostgreSQL -------------------------------------


def _columns(model: Any, names: list[str]) -> list[str]:
    return [model._meta.get_field(n).column for n in names]


_DV_FIELDS = [
    "id",
    "data_element",
    "period",
    "period_start",
    "period_end",
    "unit",
    "category_option_combo",
    "attribute_option_combo",
    "value",
    "numeric_value",
    "comment",
    "follow_up",
    "stored_by",
    "origin",
    "source",
    "created_at",
    "updated_at",
    "deleted",
    "version",
]
_UPDATE_FIELDS = [
    "value",
    "numeric_value",
    "comment",
    "follow_up",
    "stored_by",
    "origin",
    "source",
    "updated_at",
    "deleted",
    "version",
]
_AUDIT_FIELDS = [
    "data_value",
    "action",
    "previous_value",
    "value",
    "comment",
    "changed_by",
    "changed_at",
    "origin",
]
_CHANGE_FIELDS = [
    "data_element_id",
    "category_option_combo_id",
    "attribute_option_combo_id",
    "unit_id",
    "period",
    "period_start",
    "period_end",
    "old_number",
    "new_number",
    "reset",
]


class _Writer:
    """Writes a chunk's values, audit rows and outbox rows with a few set-based statements."""

    def __init__(self, origin: str, username: str, now: datetime) -> None:
        self.origin = origin
        self.username = username[:150]
        self.vendor = connection.vendor
        self.now = now
        ops = connection.ops
        self.stamp: Any = now if self.vendor == "postgresql" else ops.adapt_datetimefield_value(now)
        self.dv_table = DataValue._meta.db_table
        self.audit_table = DataValueAudit._meta.db_table
        self.change_table = ValueChange._meta.db_table
        self.dv_cols = _columns(DataValue, _DV_FIELDS)
        self.update_cols = _columns(DataValue, _UPDATE_FIELDS)
        self.audit_cols = _columns(DataValueAudit, _AUDIT_FIELDS)
        self.change_cols = _columns(ValueChange, _CHANGE_FIELDS)

    def _date(self, d: date) -> Any:
        return d if self.vendor == "postgresql" else d.isoformat()

    def write(
        self,
        touched: dict[Key, tuple[_Cell, Period]],
        audits: list[tuple[_Cell, Key, str, str | None, str | None, str]],
        changes: list[tuple[Key, Period, float | None, float | None]],
        clock: ImportTimings,
    ) -> None:
        started = time.perf_counter()
        new = [(k, c, p) for k, (c, p) in touched.items() if not c.exists]
        old = [(k, c, p) for k, (c, p) in touched.items() if c.exists]
        with connection.cursor() as cursor:
            if new:
                ids = self._new_ids(cursor, len(new))
                for (_k, cell, _p), pk in zip(new, ids, strict=True):
                    cell.id, cell.exists = pk, True
                self._insert(
                    cursor,
                    self.dv_table,
                    self.dv_cols,
                    (
                        (
                            cell.id,
                            key[0],
                            key[1],
                            self._date(period.start),
                            self._date(period.end),
                            key[2],
                            key[3],
                            key[4],
                            cell.value or "",
                            cell.number,
                            cell.comment,
                            cell.follow_up,
                            self.username,
                            self.origin,
                            "",
                            self.stamp,
                            self.stamp,
                            cell.value is None,
                            cell.version,
                        )
                        for key, cell, period in new
                    ),
                )
            if old:
                self._update(cursor, old)
            t1 = time.perf_counter()
            clock.values += t1 - started
            self._insert(
                cursor,
                self.audit_table,
                self.audit_cols,
                (
                    (
                        cell.id,
                        action,
                        previous,
                        value,
                        comment,
                        self.username,
                        self.stamp,
                        self.origin,
                    )
                    for cell, _key, action, previous, value, comment in audits
                ),
            )
            t2 = time.perf_counter()
            clock.audit += t2 - t1
            self._insert(
                cursor,
                self.change_table,
                self.change_cols,
                (
                    (
                        key[0],
                        key[3],
                        key[4],
                        key[2],
                        key[1],
                        self._date(period.start),
                        self._date(period.end),
                        before,
                        after,
                        False,
                    )
                    for key, period, before, after in changes
                    if before != after
                ),
            )
            clock.outbox += time.perf_counter() - t2
        arrivals.cells_changed((k[2], k[1], k[0]) for k, _p, old, new in changes if old != new)
        for cell, _p in touched.values():
            cell.dirty = False

    def _new_ids(self, cursor: Any, n: int) -> list[int]:
        if self.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [self.dv_table, n],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction holds the write lock (IMMEDIATE, or since the first write),
        # so the ids after the current maximum are ours.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.dv_table}")  # noqa: S608
        base = int(cursor.fetchone()[0])
        return list(range(base + 1, base + 1 + n))

    def _insert(self, cursor: Any, table: str, columns: list[str], rows: Iterable[tuple]) -> None:
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", list(rows))  # noqa: S608

    def _update(self, cursor: Any, old: list[tuple[Key, _Cell, Period]]) -> None:
        rows = [
            (
                cell.value or "",
                cell.number,
                cell.comment,
                cell.follow_up,
                self.username,
                self.origin,
                "",
                self.stamp,
                cell.value is None,
                cell.version,
                cell.id,
            )
            for _key, cell, _period in old
        ]
        qn = connection.ops.quote_name
        if self.vendor == "postgresql":
            cols_sql = ", ".join(qn(c) for c in [*self.update_cols, "id"])
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS import_update ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {cols_sql} FROM {self.dv_table} WITH NO DATA"
            )
            cursor.execute("TRUNCATE import_update")
            cols = [*self.update_cols, "id"]
            quoted = ", ".join(qn(c) for c in cols)
            with cursor.cursor.copy(f"COPY import_update ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            sets = ", ".join(f"{qn(c)} = u.{qn(c)}" for c in self.update_cols)
            cursor.execute(
                f"UPDATE {self.dv_table} AS t SET {sets} FROM import_update AS u "  # noqa: S608
                "WHERE t.id = u.id"
            )
            return
        sets = ", ".join(f"{qn(c)} = %s" for c in self.update_cols)
        cursor.executemany(f"UPDATE {self.dv_table} SET {sets} WHERE id = %s", rows)  # noqa: S608


# --- export: the values a scope may read, streamed ------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportRow:
    data_element: str
    period: str
    org_unit: str
    category_option_combo: str
    attribute_option_combo: str
    value: str
    numeric_value: float | None
    stored_by: str
    created: datetime
    last_updated: datetime
    comment: str
    follow_up: bool
    deleted: bool
    # Keys in the code scheme, for ADX (which names disaggregations by category codes).
    data_element_code: str = ""
    category_option_combo_id: int = 0
    attribute_option_combo_id: int = 0


@dataclass(frozen=True)
class ExportQuery:
    data_sets: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()
    start_date: date | None = None
    end_date: date | None = None
    org_units: tuple[str, ...] = ()
    children: bool = False
    last_updated: datetime | None = None
    include_deleted: bool = False
    id_scheme: IdSchemes = field(default_factory=IdSchemes)


def export_values(scope: Scope, query: ExportQuery) -> Iterator[ExportRow]:
    """The stored values matching `query`, within `scope`, streamed in key order.

    The checks run when this is called (not when the stream is first read), so an edge can map
    their errors before it starts a streamed response.

    Raises NotFound when a data set or unit does not exist or lies outside the scope, and
    ValidationFailed when the query is incomplete (DHIS2 needs a data set, a period or dates,
    and a unit)."""
    from haucan.core.errors import NotFound

    if not scope.can_any(Action.VIEW) and not scope.can_any(Action.ENTER):
        raise NotFound(_("Organisation unit not found or not accessible."))
    if not query.data_sets:
        raise ValidationFailed(_("At least one data set must be specified."), field="dataSet")
    if not query.org_units:
        raise ValidationFailed(
            _("At least one organisation unit must be specified."), field="orgUnit"
        )
    if not query.periods and not (query.start_date and query.end_date) and not query.last_updated:
        raise ValidationFailed(
            _("A period, start and end dates or lastUpdated must be specified."), field="period"
        )
    ds_field = query.id_scheme.data_set
    forms = list(DataSet.objects.filter(**{f"{ds_field}__in": query.data_sets}))
    if len(forms) != len(set(query.data_sets)):
        raise NotFound(_("Data set not found."))
    ou_field = query.id_scheme.org_unit
    units = list(Unit.objects.filter(**{f"{ou_field}__in": query.org_units}))
    if len(units) != len(set(query.org_units)) or any(not scope.covers_path(u.path) for u in units):
        raise NotFound(_("Organisation unit not found or not accessible."))
    element_ids = DataSetElement.objects.filter(data_set__in=forms).values("data_element_id")
    rows = DataValue.objects.filter(data_element_id__in=element_ids)
    if not query.include_deleted:
        rows = rows.filter(deleted=False)
    unit_q = Q()
    for unit in units:
        unit_q |= Q(unit__path__startswith=unit.path) if query.children else Q(unit_id=unit.pk)
    rows = rows.filter(unit_q)
    if query.periods:
        ids = []
        for text in query.periods:
            try:
                ids.append(parse_period(text).id)
            except PeriodError as exc:
                raise ValidationFailed(str(exc), field="period") from None
        rows = rows.filter(period__in=ids)
    if query.start_date and query.end_date:
        rows = rows.filter(period_start__gte=query.start_date, period_end__lte=query.end_date)
    if query.last_updated:
        rows = rows.filter(updated_at__gte=query.last_updated)
    return _stream_export(rows, query.id_scheme)


def _stream_export(rows: Any, schemes: IdSchemes) -> Iterator[ExportRow]:
    ou_field = schemes.org_unit
    de_key = f"data_element__{schemes.data_element}"
    ou_key = f"unit__{ou_field}"
    coc_key = f"category_option_combo__{schemes.category_option_combo}"
    aoc_key = f"attribute_option_combo__{schemes.attribute_option_combo}"
    for values in (
        rows.order_by("unit_id", "period", "data_element_id", "category_option_combo_id", "id")
        .values_list(
            de_key,
            "period",
            ou_key,
            coc_key,
            aoc_key,
            "value",
            "numeric_value",
            "stored_by",
            "created_at",
            "updated_at",
            "comment",
            "follow_up",
            "deleted",
            "data_element__code",
            "category_option_combo_id",
            "attribute_option_combo_id",
        )
        .iterator(chunk_size=5000)
    ):
        yield ExportRow(*values)
