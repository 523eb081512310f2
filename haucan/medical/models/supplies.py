"""Medical supplies: what the medical module adds to the inventory engine's items.

The stock itself (lots with expiry, receipts, issues to departments, counts) lives in the shared
ledger `haucan.inventory` under domain "medical"; this row carries the medical settings of an item:
its report group, its price for the value report, and its stock levels in months of average
consumption (OpenLMIS minPeriodsOfStock / maxPeriodsOfStock).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SupplyGroup(models.TextChoices):
    """The catalog's NHOM_THUOC options of the quarterly medicines report."""

    ANTIBIOTIC = "T_KHANG_SINH", _("Antibiotics")
    ANALGESIC = "T_GIAM_DAU", _("Analgesics and antipyretics")
    INFUSION = "T_DICH_TRUYEN", _("Infusions")
    CONSUMABLE = "T_VTYT_TIEU_HAO", _("Medical consumables")
    DISINFECTANT = "T_HOA_CHAT", _("Disinfectants")


class SupplyItem(models.Model):
    item = models.OneToOneField(
        "inventory.Item",
        verbose_name=_("stock item"),
        on_delete=models.CASCADE,
        related_name="medical_supply",
    )
    group = models.CharField(_("report group"), max_length=20, choices=SupplyGroup)
    unit_price = models.DecimalField(
        _("unit price (thousand đồng)"), max_digits=14, decimal_places=3, default=0
    )
    min_periods = models.DecimalField(
        _("minimum stock (months of consumption)"), max_digits=5, decimal_places=2, default=1
    )
    max_periods = models.DecimalField(
        _("maximum stock (months of consumption)"), max_digits=5, decimal_places=2, default=3
    )
    key_medicine = models.BooleanField(_("key medicine (on the board)"), default=False)

    class Meta:
        verbose_name = _("medical supply")
        verbose_name_plural = _("medical supplies")
