"""The barracks dashboard (data/dashboard.json), loaded through the dashboards service."""

from __future__ import annotations

import json
from pathlib import Path

from haucan.core.scope import Scope
from haucan.dashboards.services import LoadSummary, load_dashboards

PATH = Path(__file__).parent / "data" / "dashboard.json"
CODE = "DB_DOANH_TRAI_SO_DANG_KY"


def load_dashboard(scope: Scope) -> LoadSummary:
    """Create or refresh the barracks registry dashboard (idempotent)."""
    return load_dashboards(scope, json.loads(PATH.read_text(encoding="utf-8")))
