from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def client() -> Client:
    """API messages follow Accept-Language (Vietnamese by default); these tests read English."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")
