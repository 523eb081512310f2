"""`force=true`: an administrator may write over locks (expired period, submitted report); nobody
else may, and every forced import names the locks it overrode in the audit trail."""

from __future__ import annotations

import base64
import json

import pytest
from django.utils import timezone

from haucan.audit.models import AuditEvent
from haucan.catalog.models import CategoryOptionCombo, DataElement
from haucan.core.errors import PermissionDenied
from haucan.core.periods import PeriodType, period_of
from haucan.reporting.models import CompleteRegistration, DataValue
from haucan.reporting.services.imports import ImportRow, import_values
from haucan.testing import PASSWORD, FuelForm, World, build_fuel_form


@pytest.fixture
def fuel(world: World) -> FuelForm:
    form = build_fuel_form([world.regiment_a, world.regiment_b])
    form.data_set.expiry_days = 1
    form.data_set.save()
    return form


def _old() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).shift(-3).id


def _basic(name: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()


def _issued(world: World) -> list[str]:
    return list(
        DataValue.objects.filter(
            data_element__code="PET_ISSUED", unit=world.regiment_a, deleted=False
        ).values_list("value", flat=True)
    )


def test_an_administrator_forces_a_value_into_a_locked_period_and_it_is_audited(
    world, scope_of, fuel
):
    row = ImportRow("PET_ISSUED", _old(), "F324-E1", "5")
    refused = import_values(scope_of("admin"), [row], id_scheme="code")
    assert refused["conflicts"][0]["errorCode"] == "E7604"

    summary = import_values(scope_of("admin"), [row], id_scheme="code", force=True)
    assert summary["status"] == "SUCCESS", summary
    assert _issued(world) == ["5"]
    event = AuditEvent.objects.get(action="reporting.values.forced_import")
    assert event.detail["force"] is True
    assert event.detail["locks_overridden"] == [f"E7604 Báo cáo xăng dầu tháng {_old()}"]
    assert event.detail["locks_overridden_count"] == 1
    assert event.detail["imported"] == 1


def test_a_forced_import_over_no_lock_is_audited_as_a_plain_import(world, scope_of, fuel):
    last = period_of(timezone.localdate(), PeriodType.MONTHLY).id  # the open month
    import_values(
        scope_of("admin"),
        [ImportRow("PET_ISSUED", last, "F324-E1", "5")],
        id_scheme="code",
        force=True,
    )
    assert AuditEvent.objects.filter(action="reporting.values.import").count() == 1
    assert not AuditEvent.objects.filter(action="reporting.values.forced_import").exists()


def test_force_writes_over_a_submitted_report(world, scope_of):
    form = build_fuel_form([world.regiment_a])
    pe = period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id
    CompleteRegistration.objects.create(
        data_set=form.data_set,
        period=pe,
        unit=world.regiment_a,
        attribute_option_combo=CategoryOptionCombo.objects.get(code="default"),
        completed_at=timezone.now(),
        completed_by="clerk_a",
        on_time=True,
    )
    row = ImportRow("PET_ISSUED", pe, "F324-E1", "7")
    assert import_values(scope_of("admin"), [row], id_scheme="code")["status"] == "ERROR"
    summary = import_values(scope_of("admin"), [row], id_scheme="code", force=True)
    assert summary["status"] == "SUCCESS"
    event = AuditEvent.objects.get(action="reporting.values.forced_import")
    assert event.detail["locks_overridden"] == [
        f"E7606 Báo cáo xăng dầu tháng {pe} {world.regiment_a.path}"
    ]


def test_only_an_administrator_may_force(world, scope_of, fuel):
    row = ImportRow("PET_ISSUED", _old(), "F324-E1", "5")
    for name in ("clerk_a", "commander", "specialist"):
        with pytest.raises(PermissionDenied):
            import_values(scope_of(name), [row], id_scheme="code", force=True)
    assert _issued(world) == []


def test_a_forced_dry_run_writes_nothing_and_audits_nothing(world, scope_of, fuel):
    row = ImportRow("PET_ISSUED", _old(), "F324-E1", "5")
    summary = import_values(scope_of("admin"), [row], id_scheme="code", force=True, dry_run=True)
    assert summary["status"] == "SUCCESS"
    assert summary["importCount"]["imported"] == 1
    assert _issued(world) == []
    assert not AuditEvent.objects.filter(action__startswith="reporting.values").exists()


def test_force_does_not_open_a_closed_unit(world, scope_of, fuel):
    world.regiment_a.closed_on = period_of(timezone.localdate(), PeriodType.MONTHLY).shift(-5).start
    world.regiment_a.save()
    row = ImportRow("PET_ISSUED", _old(), "F324-E1", "5")
    summary = import_values(scope_of("admin"), [row], id_scheme="code", force=True)
    assert summary["conflicts"][0]["errorCode"] == "E7602"


# --- through the API -----------------------------------------------------------------------


def _post(client, name: str, query: str, body: str):
    return client.post(
        f"/api/dataValueSets?{query}",
        data=body.encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(name),
    )


def _payload(world: World) -> str:
    value = {
        "dataElement": DataElement.objects.get(code="PET_ISSUED").uid,
        "period": _old(),
        "orgUnit": world.regiment_a.uid,
        "value": "9",
    }
    return json.dumps({"dataValues": [value]})


def test_the_api_lets_an_administrator_force_and_refuses_a_clerk_with_403(world, client, fuel):
    refused = _post(client, "clerk_a", "force=true", _payload(world))
    assert refused.status_code == 403
    assert refused.json()["message"] == "Only an administrator may force an import over locks."
    assert _issued(world) == []

    locked = _post(client, "admin", "", _payload(world))
    assert locked.status_code == 409
    forced = _post(client, "admin", "force=true", _payload(world))
    assert forced.status_code == 200, forced.json()
    assert _issued(world) == ["9"]
    assert AuditEvent.objects.filter(
        action="reporting.values.forced_import", actor="admin"
    ).exists()


def test_post_data_value_refuses_force_for_a_clerk(world, client, fuel):
    response = client.post(
        f"/api/dataValues?de=x&pe={_old()}&ou={world.regiment_a.uid}&value=1&force=true",
        HTTP_AUTHORIZATION=_basic("clerk_a"),
    )
    assert response.status_code == 403


# --- through the CLI -----------------------------------------------------------------------


def test_haucan_import_force_writes_over_the_lock_as_the_system_and_refuses_a_clerk(
    world, fuel, tmp_path, capsys
):
    from haucan.config.cli import main

    path = tmp_path / "values.json"
    path.write_text(_payload(world), encoding="utf-8")
    assert main(["import", str(path), "--user", "clerk_a", "--force"]) != 0
    assert "Only an administrator" in capsys.readouterr().err
    assert _issued(world) == []
    assert main(["import", str(path), "--force"]) == 0
    assert _issued(world) == ["9"]
