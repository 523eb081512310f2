"""The shipped demo dashboards: their codes resolve against the demo catalog, they load twice
without change, and every item draws on a small demo army for the commander."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client

from haucan.accounts.models import User
from haucan.core.scope import Scope
from haucan.dashboards.models import ChartType, Dashboard, DashboardItem, Visualization
from haucan.dashboards.services import DEMO_PATH, load_demo_dashboards

CATALOG = Path(__file__).resolve().parents[2] / "demo" / "data" / "catalog.json"


def _documents() -> tuple[dict, dict]:
    return json.loads(DEMO_PATH.read_text("utf-8")), json.loads(CATALOG.read_text("utf-8"))


def test_every_code_resolves_against_the_demo_catalog():
    doc, catalog = _documents()
    elements = {e["code"] for e in catalog["dataElements"]}
    indicators = {i["code"] for i in catalog["indicators"]}
    forms = {f["code"] for f in catalog["dataSets"]}
    categories = {c["code"]: set(c["categoryOptions"]) for c in catalog["categories"]}
    for vis in doc["visualizations"]:
        assert vis["type"] in ChartType.values, vis["code"]
        for dx in vis["query"]["dx"]:
            form, _dot, metric = dx.partition(".")
            known = dx in elements or dx in indicators or (form in forms and metric)
            assert known, f"{vis['code']}: {dx}"
        for category, options in vis["query"].get("categories", {}).items():
            assert category in categories, vis["code"]
            assert set(options) <= categories[category]
    codes = {v["code"] for v in doc["visualizations"]}
    names = {d["code"] for d in doc["dashboards"]}
    assert names == {"DB_TONG_QUAN", "DB_XANG_DAU", "DB_DOANH_TRAI", "DB_QUAN_Y"}
    for board in doc["dashboards"]:
        assert {i["visualization"] for i in board["items"]} <= codes


def test_loading_twice_changes_nothing(db):
    first = load_demo_dashboards(Scope.system("demo"))
    second = load_demo_dashboards(Scope.system("demo"))

    assert first == second
    assert Dashboard.objects.count() == 4
    assert Visualization.objects.count() == first.visualizations == 25
    assert DashboardItem.objects.count() == first.items


@pytest.fixture(scope="module")
def demo_army(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    from haucan.demo.loader import load_demo

    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        load_demo(months=2, seed=7)
        load_demo_dashboards(Scope.system("demo"))
        yield
        transaction.set_rollback(True)


@pytest.mark.usefixtures("demo_army")
def test_every_demo_item_draws_for_the_commander(db):
    client = Client()
    client.force_login(User.objects.get(username="commander"))
    failures = []
    drawn_with_data = 0
    for item in DashboardItem.objects.select_related("visualization"):
        body = client.get(f"/dashboards/item/{item.visualization.uid}/data/").json()
        if not body.get("ok"):
            failures.append((item.visualization.code, body))
        elif body["kind"] == "html" or not body["figure"]["layout"].get("annotations"):
            drawn_with_data += 1
    assert failures == []
    assert drawn_with_data >= 15  # two months of demo data fill most items
