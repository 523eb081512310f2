"""Hygiene and epidemic prevention (vệ sinh phòng dịch): case reports and outbreaks (TT 54/2015)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from haucan.core.ids import generate_uid


class Outbreak(models.Model):
    """An outbreak (ổ dịch) from its discovery to its end, with daily counts."""

    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    disease = models.CharField(_("disease"), max_length=20)
    place = models.CharField(_("place"), max_length=200, blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    measures = models.TextField(_("measures taken"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on"]
        verbose_name = _("outbreak")
        verbose_name_plural = _("outbreaks")

    @property
    def active(self) -> bool:
        return self.ended_on is None


class OutbreakDay(models.Model):
    outbreak = models.ForeignKey(
        Outbreak, verbose_name=_("outbreak"), on_delete=models.CASCADE, related_name="days"
    )
    day = models.DateField(_("day"))
    new_cases = models.PositiveIntegerField(_("new cases"))
    hospitalised = models.PositiveIntegerField(_("hospitalised"), default=0)
    deaths = models.PositiveIntegerField(_("deaths"), default=0)

    class Meta:
        ordering = ["outbreak", "day"]
        verbose_name = _("outbreak day")
        verbose_name_plural = _("outbreak days")
        constraints = [
            models.UniqueConstraint(fields=["outbreak", "day"], name="medical_outbreak_day")
        ]


class CaseReport(models.Model):
    """One case of a notifiable disease (group A within 24 hours)."""

    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    disease = models.CharField(_("disease"), max_length=20)
    group = models.CharField(_("disease group"), max_length=1)
    onset_on = models.DateField(_("onset"))
    reported_at = models.DateTimeField(_("reported at"))
    patient_name = models.CharField(_("patient"), max_length=120, blank=True)
    hospitalised = models.BooleanField(_("hospitalised"), default=False)
    outbreak = models.ForeignKey(
        Outbreak,
        verbose_name=_("outbreak"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    note = models.TextField(_("note"), blank=True)
    reported_by = models.CharField(_("reported by"), max_length=150, blank=True)

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("case report")
        verbose_name_plural = _("case reports")
