"""The demo's report-form catalog: `data/catalog.json`, a metadata package in a DHIS2-like shape,
read, checked (every reference resolves, every expression parses) and loaded through the catalog
services."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from haucan.catalog import services as catalog
from haucan.catalog.models import (
    AggregationType,
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
    Indicator,
    NormSet,
    Operator,
    Option,
    OptionSet,
    Section,
    SectionElement,
    ValidationRule,
    ValueType,
)
from haucan.core.expressions import ExpressionError, parse_expression
from haucan.core.ids import is_valid_uid
from haucan.core.periods import PeriodType
from haucan.core.scope import Domain, Scope
from haucan.org.models import (
    UnitKind,
)

CATALOG_PATH = Path(__file__).with_name("data") / "catalog.json"


# --- the catalog --------------------------------------------------------------------------------

_DOMAINS = {d.value for d in Domain}
_ASSIGN_KEYS = {"kinds", "depths", "echelons"}
_PERIOD_TYPES = {t.value for t in PeriodType}


def read_catalog(path: Path = CATALOG_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        doc: dict[str, Any] = json.load(handle)
    return doc


def option_combo_codes(doc: dict[str, Any], combo_code: str | None) -> list[str]:
    """The codes the loader gives a combo's option combos: option codes joined by '_', in the
    order of the Cartesian product (so `#{XD_NHAP.XD_DIESEL}` reads naturally)."""
    if combo_code is None:
        return [catalog.DEFAULT_CODE]
    combo = next(c for c in doc["categoryCombos"] if c["code"] == combo_code)
    categories = {c["code"]: c for c in doc["categories"]}
    lists = [categories[code]["categoryOptions"] for code in combo["categories"]]
    return ["_".join(options) for options in itertools.product(*lists)]


def check_catalog(doc: dict[str, Any]) -> list[str]:
    """Every problem in the metadata package: duplicate codes, references that do not resolve,
    unknown enumerations and expressions that do not parse. Empty means it can be loaded."""
    problems: list[str] = []
    codes: dict[str, set[str]] = {}
    for kind in (
        "categoryOptions",
        "categories",
        "categoryCombos",
        "optionSets",
        "dataElements",
        "dataSets",
        "indicators",
        "validationRules",
        "constants",
        "normSets",
    ):
        seen: set[str] = set()
        for obj in doc.get(kind, []):
            code = obj.get("code", "")
            if not code or len(code) > 50:
                problems.append(f"{kind}: missing or too long code {code!r}")
            if code in seen:
                problems.append(f"{kind}: duplicate code {code}")
            if "id" in obj and not is_valid_uid(obj["id"]):
                problems.append(f"{kind} {code}: invalid id {obj['id']!r}")
            seen.add(code)
        codes[kind] = seen

    def need(kind: str, code: str, where: str) -> None:
        if code not in codes[kind]:
            problems.append(f"{where}: unknown {kind[:-1]} {code!r}")

    for category in doc.get("categories", []):
        for option in category.get("categoryOptions", []):
            need("categoryOptions", option, f"category {category['code']}")
    for combo in doc.get("categoryCombos", []):
        for category in combo.get("categories", []):
            need("categories", category, f"categoryCombo {combo['code']}")
    coc_codes: dict[str, set[str]] = {}
    for element in doc.get("dataElements", []):
        where = f"dataElement {element['code']}"
        combo = element.get("categoryCombo")
        if combo is not None:
            need("categoryCombos", combo, where)
        if element.get("optionSet") is not None:
            need("optionSets", element["optionSet"], where)
        if element.get("domain") not in _DOMAINS:
            problems.append(f"{where}: unknown domain {element.get('domain')!r}")
        if element.get("valueType") not in ValueType.values:
            problems.append(f"{where}: unknown value type {element.get('valueType')!r}")
        if element.get("aggregationType") not in AggregationType.values:
            problems.append(f"{where}: unknown aggregation {element.get('aggregationType')!r}")
        if combo is None or combo in codes["categoryCombos"]:
            try:
                coc_codes[element["code"]] = set(option_combo_codes(doc, combo))
            except KeyError as exc:
                problems.append(f"{where}: its combination refers to unknown {exc}")
    for data_set in doc.get("dataSets", []):
        where = f"dataSet {data_set['code']}"
        if data_set.get("domain") not in _DOMAINS:
            problems.append(f"{where}: unknown domain {data_set.get('domain')!r}")
        if data_set.get("periodType") not in _PERIOD_TYPES:
            problems.append(f"{where}: unknown period type {data_set.get('periodType')!r}")
        placed: set[str] = set()
        for section in data_set.get("sections", []):
            for code in section.get("dataElements", []):
                need("dataElements", code, f"{where} section {section.get('name')!r}")
                if code in placed:
                    problems.append(f"{where}: {code} is in two sections")
                placed.add(code)
        rules = data_set.get("assignTo", [])
        for rule in rules if isinstance(rules, list) else [rules]:
            if not rule or set(rule) - _ASSIGN_KEYS:
                problems.append(f"{where}: assignTo rule {rule!r} uses unknown keys")
            for kind in rule.get("kinds", []):
                if kind not in UnitKind.values:
                    problems.append(f"{where}: unknown unit kind {kind!r}")

    def check_expression(text: str, where: str) -> None:
        try:
            expression = parse_expression(text)
        except ExpressionError as exc:
            problems.append(f"{where}: {exc.message} at {exc.position + 1} in {text!r}")
            return
        for operand in expression.operands():
            if operand.data_element not in codes["dataElements"]:
                problems.append(f"{where}: unknown data element {operand.data_element!r}")
            elif (
                operand.category_option_combo is not None
                and operand.category_option_combo
                not in (coc_codes.get(operand.data_element, set()))
            ):
                problems.append(
                    f"{where}: {operand.data_element} has no option combo "
                    f"{operand.category_option_combo!r}"
                )
        for constant in expression.constants():
            need("constants", constant, where)

    for indicator in doc.get("indicators", []):
        where = f"indicator {indicator['code']}"
        check_expression(indicator["numerator"], where)
        check_expression(indicator.get("denominator", "1"), where)
    for rule in doc.get("validationRules", []):
        where = f"validationRule {rule['code']}"
        check_expression(rule["left"], where)
        check_expression(rule["right"], where)
        if rule.get("operator") not in Operator.values:
            problems.append(f"{where}: unknown operator {rule.get('operator')!r}")
        if rule.get("periodType") not in _PERIOD_TYPES:
            problems.append(f"{where}: unknown period type {rule.get('periodType')!r}")
    for norm_set in doc.get("normSets", []):
        if norm_set.get("kind") not in NormSet.Kind.values:
            problems.append(f"normSet {norm_set['code']}: unknown kind {norm_set.get('kind')!r}")
    return problems


@dataclass
class LoadedCatalog:
    elements: dict[str, DataElement]
    data_sets: list[tuple[DataSet, dict[str, Any]]]
    coc_ids: dict[str, int]  # option-combo code -> id
    default_coc_id: int
    indicators: int
    rules: int


def _with_uid(obj: Any, spec: dict[str, Any]) -> Any:
    if "id" in spec:
        obj.uid = spec["id"]
    return obj


def load_catalog(scope: Scope, doc: dict[str, Any]) -> LoadedCatalog:
    """Create every object of the metadata package (the caller holds the transaction)."""
    default_combo = catalog.ensure_default_combo()
    default_coc = CategoryOptionCombo.objects.get(combo=default_combo)

    options = {
        spec["code"]: _with_uid(
            CategoryOption(
                code=spec["code"], name=spec["name"], short_name=spec.get("shortName", "")
            ),
            spec,
        )
        for spec in doc["categoryOptions"]
    }
    CategoryOption.objects.bulk_create(options.values())
    categories: dict[str, Category] = {}
    for spec in doc["categories"]:
        category = _with_uid(Category(code=spec["code"], name=spec["name"]), spec)
        category.save()
        CategoryMembership.objects.bulk_create(
            CategoryMembership(category=category, option=options[code], sort_order=i)
            for i, code in enumerate(spec["categoryOptions"])
        )
        categories[spec["code"]] = category
    combos: dict[str | None, CategoryCombo] = {None: default_combo}
    coc_ids = {catalog.DEFAULT_CODE: default_coc.pk}
    for spec in doc["categoryCombos"]:
        combo = _with_uid(CategoryCombo(code=spec["code"], name=spec["name"]), spec)
        combo.save()
        CategoryComboMembership.objects.bulk_create(
            CategoryComboMembership(combo=combo, category=categories[code], sort_order=i)
            for i, code in enumerate(spec["categories"])
        )
        # Rename the generated option combos to readable codes that expressions can cite.
        generated = sorted(catalog.generate_option_combos(combo), key=lambda c: c.sort_order)
        for coc, code in zip(generated, option_combo_codes(doc, spec["code"]), strict=True):
            if code not in coc_ids:
                CategoryOptionCombo.objects.filter(pk=coc.pk).update(code=code)
                coc.code = code
            coc_ids[coc.code] = coc.pk
        combos[spec["code"]] = combo

    option_sets: dict[str, OptionSet] = {}
    for spec in doc.get("optionSets", []):
        option_set = _with_uid(
            OptionSet(
                code=spec["code"], name=spec["name"], value_type=spec.get("valueType", "TEXT")
            ),
            spec,
        )
        option_set.save()
        Option.objects.bulk_create(
            Option(option_set=option_set, code=o["code"], name=o["name"], sort_order=i)
            for i, o in enumerate(spec["options"])
        )
        option_sets[spec["code"]] = option_set

    elements: dict[str, DataElement] = {}
    for spec in doc["dataElements"]:
        element = _with_uid(
            DataElement(
                code=spec["code"],
                name=spec["name"],
                short_name=spec.get("shortName", ""),
                form_name=spec.get("formName", ""),
                description=spec.get("description", ""),
                domain=spec["domain"],
                value_type=spec["valueType"],
                aggregation_type=spec["aggregationType"],
                zero_is_significant=spec.get("zeroIsSignificant", False),
                unit_of_measure=spec.get("unitOfMeasure", ""),
                category_combo=combos[spec.get("categoryCombo")],
                option_set=option_sets.get(spec.get("optionSet", "")),
            ),
            spec,
        )
        elements[spec["code"]] = catalog.save_data_element(scope, element)

    data_sets: list[tuple[DataSet, dict[str, Any]]] = []
    for spec in doc["dataSets"]:
        data_set = catalog.save_data_set(
            scope,
            _with_uid(
                DataSet(
                    code=spec["code"],
                    name=spec["name"],
                    short_name=spec.get("shortName", ""),
                    description=spec.get("description", ""),
                    domain=spec["domain"],
                    period_type=spec["periodType"],
                    timely_days=spec.get("timelyDays", 10),
                    expiry_days=spec.get("expiryDays", 0),
                    category_combo=default_combo,
                ),
                spec,
            ),
        )
        members = [code for section in spec["sections"] for code in section["dataElements"]]
        DataSetElement.objects.bulk_create(
            DataSetElement(data_set=data_set, data_element=elements[code]) for code in members
        )
        for order, section_spec in enumerate(spec["sections"]):
            section = Section.objects.create(
                data_set=data_set,
                name=section_spec["name"],
                sort_order=order,
                description=section_spec.get("description", ""),
            )
            SectionElement.objects.bulk_create(
                SectionElement(section=section, data_element=elements[code], sort_order=i)
                for i, code in enumerate(section_spec["dataElements"])
            )
        data_sets.append((data_set, spec))

    for spec in doc.get("constants", []):
        _with_uid(
            Constant(
                code=spec["code"],
                name=spec["name"],
                value=spec["value"],
                description=spec.get("description", ""),
            ),
            spec,
        ).save()
    for spec in doc.get("indicators", []):
        catalog.save_indicator(
            scope,
            _with_uid(
                Indicator(
                    code=spec["code"],
                    name=spec["name"],
                    short_name=spec.get("shortName", spec["name"][:80]),
                    description=spec.get("description", ""),
                    domain=spec["domain"],
                    numerator=spec["numerator"],
                    numerator_description=spec.get("numeratorDescription", ""),
                    denominator=spec.get("denominator", "1"),
                    denominator_description=spec.get("denominatorDescription", ""),
                    factor=spec.get("factor", 1),
                    decimals=spec.get("decimals", 1),
                ),
                spec,
            ),
        )
    for spec in doc.get("validationRules", []):
        catalog.save_validation_rule(
            scope,
            _with_uid(
                ValidationRule(
                    code=spec["code"],
                    name=spec["name"],
                    description=spec.get("description", ""),
                    instruction=spec.get("instruction", ""),
                    domain=spec["domain"],
                    period_type=spec["periodType"],
                    left=spec["left"],
                    operator=spec["operator"],
                    right=spec["right"],
                    importance=spec.get("importance", "MEDIUM"),
                    left_missing=spec.get("leftMissing", "SKIP_IF_ALL_VALUES_MISSING"),
                    right_missing=spec.get("rightMissing", "SKIP_IF_ALL_VALUES_MISSING"),
                ),
                spec,
            ),
        )
    for spec in doc.get("normSets", []):
        norm_set = _with_uid(
            NormSet(
                code=spec["code"],
                name=spec["name"],
                kind=spec["kind"],
                domain=spec["domain"],
                description=spec.get("description", ""),
                legal_basis=spec.get("legalBasis", ""),
            ),
            spec,
        )
        norm_set.save()
        # Oldest first, so that each newer row supersedes the open-ended one before it.
        for row in sorted(spec["norms"], key=lambda r: (r["itemCode"], r["validFrom"])):
            catalog.add_norm(
                scope,
                norm_set,
                item_code=row["itemCode"],
                item_name=row["itemName"],
                unit_of_measure=row["unitOfMeasure"],
                value=Decimal(str(row["value"])),
                valid_from=date.fromisoformat(row["validFrom"]),
                valid_to=date.fromisoformat(row["validTo"]) if row.get("validTo") else None,
                note=row.get("note", ""),
            )
    return LoadedCatalog(
        elements,
        data_sets,
        coc_ids,
        default_coc.pk,
        len(doc.get("indicators", [])),
        len(doc.get("validationRules", [])),
    )
