from __future__ import annotations

from typing import Any

from django.db import migrations

from haucan.barracks.classifications import seed


def forwards(apps: Any, schema_editor: Any) -> None:
    seed(
        apps.get_model("barracks", "LandPurpose"),
        apps.get_model("barracks", "BuildingType"),
        apps.get_model("barracks", "DurabilityClass"),
        apps.get_model("barracks", "ConditionLevel"),
    )


class Migration(migrations.Migration):
    dependencies = [("barracks", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
