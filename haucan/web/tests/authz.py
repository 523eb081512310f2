"""The machinery of the authorization matrix (test_authorization_matrix.py).

`endpoints()` walks the URL configuration (every URLPattern, through nested includes, the API's
operations included) and cross-checks the API part against the OpenAPI schema. Each endpoint
carries its declared AccessRule (haucan.core.access) or None.

URL arguments come from a registry of object kinds keyed by the collection noun before the
parameter ("units/<uid>" is a unit, "forms/<uid>" a data set, "tokens/<token_id>" a token…),
so a new endpoint whose parameters have a known kind is covered without touching this file. Each
kind gives objects inside and outside the personas' scopes (the one of Trung đoàn 1, the one of
Trung đoàn 2) with the personas that may see each.

A domain module (barracks, medical, petroleum…) brings its own kinds, objects and finer checks in
`haucan/<module>/tests/authz_objects.py`, found by name (`plugins()`): the web app never imports
a domain module (import-linter), and each module's engineers keep its part next to its code.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from haucan.accounts import tokens
from haucan.catalog.models import (
    Category,
    CategoryCombo,
    CategoryOption,
    CategoryOptionCombo,
    Indicator,
    NormSet,
    OptionSet,
    ValidationRule,
)
from haucan.catalog.services import add_norm
from haucan.core.access import AccessRule, area_of, rule_of
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Scope
from haucan.dashboards import services as dashboards
from haucan.exchange.metadata_types import user_uid
from haucan.exchange.models import ImportJob
from haucan.org.models import UnitGroup
from haucan.reporting.services.values import CellInput, resolve_target, save_values
from haucan.testing import World, build_fuel_form

PERSONAS = ("anonymous", "clerk_a", "clerk_b", "commander", "specialist", "admin")
SIGNED_IN = PERSONAS[1:]
# Who sees what belongs to each regiment: its clerk, and the staff whose subtree holds it
# (the commander's division, the specialist's and the administrator's whole army).
ABOVE = frozenset({"commander", "specialist", "admin"})
SEES_A = frozenset({"clerk_a"}) | ABOVE
SEES_B = frozenset({"clerk_b"}) | ABOVE
EVERYONE = frozenset(SIGNED_IN)

# Text that only the owning regiment's staff may ever read (a comment on a value): a response to
# the other clerk containing it is a leak, whatever the endpoint.
SECRET = {"a": "BÍ-MẬT-E1-7f3a", "b": "BÍ-MẬT-E2-9c4d"}


# --- enumeration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    route: str  # Django route without the leading slash, e.g. "units/<str:uid>/edit/"
    name: str  # namespaced URL name ("org:edit") or the API operation's function
    view: str  # dotted name of the view function
    api: bool
    method: str  # the API operation's method; "" for an HTML view (its methods are unknown)
    rule: AccessRule | None
    area: str | None  # the declared area (prefix) the route lies in, e.g. "django-admin/"
    params: tuple[tuple[str, str], ...]  # (name, converter) in route order

    @property
    def label(self) -> str:
        method = f"{self.method} " if self.method else ""
        return f"{method}/{self.route} ({self.view})"


_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _path_view(callback: Any) -> Any:
    """django-ninja's PathView behind an API URL pattern (its view closes over it)."""
    for cell in getattr(callback, "__closure__", None) or ():
        if type(cell.cell_contents).__name__ == "PathView":
            return cell.cell_contents
    return None


def _dotted(func: Any) -> str:
    inner = func
    while getattr(inner, "__wrapped__", None) is not None:
        inner = inner.__wrapped__
    target = getattr(inner, "view_class", None) or inner
    module = getattr(target, "__module__", "?")
    return f"{module}.{getattr(target, '__qualname__', type(target).__name__)}"


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            yield prefix + str(pattern.pattern), namespace, pattern


def endpoints() -> list[Endpoint]:
    found: dict[tuple[str, str], Endpoint] = {}
    for route, namespace, pattern in _walk(get_resolver().url_patterns):
        params = tuple((m["name"], m["conv"] or "str") for m in _PARAM.finditer(route))
        area = area_of(route)
        path_view = _path_view(pattern.callback)
        if path_view is not None:
            for operation in path_view.operations:
                for method in operation.methods:
                    func = operation.view_func
                    found[(route, method)] = Endpoint(
                        route,
                        f"api:{func.__name__}",
                        _dotted(func),
                        True,
                        method,
                        rule_of(func),
                        None,
                        params,
                    )
            continue
        callback = pattern.callback
        found[(route, "")] = Endpoint(
            route,
            f"{namespace}{pattern.name or ''}",
            _dotted(callback),
            route.startswith("api/"),
            "",
            area[1] if area else rule_of(callback),
            area[0] if area else None,
            params,
        )
    return sorted(found.values(), key=lambda e: (e.route, e.method))


def schema_operations() -> set[tuple[str, str]]:
    """(route with `{}` for parameters, METHOD) of every operation in the OpenAPI schema."""
    from haucan.config.api import api

    schema = api.get_openapi_schema()
    out = set()
    for path, item in schema["paths"].items():
        shape = re.sub(r"\{[^}]+\}", "{}", path.lstrip("/"))
        for method in item:
            out.add((shape, method.upper()))
    return out


def route_shape(route: str) -> str:
    return _PARAM.sub("{}", route)


# --- objects -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One value for a URL parameter or query placeholder: `owner` is the regiment it belongs to
    ("a", "b") or "" for global metadata; `visible` the personas inside its scope."""

    kind: str
    value: str
    owner: str
    visible: frozenset[str]
    domain: str = ""


@dataclass
class Objects:
    """The objects of the matrix world: one per regiment where the kind is scoped."""

    world: World
    period: str
    cases: dict[str, list[Case]] = field(default_factory=dict)
    # Text only some personas may read, with who they are: each regiment's comment, the uid and
    # code of the battalion inside it, a domain's records, a patient's name (a response to anyone
    # else containing it leaks, whatever the endpoint).
    secrets: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    def of(self, kind: str) -> list[Case]:
        return self.cases[kind]

    def secret(self, text: str, readers: frozenset[str]) -> None:
        self.secrets.append((text, readers))


def _scoped(kind: str, a: str, b: str, domain: str = "") -> list[Case]:
    return [Case(kind, a, "a", SEES_A, domain), Case(kind, b, "b", SEES_B, domain)]


def _global(kind: str, value: str, domain: str = "") -> list[Case]:
    return [Case(kind, value, "", EVERYONE, domain)]


def build_objects(world: World) -> Objects:
    """Give every kind its objects: values and comments for both regiments, a token, a shared
    dashboard and an import job per clerk, and one of each catalog object."""
    system = Scope.system("authorization matrix")
    form = build_fuel_form([world.regiment_a, world.regiment_b])
    period = period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id
    from haucan.accounts.queries import resolve_scope

    for name, unit, owner in (
        ("clerk_a", world.regiment_a, "a"),
        ("clerk_b", world.regiment_b, "b"),
    ):
        scope = resolve_scope(world.user(name))
        target = resolve_target(scope, form.data_set, unit, period)
        save_values(
            scope,
            target,
            [CellInput("PET_ISSUED", "12", comment=SECRET[owner]), CellInput("PET_NOTE", "x")],
        )
    objects = Objects(world, period)
    for text in (SECRET["a"], world.battalion_a.uid, world.battalion_a.code):
        objects.secret(text, SEES_A)
    for text in (SECRET["b"], world.battalion_b.uid, world.battalion_b.code):
        objects.secret(text, SEES_B)
    c = objects.cases
    c["unit"] = _scoped("unit", world.regiment_a.uid, world.regiment_b.uid)
    c["form"] = _global("form", form.data_set.uid, "petroleum")
    c["period"] = _global("period", period)
    c["element"] = _global("element", form.issued.uid, "petroleum")
    c["combo"] = _global("combo", CategoryCombo.objects.get(code="FUEL").uid)
    c["option"] = _global("option", CategoryOption.objects.order_by("pk").first().uid)  # type: ignore[union-attr]
    c["option_combo"] = _global(
        "option_combo",
        CategoryOptionCombo.objects.order_by("pk").first().uid,  # type: ignore[union-attr]
    )
    c["category"] = _global("category", Category.objects.get(code="FUEL_GROUP").uid)
    c["option_set"] = _global(
        "option_set", OptionSet.objects.create(code="OS_T", name="Bộ chọn").uid
    )
    group = UnitGroup.objects.create(code="UG_T", name="Nhóm đơn vị thử")
    group.units.add(world.regiment_a, world.regiment_b)
    c["unit_group"] = _global("unit_group", group.uid)

    indicator = Indicator.objects.create(
        code="IND_T", name="Chỉ tiêu thử", numerator="#{PET_ISSUED}", domain="petroleum"
    )
    c["indicator"] = _global("indicator", indicator.uid, "petroleum")
    rule = ValidationRule.objects.create(
        code="VR_T",
        name="Quy tắc thử",
        period_type="Monthly",
        left="#{PET_ISSUED}",
        right="0",
        operator="greater_than_or_equal_to",
        domain="petroleum",
    )
    c["rule"] = _global("rule", rule.uid, "petroleum")
    norms = NormSet.objects.create(code="NS_T", name="Định mức thử", domain="petroleum")
    add_norm(
        system,
        norms,
        item_code="A92",
        item_name="Xăng A92",
        unit_of_measure="lít",
        value="10",
        valid_from=date(2020, 1, 1),
    )
    c["norm_set"] = _global("norm_set", norms.uid, "petroleum")

    # Tokens are their owner's alone (the administrator may revoke any).
    token_a, _ = tokens.create_token(
        resolve_scope(world.clerk_a), world.clerk_a, "token A", expires_at=None
    )
    token_b, _ = tokens.create_token(
        resolve_scope(world.clerk_b), world.clerk_b, "token B", expires_at=None
    )
    c["token"] = [
        Case("token", str(token_a.pk), "a", frozenset({"clerk_a", "admin"})),
        Case("token", str(token_b.pk), "b", frozenset({"clerk_b", "admin"})),
    ]

    # A dashboard shared with each regiment, with one chart item each.
    boards: list[str] = []
    items: list[str] = []
    for owner, unit in (("a", world.regiment_a), ("b", world.regiment_b)):
        vis = dashboards.create_visualization(
            system,
            dashboards.VisualizationSpec(
                code=f"V_{owner}",
                name=f"Biểu đồ {owner}",
                type="column",
                query={"dx": ["PET_ISSUED"], "pe": [period], "ou": [unit.uid], "rows": ["ou"]},
                domain="general",
            ),
        )
        board = dashboards.create_dashboard(system, code=f"DB_{owner}", name=f"Bảng {owner}")
        dashboards.add_item(system, board, vis)
        dashboards.share(system, vis, units=[unit.uid])
        dashboards.share(system, board, units=[unit.uid])
        boards.append(board.uid)
        items.append(vis.uid)
    c["dashboard"] = _scoped("dashboard", *boards)
    c["item"] = _scoped("item", *items)  # a dashboard item is addressed by its chart
    c["export_format"] = _global("export_format", "csv")

    # An asynchronous import per clerk: its summary is the submitter's (and the admin's).
    jobs = [
        ImportJob.objects.create(
            user=world.user(name), username=name, format="json", payload_path="", summary={}
        ).uid
        for name in ("clerk_a", "clerk_b")
    ]
    c["import_job"] = [
        Case("import_job", jobs[0], "a", frozenset({"clerk_a", "admin"})),
        Case("import_job", jobs[1], "b", frozenset({"clerk_b", "admin"})),
    ]
    c["user"] = [
        Case("user", user_uid(world.clerk_a.pk), "a", SEES_A),
        Case("user", user_uid(world.clerk_b.pk), "b", SEES_B),
    ]
    c["unit_code"] = _scoped("unit_code", world.regiment_a.code, world.regiment_b.code)
    for plugin in plugins():
        plugin.build(world, objects)
    return objects


# The kind of a URL parameter: by the collection noun before it ("units/<uid>"), then by its name.
PARAM_KINDS: dict[tuple[str, str], str] = {
    ("units", "uid"): "unit",
    ("elements", "uid"): "element",
    ("forms", "uid"): "form",
    ("indicators", "uid"): "indicator",
    ("rules", "uid"): "rule",
    ("norms", "uid"): "norm_set",
    ("dashboards", "uid"): "dashboard",
    ("item", "uid"): "item",
    ("tokens", "token_id"): "token",
    # The API's collections (DHIS2 names).
    ("organisationUnits", "uid"): "unit",
    ("dataElements", "uid"): "element",
    ("dataSets", "uid"): "form",
    ("categoryCombos", "uid"): "combo",
    ("categoryOptions", "uid"): "option",
    ("categories", "uid"): "category",
    ("categoryOptionCombos", "uid"): "option_combo",
    ("validationRules", "uid"): "rule",
    ("optionSets", "uid"): "option_set",
    ("organisationUnitGroups", "uid"): "unit_group",
    ("users", "uid"): "user",
    ("DATAVALUE_IMPORT", "uid"): "import_job",
}
PARAM_NAMES: dict[str, str] = {"fmt": "export_format", "period": "period", "unit_uid": "unit"}


def param_kind(endpoint: Endpoint, name: str) -> str | None:
    kinds = dict(PARAM_KINDS)
    for plugin in plugins():
        kinds.update(plugin.PARAM_KINDS)
    before = endpoint.route.split(f"<{name}>")[0]
    if f"<{name}>" not in endpoint.route:
        conv = dict(endpoint.params)[name]
        before = endpoint.route.split(f"<{conv}:{name}>")[0]
    noun = before.rstrip("/").rsplit("/", 1)[-1] if before.strip("/") else ""
    return kinds.get((noun, name)) or PARAM_NAMES.get(name)


@dataclass(frozen=True)
class Target:
    """One concrete request of an endpoint: the URL (with query) and the objects it names."""

    url: str
    data: dict[str, str]
    cases: tuple[Case, ...]
    body: str = ""  # a JSON body (the API's writes), sent instead of the form `data`
    posted: tuple[int, ...] = ()  # which `cases` the body alone names (a GET does not send it)

    def visible_to(self, persona: str) -> bool:
        return all(persona in case.visible for case in self.cases)

    def visible_in_url(self, persona: str) -> bool:
        return all(
            persona in case.visible for i, case in enumerate(self.cases) if i not in self.posted
        )

    def owner(self) -> str:
        return next((case.owner for case in self.cases if case.owner), "")


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(route: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values[m["name"]], route)


def _put(text: str, values: dict[str, str]) -> str:
    """`text` with each {placeholder} replaced (JSON's own braces left alone)."""
    return _PLACEHOLDER.sub(lambda m: values[m[1]], text)


def targets(
    endpoint: Endpoint, objects: Objects, query: str | None, body: str | None
) -> list[Target] | None:
    """The requests to make of `endpoint`: one per combination of the regiments' objects (the
    global kinds have one object). None when a parameter has no known kind."""
    kinds: list[tuple[str, str]] = []  # (placeholder, kind)
    for name, _conv in endpoint.params:
        kind = param_kind(endpoint, name)
        if kind is None:
            return None
        kinds.append((name, kind))
    body_only: set[str] = set()
    for text in (query or "", body or ""):
        for name in _PLACEHOLDER.findall(text):
            if name not in dict(kinds):
                kinds.append((name, name))
                if text is body:
                    body_only.add(name)
    choices = [objects.of(kind) for _name, kind in kinds]
    out = []
    for combo in itertools.product(*choices):
        owners = {case.owner for case in combo if case.owner}
        if len(owners) > 1:
            continue  # mixing the regiments' objects tests nothing the single ones do not
        values = {name: case.value for (name, _kind), case in zip(kinds, combo, strict=True)}
        route = _fill(endpoint.route, values)
        url = "/" + route + ("?" + _put(query, values) if query else "")
        posted = tuple(i for i, (name, _kind) in enumerate(kinds) if name in body_only)
        if body and body.startswith("{"):
            out.append(Target(url, {}, tuple(combo), _put(body, values), posted))
            continue
        data = dict(pair.split("=", 1) for pair in _put(body, values).split("&")) if body else {}
        out.append(Target(url, data, tuple(combo), posted=posted))
    return out


Predicate = Callable[[str, Target], bool]


@dataclass(frozen=True)
class Finer:
    """A check a view makes past its declaration: `allows(scope, target)`; refused with
    `refusal`; `first` when the view makes it before looking the objects up (so it answers
    403 even for an object outside the scope); `writes` when only its POST makes it (a page that
    shows to VIEW and changes on ENTER)."""

    allows: Callable[[Scope, Target], bool]
    refusal: str = "forbidden"
    first: bool = False
    writes: bool = False


# --- the domain modules' objects -------------------------------------------------------------


@dataclass(frozen=True)
class Plugin:
    """What a domain module adds to the matrix, from its `tests/authz_objects.py` (found by
    name, so the web app's code never imports a domain module): the kinds of its URL
    parameters, a `build(world, objects)` making its objects through its own services, and the
    finer checks, queries, bodies and counted tables of its views."""

    name: str
    PARAM_KINDS: dict[tuple[str, str], str]
    build: Callable[[World, Objects], None]
    FINER: dict[str, Finer]
    QUERIES: dict[str, list[str]]
    BODIES: dict[str, str]
    COUNTED: list[Any]
    # Registers whose filter naming an object outside the scope is dropped (the actor's own
    # rows are listed; the secrets prove nothing else is shown).
    LISTS: frozenset[str]
    # Forms that answer an object outside the scope named in the posted body ("unknown unit
    # code") with the form and its error rather than 404; the table counts prove nothing was
    # written.
    FORM_ERRORS: frozenset[str]


_PLUGINS: list[Plugin] | None = None


def plugins() -> list[Plugin]:
    """Every installed app's `tests.authz_objects` module, once."""
    global _PLUGINS
    if _PLUGINS is None:
        import importlib
        import importlib.util

        from django.apps import apps

        found = []
        for config in apps.get_app_configs():
            name = f"{config.name}.tests.authz_objects"
            if not config.name.startswith("haucan.") or config.name == "haucan.web":
                continue
            try:
                spec = importlib.util.find_spec(name)
            except ModuleNotFoundError:
                spec = None
            if spec is None:
                continue
            module = importlib.import_module(name)
            found.append(
                Plugin(
                    name,
                    getattr(module, "PARAM_KINDS", {}),
                    module.build,
                    getattr(module, "FINER", {}),
                    getattr(module, "QUERIES", {}),
                    getattr(module, "BODIES", {}),
                    getattr(module, "COUNTED", []),
                    frozenset(getattr(module, "LISTS", ())),
                    frozenset(getattr(module, "FORM_ERRORS", ())),
                )
            )
        _PLUGINS = found
    return _PLUGINS
