"""The metadata stamp and the triggers that change it (haucan.alerts.stamp, ADR 0020)."""

from django.db import migrations, models


def create_triggers(apps, schema_editor):
    # The live module, on purpose: the triggers are made again after every migrate anyway
    # (haucan.alerts.stamp.on_post_migrate), this only makes them exist from this migration on.
    from haucan.alerts.stamp import ensure_triggers

    ensure_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    from haucan.alerts.stamp import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0002_rules_notifications"),
        ("catalog", "0003_alter_indicator_denominator_description_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="MetadataStamp",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("value", models.CharField(max_length=32)),
            ],
            options={"verbose_name": "metadata stamp", "verbose_name_plural": "metadata stamps"},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
