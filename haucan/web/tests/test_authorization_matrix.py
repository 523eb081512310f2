"""The authorization matrix: every endpoint × persona × object inside and outside the scope.

It walks the URL configuration and the OpenAPI schema (haucan/web/tests/authz.py), so a new view
is covered the moment it is routed: it fails here by name until it declares its access rule
(haucan.core.access), and its URL parameters are filled from the registry of object kinds.

For each endpoint and persona the expected outcome follows from the declaration and the objects:
anonymous → the login page (HTML) or 401 (API); a persona the rule refuses → 403; an object
outside the persona's scope → 404; otherwise the page answers (2xx/3xx), or 405 for a POST-only
view, whose refusals are then checked by POSTing (anonymous and every persona that must be
refused), comparing table counts before and after (the audit log's among them, so a refused
update shows too). No response may contain a secret its persona may not read: the other
regiment's comment, sites, depots and documents, or a patient's name outside the care chain.

The domain modules bring their objects and finer checks in `haucan/<module>/tests/
authz_objects.py` (authz.plugins()). Two refusals besides 404 are theirs to declare: a register
whose filter names another regiment's unit drops the filter (LISTS), and a form answering another
regiment's code in its body with a field error (FORM_ERRORS), both proven by the secrets and the
unchanged table counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.test import Client

from haucan.accounts.models import ApiToken, Assignment, User
from haucan.accounts.queries import resolve_scope
from haucan.audit.models import AuditEvent
from haucan.catalog.models import DataElement, DataSet, Indicator, Norm, ValidationRule
from haucan.core.access import AccessRule
from haucan.core.scope import Action, Domain, Scope
from haucan.dashboards.models import Dashboard, DashboardItem, Visualization
from haucan.exchange.models import ImportJob
from haucan.org.models import Unit
from haucan.reporting.models import (
    CompleteRegistration,
    DataApproval,
    DataValue,
    DataValueAudit,
)
from haucan.testing import World
from haucan.web.tests import authz
from haucan.web.tests.authz import Endpoint, Finer, Objects, Target

# Views whose declaration another branch adds (it owns those files): checked here for the
# outcomes that hold whatever they declare (anonymous refused, out-of-scope objects not found,
# never a 5xx). Once one of them declares a rule, the exemption is stale and fails below.
PENDING: dict[str, str] = {}

# Parameters no registry kind fills, with the reason (an unlisted one fails).
UNFILLED: dict[str, str] = {
    "django-admin/": "Django admin: the declared area is checked on its index and changelists",
}

# Extra requests of views that read their objects from the query (GET) or the body (POST).
QUERIES: dict[str, list[str]] = {
    "entry": ["ds={form}&ou={unit}&pe={period}"],
    "entry_cell": ["ds={form}&ou={unit}&pe={period}&de=PET_ISSUED"],
    "completeness": ["ds={form}&ou={unit}&pe={period}"],
    "approval": ["ds={form}&ou={unit}&pe={period}"],
    "value_audit": ["ou={unit}&pe={period}"],
    "dashboards:dashboard": ["ou={unit}"],
    "org:search": ["q=Trung"],
    "api:get_data_value_sets": ["dataSet={form}&orgUnit={unit}&period={period}"],
    "api:get_data_value": ["de={element}&ou={unit}&pe={period}"],
    "api:post_data_value": ["de={element}&ou={unit}&pe={period}&value=5"],
    "api:delete_data_value": ["de={element}&ou={unit}&pe={period}"],
    "api:get_registrations": ["dataSet={form}&orgUnit={unit}&period={period}"],
    "exchange:template": ["ds={form}&ou={unit}&pe={period}"],
    "api:analytics": ["dimension=dx:PET_ISSUED&dimension=pe:{period}&filter=ou:{unit}"],
}
BODIES: dict[str, str] = {
    "entry_save": "ds={form}&ou={unit}&pe={period}&de=PET_ISSUED&value=99",
    "entry_submit": "ds={form}&ou={unit}&pe={period}",
    "entry_validate": "ds={form}&ou={unit}&pe={period}",
    "entry_reopen": "ds={form}&ou={unit}&pe={period}&reason=x",
    "approval_action": "ds={form}&ou={unit}&pe={period}&action=approve",
    "minmax": "ds={form}&ou={unit}",
    "org:create_child": "name=X&code=X1&opened_on=01/01/2024",
    "org:edit": "name=X&code=X1",
    "org:move": "parent={unit}&on=01/01/2024",
    "org:close": "closed_on=01/01/2024",
    "accounts:token_revoke": "",
    "dashboards:builder_save": "code=VX&name=X&type=column",
    "dashboards:create": "code=DX&name=X",
}


def _can(action: Action, domain: Domain | None = None) -> Callable[[Scope, Target], bool]:
    if domain is None:
        return lambda scope, target: scope.can_any(action)
    return lambda scope, target: scope.can(action, domain)


_ADMINISTER = Finer(lambda scope, target: scope.can(Action.ADMINISTER))
_DESIGN_PETROLEUM = Finer(_can(Action.DESIGN, Domain.PETROLEUM))
# The entry screens know only the forms the actor may enter: the others are not found.
_ENTER = Finer(_can(Action.ENTER, Domain.PETROLEUM), "not_found")

FINER: dict[str, Finer] = {
    "org:create_child": _ADMINISTER,
    "org:edit": _ADMINISTER,
    "org:move": _ADMINISTER,
    "org:close": _ADMINISTER,
    "catalog:element_edit": _DESIGN_PETROLEUM,
    "catalog:data_set_edit": _DESIGN_PETROLEUM,
    "catalog:indicator_edit": _DESIGN_PETROLEUM,
    "catalog:rule_edit": _DESIGN_PETROLEUM,
    "catalog:norm_add": _DESIGN_PETROLEUM,
    "dashboards:builder": Finer(_can(Action.DESIGN), first=True),
    "dashboards:builder_preview": Finer(_can(Action.DESIGN), first=True),
    "dashboards:builder_save": Finer(_can(Action.DESIGN), first=True),
    "entry": Finer(
        lambda scope, t: not t.cases or scope.can(Action.ENTER, Domain.PETROLEUM), "not_found"
    ),
    # Without the query the cell panel has no form: not found for everyone.
    "entry_cell": Finer(
        lambda scope, t: bool(t.cases) and scope.can(Action.ENTER, Domain.PETROLEUM), "not_found"
    ),
    # Without a form the template is not found (the exchange page with the error).
    "exchange:template": Finer(lambda scope, t: bool(t.cases), "not_found"),
    "minmax": Finer(
        lambda scope, t: scope.can_any(Action.DESIGN) or scope.can_any(Action.APPROVE), first=True
    ),
}

# The domain modules' own entries (haucan/<module>/tests/authz_objects.py).
LISTS: set[str] = set()
FORM_ERRORS: set[str] = set()
for _plugin in authz.plugins():
    FINER.update(_plugin.FINER)
    QUERIES.update(_plugin.QUERIES)
    BODIES.update(_plugin.BODIES)
    LISTS |= _plugin.LISTS
    FORM_ERRORS |= _plugin.FORM_ERRORS

# DHIS2's single-value writes answer a value outside the user's hierarchy with a 409 import
# conflict (as DHIS2 does), not 404: accepted as the refusal, the table counts proving nothing
# was written.
CONFLICT_IS_NOT_FOUND = {"api:post_data_value", "api:delete_data_value"}

# How a declared area refuses a signed-in persona its rule refuses (the Django admin sends
# them to its own login page).
AREA_REFUSAL = {"django-admin/": "login"}


def _counts() -> dict[str, int]:
    models: list[type[Model] | QuerySet[Any]] = [
        Unit,
        User,
        ApiToken.objects.filter(revoked_at__isnull=False),
        DataValue.objects.filter(deleted=True),
        DataValueAudit,
        Assignment,
        ApiToken,
        DataValue,
        CompleteRegistration,
        DataApproval,
        DataElement,
        DataSet,
        Indicator,
        ValidationRule,
        Norm,
        Dashboard,
        DashboardItem,
        Visualization,
        ImportJob,
        AuditEvent,
    ]
    for plugin in authz.plugins():
        models += plugin.COUNTED
    counts = {}
    for model in models:
        if isinstance(model, QuerySet):
            counts[f"{model.model.__name__} {model.query}"] = model.count()
        else:
            counts[model.__name__] = model._default_manager.count()
    return counts


def _pending(endpoint: Endpoint) -> str | None:
    return next((why for prefix, why in PENDING.items() if endpoint.view.startswith(prefix)), None)


@pytest.fixture(scope="module")
def all_endpoints() -> list[Endpoint]:
    return authz.endpoints()


# --- declarations ------------------------------------------------------------------------------


def test_every_endpoint_declares_its_access_rule(all_endpoints: list[Endpoint]) -> None:
    undeclared = [e.label for e in all_endpoints if e.rule is None and not _pending(e)]
    assert not undeclared, "Endpoints without an access declaration:\n" + "\n".join(undeclared)


def test_pending_exemptions_are_still_needed(all_endpoints: list[Endpoint]) -> None:
    """An exemption whose branch has landed (any of its views declares) must go, so that all of
    that branch's endpoints are held to their declarations."""
    stale = {
        prefix
        for e in all_endpoints
        if e.rule is not None
        for prefix in PENDING
        if e.view.startswith(prefix)
    }
    assert not stale, f"Remove these PENDING exemptions, their views now declare: {sorted(stale)}"


def test_the_enumeration_holds_every_operation_of_the_openapi_schema(
    all_endpoints: list[Endpoint],
) -> None:
    enumerated = {(authz.route_shape(e.route), e.method) for e in all_endpoints if e.method}
    missing = authz.schema_operations() - enumerated
    assert not missing, f"Operations in the OpenAPI schema but not in the URL walk: {missing}"
    assert len(enumerated) >= 50  # the DHIS2 API is there, not an empty walk


def test_every_url_parameter_has_an_object_kind(all_endpoints: list[Endpoint]) -> None:
    unfilled = [
        f"{e.label}: <{name}>"
        for e in all_endpoints
        if not any(e.route.startswith(prefix) for prefix in UNFILLED)
        for name, _conv in e.params
        if authz.param_kind(e, name) is None
    ]
    assert not unfilled, (
        "URL parameters without an object kind (add one to authz.PARAM_KINDS, or list the "
        "endpoint in UNFILLED with the reason):\n" + "\n".join(unfilled)
    )


def test_every_finer_check_query_and_body_names_a_routed_endpoint(
    all_endpoints: list[Endpoint],
) -> None:
    """A misspelt or stale name would silently check nothing (a refused write never posted)."""
    names = {e.name for e in all_endpoints}
    tables: dict[str, set[str]] = {
        "FINER": set(FINER),
        "QUERIES": set(QUERIES),
        "BODIES": set(BODIES),
        "LISTS": LISTS,
        "FORM_ERRORS": FORM_ERRORS,
    }
    stale = [
        f"{table}[{name!r}]"
        for table, entries in tables.items()
        for name in entries
        if name not in names
    ]
    assert not stale, f"Entries naming no routed endpoint: {stale}"


# --- the matrix --------------------------------------------------------------------------------


@dataclass
class Tally:
    checks: int = 0

    def ok(self) -> None:
        self.checks += 1


class Matrix:
    def __init__(self, world: World, objects: Objects) -> None:
        self.world = world
        self.objects = objects
        self.clients: dict[str, Client] = {}
        self.scopes: dict[str, Scope] = {}
        for persona in authz.PERSONAS:
            client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
            if persona != "anonymous":
                user = world.user(persona)
                client.force_login(user)
                self.scopes[persona] = resolve_scope(user)
            self.clients[persona] = client
        self.tally = Tally()
        self.failures: list[str] = []

    def fail(self, endpoint: Endpoint, persona: str, target: Target, what: str) -> None:
        self.failures.append(f"{endpoint.label} as {persona} at {target.url}: {what}")

    def expect(self, endpoint: Endpoint, persona: str, target: Target, method: str) -> str:
        """'login', 'forbidden', 'not_found' or 'allowed' ('public': anything but a login
        redirect or a server error)."""
        rule = endpoint.rule or AccessRule("login")  # pending: see `check`
        if rule.kind == "public":
            return "public"
        if persona == "anonymous":
            return "login"
        scope = self.scopes[persona]
        if not rule.allows_scope(scope):
            return AREA_REFUSAL.get(endpoint.area or "", "forbidden")
        finer = FINER.get(endpoint.name)
        if finer is not None and finer.writes and method == "GET":
            finer = None
        if finer is not None and finer.first and not finer.allows(scope, target):
            return finer.refusal
        if not target.visible_in_url(persona):
            return "allowed" if endpoint.name in LISTS else "not_found"
        if method != "GET" and not target.visible_to(persona):
            return "refused" if endpoint.name in FORM_ERRORS else "not_found"
        if finer is not None and not finer.allows(scope, target):
            return finer.refusal
        return "allowed"

    def request(self, endpoint: Endpoint, persona: str, target: Target, method: str) -> Any:
        client = self.clients[persona]
        if method == "GET":
            return client.get(target.url)
        if method == "DELETE":
            return client.delete(target.url)
        if target.body:
            return client.post(target.url, target.body, content_type="application/json")
        return client.post(target.url, target.data)

    def outcome(self, endpoint: Endpoint, response: HttpResponse) -> str:
        status = response.status_code
        if status == 401:  # the API, and the JSON endpoints among the pages (json=True)
            return "login"
        location = response.get("Location", "")
        if status == 302 and location.startswith(
            (settings.LOGIN_URL, "/django-admin/login/", "/login/")
        ):
            return "login"
        if status == 403:
            return "forbidden"
        if status == 404:
            return "not_found"
        if status == 405:
            return "method"
        if status >= 500:
            return f"error {status}"
        if status == 409:
            return "conflict"
        if status == 400:
            return "allowed"  # past the access checks, refused on the content
        if status >= 400:
            return f"client error {status}"
        return "allowed"

    def check(self, endpoint: Endpoint, persona: str, target: Target, method: str) -> None:
        expected = self.expect(endpoint, persona, target, method)
        if expected in ("allowed", "public") and method != "GET":
            return  # the matrix proves refusals of writes; a permitted write would change the world
        before = _counts() if method != "GET" else None
        response = self.request(endpoint, persona, target, method)
        got = self.outcome(endpoint, response)
        if got == "conflict":
            dhis2_refusal = expected == "not_found" and endpoint.name in CONFLICT_IS_NOT_FOUND
            got = "not_found" if dhis2_refusal else "allowed"
        self._leaks(endpoint, persona, target, response)
        if before is not None and expected != "allowed" and _counts() != before:
            self.fail(endpoint, persona, target, f"refused {method} changed the database")
        if endpoint.rule is None:
            # Pending declaration: only what holds whatever the rule will be.
            hidden = expected == "not_found" and got == "forbidden"
            if expected in ("login", "not_found") and got != expected and not hidden:
                self.fail(endpoint, persona, target, f"expected {expected}, got {got}")
                return
            if got.startswith("error"):
                self.fail(endpoint, persona, target, got)
                return
            self.tally.ok()
            return
        if expected == "public":
            if got == "login" or got.startswith("error"):
                self.fail(endpoint, persona, target, f"public, got {got}")
                return
            self.tally.ok()
            return
        if got == "method" and method == "GET":
            # A POST-only view: the GET said nothing beyond the rule, the POSTs below decide.
            # The declaration is checked before the method; the view's finer checks after.
            if persona == "anonymous" or not endpoint.rule.allows_scope(self.scopes[persona]):
                self.fail(endpoint, persona, target, f"expected {expected} before 405")
                return
            self.tally.ok()
            return
        if expected == "refused":
            if got not in ("not_found", "forbidden", "allowed"):
                self.fail(endpoint, persona, target, f"expected a refusal, got {got}")
                return
            self.tally.ok()
            return
        if got != expected and not (
            expected == "not_found" and got == "forbidden" and not target.cases
        ):
            self.fail(endpoint, persona, target, f"expected {expected}, got {got}")
            return
        self.tally.ok()

    def _leaks(
        self, endpoint: Endpoint, persona: str, target: Target, response: HttpResponse
    ) -> None:
        hidden = [text for text, readers in self.objects.secrets if persona not in readers]
        if not hidden or getattr(response, "streaming", False):
            return
        text = response.content.decode(errors="replace")
        shown = [secret for secret in hidden if secret in text]
        if shown:
            self.fail(endpoint, persona, target, f"shows {shown}, which it may not read")
        else:
            self.tally.ok()


def _methods(endpoint: Endpoint) -> list[str]:
    return [endpoint.method] if endpoint.method else ["GET"]


def _targets(endpoint: Endpoint, objects: Objects) -> list[Target]:
    found: list[Target] = []
    bare = authz.targets(endpoint, objects, None, BODIES.get(endpoint.name))
    assert bare is not None
    found += bare
    for query in QUERIES.get(endpoint.name, []):
        found += authz.targets(endpoint, objects, query, None) or []
    return found


# The Django admin area: its index and one changelist per app stand for the whole area.
ADMIN_SAMPLES = ("django-admin/", "django-admin/org/unit/", "django-admin/accounts/user/")


def test_authorization_matrix(world: World, all_endpoints: list[Endpoint]) -> None:
    objects = authz.build_objects(world)
    matrix = Matrix(world, objects)
    checked = 0
    for endpoint in all_endpoints:
        if endpoint.route.startswith("django-admin/") and endpoint.route not in ADMIN_SAMPLES:
            continue
        if endpoint.route.startswith("api/") and not endpoint.api:
            continue  # the API's own pages (schema, docs), public by declaration
        checked += 1
        posting = endpoint.name in BODIES or endpoint.method in ("POST", "DELETE", "PUT")
        for target in _targets(endpoint, objects):
            for method in _methods(endpoint):
                for persona in authz.PERSONAS:
                    matrix.check(endpoint, persona, target, method)
            if posting and not endpoint.method:
                for persona in authz.PERSONAS:
                    matrix.check(endpoint, persona, target, "POST")
    assert not matrix.failures, f"{len(matrix.failures)} failures:\n" + "\n".join(matrix.failures)
    assert checked >= 60
    RESULT["checks"] = matrix.tally.checks
    RESULT["endpoints"] = checked


RESULT: dict[str, int] = {}
