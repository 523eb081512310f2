"""Issue 5's "done when": a DHIS2 client, with nothing but HTTP and Basic auth against a running
server, lists the units, posts a data value set, reads a value back and deletes it."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.utils import timezone

from haucan.core.periods import PeriodType, period_of
from haucan.testing import PASSWORD, build_fuel_form

pytestmark = pytest.mark.django_db(transaction=True)


class Dhis2Client:
    """What DHIS2 scripts do: urllib, Basic auth, JSON in and out."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base = base_url.rstrip("/") + "/api"
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        url = self.base + path  # always the live server: http://localhost:port/api/…
        request = urllib.request.Request(url, data, headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        return status, (json.loads(raw) if raw else None)


def test_a_dhis2_client_lists_units_posts_reads_back_and_deletes(live_server, world):
    form = build_fuel_form([world.regiment_a])
    month = period_of(timezone.localdate(), PeriodType.MONTHLY).id
    dhis2 = Dhis2Client(live_server.url, "clerk_a", PASSWORD)

    status, info = dhis2.call("GET", "/system/info.json")
    assert status == 200 and info["systemName"] == "Hậu Cần Số"

    status, page = dhis2.call(
        "GET", "/organisationUnits.json?fields=id,name,level&filter=level:eq:4&paging=false"
    )
    assert status == 200
    assert page["organisationUnits"] == [
        {"id": world.regiment_a.uid, "name": "Trung đoàn 1", "level": 4}
    ]

    value_set = {
        "dataSet": form.data_set.uid,
        "period": month,
        "orgUnit": world.regiment_a.uid,
        "dataValues": [
            {"dataElement": form.issued.uid, "value": "42.5"},
            {"dataElement": form.note.uid, "value": "Đủ dự trữ"},
        ],
    }
    status, summary = dhis2.call("POST", "/dataValueSets", value_set)
    assert status == 200, summary
    assert summary["status"] == "SUCCESS"
    assert summary["importCount"] == {"imported": 2, "updated": 0, "ignored": 0, "deleted": 0}

    key = f"de={form.issued.uid}&pe={month}&ou={world.regiment_a.uid}"
    status, value = dhis2.call("GET", f"/dataValues?{key}")
    assert status == 200 and value["value"] == "42.5"

    status, _ = dhis2.call("DELETE", f"/dataValues?{key}")
    assert status == 204
    status, gone = dhis2.call("GET", f"/dataValues?{key}")
    assert status == 404 and gone["status"] == "ERROR"

    # The same script with clerk_b's credentials sees none of it.
    outsider = Dhis2Client(live_server.url, "clerk_b", PASSWORD)
    status, _ = outsider.call("GET", f"/organisationUnits/{world.regiment_a.uid}")
    assert status == 404
