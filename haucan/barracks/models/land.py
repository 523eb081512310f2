"""Defence land: sites, their dated area events, certificates, handovers and receipts, and the
dispute and encroachment cases.

The area is never stored as a number to overwrite: every change is a dated `AreaEvent` (the
opening balance, a handover, a receipt, a transfer, a survey correction), and the area at any date
is the sum of the events up to it, per purpose of use. Events with no purpose form the site's
unclassified remainder, so the area by purpose can never exceed the total (ADR 0040)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from haucan.barracks.models.classification import LandPurpose
from haucan.org.models import Unit


class LandSite(models.Model):
    code = models.CharField(_("code"), max_length=50, unique=True)
    identifier = models.CharField(_("electronic identifier"), max_length=50, blank=True)
    name = models.CharField(_("name"), max_length=200)
    search_name = models.CharField(max_length=400, db_index=True, editable=False)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="land_sites", verbose_name=_("managing unit")
    )
    barracks_name = models.CharField(_("barracks"), max_length=200, blank=True)
    province_code = models.CharField(_("province code"), max_length=10, blank=True)
    commune_code = models.CharField(_("commune code"), max_length=10, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    origin = models.CharField(_("origin of the land"), max_length=300, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    markers = models.JSONField(_("boundary markers"), default=list, blank=True)
    opened_on = models.DateField(_("registered on"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("defence land site")
        verbose_name_plural = _("defence land sites")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AreaEventKind(models.TextChoices):
    OPENING = "opening", _("Opening area")
    HANDOVER = "handover", _("Handover to a locality")
    RECEIPT = "receipt", pgettext_lazy("land", "Receipt")
    TRANSFER_OUT = "transfer_out", _("Transfer to another unit")
    TRANSFER_IN = "transfer_in", _("Transfer from another unit")
    CORRECTION = "correction", _("Survey correction")


class AreaEvent(models.Model):
    site = models.ForeignKey(LandSite, on_delete=models.CASCADE, related_name="area_events")
    purpose = models.ForeignKey(
        LandPurpose,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("purpose of use"),
    )
    effective_on = models.DateField(_("effective on"))
    kind = models.CharField(_("kind"), max_length=20, choices=AreaEventKind)
    delta = models.DecimalField(_("area change (m²)"), max_digits=14, decimal_places=2)
    transfer = models.ForeignKey(
        "LandTransfer", on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("area event")
        verbose_name_plural = _("area events")
        ordering = ["effective_on", "pk"]
        indexes = [models.Index(fields=["site", "effective_on"])]


class LandCertificate(models.Model):
    """Giấy chứng nhận quyền sử dụng đất (GCN)."""

    site = models.ForeignKey(LandSite, on_delete=models.CASCADE, related_name="certificates")
    number = models.CharField(_("certificate number"), max_length=50)
    issued_on = models.DateField(_("issued on"))
    area = models.DecimalField(_("area (m²)"), max_digits=14, decimal_places=2)
    purpose = models.ForeignKey(
        LandPurpose, on_delete=models.PROTECT, verbose_name=_("purpose of use")
    )
    authority = models.CharField(_("issuing authority"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("land-use certificate")
        verbose_name_plural = _("land-use certificates")
        ordering = ["issued_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="barracks_cert_unique")
        ]


class TransferKind(models.TextChoices):
    HANDOVER = "handover", _("Handover to a locality")
    RECEIPT = "receipt", pgettext_lazy("land", "Receipt")
    TRANSFER = "transfer", _("Transfer between army units")


class LandTransfer(models.Model):
    """Bàn giao / tiếp nhận: a decision that changes the area of one site (or moves area from
    one army site to another) from its effective date. Without its area it changes nothing yet,
    and a warning asks for the area."""

    kind = models.CharField(_("kind"), max_length=20, choices=TransferKind)
    site = models.ForeignKey(
        LandSite, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("site")
    )
    to_site = models.ForeignKey(
        LandSite,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_in",
        verbose_name=_("receiving site"),
    )
    purpose = models.ForeignKey(
        LandPurpose, on_delete=models.PROTECT, verbose_name=_("purpose of use")
    )
    decision_number = models.CharField(_("decision number"), max_length=80)
    decision_date = models.DateField(_("decision date"))
    effective_on = models.DateField(_("effective on"))
    area = models.DecimalField(
        _("area (m²)"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    party = models.CharField(_("other party"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("land handover or receipt")
        verbose_name_plural = _("land handovers and receipts")
        ordering = ["-effective_on", "-pk"]


class CaseKind(models.TextChoices):
    DISPUTE = "dispute", _("Dispute")
    ENCROACHMENT = "encroachment", _("Encroachment")


class PartyKind(models.TextChoices):
    HOUSEHOLD = "household", _("Household or individual")
    ORGANISATION = "organisation", _("Organisation")


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    HANDLING = "handling", _("Being handled")
    RESOLVED = "resolved", _("Resolved")


class LandCase(models.Model):
    site = models.ForeignKey(LandSite, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(_("kind"), max_length=20, choices=CaseKind)
    party_kind = models.CharField(_("kind of party"), max_length=20, choices=PartyKind)
    party = models.CharField(_("other party"), max_length=200)
    location = models.CharField(_("location"), max_length=300, blank=True)
    area = models.DecimalField(_("area (m²)"), max_digits=14, decimal_places=2)
    opened_on = models.DateField(_("found on"))
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus, default=CaseStatus.NEW
    )
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    recovered_area = models.DecimalField(
        _("area recovered (m²)"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dispute or encroachment case")
        verbose_name_plural = _("dispute and encroachment cases")
        ordering = ["-opened_on", "-pk"]


class CaseStep(models.Model):
    case = models.ForeignKey(LandCase, on_delete=models.CASCADE, related_name="steps")
    taken_on = models.DateField(_("date"))
    description = models.TextField(_("step taken"))
    status_after = models.CharField(_("status"), max_length=20, choices=CaseStatus)
    recorded_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("step taken")
        verbose_name_plural = _("steps taken")
        ordering = ["taken_on", "pk"]


class CaseDocument(models.Model):
    case = models.ForeignKey(LandCase, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    number = models.CharField(_("document number"), max_length=80, blank=True)
    dated = models.DateField(_("date"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(null=True, blank=True)
    uploaded_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ["pk"]
