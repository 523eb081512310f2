"""The `fields=` parser and projector, and `filter=` / `order=`, on the described types."""

from __future__ import annotations

import pytest

from haucan.core.errors import ValidationFailed
from haucan.core.scope import Scope
from haucan.exchange import metadata_api  # noqa: F401 (registers the object types)
from haucan.exchange.fields import (
    REGISTRY,
    Context,
    parse_fields,
    prefetches,
    project,
    selection_for,
)
from haucan.exchange.filters import filter_queryset, order_queryset
from haucan.org.models import Unit

UNITS = REGISTRY["organisationUnits"]


def _names(selection):
    return [name for name, _prop, _nested in selection.items]


def test_it_parses_nested_selections_and_exclusions():
    node = parse_fields("id,name,parent[id,name],dataSetElements[dataElement[id,name]],!code")
    assert list(node.include) == ["id", "name", "parent", "dataSetElements"]
    assert node.exclude == {"code"}
    parent = node.include["parent"]
    assert parent is not None and list(parent.include) == ["id", "name"]
    elements = node.include["dataSetElements"]
    assert elements is not None
    inner = elements.include["dataElement"]
    assert inner is not None and list(inner.include) == ["id", "name"]


@pytest.mark.parametrize("text", ["parent[id", "parent]id[", "a[b[c]"])
def test_unbalanced_brackets_are_rejected(text):
    with pytest.raises(ValidationFailed, match="Unbalanced"):
        parse_fields(text)


def test_star_and_all_select_every_property_and_bang_removes_one():
    every = _names(selection_for(UNITS, "*"))
    assert every == list(UNITS.props)
    assert _names(selection_for(UNITS, ":all")) == every
    assert "children" not in _names(selection_for(UNITS, "*,!children"))


def test_owner_leaves_out_computed_and_inverse_properties():
    owner = _names(selection_for(UNITS, ":owner"))
    assert "parent" in owner and "path" in owner
    assert "children" not in owner and "displayName" not in owner


def test_unknown_field_is_a_400_naming_it():
    with pytest.raises(ValidationFailed, match="Unknown field 'colour' on organisationUnits"):
        selection_for(UNITS, "id,colour")
    with pytest.raises(ValidationFailed, match="Unknown field 'nope' on organisationUnits"):
        selection_for(UNITS, "parent[nope]")


def test_value_fields_take_no_sub_selection():
    with pytest.raises(ValidationFailed, match="no sub-fields"):
        selection_for(UNITS, "name[id]")


def test_default_selection_is_id_and_display_name():
    assert _names(selection_for(UNITS, None)) == ["id", "displayName"]


def test_bare_reference_is_written_as_its_id(world):
    selection = selection_for(UNITS, "name,parent,children")
    unit = Unit.objects.prefetch_related(*prefetches(selection, Scope.system())).get(
        pk=world.regiment_a.pk
    )
    assert project(unit, selection, Context(Scope.system())) == {
        "name": "Trung đoàn 1",
        "parent": {"id": world.division.uid},
        "children": [{"id": world.battalion_a.uid}],
    }


def test_nested_prefetches_follow_the_selection():
    selection = selection_for(UNITS, "children[parent[id],dataSets[id]]")
    lookups = [
        p if isinstance(p, str) else p.prefetch_to for p in prefetches(selection, Scope.system())
    ]
    assert lookups == ["children", "children__parent", "children__data_sets"]


def _filtered(filters, junction="AND"):
    queryset = filter_queryset(Unit.objects.all(), UNITS, filters, junction)
    return sorted(queryset.values_list("code", flat=True))


@pytest.mark.parametrize(
    ("filters", "codes"),
    [
        (["code:eq:F324-E1"], ["F324-E1"]),
        (["code:!eq:BQP", "level:le:3"], ["F324", "QK4"]),
        (["name:ilike:trung"], ["F324-E1", "F324-E2"]),
        (["name:like:Trung"], ["F324-E1", "F324-E2"]),
        (["name:!like:Trung", "level:ge:4"], ["F324-E1-D1", "F324-E2-D4"]),
        (["code:in:[BQP,QK4]"], ["BQP", "QK4"]),
        (["code:!in:[BQP,QK4]", "level:lt:5"], ["F324", "F324-E1", "F324-E2"]),
        (["parent:null"], ["BQP"]),
        (["closedDate:!null"], []),
        (["level:gt:4"], ["F324-E1-D1", "F324-E2-D4"]),
        (["openingDate:ge:2020-01-01", "level:eq:1"], ["BQP"]),
        (["parent.code:eq:F324"], ["F324-E1", "F324-E2"]),
        (["children.code:eq:F324-E1-D1"], ["F324-E1"]),
    ],
)
def test_filter_operators(world, filters, codes):
    assert _filtered(filters) == codes


def test_root_junction_or(world):
    assert _filtered(["code:eq:BQP", "code:eq:QK4"], "OR") == ["BQP", "QK4"]
    assert _filtered(["code:eq:BQP", "code:eq:QK4"]) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour:eq:red", "Unknown or unfilterable property 'colour'"),
        ("name:about:x", "Unknown filter operator 'about'"),
        ("name", "property:operator:value"),
        ("level:gt:high", "does not fit property 'level'"),
        ("openingDate:lt:yesterday", "does not fit property 'openingDate'"),
        ("name.id:eq:x", "Unknown or unfilterable property 'name.id'"),
    ],
)
def test_bad_filters_are_400s_with_a_message(text, message):
    with pytest.raises(ValidationFailed, match=message):
        filter_queryset(Unit.objects.all(), UNITS, [text])


def test_order_by_described_property(world):
    ordered = order_queryset(Unit.objects.filter(depth=4), UNITS, ["name:desc"])
    assert list(ordered.values_list("code", flat=True)) == ["F324-E2", "F324-E1"]
    with pytest.raises(ValidationFailed, match="direction"):
        order_queryset(Unit.objects.all(), UNITS, ["name:sideways"])
