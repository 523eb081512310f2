"""Metadata packages: the unit tree and the form catalog as one JSON document, in DHIS2's shape.

`export_package` writes "organisationUnits", "organisationUnitLevels", "organisationUnitGroups",
"organisationUnitGroupSets", "categoryOptions", "categories", "categoryCombos",
"categoryOptionCombos", "optionSets", "dataElements", "dataSets", "constants", "indicators",
"validationRules" and our "normSets". Objects carry their uid as `id` and their `code`;
references are `{"id": …, "code": …}`.

`import_package` reads the same shape (and the demo's catalog.json, which refers by code strings),
matches every object by id, then by code, and creates or updates it in dependency order. Writes go
through the org and catalog services where they exist; the objects without a service (levels,
groups, category options, categories, combos, option sets, constants, sections, norm sets) are
written here and audited. One package is one transaction: any error, or a dry run, rolls it all
back, and the report still says what was (or would be) created, updated and ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haucan.alerts import rules as alert_rules
from haucan.audit import services as audit
from haucan.catalog import services as catalog
from haucan.catalog.models import (
    Category,
    CategoryCombo,
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    CategoryOptionCombo,
    Constant,
    DataElement,
    DataSet,
    DataSetElement,
    GreyedField,
    Indicator,
    NormSet,
    Option,
    OptionSet,
    Section,
    SectionElement,
    ValidationRule,
)
from haucan.core.errors import HaucanError, NotFound, PermissionDenied, ValidationFailed
from haucan.core.ids import is_valid_uid
from haucan.core.scope import Action, Domain, Scope
from haucan.org import services as org
from haucan.org.models import Level, Unit, UnitGroup, UnitGroupSet
from haucan.org.queries import scope_filter, units_in_scope

FORMAT = "haucan-metadata/1"
SECTION_KEYS = ("units", "levels", "groups", "catalog", "norms")
SECTIONS = [
    ("units", gettext_lazy("Units")),
    ("levels", gettext_lazy("Levels")),
    ("groups", gettext_lazy("Unit groups and group sets")),
    ("catalog", gettext_lazy("Form catalog")),
    ("norms", gettext_lazy("Norms")),
]
M = TypeVar("M", bound=models.Model)


# --- export ------------------------------------------------------------------------------------


def _ref(obj: Any) -> dict[str, str]:
    return {"id": obj.uid, "code": obj.code}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _clean(spec: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty optional fields, as DHIS2 does."""
    return {k: v for k, v in spec.items() if v not in (None, "", [])}


def export_package(scope: Scope, *, include: Iterable[str] = SECTION_KEYS) -> dict[str, Any]:
    """The metadata the actor may see, as a DHIS2-shaped document (VIEW in some domain).

    Units outside the scope are left out, as are their group memberships and form assignments."""
    if not scope.can_any(Action.VIEW):
        raise PermissionDenied(_("You are not allowed to export metadata."))
    wanted = set(include)
    unknown = wanted - set(SECTION_KEYS)
    if unknown:
        raise ValidationFailed(
            _("Unknown package part: %(parts)s.") % {"parts": ", ".join(sorted(unknown))}
        )
    doc: dict[str, Any] = {
        "format": FORMAT,
        "system": {"exported": timezone.now().isoformat(timespec="seconds")},
    }
    visible = units_in_scope(scope)
    if "levels" in wanted:
        doc["organisationUnitLevels"] = [
            {"code": lv.code, "name": lv.name, "level": lv.depth} for lv in Level.objects.all()
        ]
    if "units" in wanted:
        doc["organisationUnits"] = [
            _clean(
                {
                    "id": u.uid,
                    "code": u.code,
                    "name": u.name,
                    "shortName": u.short_name,
                    "level": u.depth,
                    # The parent is left out above the actor's subtree: it is not theirs to see.
                    "parent": _ref(u.parent)
                    if u.parent is not None and scope.covers_path(u.parent.path)
                    else None,
                    "openingDate": _day(u.opened_on),
                    "closedDate": _day(u.closed_on),
                    "kind": u.kind,
                    "identifier": u.identifier,
                }
            )
            for u in visible.select_related("parent").order_by("path")
        ]
    if "groups" in wanted:
        members: dict[int, list[Unit]] = {}
        for through in UnitGroup.units.through.objects.filter(
            scope_filter(scope, "unit__")
        ).select_related("unit"):
            members.setdefault(through.unitgroup_id, []).append(through.unit)
        doc["organisationUnitGroups"] = [
            {
                "id": g.uid,
                "code": g.code,
                "name": g.name,
                "organisationUnits": [_ref(u) for u in sorted(members.get(g.pk, []), key=_code)],
            }
            for g in UnitGroup.objects.order_by("code")
        ]
        doc["organisationUnitGroupSets"] = [
            {
                "id": s.uid,
                "code": s.code,
                "name": s.name,
                "organisationUnitGroups": [_ref(g) for g in s.groups.order_by("code")],
            }
            for s in UnitGroupSet.objects.prefetch_related("groups").order_by("code")
        ]
    if "catalog" in wanted:
        doc.update(_export_catalog(scope))
        doc["alertRules"] = alert_rules.export_rules()
    if "norms" in wanted:
        doc["normSets"] = [
            _clean(
                {
                    "id": s.uid,
                    "code": s.code,
                    "name": s.name,
                    "kind": s.kind,
                    "domain": s.domain,
                    "description": s.description,
                    "legalBasis": s.legal_basis,
                    "norms": [
                        _clean(
                            {
                                "itemCode": n.item_code,
                                "itemName": n.item_name,
                                "unitOfMeasure": n.unit_of_measure,
                                "value": float(n.value),
                                "validFrom": _day(n.valid_from),
                                "validTo": _day(n.valid_to),
                                "note": n.note,
                            }
                        )
                        for n in s.norms.all()
                    ],
                }
            )
            for s in NormSet.objects.prefetch_related("norms").order_by("code")
        ]
    return doc


def _code(obj: Any) -> str:
    return str(obj.code)


def _export_catalog(scope: Scope) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    doc["categoryOptions"] = [
        _clean(
            {
                "id": o.uid,
                "code": o.code,
                "name": o.name,
                "shortName": o.short_name,
                "startDate": _day(o.start_date),
                "endDate": _day(o.end_date),
            }
        )
        for o in CategoryOption.objects.order_by("code")
    ]
    doc["categories"] = [
        {
            "id": c.uid,
            "code": c.code,
            "name": c.name,
            "dataDimensionType": c.dimension_type,
            "categoryOptions": [
                _ref(m.option)
                for m in c.memberships.select_related("option").order_by("sort_order")
            ],
        }
        for c in Category.objects.order_by("code")
    ]
    doc["categoryCombos"] = [
        {
            "id": c.uid,
            "code": c.code,
            "name": c.name,
            "dataDimensionType": c.dimension_type,
            "categories": [
                _ref(m.category)
                for m in c.memberships.select_related("category").order_by("sort_order")
            ],
        }
        for c in CategoryCombo.objects.order_by("code")
    ]
    doc["categoryOptionCombos"] = [
        {
            "id": c.uid,
            "code": c.code,
            "name": c.name,
            "categoryCombo": _ref(c.combo),
            "categoryOptions": [_ref(o) for o in sorted(c.options.all(), key=_code)],
        }
        for c in CategoryOptionCombo.objects.filter(is_active=True)
        .select_related("combo")
        .prefetch_related("options")
        .order_by("combo__code", "sort_order")
    ]
    doc["optionSets"] = [
        {
            "id": s.uid,
            "code": s.code,
            "name": s.name,
            "valueType": s.value_type,
            "options": [
                {"id": o.uid, "code": o.code, "name": o.name, "sortOrder": o.sort_order}
                for o in s.options.all()
            ],
        }
        for s in OptionSet.objects.prefetch_related("options").order_by("code")
    ]
    doc["dataElements"] = [
        _clean(
            {
                "id": e.uid,
                "code": e.code,
                "name": e.name,
                "shortName": e.short_name,
                "formName": e.form_name,
                "description": e.description,
                "domainType": "AGGREGATE",
                "domain": e.domain,
                "valueType": e.value_type,
                "aggregationType": e.aggregation_type,
                "zeroIsSignificant": e.zero_is_significant,
                "unitOfMeasure": e.unit_of_measure,
                "categoryCombo": _ref(e.category_combo),
                "optionSet": _ref(e.option_set) if e.option_set else None,
            }
        )
        for e in DataElement.objects.select_related("category_combo", "option_set").order_by("code")
    ]
    doc["dataSets"] = [_export_data_set(scope, d) for d in DataSet.objects.order_by("code")]
    doc["constants"] = [
        _clean(
            {
                "id": c.uid,
                "code": c.code,
                "name": c.name,
                "value": c.value,
                "description": c.description,
            }
        )
        for c in Constant.objects.order_by("code")
    ]
    doc["indicators"] = [
        _clean(
            {
                "id": i.uid,
                "code": i.code,
                "name": i.name,
                "shortName": i.short_name,
                "description": i.description,
                "domain": i.domain,
                "numerator": i.numerator,
                "numeratorDescription": i.numerator_description,
                "denominator": i.denominator,
                "denominatorDescription": i.denominator_description,
                "factor": i.factor,
                "decimals": i.decimals,
            }
        )
        for i in Indicator.objects.order_by("code")
    ]
    doc["validationRules"] = [
        _clean(
            {
                "id": r.uid,
                "code": r.code,
                "name": r.name,
                "description": r.description,
                "instruction": r.instruction,
                "domain": r.domain,
                "periodType": r.period_type,
                "importance": r.importance,
                "operator": r.operator,
                "leftSide": {"expression": r.left, "missingValueStrategy": r.left_missing},
                "rightSide": {"expression": r.right, "missingValueStrategy": r.right_missing},
            }
        )
        for r in ValidationRule.objects.order_by("code")
    ]
    return doc


def _export_data_set(scope: Scope, d: DataSet) -> dict[str, Any]:
    greyed: dict[int, list[GreyedField]] = {}
    for g in GreyedField.objects.filter(section__data_set=d).select_related(
        "data_element", "option_combo"
    ):
        greyed.setdefault(g.section_id, []).append(g)
    return _clean(
        {
            "id": d.uid,
            "code": d.code,
            "name": d.name,
            "shortName": d.short_name,
            "description": d.description,
            "domain": d.domain,
            "periodType": d.period_type,
            "timelyDays": d.timely_days,
            "expiryDays": d.expiry_days,
            "openFuturePeriods": d.open_future_periods,
            "blockOnHighValidation": d.block_on_high_validation,
            "categoryCombo": _ref(d.category_combo),
            "dataSetElements": [
                _clean(
                    {
                        "dataElement": _ref(m.data_element),
                        "categoryCombo": _ref(m.category_combo) if m.category_combo else None,
                    }
                )
                for m in d.members.select_related("data_element", "category_combo").order_by(
                    "data_element__code"
                )
            ],
            "sections": [
                _clean(
                    {
                        "id": s.uid,
                        "name": s.name,
                        "description": s.description,
                        "sortOrder": s.sort_order,
                        "dataElements": [
                            _ref(m.data_element)
                            for m in s.members.select_related("data_element").order_by("sort_order")
                        ],
                        "greyedFields": [
                            {
                                "dataElement": _ref(g.data_element),
                                "categoryOptionCombo": _ref(g.option_combo),
                            }
                            for g in sorted(
                                greyed.get(s.pk, []),
                                key=lambda g: (g.data_element.code, g.option_combo.code),
                            )
                        ],
                    }
                )
                for s in d.sections.order_by("sort_order")
            ],
            "organisationUnits": [
                _ref(u) for u in d.units.filter(scope_filter(scope)).order_by("code")
            ],
        }
    )


# --- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageError:
    object_type: str
    object_id: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.object_type} {self.object_id}".strip()
        return (
            f"{where} [{self.field}]: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class PackageReport:
    """What an import did (or, in a dry run, would do), per object type."""

    dry_run: bool = False
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[PackageError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, kind: str, outcome: str) -> None:
        tally = self.counts.setdefault(kind, {"created": 0, "updated": 0, "ignored": 0})
        tally[outcome] += 1

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.counts.values())

    @property
    def table(self) -> list[tuple[str, dict[str, int]]]:
        return list(self.counts.items())


class _Skip(Exception):
    """The current object is refused; its error is already in the report."""


ORDER = (
    "organisationUnitLevels",
    "organisationUnits",
    "organisationUnitGroups",
    "organisationUnitGroupSets",
    "categoryOptions",
    "categories",
    "categoryCombos",
    "categoryOptionCombos",
    "optionSets",
    "dataElements",
    "dataSets",
    "constants",
    "indicators",
    "validationRules",
    "normSets",
    "alertRules",
)


def can_import(scope: Scope) -> bool:
    return scope.can_any(Action.DESIGN) or scope.can_any(Action.ADMINISTER)


def import_package(scope: Scope, doc: Any, *, dry_run: bool = False) -> PackageReport:
    """Create or update every object of the package, all or nothing.

    Objects are matched by `id` (uid), then by `code`. Catalog objects need DESIGN in their
    domain; units, levels and groups need ADMINISTER over the units concerned. Errors are
    reported per object and field, never raised; with any error, or a dry run, nothing stays."""
    report = PackageReport(dry_run=dry_run)
    if not isinstance(doc, dict):
        report.errors.append(PackageError("", "", "", _("The package is not a JSON object.")))
        return report
    if not can_import(scope):
        report.errors.append(PackageError("", "", "", _("You are not allowed to import metadata.")))
        return report
    for kind in ORDER:
        value = doc.get(kind, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            report.errors.append(PackageError(kind, "", "", _("Expected a list of objects.")))
    if report.errors:
        return report
    importer = _Importer(scope, doc, report)
    with transaction.atomic():
        importer.run()
        if report.errors or dry_run:
            transaction.set_rollback(True)
        else:
            audit.record(
                scope,
                "exchange.package.import",
                None,
                {k: v for k, v in report.counts.items()},
            )
            report.written = True
    return report


class _Importer:
    def __init__(self, scope: Scope, doc: dict[str, Any], report: PackageReport) -> None:
        self.scope = scope
        self.doc = doc
        self.report = report
        # (model, package id or code) -> the local object it became
        self.seen: dict[tuple[type[models.Model], str], Any] = {}
        self.new_combos: set[int] = set()

    # -- plumbing --

    def run(self) -> None:
        steps: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
            ("organisationUnitLevels", self.level),
            ("organisationUnits", self.unit),
            ("organisationUnitGroups", self.group),
            ("organisationUnitGroupSets", self.group_set),
            ("categoryOptions", self.category_option),
            ("categories", self.category),
            ("categoryCombos", self.category_combo),
            ("categoryOptionCombos", self.option_combo),
            ("optionSets", self.option_set),
            ("dataElements", self.data_element),
            ("dataSets", self.data_set),
            ("constants", self.constant),
            ("indicators", self.indicator),
            ("validationRules", self.validation_rule),
            ("normSets", self.norm_set),
            ("alertRules", self.alert_rule),  # haucan.alerts owns their format
        ]
        for kind, step in steps:
            specs = self.doc.get(kind, [])
            if kind == "organisationUnits":
                specs = self._parents_first(specs)
            for spec in specs:
                self.kind = kind
                self.spec = spec
                try:
                    with transaction.atomic():
                        step(spec)
                except _Skip:
                    pass
                except HaucanError as exc:
                    self.fail(exc.field or "", exc.message)
                except IntegrityError:
                    self.fail("code", _("The object clashes with an existing one (same code?)."))
            if kind == "categoryOptionCombos":
                self._name_new_option_combos()

    def alert_rule(self, spec: dict[str, Any]) -> None:
        self.report.count(self.kind, alert_rules.import_rule(self.scope, spec))

    def key(self) -> str:
        return str(self.spec.get("id") or self.spec.get("code") or "")

    def fail(self, field_name: str, message: str) -> None:
        self.report.errors.append(PackageError(self.kind, self.key(), field_name, message))

    def skip(self, field_name: str, message: str) -> _Skip:
        self.fail(field_name, message)
        return _Skip()

    def text(self, name: str, default: str = "", *, required: bool = False) -> str:
        value = self.spec.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.skip(name, _("Expected text."))
        value = str(value)
        if required and not value.strip():
            raise self.skip(name, _("This field is required."))
        return value

    def number(self, name: str, default: float) -> float:
        value = self.spec.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.skip(name, _("Expected a number."))
        return float(value)

    def day(self, name: str, spec: dict[str, Any] | None = None) -> date | None:
        value = (spec if spec is not None else self.spec).get(name)
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise self.skip(name, _("'%(v)s' is not a date (yyyy-mm-dd).") % {"v": value}) from None

    def find(self, model: type[M], ref: Any) -> M | None:
        """The local object for a reference: {"id", "code"}, or a code string (catalog.json)."""
        ident: Any
        code: Any
        if isinstance(ref, str):
            ident, code = None, ref
        elif isinstance(ref, dict):
            ident, code = ref.get("id"), ref.get("code")
        else:
            return None
        for key in (ident, code):
            if key and (model, str(key)) in self.seen:
                return self.seen[(model, str(key))]
        if ident and hasattr(model, "uid"):
            found = model._default_manager.filter(uid=ident).first()
            if found is not None:
                return found
        if code:
            return model._default_manager.filter(code=code).first()
        return None

    def need(self, model: type[M], name: str, ref: Any = None) -> M:
        ref = self.spec.get(name) if ref is None else ref
        found = self.find(model, ref)
        if found is None:
            raise self.skip(
                name,
                _("Unknown %(type)s %(ref)s.")
                % {"type": model._meta.verbose_name, "ref": _show(ref)},
            )
        return found

    def remember(self, obj: Any) -> None:
        for key in (self.spec.get("id"), self.spec.get("code")):
            if key:
                self.seen[(type(obj), str(key))] = obj

    def upsert(
        self,
        model: type[M],
        values: dict[str, Any],
        save: Callable[[M, bool], M],
        *,
        nested_changed: Callable[[M], bool] | None = None,
    ) -> tuple[M, str]:
        """Create the object or update the fields that differ; `save(obj, created)` writes it.
        Returns the object and the outcome (created, updated or ignored), already counted."""
        existing = self.find(model, {"id": self.spec.get("id"), "code": self.spec.get("code")})
        if existing is None:
            obj = model(**values)
            ident = self.spec.get("id")
            if hasattr(obj, "uid") and ident:
                if not isinstance(ident, str) or not is_valid_uid(ident):
                    raise self.skip("id", _("'%(v)s' is not a valid uid.") % {"v": ident})
                obj.uid = ident
            obj = save(obj, True)
            outcome = "created"
        else:
            obj = existing
            changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
            for name, value in changed.items():
                setattr(obj, name, value)
            nested = nested_changed(obj) if nested_changed is not None else False
            if changed or nested:
                obj = save(obj, False)
                outcome = "updated"
            else:
                outcome = "ignored"
        self.remember(obj)
        self.report.count(self.kind, outcome)
        return obj, outcome

    def direct(self, action: str) -> Callable[[Any, bool], Any]:
        """Save a model that has no service, with its audit event."""

        def save(obj: Any, created: bool) -> Any:
            obj.save()
            audit.record(self.scope, action, obj, {"code": getattr(obj, "code", "")})
            return obj

        return save

    def require(self, action: Action, domain: str = Domain.GENERAL) -> None:
        if domain == Domain.GENERAL and action == Action.DESIGN:
            allowed = self.scope.can_any(action)
        else:
            allowed = self.scope.can(action, Domain(domain))
        if not allowed:
            raise PermissionDenied(_("You are not allowed to change these objects."))

    # -- the unit tree --

    def level(self, spec: dict[str, Any]) -> None:
        self.require(Action.ADMINISTER)
        depth = int(self.number("level", 0))
        if depth < 1:
            raise self.skip("level", _("The level must be 1 or more."))
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
        }
        existing = (
            Level.objects.filter(code=values["code"]).first()
            or Level.objects.filter(depth=depth).first()
        )
        if existing is None:
            self.direct("org.level.create")(Level(depth=depth, **values), True)
            self.report.count(self.kind, "created")
        elif existing.depth != depth or any(getattr(existing, k) != v for k, v in values.items()):
            existing.depth, existing.code, existing.name = depth, values["code"], values["name"]
            self.direct("org.level.update")(existing, False)
            self.report.count(self.kind, "updated")
        else:
            self.report.count(self.kind, "ignored")

    def _parents_first(self, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = {str(s.get(k)) for s in specs for k in ("id", "code") if s.get(k)}
        placed: set[str] = set()
        ordered: list[dict[str, Any]] = []
        pending = list(specs)
        while pending:
            ready = []
            for spec in pending:
                parent = spec.get("parent")
                refs = (
                    {str(v) for v in parent.values() if v}
                    if isinstance(parent, dict)
                    else {str(parent)}
                    if parent
                    else set()
                )
                if not (refs & keys) or refs & placed:
                    ready.append(spec)
            if not ready:  # a cycle: let the rest fail on their unknown parents
                ready = pending
            for spec in ready:
                placed.update(str(spec.get(k)) for k in ("id", "code") if spec.get(k))
                ordered.append(spec)
            pending = [s for s in pending if all(s is not r for r in ready)]
        return ordered

    def unit(self, spec: dict[str, Any]) -> None:
        code = self.text("code", required=True)
        name = self.text("name", required=True)
        kind = self.text("kind", "command")
        identifier = self.text("identifier") or None
        short_name = self.text("shortName")
        existing = self.find(Unit, {"id": spec.get("id"), "code": code})
        if existing is not None:
            if not self.scope.covers_path(existing.path):
                raise NotFound(_("Unit not found."))
            parent = existing.parent
            wanted_parent = self.find(Unit, spec.get("parent")) if spec.get("parent") else parent
            if wanted_parent is not None and parent is not None and wanted_parent.pk != parent.pk:
                self.report.notes.append(
                    _("%(code)s was not moved; move units on the unit tree page.") % {"code": code}
                )
            if (existing.name, existing.short_name, existing.kind, existing.identifier) != (
                name,
                short_name,
                kind,
                identifier,
            ):
                existing = org.update_unit(
                    self.scope,
                    existing,
                    name=name,
                    short_name=short_name,
                    identifier=identifier or "",
                    kind=kind,
                )
                self.report.count(self.kind, "updated")
            else:
                self.report.count(self.kind, "ignored")
            self.remember(existing)
            return
        parent = self.need(Unit, "parent") if spec.get("parent") else None
        unit = org.create_unit(
            self.scope,
            spec=org.UnitSpec(
                name=name, code=code, kind=kind, identifier=identifier, short_name=short_name
            ),
            parent=parent,
            opened_on=self.day("openingDate"),
        )
        ident = spec.get("id")
        if ident and ident != unit.uid:
            # Keep the package's uid, so data exchanged by uid lands on this unit. The unit is
            # new and childless, so only its own path changes.
            if not isinstance(ident, str) or not is_valid_uid(ident):
                raise self.skip("id", _("'%(v)s' is not a valid uid.") % {"v": ident})
            if Unit.objects.filter(uid=ident).exists():
                raise self.skip("id", _("The uid %(v)s is already used.") % {"v": ident})
            old_uid = unit.uid
            unit.path = unit.path[: -len(old_uid) - 1] + ident + "/"
            unit.uid = ident
            Unit.objects.filter(pk=unit.pk).update(uid=unit.uid, path=unit.path)
            audit.record(self.scope, "org.unit.uid", unit, {"from": old_uid, "to": ident})
        self.remember(unit)
        self.report.count(self.kind, "created")

    def _units(self, refs: Any, name: str) -> list[Unit]:
        if not isinstance(refs, list):
            raise self.skip(name, _("Expected a list of objects."))
        units = []
        for ref in refs:
            unit = self.find(Unit, ref)
            if unit is None or not self.scope.covers_path(unit.path):
                raise self.skip(
                    name, _("Unknown %(type)s %(ref)s.") % {"type": _("unit"), "ref": _show(ref)}
                )
            units.append(unit)
        return units

    def group(self, spec: dict[str, Any]) -> None:
        self.require(Action.ADMINISTER)
        wanted = self._units(spec.get("organisationUnits", []), "organisationUnits")
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
        }

        def members_differ(group: UnitGroup) -> bool:
            in_scope = {u.pk for u in group.units.filter(scope_filter(self.scope))}
            return in_scope != {u.pk for u in wanted}

        group, outcome = self.upsert(
            UnitGroup, values, self.direct("org.group.save"), nested_changed=members_differ
        )
        if outcome != "ignored":
            # Members outside the actor's scope are not in their package: keep them.
            kept = (
                list(group.units.exclude(scope_filter(self.scope))) if outcome == "updated" else []
            )
            org.set_group_members(self.scope, group, [*wanted, *kept])

    def group_set(self, spec: dict[str, Any]) -> None:
        self.require(Action.ADMINISTER)
        refs = spec.get("organisationUnitGroups", [])
        groups = [self.need(UnitGroup, "organisationUnitGroups", r) for r in refs]
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
        }
        group_set, outcome = self.upsert(
            UnitGroupSet,
            values,
            self.direct("org.groupset.save"),
            nested_changed=lambda s: {g.pk for g in s.groups.all()} != {g.pk for g in groups},
        )
        if outcome != "ignored":
            group_set.groups.set(groups)

    # -- categories --

    def category_option(self, spec: dict[str, Any]) -> None:
        self.require(Action.DESIGN)
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
            "short_name": self.text("shortName"),
            "start_date": self.day("startDate"),
            "end_date": self.day("endDate"),
        }
        self.upsert(CategoryOption, values, self.direct("catalog.categoryoption.save"))

    def category(self, spec: dict[str, Any]) -> None:
        self.require(Action.DESIGN)
        options = [
            self.need(CategoryOption, "categoryOptions", r) for r in spec.get("categoryOptions", [])
        ]
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
            "dimension_type": self.text("dataDimensionType", "DISAGGREGATION"),
        }

        def current(c: Category) -> list[int]:
            return list(c.memberships.order_by("sort_order").values_list("option_id", flat=True))

        category, outcome = self.upsert(
            Category,
            values,
            self.direct("catalog.category.save"),
            nested_changed=lambda c: current(c) != [o.pk for o in options],
        )
        if outcome != "ignored":
            category.memberships.all().delete()
            CategoryMembership.objects.bulk_create(
                CategoryMembership(category=category, option=o, sort_order=i)
                for i, o in enumerate(options)
            )
            for combo in CategoryCombo.objects.filter(categories=category):
                catalog.generate_option_combos(combo)

    def category_combo(self, spec: dict[str, Any]) -> None:
        self.require(Action.DESIGN)
        categories = [self.need(Category, "categories", r) for r in spec.get("categories", [])]
        code = self.text("code", required=True)
        if not categories and code != catalog.DEFAULT_CODE:
            raise self.skip("categories", _("A category combination needs at least one category."))
        values = {
            "code": code,
            "name": self.text("name", required=True),
            "dimension_type": self.text("dataDimensionType", "DISAGGREGATION"),
        }

        def current(c: CategoryCombo) -> list[int]:
            return list(c.memberships.order_by("sort_order").values_list("category_id", flat=True))

        combo, outcome = self.upsert(
            CategoryCombo,
            values,
            self.direct("catalog.combo.save"),
            nested_changed=lambda c: current(c) != [x.pk for x in categories],
        )
        if outcome != "ignored":
            combo.memberships.all().delete()
            CategoryComboMembership.objects.bulk_create(
                CategoryComboMembership(combo=combo, category=c, sort_order=i)
                for i, c in enumerate(categories)
            )
            catalog.generate_option_combos(combo)
        if outcome == "created":
            self.new_combos.add(combo.pk)

    def option_combo(self, spec: dict[str, Any]) -> None:
        """Option combos are generated from their combo; the package only gives them their
        uid and code, matched by the set of options."""
        combo = self.need(CategoryCombo, "categoryCombo")
        options = [
            self.need(CategoryOption, "categoryOptions", r) for r in spec.get("categoryOptions", [])
        ]
        key = ",".join(str(pk) for pk in sorted(o.pk for o in options))
        coc = self.find(CategoryOptionCombo, {"id": spec.get("id"), "code": spec.get("code")})
        if coc is None or coc.combo_id != combo.pk:
            coc = CategoryOptionCombo.objects.filter(combo=combo, options_key=key).first()
        if coc is None:
            raise self.skip(
                "categoryOptions",
                _("The combination %(combo)s has no option combo with these options.")
                % {"combo": combo.code},
            )
        self.new_combos.discard(combo.pk)  # named by the package, not by convention
        wanted = {"uid": spec.get("id") or coc.uid, "code": self.text("code") or coc.code}
        changed = {k: v for k, v in wanted.items() if getattr(coc, k) != v}
        for name, value in changed.items():
            if CategoryOptionCombo.objects.filter(**{name: value}).exclude(pk=coc.pk).exists():
                raise self.skip(
                    name, _("%(v)s is already used by another option combo.") % {"v": value}
                )
        if "uid" in changed and not is_valid_uid(str(wanted["uid"])):
            raise self.skip("id", _("'%(v)s' is not a valid uid.") % {"v": wanted["uid"]})
        if changed:
            CategoryOptionCombo.objects.filter(pk=coc.pk).update(**changed)
            audit.record(self.scope, "catalog.optioncombo.rename", coc, changed)
        for k, v in changed.items():
            setattr(coc, k, v)
        self.remember(coc)
        self.report.count(self.kind, "updated" if changed else "ignored")

    def _name_new_option_combos(self) -> None:
        """New combos that the package gave no option combos for (catalog.json) get the demo
        loader's codes: option codes joined by '_', so `#{XD_NHAP.XD_DIESEL}` resolves."""
        for combo in CategoryCombo.objects.filter(pk__in=self.new_combos):
            for coc in combo.option_combos.prefetch_related("options"):
                by_category = {m.category_id: m.sort_order for m in combo.memberships.all()}
                memberships = {
                    m.option_id: m.category_id
                    for m in CategoryMembership.objects.filter(category__in=by_category)
                }
                ordered = sorted(
                    coc.options.all(), key=lambda o: by_category.get(memberships.get(o.pk, 0), 0)
                )
                code = "_".join(o.code for o in ordered)[:100]
                if code and not CategoryOptionCombo.objects.filter(code=code).exists():
                    CategoryOptionCombo.objects.filter(pk=coc.pk).update(code=code)
                    coc.code = code
                self.seen[(CategoryOptionCombo, coc.code)] = coc

    def option_set(self, spec: dict[str, Any]) -> None:
        self.require(Action.DESIGN)
        raw = spec.get("options", [])
        if not isinstance(raw, list) or not all(isinstance(o, dict) and o.get("code") for o in raw):
            raise self.skip("options", _("Expected a list of objects."))
        wanted = [(str(o["code"]), str(o.get("name", o["code"]))) for o in raw]
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
            "value_type": self.text("valueType", "TEXT"),
        }
        option_set, outcome = self.upsert(
            OptionSet,
            values,
            self.direct("catalog.optionset.save"),
            nested_changed=lambda s: list(s.options.values_list("code", "name")) != wanted,
        )
        if outcome != "ignored":
            option_set.options.all().delete()
            Option.objects.bulk_create(
                _with_uid(Option(option_set=option_set, code=c, name=n, sort_order=i), o)
                for i, ((c, n), o) in enumerate(zip(wanted, raw, strict=True))
            )

    # -- forms, elements and rules --

    def data_element(self, spec: dict[str, Any]) -> None:
        combo = (
            self.need(CategoryCombo, "categoryCombo")
            if spec.get("categoryCombo")
            else catalog.ensure_default_combo()
        )
        option_set = self.need(OptionSet, "optionSet") if spec.get("optionSet") else None
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
            "short_name": self.text("shortName"),
            "form_name": self.text("formName"),
            "description": self.text("description"),
            "domain": self.text("domain", Domain.GENERAL),
            "value_type": self.text("valueType", "NUMBER"),
            "aggregation_type": self.text("aggregationType", "SUM"),
            "zero_is_significant": bool(spec.get("zeroIsSignificant", False)),
            "unit_of_measure": self.text("unitOfMeasure"),
            "category_combo_id": combo.pk,
            "option_set_id": option_set.pk if option_set else None,
        }
        self.upsert(DataElement, values, lambda e, _c: catalog.save_data_element(self.scope, e))

    def data_set(self, spec: dict[str, Any]) -> None:
        combo = (
            self.need(CategoryCombo, "categoryCombo")
            if spec.get("categoryCombo")
            else catalog.ensure_default_combo()
        )
        sections = spec.get("sections", [])
        if not isinstance(sections, list) or not all(isinstance(s, dict) for s in sections):
            raise self.skip("sections", _("Expected a list of objects."))
        members = self._members(spec, sections)
        layout = [self._section(s, i) for i, s in enumerate(sections)]
        units, unknown = self._assigned_units(spec.get("organisationUnits", []))
        if "assignTo" in spec:
            self.report.notes.append(
                _("%(code)s: assignTo rules are for the demo tree and were not applied.")
                % {"code": spec.get("code")}
            )
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
            "short_name": self.text("shortName"),
            "description": self.text("description"),
            "domain": self.text("domain", Domain.GENERAL),
            "period_type": self.text("periodType", required=True),
            "timely_days": int(self.number("timelyDays", 10)),
            "expiry_days": int(self.number("expiryDays", 0)),
            "open_future_periods": int(self.number("openFuturePeriods", 0)),
            "block_on_high_validation": bool(spec.get("blockOnHighValidation", False)),
            "category_combo_id": combo.pk,
        }

        def nested(d: DataSet) -> bool:
            return (
                _members_of(d) != members
                or _layout_of(d) != [x[:5] for x in layout]
                or {u.pk for u in d.units.filter(scope_filter(self.scope))} != {u.pk for u in units}
            )

        data_set, outcome = self.upsert(
            DataSet,
            values,
            lambda d, _c: catalog.save_data_set(self.scope, d),
            nested_changed=nested,
        )
        if unknown:
            self.report.notes.append(
                _("%(code)s: %(n)d assigned units are not in this system and were skipped.")
                % {"code": data_set.code, "n": unknown}
            )
        if outcome == "ignored":
            return
        data_set.members.all().delete()
        DataSetElement.objects.bulk_create(
            DataSetElement(data_set=data_set, data_element_id=de, category_combo_id=cc)
            for de, cc in sorted(members)
        )
        data_set.sections.all().delete()
        for name, description, order, elements, greyed, uid in layout:
            section = Section(
                data_set=data_set, name=name, description=description, sort_order=order
            )
            if uid:
                section.uid = uid
            section.save()
            SectionElement.objects.bulk_create(
                SectionElement(section=section, data_element_id=de, sort_order=i)
                for i, de in enumerate(elements)
            )
            GreyedField.objects.bulk_create(
                GreyedField(section=section, data_element_id=de, option_combo_id=coc)
                for de, coc in sorted(greyed)
            )
        kept = list(data_set.units.exclude(scope_filter(self.scope)))
        data_set.units.set([*units, *kept])
        audit.record(self.scope, "catalog.dataset.layout", data_set, {"sections": len(layout)})

    def _members(
        self, spec: dict[str, Any], sections: list[dict[str, Any]]
    ) -> set[tuple[int, int | None]]:
        members: dict[int, int | None] = {}
        for m in spec.get("dataSetElements", []):
            if not isinstance(m, dict):
                raise self.skip("dataSetElements", _("Expected a list of objects."))
            element = self.need(DataElement, "dataSetElements", m.get("dataElement"))
            override = m.get("categoryCombo")
            members[element.pk] = (
                self.need(CategoryCombo, "dataSetElements", override).pk if override else None
            )
        for section in sections:  # catalog.json lists the members through its sections only
            for ref in section.get("dataElements", []):
                members.setdefault(self.need(DataElement, "sections", ref).pk, None)
        return set(members.items())

    def _section(self, s: dict[str, Any], index: int) -> tuple[Any, ...]:
        elements = [self.need(DataElement, "sections", r).pk for r in s.get("dataElements", [])]
        greyed = set()
        for g in s.get("greyedFields", []):
            if not isinstance(g, dict):
                raise self.skip("greyedFields", _("Expected a list of objects."))
            greyed.add(
                (
                    self.need(DataElement, "greyedFields", g.get("dataElement")).pk,
                    self.need(CategoryOptionCombo, "greyedFields", g.get("categoryOptionCombo")).pk,
                )
            )
        order = s.get("sortOrder", index)
        return (
            str(s.get("name", "")),
            str(s.get("description", "")),
            int(order) if isinstance(order, int) else index,
            elements,
            greyed,
            s.get("id") if isinstance(s.get("id"), str) and is_valid_uid(s["id"]) else None,
        )

    def _assigned_units(self, refs: Any) -> tuple[list[Unit], int]:
        if not isinstance(refs, list):
            raise self.skip("organisationUnits", _("Expected a list of objects."))
        units, unknown = [], 0
        for ref in refs:
            unit = self.find(Unit, ref)
            if unit is None:
                unknown += 1
            elif not self.scope.covers_path(unit.path):
                raise self.skip(
                    "organisationUnits",
                    _("Unknown %(type)s %(ref)s.") % {"type": _("unit"), "ref": _show(ref)},
                )
            else:
                units.append(unit)
        return units, unknown

    def constant(self, spec: dict[str, Any]) -> None:
        self.require(Action.DESIGN)
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
            "value": self.number("value", 0),
            "description": self.text("description"),
        }
        self.upsert(Constant, values, self.direct("catalog.constant.save"))

    def indicator(self, spec: dict[str, Any]) -> None:
        name = self.text("name", required=True)
        values = {
            "code": self.text("code", required=True),
            "name": name,
            "short_name": self.text("shortName", name[:80]),
            "description": self.text("description"),
            "domain": self.text("domain", Domain.GENERAL),
            "numerator": self.text("numerator", required=True),
            "numerator_description": self.text("numeratorDescription"),
            "denominator": self.text("denominator", "1"),
            "denominator_description": self.text("denominatorDescription"),
            "factor": self.number("factor", 1),
            "decimals": int(self.number("decimals", 1)),
        }
        self.upsert(Indicator, values, lambda i, _c: catalog.save_indicator(self.scope, i))

    def validation_rule(self, spec: dict[str, Any]) -> None:
        def side(name: str) -> tuple[str, str]:
            nested = spec.get(f"{name}Side")
            if isinstance(nested, dict):
                return (
                    str(nested.get("expression", "")),
                    str(nested.get("missingValueStrategy", "SKIP_IF_ALL_VALUES_MISSING")),
                )
            return self.text(name, required=True), self.text(
                f"{name}Missing", "SKIP_IF_ALL_VALUES_MISSING"
            )

        left, left_missing = side("left")
        right, right_missing = side("right")
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
            "description": self.text("description"),
            "instruction": self.text("instruction"),
            "domain": self.text("domain", Domain.GENERAL),
            "period_type": self.text("periodType", required=True),
            "left": left,
            "left_missing": left_missing,
            "operator": self.text("operator", required=True),
            "right": right,
            "right_missing": right_missing,
            "importance": self.text("importance", "MEDIUM"),
        }
        self.upsert(
            ValidationRule, values, lambda r, _c: catalog.save_validation_rule(self.scope, r)
        )

    # -- norms --

    def norm_set(self, spec: dict[str, Any]) -> None:
        domain = self.text("domain", Domain.GENERAL)
        if domain not in {d.value for d in Domain}:
            raise self.skip("domain", _("Unknown domain '%(d)s'.") % {"d": domain})
        catalog.require_design(self.scope, domain)
        rows = spec.get("norms", [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise self.skip("norms", _("Expected a list of objects."))
        wanted = [self._norm(r) for r in rows]
        values = {
            "code": self.text("code", required=True),
            "name": self.text("name", required=True),
            "kind": self.text("kind", NormSet.Kind.NORM),
            "domain": domain,
            "description": self.text("description"),
            "legal_basis": self.text("legalBasis"),
        }

        def save(s: NormSet, _created: bool) -> NormSet:
            if s.kind not in NormSet.Kind.values:
                raise ValidationFailed(_("Unknown kind '%(k)s'.") % {"k": s.kind}, field="kind")
            return self.direct("catalog.normset.save")(s, _created)

        def stored(s: NormSet) -> dict[tuple[str, date], tuple[Any, ...]]:
            return {
                (n.item_code, n.valid_from): (
                    n.item_name,
                    n.unit_of_measure,
                    n.value,
                    n.valid_to,
                    n.note,
                )
                for n in s.norms.all()
            }

        norm_set, outcome = self.upsert(
            NormSet,
            values,
            save,
            nested_changed=lambda s: any(
                stored(s).get((w["item_code"], w["valid_from"])) != _norm_tuple(w) for w in wanted
            ),
        )
        if outcome == "ignored":
            return
        present = stored(norm_set)
        # Oldest first, so that each newer row supersedes the open-ended one before it.
        for row in sorted(wanted, key=lambda w: (w["item_code"], w["valid_from"])):
            current = present.get((row["item_code"], row["valid_from"]))
            if current is None:
                catalog.add_norm(self.scope, norm_set, **row)
            elif current != _norm_tuple(row):
                self.report.notes.append(
                    _(
                        "%(set)s: the norm of %(item)s from %(day)s differs but was kept; "
                        "norms are history, add a new row instead."
                    )
                    % {"set": norm_set.code, "item": row["item_code"], "day": row["valid_from"]}
                )

    def _norm(self, row: dict[str, Any]) -> dict[str, Any]:
        try:
            value = Decimal(str(row.get("value")))
        except InvalidOperation:
            raise self.skip(
                "norms", _("'%(v)s' is not a number.") % {"v": row.get("value")}
            ) from None
        valid_from = self.day("validFrom", row)
        if valid_from is None:
            raise self.skip("norms", _("Every norm needs validFrom."))
        return {
            "item_code": str(row.get("itemCode", "")),
            "item_name": str(row.get("itemName", "")),
            "unit_of_measure": str(row.get("unitOfMeasure", "")),
            "value": value,
            "valid_from": valid_from,
            "valid_to": self.day("validTo", row),
            "note": str(row.get("note", "")),
        }


def _norm_tuple(w: dict[str, Any]) -> tuple[Any, ...]:
    return (w["item_name"], w["unit_of_measure"], w["value"], w["valid_to"], w["note"])


def _members_of(d: DataSet) -> set[tuple[int, int | None]]:
    return set(d.members.values_list("data_element_id", "category_combo_id"))


def _layout_of(d: DataSet) -> list[tuple[Any, ...]]:
    greyed: dict[int, set[tuple[int, int]]] = {}
    for section_id, de, coc in GreyedField.objects.filter(section__data_set=d).values_list(
        "section_id", "data_element_id", "option_combo_id"
    ):
        greyed.setdefault(section_id, set()).add((de, coc))
    return [
        (
            s.name,
            s.description,
            s.sort_order,
            list(s.members.order_by("sort_order").values_list("data_element_id", flat=True)),
            greyed.get(s.pk, set()),
        )
        for s in d.sections.order_by("sort_order")
    ]


def _with_uid(obj: Any, spec: dict[str, Any]) -> Any:
    ident = spec.get("id")
    if isinstance(ident, str) and is_valid_uid(ident):
        obj.uid = ident
    return obj


def _show(ref: Any) -> str:
    if isinstance(ref, dict):
        return str(ref.get("code") or ref.get("id") or "")
    return str(ref or "")
