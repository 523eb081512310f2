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

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "unit", "period", "key"], name="alert_one_per_condition"
            )
        ]
        indexes = [models.Index(fields=["status", "severity"], name="alert_status_severity")]

    def __str__(self) -> str:
        return f"{self.code} · {self.unit_id} · {self.period}"

    @property
    def is_active(self) -> bool:
        return self.status != AlertStatus.RESOLVED
