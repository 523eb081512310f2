"""Medical facilities, their departments (khoa) and the dated bed counts and staff on duty."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from haucan.core.ids import generate_uid


class Tier(models.TextChoices):
    """The tiers of military medicine, from the company aid post up to the central hospitals."""

    COMPANY_AID_POST = "company_aid_post", _("Company aid post")
    BATTALION_AID_POST = "battalion_aid_post", _("Battalion aid post")
    REGIMENT_INFIRMARY = "regiment_infirmary", _("Regiment infirmary")
    DIVISION_INFIRMARY = "division_infirmary", _("Division infirmary")
    REGION_HOSPITAL = "region_hospital", _("Military-region hospital")
    CENTRAL_HOSPITAL = "central_hospital", _("Central hospital")


HOSPITAL_TIERS = {Tier.REGION_HOSPITAL, Tier.CENTRAL_HOSPITAL}


class BedPolicy(models.TextChoices):
    WARN = "warn", _("Warn when no set-up bed is free")
    REFUSE = "refuse", _("Refuse an admission when no set-up bed is free")


class Facility(models.Model):
    """A unit of the tree that treats patients. Its patients and episodes belong to it; its staff
    are the users assigned at or below its unit (the care chain)."""

    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    unit = models.OneToOneField(
        "org.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="medical_facility",
    )
    tier = models.CharField(_("tier"), max_length=24, choices=Tier)
    # MA_CSKCB of the health-insurance XML tables, when the facility has one.
    insurance_code = models.CharField(_("insurance facility code"), max_length=10, blank=True)
    bed_policy = models.CharField(
        _("bed policy"), max_length=10, choices=BedPolicy, default=BedPolicy.WARN
    )
    # False: the facility fills its report forms by hand; the episodes publish nothing.
    publishes_reports = models.BooleanField(_("reports computed from episodes"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("medical facility")
        verbose_name_plural = _("medical facilities")

    def __str__(self) -> str:
        return str(self.unit)


class Department(models.Model):
    """A clinical department (khoa); MA_KHOA in the XML tables."""

    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="departments"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["facility", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="medical_department_code")
        ]

    def __str__(self) -> str:
        return self.name


class BedCount(models.Model):
    """Planned and set-up beds of a department from a date on, until the next row: a change adds
    a row, so past occupancy keeps the beds then in force."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="beds"
    )
    valid_from = models.DateField(_("valid from"))
    planned = models.PositiveIntegerField(_("planned beds"))
    set_up = models.PositiveIntegerField(_("set-up beds"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department", "valid_from"]
        verbose_name = _("bed count")
        verbose_name_plural = _("bed counts")
        constraints = [
            models.UniqueConstraint(fields=["department", "valid_from"], name="medical_beds_date")
        ]


class StaffCategory(models.TextChoices):
    DOCTOR = "doctor", _("Doctors")
    NURSE = "nurse", _("Nurses")
    TECHNICIAN = "technician", _("Technicians")
    OTHER = "other", _("Other staff")


class StaffOnDuty(models.Model):
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="staff"
    )
    day = models.DateField(_("day"))
    category = models.CharField(_("category"), max_length=12, choices=StaffCategory)
    headcount = models.PositiveIntegerField(_("headcount"))

    class Meta:
        verbose_name = _("staff on duty")
        verbose_name_plural = _("staff on duty")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "day", "category"], name="medical_staff_day"
            )
        ]
