"""Barracks buildings (công trình nhà): description, life, condition and value."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from haucan.barracks.models.classification import BuildingType, ConditionLevel, DurabilityClass
from haucan.barracks.models.land import LandSite
from haucan.org.models import Unit


class BuildingGrade(models.TextChoices):
    SPECIAL = "DB", _("Special grade")
    I = "I", _("Grade I")  # noqa: E741
    II = "II", _("Grade II")
    III = "III", _("Grade III")
    IV = "IV", _("Grade IV")


class Building(models.Model):
    site = models.ForeignKey(
        LandSite, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("site")
    )
    # The site's managing unit, kept on the row so the summaries group 100,000 buildings by unit
    # without a join; services keep it equal to site.unit.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", editable=False)
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    search_name = models.CharField(max_length=400, db_index=True, editable=False)
    type = models.ForeignKey(BuildingType, on_delete=models.PROTECT, verbose_name=_("type"))
    grade = models.CharField(
        pgettext_lazy("building", "grade"), max_length=5, choices=BuildingGrade, blank=True
    )
    durability = models.ForeignKey(
        DurabilityClass, on_delete=models.PROTECT, verbose_name=_("durability class")
    )
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)
    built_area = models.DecimalField(_("built area (m²)"), max_digits=14, decimal_places=2)
    floor_area = models.DecimalField(_("floor area (m²)"), max_digits=14, decimal_places=2)
    capacity = models.PositiveIntegerField(_("capacity (people)"), default=0)
    purpose = models.CharField(_("purpose of use"), max_length=200, blank=True)
    year_built = models.PositiveSmallIntegerField(_("year built"))
    year_in_service = models.PositiveSmallIntegerField(_("year in service"))
    service_life_years = models.PositiveSmallIntegerField(_("service life (years)"))
    end_of_life_year = models.PositiveSmallIntegerField(_("end of life (year)"), editable=False)
    condition = models.ForeignKey(
        ConditionLevel, on_delete=models.PROTECT, verbose_name=_("condition")
    )
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    last_major_repair_year = models.PositiveSmallIntegerField(
        _("last major repair (year)"), null=True, blank=True
    )
    original_cost = models.DecimalField(
        _("original cost (VND)"), null=True, blank=True, max_digits=16, decimal_places=0
    )
    residual_value = models.DecimalField(
        _("residual value (VND)"), null=True, blank=True, max_digits=16, decimal_places=0
    )
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["code"]
        indexes = [models.Index(fields=["unit", "retired_on"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def years_left(self, year: int) -> int:
        return self.end_of_life_year - year


class Assessment(models.Model):
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"))
    condition = models.ForeignKey(
        ConditionLevel, on_delete=models.PROTECT, verbose_name=_("condition")
    )
    danger_level = models.CharField(_("danger level (A–D)"), max_length=1, blank=True)
    assessor = models.CharField(_("assessor"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("condition assessment")
        verbose_name_plural = _("condition assessments")
        ordering = ["-assessed_on", "-pk"]


class Repair(models.Model):
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="repairs")
    completed_on = models.DateField(_("completed on"))
    description = models.TextField(_("work done"))
    cost = models.DecimalField(
        _("cost (VND)"), null=True, blank=True, max_digits=16, decimal_places=0
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("major repair")
        verbose_name_plural = _("major repairs")
        ordering = ["-completed_on", "-pk"]
