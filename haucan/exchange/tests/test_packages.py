"""Metadata packages: export in DHIS2's shape, import with dependencies, dry run, round trip."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from haucan.catalog.models import (
    CategoryCombo,
    CategoryOptionCombo,
    Constant,
    DataElement,
    DataSet,
    Indicator,
    NormSet,
    OptionSet,
    ValidationRule,
)
from haucan.core.errors import PermissionDenied
from haucan.core.scope import Scope
from haucan.demo.catalog import option_combo_codes, read_catalog
from haucan.exchange.packages import export_package, import_package
from haucan.org.models import Unit, UnitGroup
from haucan.testing import FuelForm, World, build_fuel_form

SYSTEM = Scope.system("test")
CATALOG_KINDS = (
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
)


@pytest.fixture
def fuel_form(world: World) -> FuelForm:
    return build_fuel_form([world.regiment_a, world.regiment_b])


def without_stamp(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "system"}


def flush_catalog() -> None:
    """Empty the catalog tables (children first), as an empty database would be."""
    from haucan.catalog.models import (
        Category,
        CategoryMembership,
        CategoryOption,
        Norm,
    )

    for model in (
        ValidationRule,
        Indicator,
        Constant,
        Norm,
        NormSet,
        DataSet,
        DataElement,
        OptionSet,
        CategoryOptionCombo,
        CategoryCombo,
        CategoryMembership,
        Category,
        CategoryOption,
    ):
        model.objects.all().delete()


def test_export_uses_the_dhis2_shape_with_uids_and_codes(world, scope_of, fuel_form):
    doc = export_package(scope_of("admin"))

    element = next(e for e in doc["dataElements"] if e["code"] == "PET_STOCK")
    combo = CategoryCombo.objects.get(code="FUEL")
    assert element == {
        "id": fuel_form.stock.uid,
        "code": "PET_STOCK",
        "name": "Tồn cuối kỳ",
        "domainType": "AGGREGATE",
        "domain": "petroleum",
        "valueType": "INTEGER_ZERO_OR_POSITIVE",
        "aggregationType": "LAST",
        "zeroIsSignificant": False,
        "categoryCombo": {"id": combo.uid, "code": "FUEL"},
    }
    data_set = next(d for d in doc["dataSets"] if d["code"] == "PET_MONTHLY")
    assert data_set["periodType"] == "Monthly"
    assert [m["dataElement"]["code"] for m in data_set["dataSetElements"]] == [
        "PET_ISSUED",
        "PET_NOTE",
        "PET_STOCK",
    ]
    assert [u["code"] for u in data_set["organisationUnits"]] == ["F324-E1", "F324-E2"]
    units = {u["code"]: u for u in doc["organisationUnits"]}
    assert units["F324-E1"]["parent"] == {"id": world.division.uid, "code": "F324"}
    assert units["F324-E1"]["id"] == world.regiment_a.uid
    assert {c["code"] for c in doc["categoryOptionCombos"]} == {"default", "FUEL_1", "FUEL_2"}


def test_clerk_exports_only_their_subtree(world, scope_of, fuel_form):
    doc = export_package(scope_of("clerk_a"), include=("units", "catalog"))

    assert [u["code"] for u in doc["organisationUnits"]] == ["F324-E1", "F324-E1-D1"]
    assert "parent" not in doc["organisationUnits"][0]  # the division is above their scope
    data_set = next(d for d in doc["dataSets"] if d["code"] == "PET_MONTHLY")
    assert [u["code"] for u in data_set["organisationUnits"]] == ["F324-E1"]


def test_exporting_needs_view(world):
    with pytest.raises(PermissionDenied):
        export_package(Scope(user_id=None, username="nobody", unit_paths=frozenset()))


def test_reimporting_an_export_changes_nothing(world, scope_of, fuel_form):
    doc = export_package(scope_of("admin"))

    report = import_package(scope_of("admin"), doc, dry_run=True)

    assert report.errors == []
    assert (report.total("created"), report.total("updated")) == (0, 0)
    assert report.counts["dataElements"] == {"created": 0, "updated": 0, "ignored": 3}
    assert report.counts["organisationUnits"] == {"created": 0, "updated": 0, "ignored": 7}


def test_round_trip_into_an_empty_catalog_gives_identical_objects(world, scope_of, fuel_form):
    admin = scope_of("admin")
    before = export_package(admin)
    flush_catalog()
    assert DataElement.objects.count() == 0

    report = import_package(admin, before)

    assert report.errors == []
    assert report.written is True
    assert report.counts["dataElements"] == {"created": 3, "updated": 0, "ignored": 0}
    after = export_package(admin)
    for kind in CATALOG_KINDS:
        assert after[kind] == before[kind], kind


def test_dry_run_reports_creations_and_writes_nothing(world, scope_of, fuel_form):
    admin = scope_of("admin")
    doc = export_package(admin)
    flush_catalog()

    report = import_package(admin, doc, dry_run=True)

    assert report.errors == []
    assert report.counts["dataSets"] == {"created": 1, "updated": 0, "ignored": 0}
    assert report.written is False
    assert DataElement.objects.count() == 0
    assert DataSet.objects.count() == 0


def test_an_update_is_reported_and_applied(world, scope_of, fuel_form):
    admin = scope_of("admin")
    doc = export_package(admin, include=("catalog",))
    element = next(e for e in doc["dataElements"] if e["code"] == "PET_ISSUED")
    element["name"] = "Xuất cấp trong kỳ"

    report = import_package(admin, doc)

    assert report.counts["dataElements"] == {"created": 0, "updated": 1, "ignored": 2}
    assert DataElement.objects.get(code="PET_ISSUED").name == "Xuất cấp trong kỳ"


def test_one_bad_object_keeps_the_whole_package_out(world, scope_of, fuel_form):
    admin = scope_of("admin")
    doc = export_package(admin, include=("catalog",))
    flush_catalog()
    bad = next(e for e in doc["dataElements"] if e["code"] == "PET_NOTE")
    bad["categoryCombo"] = {"id": "AAAAAAAAAAA", "code": "NO_SUCH_COMBO"}

    report = import_package(admin, doc)

    assert [(e.object_type, e.object_id, e.field) for e in report.errors] == [
        ("dataElements", bad["id"], "categoryCombo"),
        ("dataSets", doc["dataSets"][0]["id"], "dataSetElements"),
    ]
    assert report.errors[0].message == "Unknown category combination NO_SUCH_COMBO."
    assert report.written is False
    assert DataElement.objects.count() == 0


def test_references_resolve_by_code_when_the_uid_is_unknown(world, scope_of, fuel_form):
    admin = scope_of("admin")
    doc = {
        "dataElements": [
            {
                "code": "PET_RECEIVED",
                "name": "Nhập trong kỳ",
                "domain": "petroleum",
                "valueType": "NUMBER",
                "aggregationType": "SUM",
                "categoryCombo": {"id": "ZZZZZZZZZZZ", "code": "FUEL"},
            }
        ]
    }

    report = import_package(admin, doc)

    assert report.errors == []
    assert DataElement.objects.get(code="PET_RECEIVED").category_combo.code == "FUEL"


def test_specialist_designs_petroleum_but_not_units(world, scope_of, fuel_form):
    specialist = scope_of("specialist")
    doc = export_package(specialist, include=("units", "catalog"))
    doc["organisationUnits"].append(
        {"code": "F324-E3", "name": "Trung đoàn 3", "parent": {"code": "F324"}}
    )
    doc["dataElements"].append(
        {"code": "GEN_X", "name": "Chung", "domain": "general", "valueType": "NUMBER"}
    )

    report = import_package(specialist, doc)

    assert [(e.object_type, e.object_id, e.message) for e in report.errors] == [
        ("organisationUnits", "F324-E3", "You are not allowed to change the unit tree."),
        (
            "dataElements",
            "GEN_X",
            "You are not allowed to change the catalog of this domain.",
        ),
    ]
    assert not Unit.objects.filter(code="F324-E3").exists()


def test_clerk_cannot_import(world, scope_of):
    report = import_package(scope_of("clerk_a"), {"constants": []})

    assert [e.message for e in report.errors] == ["You are not allowed to import metadata."]


def test_new_units_keep_their_uid_under_their_parent(world, scope_of):
    admin = scope_of("admin")
    doc = {
        "organisationUnits": [
            # The child first: the importer orders parents before children.
            {
                "id": "Dd1111111aa",
                "code": "F324-E3-D7",
                "name": "Tiểu đoàn 7",
                "parent": {"id": "Ee3333333aa"},
                "openingDate": "2021-01-01",
            },
            {
                "id": "Ee3333333aa",
                "code": "F324-E3",
                "name": "Trung đoàn 3",
                "parent": {"id": world.division.uid, "code": "F324"},
                "openingDate": "2021-01-01",
            },
        ],
        "organisationUnitGroups": [
            {"code": "G_NEW", "name": "Đơn vị mới", "organisationUnits": [{"code": "F324-E3"}]}
        ],
    }

    report = import_package(admin, doc)

    assert report.errors == []
    battalion = Unit.objects.get(code="F324-E3-D7")
    assert battalion.uid == "Dd1111111aa"
    assert battalion.path == f"{world.division.path}Ee3333333aa/Dd1111111aa/"
    assert [u.code for u in UnitGroup.objects.get(code="G_NEW").units.all()] == ["F324-E3"]


def test_malformed_packages_are_reported_not_raised(world, scope_of):
    admin = scope_of("admin")

    assert [e.message for e in import_package(admin, [1, 2]).errors] == [
        "The package is not a JSON object."
    ]
    report = import_package(admin, {"dataElements": "nope"})
    assert [(e.object_type, e.message) for e in report.errors] == [
        ("dataElements", "Expected a list of objects.")
    ]
    report = import_package(admin, {"constants": [{"code": "K", "name": "K", "value": "x"}]})
    assert [(e.object_type, e.object_id, e.field) for e in report.errors] == [
        ("constants", "K", "value")
    ]


def test_the_demo_catalog_file_is_a_package(world):
    doc = read_catalog()

    report = import_package(SYSTEM, doc)

    assert report.errors == []
    assert report.counts["dataElements"]["created"] == len(doc["dataElements"])
    assert report.counts["dataSets"]["created"] == len(doc["dataSets"])
    assert NormSet.objects.count() == len(doc["normSets"])
    combo = doc["categoryCombos"][0]["code"]
    assert sorted(
        CategoryOptionCombo.objects.filter(combo__code=combo).values_list("code", flat=True)
    ) == sorted(option_combo_codes(doc, combo))
    # Exported and imported again, it is stable.
    again = import_package(SYSTEM, export_package(SYSTEM), dry_run=True)
    assert again.errors == []
    assert (again.total("created"), again.total("updated")) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_demo_round_trip_into_a_flushed_catalog(django_db_blocker):
    """The demo army's catalog, exported, flushed and imported back, is identical by code."""
    from haucan.demo.loader import load_demo
    from haucan.reporting.models import DataValue

    load_demo(months=1)
    before = export_package(SYSTEM)
    DataValue.objects.all().delete()
    _flush_everything_that_refers_to_the_catalog()
    flush_catalog()

    report = import_package(SYSTEM, copy.deepcopy(before))

    assert report.errors == []
    after = export_package(SYSTEM)
    for kind in CATALOG_KINDS:
        assert after[kind] == before[kind], kind


def _flush_everything_that_refers_to_the_catalog() -> None:
    from django.apps import apps
    from django.db import models

    catalog_models = set(apps.get_app_config("catalog").get_models())
    for model in apps.get_models():
        if model in catalog_models or model._meta.app_label in ("catalog",):
            continue
        if any(
            isinstance(f, models.ForeignKey) and f.related_model in catalog_models
            for f in model._meta.get_fields()
        ):
            model._default_manager.all().delete()
