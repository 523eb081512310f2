"""Tables the analytics engine maintains from the raw values (ADR 0005)."""

from __future__ import annotations

from django.db import models


class UnitAncestor(models.Model):
    """Closure of today's tree: `ancestor` is a strict ancestor of `unit`."""

    unit_id = models.BigIntegerField()
    ancestor_id = models.BigIntegerField()
    ancestor_depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit_id", "ancestor_id"], name="unitancestor_key")
        ]
        indexes = [models.Index(fields=["ancestor_id"], name="unitancestor_ancestor")]


class Rollup(models.Model):
    """The aggregate of the values of a unit's strict descendants, per stored period and combo.

    A unit's subtree total is its rollup plus its own values; keeping the unit's own values out
    means leaves (most units) need no rollup rows at all."""

    data_element_id = models.BigIntegerField()
    category_option_combo_id = models.BigIntegerField()
    attribute_option_combo_id = models.BigIntegerField()
    unit_id = models.BigIntegerField()
    period = models.CharField(max_length=20)
    period_start = models.DateField()
    period_end = models.DateField()
    total = models.FloatField()
    count = models.BigIntegerField()
    minimum = models.FloatField(null=True)
    maximum = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "data_element_id",
                    "category_option_combo_id",
                    "attribute_option_combo_id",
                    "unit_id",
                    "period",
                ],
                name="rollup_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["data_element_id", "unit_id", "period_start"], name="rollup_de_unit_start"
            )
        ]


class StagedChange(models.Model):
    """Value changes taken from reporting's outbox and being applied (cleared in the same
    transaction)."""

    data_element_id = models.BigIntegerField(null=True)
    category_option_combo_id = models.BigIntegerField(null=True)
    attribute_option_combo_id = models.BigIntegerField(null=True)
    unit_id = models.BigIntegerField(null=True)
    period = models.CharField(max_length=20, blank=True)
    period_start = models.DateField(null=True)
    period_end = models.DateField(null=True)
    old_number = models.FloatField(null=True)
    new_number = models.FloatField(null=True)
    reset = models.BooleanField(default=False)


class StagedKey(models.Model):
    """The rollup cells a staged batch touches, so follow-up statements visit only those."""

    data_element_id = models.BigIntegerField()
    category_option_combo_id = models.BigIntegerField()
    attribute_option_combo_id = models.BigIntegerField()
    unit_id = models.BigIntegerField()
    period = models.CharField(max_length=20)
    # The lowest and highest value that went away or was replaced in the cell (NULL: none). The
    # cell's minimum (maximum) can only be stale when one of them reached it (store.py).
    old_minimum = models.FloatField(null=True)
    old_maximum = models.FloatField(null=True)
    stale_minimum = models.BooleanField(default=False)
    stale_maximum = models.BooleanField(default=False)


class RollupState(models.Model):
    """One row: the last unit link applied, and when the rollups were last rebuilt."""

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1)
    link_watermark = models.BigIntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True)
