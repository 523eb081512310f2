"""DHIS2's `fields=` parameter: describe an object type once, then parse, prefetch and project.

Each metadata type is an `ObjectType`: a dict of DHIS2 property name -> `Prop` (how to read it,
whether it is a value, a reference or a collection of another type, and the ORM path behind it).
The same description serves `fields=` (this module), `filter=` and `order=` (filters.py), so every
endpoint behaves the same way.

Syntax (as in DHIS2): `id,name`, nested `parent[id,name]` and `dataSetElements[dataElement[id]]`,
`*` or `:all` (every property), `:owner` (the properties stored on the object itself),
`:identifiable`, `:nameable`, `:simple` (no references), and `!name` to drop a property. A
reference or collection named without a selection is written as `{"id": …}` objects, as DHIS2
does. An unknown property is a 400, so a typo is not silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from haucan.core.errors import ValidationFailed
from haucan.core.scope import Scope

Kind = Literal["value", "ref", "list"]
# (scope, ORM prefix) -> the prefetches that loading this property needs.
PrefetchFn = Callable[[Scope, str], list[str | Prefetch]]


@dataclass(frozen=True)
class Context:
    """What accessors may need besides the object: the actor's scope."""

    scope: Scope


@dataclass(frozen=True)
class Prop:
    """One property of an object type.

    `get` reads the value (a plain value, a related object, or an iterable of them). `lookup` is
    the ORM path for filtering and ordering (None: not filterable). `prefetch` lists what must be
    prefetched, relative to the object, for `get` to cost no query.
    """

    get: Callable[[Any, Context], Any]
    kind: Kind = "value"
    target: str = ""
    lookup: str | None = None
    owner: bool = True
    prefetch: PrefetchFn | None = None
    # Turns a filter value into the stored one (for example a synthetic id into a key).
    convert: Callable[[str], Any] | None = None
    # The ORM path from the object to the target objects, under which the target's own
    # prefetches nest; by default the last path this property prefetches.
    via: str | None = None


@dataclass(frozen=True)
class ObjectType:
    name: str  # the collection name: "organisationUnits"
    props: dict[str, Prop]
    default_fields: str = "id,displayName"


REGISTRY: dict[str, ObjectType] = {}


def register(object_type: ObjectType) -> ObjectType:
    REGISTRY[object_type.name] = object_type
    return object_type


# --- Parsing ------------------------------------------------------------------------------------


@dataclass
class FieldNode:
    """A parsed selection: property name -> sub-selection (None when none was given)."""

    include: dict[str, FieldNode | None] = field(default_factory=dict)
    exclude: set[str] = field(default_factory=set)


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside brackets; unbalanced brackets are a 400."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth < 0:
                raise ValidationFailed(_("Unbalanced brackets in fields: %(f)s") % {"f": text})
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise ValidationFailed(_("Unbalanced brackets in fields: %(f)s") % {"f": text})
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def parse_fields(text: str) -> FieldNode:
    """Parse a `fields=` value into a tree (names are checked against a type in `resolve`)."""
    node = FieldNode()
    for part in _split_top(text):
        if part.startswith("!"):
            node.exclude.add(part[1:].strip())
            continue
        bracket = next((i for i, c in enumerate(part) if c in "[("), -1)
        if bracket == -1:
            node.include.setdefault(part, None)
            continue
        if part[-1] not in "])":
            raise ValidationFailed(_("Unbalanced brackets in fields: %(f)s") % {"f": part})
        name = part[:bracket].strip()
        child = parse_fields(part[bracket + 1 : -1])
        previous = node.include.get(name)
        if previous is not None:
            previous.include.update(child.include)
            previous.exclude |= child.exclude
        else:
            node.include[name] = child
    return node


_PRESETS: dict[str, Callable[[ObjectType], list[str]]] = {
    "*": lambda t: list(t.props),
    ":all": lambda t: list(t.props),
    ":owner": lambda t: [n for n, p in t.props.items() if p.owner],
    ":simple": lambda t: [n for n, p in t.props.items() if p.kind == "value"],
    ":identifiable": lambda t: [
        n for n in ("id", "code", "name", "created", "lastUpdated") if n in t.props
    ],
    ":nameable": lambda t: [
        n
        for n in ("id", "code", "name", "shortName", "description", "created", "lastUpdated")
        if n in t.props
    ],
}


@dataclass(frozen=True)
class Selection:
    """A resolved selection: ordered (name, Prop, nested Selection or None) triples."""

    object_type: ObjectType
    items: tuple[tuple[str, Prop, Selection | None], ...]


def resolve(object_type: ObjectType, node: FieldNode) -> Selection:
    """Check every name against the type, expand presets and drop exclusions."""
    chosen: dict[str, FieldNode | None] = {}
    for name, child in node.include.items():
        preset = _PRESETS.get(name)
        if preset is not None:
            for expanded in preset(object_type):
                chosen.setdefault(expanded, None)
            continue
        if name not in object_type.props:
            raise ValidationFailed(
                _("Unknown field '%(field)s' on %(type)s.")
                % {"field": name, "type": object_type.name}
            )
        chosen[name] = child
    for name in node.exclude:
        if name not in object_type.props and name not in _PRESETS:
            raise ValidationFailed(
                _("Unknown field '%(field)s' on %(type)s.")
                % {"field": name, "type": object_type.name}
            )
        chosen.pop(name, None)
    items: list[tuple[str, Prop, Selection | None]] = []
    for name, child in chosen.items():
        prop = object_type.props[name]
        nested: Selection | None = None
        if prop.kind != "value":
            target = REGISTRY[prop.target]
            # A bare reference is written as {"id": …}, as DHIS2 does.
            nested = resolve(target, child if child is not None else FieldNode({"id": None}))
        elif child is not None and child.include:
            raise ValidationFailed(_("Field '%(field)s' has no sub-fields.") % {"field": name})
        items.append((name, prop, nested))
    return Selection(object_type, tuple(items))


def selection_for(object_type: ObjectType, fields: str | None, *, default: str = "") -> Selection:
    text = fields if fields and fields.strip() else (default or object_type.default_fields)
    return resolve(object_type, parse_fields(text))


# --- Loading and projecting ---------------------------------------------------------------------


def prefetches(selection: Selection, scope: Scope, prefix: str = "") -> list[str | Prefetch]:
    """Every prefetch the selection needs, nested under `prefix`, without duplicates."""
    found: dict[str, str | Prefetch] = {}
    for _name, prop, nested in selection.items:
        if prop.prefetch is None:
            continue
        own = prop.prefetch(scope, prefix)
        for lookup in own:
            key = lookup.prefetch_to if isinstance(lookup, Prefetch) else lookup
            found.setdefault(key, lookup)
        if nested is not None and own:
            last = own[-1]
            path = last.prefetch_to if isinstance(last, Prefetch) else last
            if prop.via is not None:
                path = prefix + prop.via
            for lookup in prefetches(nested, scope, f"{path}__"):
                key = lookup.prefetch_to if isinstance(lookup, Prefetch) else lookup
                found.setdefault(key, lookup)
    return list(found.values())


def project(obj: Any, selection: Selection, ctx: Context) -> dict[str, Any]:
    """The object as a dict holding exactly the selected properties."""
    out: dict[str, Any] = {}
    for name, prop, nested in selection.items:
        value = prop.get(obj, ctx)
        if nested is None:
            out[name] = value
        elif prop.kind == "ref":
            out[name] = None if value is None else project(value, nested, ctx)
        else:
            out[name] = [project(item, nested, ctx) for item in value]
    return out


def project_all(objs: Iterable[Any], selection: Selection, ctx: Context) -> list[dict[str, Any]]:
    return [project(obj, selection, ctx) for obj in objs]
