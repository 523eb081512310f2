"""Petroleum (xăng dầu): what the fuel ledger needs beyond the shared inventory engine.

Products, depots and tanks are inventory items and locations with petroleum details beside them;
the notes themselves are inventory documents whose domain fields (order number, vehicle plate,
temperature, density, VCF, channel, price) live in the document's and lines' `meta`. Rates, norms,
quotas and reserves are data: loss rates and consumption norms point at effective-dated rows of
the catalog's norm tables (`haucan.catalog.Norm`), so the specialist edits them there.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

DOMAIN = "petroleum"


class Nature(models.TextChoices):
    FUEL = "fuel", _("Fuel")
    LUBRICANT = "lubricant", _("Lubricant")


class Channel(models.TextChoices):
    """The supply channel, the ledger's dimension (kept apart in every balance)."""

    SSCD = "SSCD", _("Combat readiness (SSCĐ)")
    ROUTINE = "TX", _("Routine")
    UNPLANNED = "DX", _("Unplanned")


class Stage(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    STORAGE = "storage", _("Storage")
    ISSUE = "issue", _("Issue")
    TRANSPORT = "transport", _("Transport")


class ProductGroup(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    nature = models.CharField(_("nature"), max_length=20, choices=Nature)
    # The category option of the report forms this group is reported under (e.g. XD_DIESEL).
    report_option = models.CharField(_("report category option"), max_length=50, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("fuel group")
        verbose_name_plural = _("fuel groups")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A petroleum product (mặt hàng), stocked as the inventory item beside it."""

    item = models.OneToOneField(
        "inventory.Item", on_delete=models.PROTECT, related_name="petroleum_product"
    )
    group = models.ForeignKey(
        ProductGroup,
        verbose_name=_("fuel group"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    grade = models.CharField(_("grade"), max_length=60)
    # Reference density at 15 °C, kg/m³: the default for the 15 °C correction and the check of
    # a measured density. Lubricants kept in kg are not corrected.
    density15 = models.DecimalField(_("reference density at 15 °C"), max_digits=7, decimal_places=1)
    corrects_volume = models.BooleanField(_("corrected to 15 °C"), default=True)

    class Meta:
        verbose_name = _("petroleum product")
        verbose_name_plural = _("petroleum products")

    def __str__(self) -> str:
        return self.item.name


class LocationKind(models.TextChoices):
    DEPOT = "depot", _("Depot")
    SUB_DEPOT = "sub_depot", _("Sub-depot")
    TANK = "tank", _("Tank")
    FUEL_POINT = "fuel_point", _("Unit fuel point")


class Tank(models.Model):
    """A tank's capacity and product (the tank is an inventory location of kind `tank`)."""

    location = models.OneToOneField(
        "inventory.Location", on_delete=models.CASCADE, related_name="petroleum_tank"
    )
    capacity = models.DecimalField(_("capacity (litres)"), max_digits=14, decimal_places=0)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT
    )
    # Optional calibration (barem): [[height mm, litres], …].
    calibration = models.JSONField(_("calibration table"), default=list, blank=True)

    class Meta:
        verbose_name = _("tank")
        verbose_name_plural = _("tanks")


class LossRate(models.Model):
    """Which catalog norm gives the maximum loss rate (%) of a product at a stage."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="loss_rates")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage)
    norm_set_code = models.CharField(_("norm table"), max_length=50)
    norm_item_code = models.CharField(_("norm item"), max_length=50)

    class Meta:
        verbose_name = _("loss rate")
        verbose_name_plural = _("loss rates")
        constraints = [
            models.UniqueConstraint(fields=["product", "stage"], name="pet_loss_rate_key")
        ]


class Basis(models.TextChoices):
    PER_100_KM = "100km", _("litres per 100 km")
    PER_KM = "km", _("litres per km")
    PER_HOUR = "hour", _("litres per hour")


class EquipmentType(models.Model):
    """A type of vehicle, engine, boat or aircraft and where its consumption norm is."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    report_option = models.CharField(_("report category option"), max_length=50, blank=True)
    group = models.ForeignKey(ProductGroup, verbose_name=_("fuel group"), on_delete=models.PROTECT)
    basis = models.CharField(_("norm basis"), max_length=10, choices=Basis)
    norm_set_code = models.CharField(_("norm table"), max_length=50)
    norm_item_code = models.CharField(_("norm item"), max_length=50)

    class Meta:
        ordering = ["code"]
        verbose_name = _("equipment type")
        verbose_name_plural = _("equipment types")

    def __str__(self) -> str:
        return self.name


class Equipment(models.Model):
    """How many of a type a unit holds."""

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    equipment_type = models.ForeignKey(EquipmentType, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        constraints = [
            models.UniqueConstraint(fields=["unit", "equipment_type"], name="pet_equipment_key")
        ]


class Activity(models.Model):
    """Kilometres and engine hours run by a unit's equipment of one type in a month, with the
    fuel actually consumed (the norm consumption is computed, never stored)."""

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    equipment_type = models.ForeignKey(EquipmentType, on_delete=models.PROTECT)
    period = models.CharField(_("period"), max_length=10)  # monthly id, 202603
    km = models.DecimalField(_("kilometres"), max_digits=12, decimal_places=1, default=0)
    hours = models.DecimalField(_("engine hours"), max_digits=12, decimal_places=1, default=0)
    actual_fuel = models.DecimalField(_("actual fuel (litres)"), max_digits=14, decimal_places=0)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "equipment_type", "period"], name="pet_activity_key"
            )
        ]


class Quota(models.Model):
    """The yearly quota (hạn mức) of a unit for a fuel group and channel, in litres."""

    year = models.PositiveSmallIntegerField(_("year"))
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(ProductGroup, verbose_name=_("fuel group"), on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    quantity = models.DecimalField(_("quota (litres)"), max_digits=14, decimal_places=0)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "unit", "group", "channel"], name="pet_quota_key"
            )
        ]


class Reserve(models.Model):
    """The readiness reserve (dự trữ SSCĐ) a unit must hold of a fuel group, in litres."""

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(ProductGroup, verbose_name=_("fuel group"), on_delete=models.PROTECT)
    quantity = models.DecimalField(_("required reserve (litres)"), max_digits=14, decimal_places=0)

    class Meta:
        verbose_name = _("readiness reserve")
        verbose_name_plural = _("readiness reserves")
        constraints = [models.UniqueConstraint(fields=["unit", "group"], name="pet_reserve_key")]
