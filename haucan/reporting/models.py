"""Aggregate data values and the reporting regime around them (DHIS2's data key, DESIGN.md §5)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from haucan.catalog.models import CategoryOptionCombo, DataElement, DataSet
from haucan.core.ids import generate_uid
from haucan.org.models import Unit


class Origin(models.TextChoices):
    UI = "ui", _("Data entry")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    SOURCE = "source", _("Module source")
    DEMO = "demo", _("Demo data")


class DataValue(models.Model):
    """(data element, option combo, attribute combo, unit, period) → value."""

    data_element = models.ForeignKey(DataElement, on_delete=models.PROTECT)
    period = models.CharField(_("period"), max_length=20)
    period_start = models.DateField()
    period_end = models.DateField()
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT)
    category_option_combo = models.ForeignKey(
        CategoryOptionCombo, on_delete=models.PROTECT, related_name="+"
    )
    attribute_option_combo = models.ForeignKey(
        CategoryOptionCombo, on_delete=models.PROTECT, related_name="+"
    )
    value = models.TextField(_("value"))
    # The parsed number of a numeric value, so aggregation never parses text.
    numeric_value = models.FloatField(null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    follow_up = models.BooleanField(_("follow up"), default=False)
    stored_by = models.CharField(max_length=150)
    origin = models.CharField(max_length=10, choices=Origin, default=Origin.UI)
    # The module that derived the value (for Origin.SOURCE), shown beside a read-only cell.
    source = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(db_index=True)
    deleted = models.BooleanField(default=False)
    # Incremented on every write; a client sends the version it saw to detect stale edits.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "data_element",
                    "period",
                    "unit",
                    "category_option_combo",
                    "attribute_option_combo",
                ],
                name="datavalue_key",
            )
        ]
        indexes = [
            models.Index(fields=["unit", "period"], name="datavalue_unit_period"),
            models.Index(fields=["data_element", "period_start"], name="datavalue_de_start"),
            # A unit's own values of some elements (analytics reads these for every target).
            models.Index(
                fields=["unit", "data_element", "period_start"], name="datavalue_unit_de_start"
            ),
        ]


class AuditAction(models.TextChoices):
    CREATE = "CREATE", _("Created")
    UPDATE = "UPDATE", _("Updated")
    DELETE = "DELETE", _("Deleted")


class DataValueAudit(models.Model):
    """Every create, update and delete of a value, written in the same transaction."""

    data_value = models.ForeignKey(DataValue, on_delete=models.CASCADE, related_name="audits")
    action = models.CharField(max_length=10, choices=AuditAction)
    previous_value = models.TextField(null=True, blank=True)
    value = models.TextField(null=True, blank=True)
    comment = models.TextField(blank=True)
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField(db_index=True)
    origin = models.CharField(max_length=10, choices=Origin)

    class Meta:
        ordering = ["-changed_at", "-id"]


class CompleteRegistration(models.Model):
    """A form submitted ("Nộp báo cáo") for a unit and period, and whether it was on time."""

    data_set = models.ForeignKey(DataSet, on_delete=models.PROTECT)
    period = models.CharField(max_length=20)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT)
    attribute_option_combo = models.ForeignKey(
        CategoryOptionCombo, on_delete=models.PROTECT, related_name="+"
    )
    is_complete = models.BooleanField(default=True)
    completed_at = models.DateTimeField()
    completed_by = models.CharField(max_length=150)
    on_time = models.BooleanField()
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.CharField(max_length=150, blank=True)
    reopen_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["data_set", "period", "unit", "attribute_option_combo"],
                name="completeregistration_key",
            )
        ]
        indexes = [models.Index(fields=["data_set", "period"], name="completion_ds_period")]


class ApprovalWorkflow(models.Model):
    """Which forms are approved, per which period type, at which unit levels (bottom-up)."""

    uid = models.CharField(max_length=11, unique=True, default=generate_uid)
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=230)
    period_type = models.CharField(_("period type"), max_length=20)
    data_sets = models.ManyToManyField(DataSet, related_name="approval_workflows", blank=True)

    class Meta:
        verbose_name = _("approval workflow")
        verbose_name_plural = _("approval workflows")

    def __str__(self) -> str:
        return self.name


class ApprovalLevel(models.Model):
    workflow = models.ForeignKey(ApprovalWorkflow, on_delete=models.CASCADE, related_name="levels")
    depth = models.PositiveSmallIntegerField(_("unit level"))
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["workflow_id", "-depth"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "depth"], name="approvallevel_unique")
        ]


class DataApproval(models.Model):
    """The data of `unit`'s subtree for a workflow and period is approved (duyệt) at `unit`."""

    workflow = models.ForeignKey(ApprovalWorkflow, on_delete=models.CASCADE)
    period = models.CharField(max_length=20)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT)
    attribute_option_combo = models.ForeignKey(
        CategoryOptionCombo, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField()
    approved_by = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "period", "unit", "attribute_option_combo"],
                name="dataapproval_key",
            )
        ]


class MinMaxLimit(models.Model):
    """Soft bounds for one (element, unit, option combo), set by hand or generated from history."""

    data_element = models.ForeignKey(DataElement, on_delete=models.CASCADE)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE)
    category_option_combo = models.ForeignKey(
        CategoryOptionCombo, on_delete=models.CASCADE, related_name="+"
    )
    minimum = models.FloatField(_("minimum"))
    maximum = models.FloatField(_("maximum"))
    generated = models.BooleanField(default=False)
    method = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["data_element", "unit", "category_option_combo"], name="minmax_key"
            ),
            models.CheckConstraint(
                condition=models.Q(minimum__lte=models.F("maximum")), name="minmax_ordered"
            ),
        ]


class ValueChange(models.Model):
    """The outbox of numeric value changes, written in the same transaction as the change.

    The analytics engine consumes and deletes these rows before it answers a query, so every
    write path is reflected without a batch job. A row with `reset=True` asks for a full rebuild
    (bulk loads write one instead of a row per value)."""

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
