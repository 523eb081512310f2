"""Asynchronous imports: the payload waits on disk, a django-tasks job imports it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from haucan.core.ids import generate_uid


class ImportJob(models.Model):
    """One `POST /api/dataValueSets?async=true`; its summary is served by the task endpoint."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting")
        RUNNING = "RUNNING", _("Running")
        COMPLETED = "COMPLETED", _("Completed")
        FAILED = "FAILED", _("Failed")

    uid = models.CharField(max_length=11, unique=True, default=generate_uid)
    job_type = models.CharField(max_length=40, default="DATAVALUE_IMPORT")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    format = models.CharField(max_length=10)
    charset = models.CharField(max_length=40, blank=True)
    options = models.JSONField(default=dict)  # strategy, dry_run, id schemes
    payload_path = models.CharField(max_length=500)
    summary = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["status", "created_at"], name="importjob_status")]

    def __str__(self) -> str:
        return f"{self.job_type} {self.uid} ({self.status})"
