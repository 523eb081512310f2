"""The append-only, hash-chained audit log (DESIGN.md §7, ADR 0003 and 0062)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnly(Exception):
    """Raised when code tries to change or delete an audit row through the ORM."""


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit events are never updated")

    def delete(self) -> NoReturn:
        raise AppendOnly("audit events are never deleted")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("at"), db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object"), max_length=64, db_index=True)
    detail = models.JSONField(_("detail"), default=dict)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("audit events are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit events are never deleted")


class AuditHead(models.Model):
    """One row holding the newest hash; locking it serialises writers so the chain never forks.

    `signature` is an HMAC (keyed by the secret key) over the count and the last hash, so cutting
    events off the end of the chain and rewriting the head to match is detected as well.
    """

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)
    signature = models.CharField(max_length=64, blank=True, default="")
    # The local day of the newest checkpoint: the first event of a new day writes one.
    checkpoint_day = models.DateField(null=True, blank=True)


class AuditCheckpoint(models.Model):
    """A recorded, signed head of the chain: verification can start from the newest one."""

    created_at = models.DateTimeField(_("created at"))
    event_id = models.BigIntegerField(_("last event"))
    count = models.BigIntegerField(_("events"))
    hash = models.CharField(_("hash"), max_length=64)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["event_id"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
