from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from haucan.accounts.models import User
from haucan.accounts.queries import resolve_scope
from haucan.core.scope import Scope
from haucan.testing import World, build_world


@pytest.fixture(autouse=True)
def _fast_passwords(settings: object) -> None:
    # Argon2 is the production hasher (tested in accounts); tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _optional_second_factor(settings: object) -> None:
    # Browser tests of every app sign in through the login form as any persona; the obligation
    # of a second factor for admin/specialist is switched on by the tests that exercise it
    # (haucan/accounts/tests). Production keeps HAUCAN_MFA_ENFORCED=true.
    settings.HAUCAN_MFA_ENFORCED = False  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _english_messages() -> object:
    # Service messages are asserted in English (the msgids); views tests choose their language.
    with translation.override("en"):
        yield


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def scope_of(world: World) -> Callable[[str], Scope]:
    def resolve(name: str) -> Scope:
        return resolve_scope(world.user(name))

    return resolve


@pytest.fixture
def login(world: World, client: Client) -> Callable[[str], Client]:
    def as_user(name: str) -> Client:
        user: User = world.user(name)
        client.force_login(user)
        return client

    return as_user


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # The authorization matrix reports how many endpoint × persona × object checks it made
    # (issue 10 §2); printed here so it shows with -q, when that test ran.
    import sys

    module = sys.modules.get("haucan.web.tests.test_authorization_matrix")
    result = getattr(module, "RESULT", None)
    if result:
        terminalreporter.write_line(
            f"authorization matrix: {result['checks']} endpoint × persona × object checks "
            f"passed over {result['endpoints']} endpoints"
        )
