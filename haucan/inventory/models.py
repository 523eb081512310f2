"""The stock ledger (OpenLMIS-style): items, locations, lots, documents and their lines.

The engine knows no domain. A module (petroleum, medical supplies, the canteen) defines its items,
locations, reasons and dimension values as data and posts documents through
`haucan.inventory.services`. Stock is never written by hand: a `Balance` row is the running sum of
the posted `Line` rows for one (location, item, lot, dimension) and exists so that concurrent
postings can be checked against it with one conditional UPDATE.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DocType(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue")
    TRANSFER_OUT = "transfer_out", _("Transfer dispatch")
    TRANSFER_IN = "transfer_in", _("Transfer receipt")
    CONSUMPTION = "consumption", _("Consumption")
    LOSS = "loss", _("Loss")
    ADJUSTMENT = "adjustment", _("Adjustment")
    WRITE_OFF = "write_off", _("Write-off")
    COUNT = "count", _("Physical count")
    REVERSAL = "reversal", _("Reversal")


# The sign a document type gives to its quantities: +1 credits stock, -1 debits it, 0 either
# (adjustments, counts and reversals carry signed quantities).
DOC_SIGN: dict[str, int] = {
    DocType.RECEIPT: 1,
    DocType.TRANSFER_IN: 1,
    DocType.ISSUE: -1,
    DocType.TRANSFER_OUT: -1,
    DocType.CONSUMPTION: -1,
    DocType.LOSS: -1,
    DocType.WRITE_OFF: -1,
    DocType.ADJUSTMENT: 0,
    DocType.COUNT: 0,
    DocType.REVERSAL: 0,
}

# Number prefixes (PN-0001/2026): phiếu nhập, phiếu xuất, điều chuyển, …
DOC_PREFIX: dict[str, str] = {
    DocType.RECEIPT: "PN",
    DocType.ISSUE: "PX",
    DocType.TRANSFER_OUT: "DC",
    DocType.TRANSFER_IN: "NDC",
    DocType.CONSUMPTION: "TT",
    DocType.LOSS: "HH",
    DocType.ADJUSTMENT: "DCH",
    DocType.WRITE_OFF: "TL",
    DocType.COUNT: "KK",
    DocType.REVERSAL: "DN",
}


class Item(models.Model):
    """A stocked item (a fuel product, a drug, a food) in its unit of measure."""

    domain = models.CharField(_("domain"), max_length=20, db_index=True)
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    uom = models.CharField(_("unit of measure"), max_length=20)
    tracks_lots = models.BooleanField(_("tracks lots"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stock item")
        verbose_name_plural = _("stock items")
        constraints = [models.UniqueConstraint(fields=["domain", "code"], name="inv_item_code")]
        ordering = ["domain", "code"]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """Where stock lies: a unit itself, or a depot, sub-depot, tank or point belonging to a unit."""

    domain = models.CharField(_("domain"), max_length=20, db_index=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, default="store")
    # The location's policy: when True an issue may drive stock below zero (with a warning).
    allow_negative = models.BooleanField(_("allow negative stock"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        constraints = [models.UniqueConstraint(fields=["domain", "code"], name="inv_loc_code")]
        ordering = ["domain", "code"]

    def __str__(self) -> str:
        return self.name


class Lot(models.Model):
    """A batch of an item, with its expiry date when it has one."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT)
    code = models.CharField(_("lot number"), max_length=60)
    expiry = models.DateField(_("expiry date"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="inv_lot_code")]

    def __str__(self) -> str:
        return self.code


class Reason(models.Model):
    """Why stock moved (OpenLMIS reasons): a credit or a debit, allowed for some document types."""

    domain = models.CharField(_("domain"), max_length=20)
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    is_credit = models.BooleanField(_("credit"))
    doc_types = models.JSONField(_("document types"), default=list)

    class Meta:
        verbose_name = _("stock reason")
        verbose_name_plural = _("stock reasons")
        constraints = [models.UniqueConstraint(fields=["domain", "code"], name="inv_reason_code")]

    def __str__(self) -> str:
        return self.name


class DocStatus(models.TextChoices):
    POSTED = "posted", _("Posted")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    REVERSED = "reversed", _("Reversed")


class Document(models.Model):
    """A posted stock document. Immutable once posted: a correction is a reversal document."""

    domain = models.CharField(_("domain"), max_length=20, db_index=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    doc_type = models.CharField(_("document type"), max_length=20, choices=DocType)
    number = models.CharField(_("number"), max_length=40)
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    date = models.DateField(_("date"), db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DocStatus, default=DocStatus.POSTED
    )
    reason = models.ForeignKey(
        Reason, verbose_name=_("reason"), null=True, blank=True, on_delete=models.PROTECT
    )
    # The other side: the destination unit of a transfer, the supplier or recipient as text.
    counter_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("counterpart unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    # A transfer's two sides point at each other; a reversal points at what it reverses.
    linked = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    note = models.TextField(_("note"), blank=True)
    meta = models.JSONField(default=dict, blank=True)  # domain fields (order number, plate, …)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stock document")
        verbose_name_plural = _("stock documents")
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "unit", "doc_type", "year", "seq"], name="inv_doc_seq"
            ),
            models.UniqueConstraint(
                fields=["domain", "unit", "doc_type", "number"], name="inv_doc_number"
            ),
        ]
        indexes = [models.Index(fields=["domain", "unit", "date"])]

    def __str__(self) -> str:
        return self.number


class Line(models.Model):
    """One signed movement: positive credits the location, negative debits it."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="lines")
    # Denormalised from the document and the location so that ledger queries touch one table.
    domain = models.CharField(max_length=20)
    date = models.DateField()
    doc_type = models.CharField(max_length=20, choices=DocType)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lines")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT)
    dimension = models.CharField(max_length=40, blank=True, default="")
    quantity = models.DecimalField(max_digits=18, decimal_places=3)
    reason = models.ForeignKey(Reason, null=True, blank=True, on_delete=models.PROTECT)
    meta = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("stock line")
        verbose_name_plural = _("stock lines")
        indexes = [
            models.Index(fields=["item", "location", "date"]),
            models.Index(fields=["domain", "date"]),
            models.Index(fields=["unit", "item", "date"]),
        ]


class Balance(models.Model):
    """The running stock of one (location, item, lot, dimension): the lock point for postings."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT)
    dimension = models.CharField(max_length=40, blank=True, default="")
    quantity = models.DecimalField(default=0, max_digits=18, decimal_places=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["location", "item", "lot", "dimension"],
                name="inv_balance_key",
                condition=Q(lot__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["location", "item", "dimension"],
                name="inv_balance_key_nolot",
                condition=Q(lot__isnull=True),
            ),
        ]


class NumberSequence(models.Model):
    """The last number given per unit, document type and year (claimed with a conditional
    UPDATE)."""

    domain = models.CharField(max_length=20)
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    doc_type = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "unit", "doc_type", "year"], name="inv_seq_key"
            )
        ]


class LedgerClose(models.Model):
    """The ledger of a unit is closed through a date: nothing may be posted on or before it."""

    domain = models.CharField(max_length=20)
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    closed_through = models.DateField(_("closed through"))

    class Meta:
        verbose_name = _("ledger close")
        constraints = [models.UniqueConstraint(fields=["domain", "unit"], name="inv_close_key")]


class CountStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Count(models.Model):
    """A physical count (kiểm kê) of one location: drafted, then submitted as an adjustment."""

    domain = models.CharField(max_length=20)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="counts")
    date = models.DateField(_("count date"))
    status = models.CharField(max_length=20, choices=CountStatus, default=CountStatus.DRAFT)
    document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="count"
    )
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("physical count")
        verbose_name_plural = _("physical counts")


class CountLine(models.Model):
    count = models.ForeignKey(Count, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT)
    dimension = models.CharField(max_length=40, blank=True, default="")
    expected = models.DecimalField(max_digits=18, decimal_places=3)
    counted = models.DecimalField(null=True, blank=True, max_digits=18, decimal_places=3)
    reason = models.ForeignKey(Reason, null=True, blank=True, on_delete=models.PROTECT)
    remark = models.CharField(max_length=300, blank=True)
