"""Patients and treatment episodes (đợt điều trị), shaped after the health-insurance XML tables.

A patient is an identity within one facility (MA_BN; TT 46/2018: one patient code per facility).
The personal ID number (SO_CCCD) is optional, so a soldier's health record (a later module) can link
to the patient by it or by the patient's uid. An episode is one stay, keyed by MA_LK, with its
admission, internal moves and discharge; the day fields are the local dates of the timestamps,
kept so that the day-by-day statistics read indexed dates.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from haucan.core.ids import generate_uid


class PatientCategory(models.TextChoices):
    """Đối tượng người bệnh; MA_DOITUONG_KCB in the XML tables."""

    OFFICER = "officer", _("Officer")
    PROFESSIONAL = "professional", _("Professional soldier (QNCN)")
    NCO_SOLDIER = "nco_soldier", _("NCO or soldier (HSQ-BS)")
    DEFENCE_WORKER = "defence_worker", _("Defence worker or employee (CN-VCQP)")
    INSURED = "insured", _("Insured patient (BHYT)")
    CIVILIAN = "civilian", _("Civilian")


# The category option of the catalog's CC_DOI_TUONG_BN that each category is reported under.
CATEGORY_OPTION: dict[str, str] = {
    PatientCategory.OFFICER: "BN_QUAN_NHAN",
    PatientCategory.PROFESSIONAL: "BN_QUAN_NHAN",
    PatientCategory.NCO_SOLDIER: "BN_QUAN_NHAN",
    PatientCategory.DEFENCE_WORKER: "BN_CNVCQP",
    PatientCategory.INSURED: "BN_BHYT",
    PatientCategory.CIVILIAN: "BN_NHAN_DAN",
}
REPORT_OPTIONS = ["BN_QUAN_NHAN", "BN_CNVCQP", "BN_BHYT", "BN_NHAN_DAN"]


class Sex(models.TextChoices):
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")
    UNKNOWN = "3", _("Unknown")


class EntrySource(models.TextChoices):
    SCREEN = "screen", _("Entry screen")
    EXCEL = "excel", _("Excel import")
    API = "api", _("Hospital system (API)")
    XML = "xml", _("Insurance XML")
    DEMO = "demo", _("Demo data")


class Patient(models.Model):
    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    facility = models.ForeignKey(
        "medical.Facility",
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="patients",
    )
    code = models.CharField(_("patient code"), max_length=30)  # MA_BN
    full_name = models.CharField(_("full name"), max_length=120)  # HO_TEN
    search_name = models.CharField(max_length=200, db_index=True, editable=False)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)  # NGAY_SINH
    sex = models.CharField(_("sex"), max_length=1, choices=Sex, default=Sex.UNKNOWN)
    personal_id = models.CharField(  # SO_CCCD; optional, the link to the health record
        _("personal ID number"), max_length=12, blank=True
    )
    insurance_card = models.CharField(_("insurance card"), max_length=15, blank=True)
    category = models.CharField(_("patient category"), max_length=16, choices=PatientCategory)
    home_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("patient's unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="medical_patient_code"),
            models.UniqueConstraint(
                fields=["facility", "personal_id"],
                condition=~Q(personal_id=""),
                name="medical_patient_personal_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.full_name}"


class DischargeKind(models.TextChoices):
    """How the stay ended; MA_LOAI_RV in the XML tables (1 ra viện, 2 chuyển viện, …)."""

    HOME = "home", _("Discharged")
    TRANSFER = "transfer", _("Transferred to another facility")
    DIED = "died", _("Died")
    LEFT = "left", _("Left against advice")


class Outcome(models.TextChoices):
    """KET_QUA_DTRI in the XML tables."""

    CURED = "cured", _("Cured")
    IMPROVED = "improved", _("Improved")
    UNCHANGED = "unchanged", _("Unchanged")
    WORSE = "worse", _("Worse")
    DIED = "died", _("Died")


class Episode(models.Model):
    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    facility = models.ForeignKey(
        "medical.Facility",
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="episodes",
    )
    key = models.CharField(_("episode key"), max_length=50)  # MA_LK
    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="episodes"
    )
    category = models.CharField(_("patient category"), max_length=16, choices=PatientCategory)
    patient_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("patient's unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    admitted_at = models.DateTimeField(_("admitted at"))  # NGAY_VAO
    admit_day = models.DateField(_("admission day"), editable=False)
    admission_department = models.ForeignKey(
        "medical.Department",
        verbose_name=_("admission department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(  # where the patient is now (or was at discharge)
        "medical.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="episodes",
    )
    icd10 = models.CharField(_("admission diagnosis (ICD-10)"), max_length=8)
    icd_chapter = models.CharField(_("ICD-10 chapter"), max_length=5, editable=False)
    emergency = models.BooleanField(_("emergency admission"), default=False)
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)  # NGAY_RA
    discharge_day = models.DateField(_("discharge day"), null=True, blank=True, editable=False)
    discharge_kind = models.CharField(
        _("discharge kind"), max_length=10, choices=DischargeKind, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome, blank=True)
    died_within_24h = models.BooleanField(_("died within 24 hours"), default=False)
    transfer_destination = models.CharField(_("transferred to"), max_length=200, blank=True)
    discharge_icd10 = models.CharField(_("discharge diagnosis (ICD-10)"), max_length=8, blank=True)
    source = models.CharField(_("entered through"), max_length=8, choices=EntrySource)
    entered_by = models.CharField(_("entered by"), max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("treatment episode")
        verbose_name_plural = _("treatment episodes")
        constraints = [
            models.UniqueConstraint(fields=["facility", "key"], name="medical_episode_key"),
            # The database's own guard against two open stays of one patient (a race the
            # service's overlap check alone could lose).
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(discharged_at__isnull=True),
                name="medical_one_open_episode",
            ),
        ]
        indexes = [
            models.Index(fields=["facility", "admit_day"]),
            # Also serves "open stays admitted before a day" (discharge_day IS NULL, admit_day <),
            # the census queries of the board and of today's report.
            models.Index(fields=["facility", "discharge_day", "admit_day"]),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None


class EpisodeMove(models.Model):
    """An internal transfer between departments (chuyển khoa)."""

    episode = models.ForeignKey(
        Episode, verbose_name=_("episode"), on_delete=models.CASCADE, related_name="moves"
    )
    moved_at = models.DateTimeField(_("moved at"))
    day = models.DateField(_("day"), editable=False)
    from_department = models.ForeignKey(
        "medical.Department",
        verbose_name=_("from department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_department = models.ForeignKey(
        "medical.Department",
        verbose_name=_("to department"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["episode", "moved_at"]
        verbose_name = _("internal transfer")
        verbose_name_plural = _("internal transfers")


class OutpatientCount(models.Model):
    """Outpatient visits and surgeries of one day, by patient category."""

    facility = models.ForeignKey(
        "medical.Facility",
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        related_name="outpatient_counts",
    )
    day = models.DateField(_("day"))
    category = models.CharField(_("patient category"), max_length=16, choices=PatientCategory)
    visits = models.PositiveIntegerField(_("outpatient visits"), default=0)
    surgeries = models.PositiveIntegerField(_("surgeries"), default=0)

    class Meta:
        verbose_name = _("outpatient count")
        verbose_name_plural = _("outpatient counts")
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "day", "category"], name="medical_outpatient_day"
            )
        ]
