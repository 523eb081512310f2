"""Alerts (cảnh báo tự động): one row per condition, cycling open → acknowledged → resolved.

A condition is (code, unit, period, key): the rule or domain event that found it, the unit and
period it concerns, and a discriminator for conditions of the same code on one unit (a tank, a lot,
a building). The unique constraint on those four columns is the deduplication: the same condition
can never have two alerts, so raising it again while open only refreshes it, and raising it after
it was resolved reopens the same row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from haucan.catalog.models import (
    PERIOD_TYPE_CHOICES,
    DataElement,
    DataSet,
    Indicator,
    ValidationRule,
)
from haucan.core.scope import DOMAIN_CHOICES, Domain
from haucan.org.models import Unit


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class AlertKind(models.TextChoices):
    THRESHOLD = "threshold", _("Threshold")
    VALIDATION = "validation", _("Validation rule")
    OUTLIER = "outlier", _("Outlier")
    LATE = "late", _("Late or missing report")
    EVENT = "event", _("Domain event")


class Alert(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind)
    code = models.CharField(_("rule or event"), max_length=100)
    key = models.CharField(max_length=100, blank=True, default="")
    severity = models.CharField(_("severity"), max_length=10, choices=Severity)
    domain = models.CharField(
        _("domain"), max_length=20, choices=DOMAIN_CHOICES, default=Domain.GENERAL
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE)
    # A DHIS2 period id ("202401"), or "" for a condition that is not tied to a period.
    period = models.CharField(_("period"), max_length=20, blank=True, default="")
    message = models.TextField(_("message"))
    values = models.JSONField(_("values"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=20, choices=AlertStatus, default=AlertStatus.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledge_note = models.TextField(_("note"), blank=True, default="")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_alerts",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    times_reopened = models.PositiveIntegerField(_("times reopened"), default=0)
    rule = models.ForeignKey(
        "AlertRule",
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "unit", "period", "key"], name="alert_one_per_condition"
            )
        ]
        indexes = [
            models.Index(fields=["status", "severity"], name="alert_status_severity"),
            models.Index(fields=["code", "status"], name="alert_code_status"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.unit_id} · {self.period}"

    @property
    def is_active(self) -> bool:
        return self.status != AlertStatus.RESOLVED


RuleKind = AlertKind  # a rule's kind is the kind of the alerts it raises


class OutlierMethod(models.TextChoices):
    ZSCORE = "zscore", _("Modified z-score (median and MAD)")
    MINMAX = "minmax", _("Min-max limits")


class Comparison(models.TextChoices):
    LT = "<", _("less than")
    LE = "<=", _("less than or equal to")
    GT = ">", _("greater than")
    GE = ">=", _("greater than or equal to")
    EQ = "==", _("equal to")
    NE = "!=", _("not equal to")


class AlertRule(models.Model):
    """A rule that finds conditions (quy tắc cảnh báo). Its `code` is the alerts' condition code,
    stable across versions; every change bumps `version` and keeps the previous state in
    AlertRuleVersion, so an alert can say which version of the rule raised it."""

    code = models.CharField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=230)
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind)
    domain = models.CharField(
        _("domain"), max_length=20, choices=DOMAIN_CHOICES, default=Domain.GENERAL
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity, default=Severity.WARNING
    )
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Threshold: the left expression (or an indicator's formula), compared with the right one.
    expression = models.TextField(_("expression"), blank=True, default="")
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    operator = models.CharField(
        _("operator"), max_length=2, choices=Comparison, blank=True, default=""
    )
    compare_to = models.TextField(_("compared with"), blank=True, default="")
    levels = models.JSONField(_("unit levels"), default=list, blank=True)
    period_type = models.CharField(
        _("period type"), max_length=20, choices=PERIOD_TYPE_CHOICES, blank=True, default=""
    )
    # Validation and late reports: the form; validation may name one rule (else all of the form).
    data_set = models.ForeignKey(
        DataSet,
        verbose_name=_("form"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    validation_rule = models.ForeignKey(
        ValidationRule,
        verbose_name=_("validation rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Outliers: the elements watched, the method and its threshold, the history length.
    elements = models.ManyToManyField(
        DataElement, verbose_name=_("data elements"), blank=True, related_name="+"
    )
    method = models.CharField(
        _("method"), max_length=10, choices=OutlierMethod, blank=True, default=""
    )
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    history = models.PositiveSmallIntegerField(_("periods of history"), default=12)
    lookback = models.PositiveSmallIntegerField(_("periods checked"), default=2)
    # Domain events: the event code this rule configures (severity and recipients).
    event_code = models.CharField(_("event code"), max_length=100, blank=True, default="")
    message = models.TextField(_("message template"), blank=True, default="")
    # Recipients: roles at the unit and up to `levels_up` levels above it, plus specialists.
    notify_roles = models.JSONField(_("roles to notify"), default=list, blank=True)
    levels_up = models.PositiveSmallIntegerField(_("levels above the unit"), default=3)
    notify_specialists = models.BooleanField(_("notify the domain's specialists"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["domain", "name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        indexes = [models.Index(fields=["kind", "active"], name="alertrule_kind_active")]

    def __str__(self) -> str:
        return self.name


class AlertRuleVersion(models.Model):
    """The state of a rule as it was at one version (its history)."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["rule_id", "-version"]
        verbose_name = _("alert rule version")
        verbose_name_plural = _("alert rule versions")
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="alertrule_one_per_version")
        ]


class AlertTransition(models.Model):
    """One step of an alert's life (open, reopen, acknowledge, assign, resolve)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("action"), max_length=20)
    status = models.CharField(_("status"), max_length=20, choices=AlertStatus)
    by = models.CharField(_("by"), max_length=150)
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        ordering = ["alert_id", "at", "pk"]
        verbose_name = _("alert transition")
        verbose_name_plural = _("alert transitions")


class EmailMode(models.TextChoices):
    OFF = "off", _("No e-mail")
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("Daily digest")


class Notification(models.Model):
    """An alert delivered to one user's inbox (in-app, always), and whether it was e-mailed."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_notifications"
    )
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed = models.BooleanField(_("e-mailed"), default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="notification_one_per_user")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference"
    )
    email_mode = models.CharField(
        _("e-mail"), max_length=10, choices=EmailMode, default=EmailMode.IMMEDIATE
    )
    minimum_severity = models.CharField(
        _("lowest severity e-mailed"), max_length=10, choices=Severity, default=Severity.WARNING
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class EmailDelivery(models.Model):
    """One e-mail to one address, with every attempt recorded; retried with backoff."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.CharField(_("address"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    kind = models.CharField(_("kind"), max_length=10, choices=EmailMode)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail delivery")
        verbose_name_plural = _("e-mail deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]


class ScheduledJob(models.Model):
    """A periodic job of the worker's scheduler; `next_run_at` is claimed with a conditional
    UPDATE, so two workers never enqueue the same run."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")


class MetadataStamp(models.Model):
    """One row whose `value` changes, by database triggers, with every write to a catalog table
    or an alert rule (migration 0003): an evaluation keeps the rules and the catalog it read
    while the stamp it read them under is unchanged (haucan.alerts.evaluation.metadata)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("metadata stamp")
        verbose_name_plural = _("metadata stamps")
