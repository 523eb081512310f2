"""`export_warehouse` and `haucan warehouse export`: files, columns and totals on small data."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from haucan.analytics import warehouse
from haucan.analytics.engine import run_query
from haucan.analytics.query import parse_query
from haucan.analytics.warehouse import TOTAL_COLUMNS, VALUE_COLUMNS, export_warehouse
from haucan.catalog.models import (
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DataSetElement,
    ValueType,
)
from haucan.catalog.services import create_category_combo, ensure_default_combo
from haucan.config.cli import main
from haucan.core.errors import ValidationFailed
from haucan.core.scope import Scope
from haucan.org.models import Unit
from haucan.reporting.services.values import CellInput, resolve_target, save_values
from haucan.testing import World

SYSTEM = Scope.system("test")
DOCS = Path(__file__).resolve().parents[3] / "docs" / "integrators" / "warehouse.md"


@pytest.fixture
def forms(world: World) -> dict[str, DataSet]:
    default = ensure_default_combo()
    fuel = create_category_combo(
        SYSTEM,
        code="FUEL",
        name="Nhóm xăng dầu",
        categories=[("FUEL_GROUP", "Nhóm xăng dầu", [("A92", "Xăng A92"), ("DO", "Diesel")])],
    )
    elements = {
        "PET_STOCK": DataElement.objects.create(
            code="PET_STOCK",
            name="Tồn cuối kỳ",
            domain="petroleum",
            value_type=ValueType.NUMBER,
            aggregation_type="LAST",
            category_combo=fuel,
        ),
        "PET_ISSUED": DataElement.objects.create(
            code="PET_ISSUED",
            name="Xuất trong kỳ",
            domain="petroleum",
            value_type=ValueType.NUMBER,
            category_combo=default,
        ),
        "PET_NOTE": DataElement.objects.create(
            code="PET_NOTE",
            name="Ghi chú",
            domain="petroleum",
            value_type=ValueType.TEXT,
            category_combo=default,
        ),
    }
    monthly = DataSet.objects.create(
        code="PET_MONTHLY",
        name="Báo cáo tháng",
        domain="petroleum",
        period_type="Monthly",
        category_combo=default,
    )
    quarterly = DataSet.objects.create(
        code="PET_QUARTERLY",
        name="Báo cáo quý",
        domain="petroleum",
        period_type="Quarterly",
        category_combo=default,
    )
    for element in elements.values():
        DataSetElement.objects.create(data_set=monthly, data_element=element)
    DataSetElement.objects.create(data_set=quarterly, data_element=elements["PET_ISSUED"])
    for data_set in (monthly, quarterly):
        data_set.units.add(*Unit.objects.all())
    return {"monthly": monthly, "quarterly": quarterly}


def put(data_set: DataSet, unit: Unit, period: str, cells: list[CellInput]) -> None:
    save_values(SYSTEM, resolve_target(SYSTEM, data_set, unit, period), cells)


@pytest.fixture
def data(world: World, forms: dict[str, DataSet]) -> World:
    """Two years of issues and stock, a quarterly value, a note and a deleted value."""
    a92, diesel = (
        c.uid for c in CategoryOptionCombo.objects.filter(combo__code="FUEL").order_by("sort_order")
    )
    m = forms["monthly"]
    put(m, world.battalion_a, "202412", [CellInput("PET_ISSUED", "7")])
    put(
        m,
        world.battalion_a,
        "202501",
        [
            CellInput("PET_ISSUED", "10.5"),
            CellInput("PET_STOCK", "100", a92),
            CellInput("PET_STOCK", "40", diesel),
            CellInput("PET_NOTE", "Xăng về muộn"),
        ],
    )
    put(
        m,
        world.battalion_b,
        "202501",
        [CellInput("PET_ISSUED", "4"), CellInput("PET_STOCK", "60", a92)],
    )
    put(m, world.regiment_a, "202501", [CellInput("PET_ISSUED", "1")])
    put(
        m,
        world.battalion_a,
        "202502",
        [CellInput("PET_ISSUED", "3"), CellInput("PET_STOCK", "80", a92)],
    )
    put(m, world.battalion_b, "202502", [CellInput("PET_ISSUED", "9")])
    put(m, world.battalion_b, "202502", [CellInput("PET_ISSUED", "")])  # deleted
    put(forms["quarterly"], world.regiment_b, "2025Q1", [CellInput("PET_ISSUED", "50")])
    return world


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_it_writes_one_file_per_year_per_format(data: World, tmp_path: Path) -> None:
    summary = export_warehouse(tmp_path)
    for table in ("values", "monthly_totals"):
        for year in (2024, 2025):
            assert (tmp_path / table / f"year={year}.csv").is_file()
            assert (tmp_path / table / f"year={year}" / "part-0.parquet").is_file()
    assert summary.tables["values"].rows == 11
    assert summary.tables["values"].years == {2024, 2025}
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["values"]["rows"] == 11
    assert [c["name"] for c in manifest["tables"]["monthly_totals"]["columns"]] == [
        name for name, _kind in TOTAL_COLUMNS
    ]


def test_csv_starts_with_a_bom_and_the_documented_header(data: World, tmp_path: Path) -> None:
    export_warehouse(tmp_path, formats=("csv",))
    raw = (tmp_path / "values" / "year=2025.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].decode("utf-8").splitlines()[0].split(",")
    assert header == [name for name, _kind in VALUE_COLUMNS]
    assert not (tmp_path / "values" / "year=2025").exists()  # no Parquet asked for


def test_raw_values_keep_every_live_value_with_its_ancestors(data: World, tmp_path: Path) -> None:
    export_warehouse(tmp_path)
    rows = pq.read_table(tmp_path / "values" / "year=2025" / "part-0.parquet").to_pylist()
    assert len(rows) == 10  # 11 live values, one of them in 2024; the deleted one is left out
    note = next(r for r in rows if r["data_element_code"] == "PET_NOTE")
    assert note["value"] == "Xăng về muộn" and note["numeric_value"] is None
    assert [note[f"level{n}_uid"] for n in range(1, 7)] == [
        data.ministry.uid,
        data.region.uid,
        data.division.uid,
        data.regiment_a.uid,
        data.battalion_a.uid,
        None,
    ]
    assert (note["unit_code"], note["unit_level"], note["unit_identifier"]) == (
        "F324-E1-D1",
        5,
        "024.01.01.G07",
    )
    quarter = next(r for r in rows if r["period"] == "2025Q1")
    assert (quarter["period_type"], str(quarter["period_start"]), str(quarter["period_end"])) == (
        "Quarterly",
        "2025-01-01",
        "2025-03-31",
    )
    issued = sum(r["numeric_value"] for r in rows if r["data_element_code"] == "PET_ISSUED")
    assert issued == 10.5 + 4 + 1 + 3 + 50
    csv_rows = read_csv(tmp_path / "values" / "year=2025.csv")
    assert sorted(r["value"] for r in csv_rows) == sorted(r["value"] for r in rows)
    assert {r["stored_by"] for r in csv_rows} == {"test"}
    assert {r["origin"] for r in csv_rows} == {"ui"}


def test_monthly_totals_match_the_engine_at_every_level(data: World, tmp_path: Path) -> None:
    export_warehouse(tmp_path)
    totals: dict[tuple[str, str, str], float] = defaultdict(float)
    for year in (2024, 2025):
        table = pq.read_table(tmp_path / "monthly_totals" / f"year={year}" / "part-0.parquet")
        for row in table.to_pylist():
            # Both elements here (SUM and LAST) add their option combos' values up.
            totals[(row["data_element_uid"], row["period"], row["unit_uid"])] += row["value"]
    query = parse_query(
        {
            "dimension": [
                "dx:PET_ISSUED;PET_STOCK",
                "pe:202412;202501;202502",
                "ou:LEVEL-1;LEVEL-2;LEVEL-3;LEVEL-4;LEVEL-5",
            ],
        }
    )
    assert dict(totals) == pytest.approx(run_query(SYSTEM, query).value_map())
    # The quarterly value is in the raw table only.
    stock = DataElement.objects.get(code="PET_STOCK").uid
    assert totals[(stock, "202501", data.division.uid)] == 200


def test_monthly_totals_carry_sum_count_min_and_max(data: World, tmp_path: Path) -> None:
    export_warehouse(tmp_path, formats=("csv",))
    rows = read_csv(tmp_path / "monthly_totals" / "year=2025.csv")
    division = next(
        r
        for r in rows
        if (r["data_element_code"], r["unit_code"], r["period"]) == ("PET_ISSUED", "F324", "202501")
    )
    assert (division["value"], division["value_sum"], division["value_count"]) == (
        "15.5",
        "15.5",
        "3",
    )
    assert (division["value_min"], division["value_max"], division["unit_level"]) == (
        "1",
        "10.5",
        "3",
    )
    assert division["aggregation_type"] == "SUM"


def test_a_scoped_export_holds_only_the_scopes_units(
    data: World, tmp_path: Path, scope_of: Callable[[str], Scope]
) -> None:
    export_warehouse(tmp_path, scope=scope_of("clerk_a"))
    values = pq.read_table(tmp_path / "values" / "year=2025" / "part-0.parquet").to_pylist()
    assert {r["unit_code"] for r in values} == {"F324-E1", "F324-E1-D1"}
    totals = pq.read_table(tmp_path / "monthly_totals" / "year=2025" / "part-0.parquet").to_pylist()
    assert {r["unit_code"] for r in totals} == {"F324-E1", "F324-E1-D1"}


def test_rows_are_streamed_in_chunks(
    data: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warehouse, "CHUNK_ROWS", 2)
    export_warehouse(tmp_path)
    parquet = pq.ParquetFile(tmp_path / "values" / "year=2025" / "part-0.parquet")
    assert parquet.metadata.num_row_groups == 5  # 10 rows, 2 per chunk
    assert parquet.metadata.num_rows == 10
    assert len(read_csv(tmp_path / "values" / "year=2025.csv")) == 10


def test_a_new_export_replaces_the_old_tables(data: World, tmp_path: Path) -> None:
    (tmp_path / "values" / "year=1999.csv").parent.mkdir(parents=True)
    (tmp_path / "values" / "year=1999.csv").write_text("stale")
    (tmp_path / "README.txt").write_text("kept")
    export_warehouse(tmp_path)
    assert not (tmp_path / "values" / "year=1999.csv").exists()
    assert (tmp_path / "README.txt").read_text() == "kept"


def test_it_refuses_an_unknown_format(db: None, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed):
        export_warehouse(tmp_path, formats=("xlsx",))


def test_an_empty_database_gives_a_manifest_and_no_year(db: None, tmp_path: Path) -> None:
    summary = export_warehouse(tmp_path)
    assert summary.tables["values"].rows == 0
    assert (tmp_path / "manifest.json").is_file()
    assert not (tmp_path / "values").exists()


def test_the_command_exports_csv(
    data: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["warehouse", "export", "--out", str(tmp_path), "--format", "csv"]) == 0
    assert (tmp_path / "values" / "year=2025.csv").is_file()
    assert not (tmp_path / "values" / "year=2025").exists()
    assert "values: 11 rows in 2 year(s)" in capsys.readouterr().out


def test_the_command_refuses_a_bad_format(
    db: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["warehouse", "export", "--out", str(tmp_path), "--format", "xml"]) == 2
    assert "xml" in capsys.readouterr().err


def test_the_documentation_lists_every_column() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.MULTILINE))
    expected = {name for name, _kind in (*VALUE_COLUMNS, *TOTAL_COLUMNS)}
    assert expected <= documented, sorted(expected - documented)


def test_csv_text_that_looks_like_a_formula_is_neutralised_and_parquet_is_exact(
    data: World, tmp_path: Path
) -> None:
    evil = '=HYPERLINK("http://attacker","x")'
    Unit.objects.filter(pk=data.battalion_a.pk).update(name=evil)
    export_warehouse(tmp_path)
    csv_rows = read_csv(tmp_path / "values" / "year=2025.csv")
    names = {r["unit_name"] for r in csv_rows if r["unit_code"] == "F324-E1-D1"}
    assert names == {"'" + evil}
    rows = pq.read_table(tmp_path / "values" / "year=2025" / "part-0.parquet").to_pylist()
    assert {r["unit_name"] for r in rows if r["unit_code"] == "F324-E1-D1"} == {evil}
    assert all(not r["numeric_value"] or not r["numeric_value"].startswith("'") for r in csv_rows)
