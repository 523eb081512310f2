"""Classification tables that barracks specialists edit (data, not code): purposes of land use,
building types, durability classes with their service-life ranges, and condition levels.

Each row names the category option or data element of the barracks report forms it feeds, so a
specialist can add a class without a code change; a row with no report mapping is kept in the
registry but left out of the forms' breakdown (it still counts in the totals)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LandPurpose(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    report_option = models.CharField(
        _("report category option"), max_length=50, blank=True, help_text=_("e.g. DAT_DOANH_TRAI")
    )
    combined_use = models.BooleanField(_("combined defence-economic use"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("purpose of land use")
        verbose_name_plural = _("purposes of land use")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class BuildingType(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    report_element = models.CharField(
        _("report data element"), max_length=50, blank=True, help_text=_("e.g. CT_NHA_O")
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("building type")
        verbose_name_plural = _("building types")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class DurabilityClass(models.Model):
    """Bậc niên hạn (QCVN 03:2012/BXD): class I more than 100 years, II 50–100, III 20–50, IV
    under 20. A building's service life must fall within its class's range."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=120)
    min_years = models.PositiveSmallIntegerField(_("shortest service life (years)"))
    max_years = models.PositiveSmallIntegerField(
        _("longest service life (years)"), null=True, blank=True
    )
    default_years = models.PositiveSmallIntegerField(_("default service life (years)"))
    report_option = models.CharField(_("report category option"), max_length=50, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("durability class")
        verbose_name_plural = _("durability classes")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class ConditionLevel(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    report_option = models.CharField(_("report category option"), max_length=50, blank=True)
    dangerous = models.BooleanField(_("dangerous"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("condition level")
        verbose_name_plural = _("condition levels")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name
