"""The unit tree (đơn vị) with its reorganisation history.

`Unit.parent`, `Unit.path` and `Unit.depth` describe today's tree and make subtree queries a
single indexed prefix filter. `UnitLink` rows keep every parent link with the dates it was valid,
so the tree as it was on any date can be rebuilt (DHIS2 only knows the current tree).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from haucan.core.ids import generate_uid


class UnitKind(models.TextChoices):
    COMMAND = "command", _("Command")
    LOGISTICS = "logistics", _("Logistics office")
    HOSPITAL = "hospital", _("Hospital")
    INFIRMARY = "infirmary", _("Infirmary")
    DEPOT = "depot", _("Depot")
    SCHOOL = "school", _("School")
    WORKSHOP = "workshop", _("Workshop")
    OTHER = "other", _("Other")


class Level(models.Model):
    """A named level of the tree: 1 is the Ministry, 2 military regions and corps, and so on."""

    depth = models.PositiveSmallIntegerField(_("level"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("code"), max_length=50, unique=True)

    class Meta:
        ordering = ["depth"]
        verbose_name = _("level")
        verbose_name_plural = _("levels")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=230)
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    # Lower-case, diacritics stripped: "quan khu 4" finds "Quân khu 4".
    search_name = models.CharField(max_length=400, db_index=True, editable=False)
    identifier = models.CharField(
        _("electronic identifier"), max_length=35, unique=True, null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind, default=UnitKind.COMMAND)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "/<uid>/<uid>/…/" from the root down to this unit, in today's tree.
    path = models.CharField(max_length=400, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("level"), editable=False)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["depth"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def path_uids(self) -> list[str]:
        return [part for part in self.path.split("/") if part]


class LinkReason(models.TextChoices):
    OPENED = "opened", _("Opened")
    MOVED = "moved", _("Moved")
    MERGED = "merged", _("Merged")
    SPLIT = "split", _("Split")


class UnitLink(models.Model):
    """One effective-dated parent link: `unit` sat under `parent` on [valid_from, valid_to)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="links")
    parent = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="child_links"
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    reason = models.CharField(
        _("reason"), max_length=10, choices=LinkReason, default=LinkReason.OPENED
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["unit_id", "valid_from"]
        indexes = [models.Index(fields=["valid_from", "valid_to"])]
        constraints = [
            models.UniqueConstraint(fields=["unit", "valid_from"], name="unitlink_one_per_start"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="unitlink_positive_span",
            ),
        ]

    def covers(self, day: object) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)  # type: ignore[operator]


class SuccessionKind(models.TextChoices):
    MERGE = "merge", _("Merge")
    SPLIT = "split", _("Split")


class UnitSuccession(models.Model):
    """A predecessor unit's work continued in a successor unit after a merge or a split."""

    predecessor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="successions")
    successor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="predecessions")
    kind = models.CharField(max_length=10, choices=SuccessionKind)
    effective_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="unitsuccession_unique"
            )
        ]


class UnitGroup(models.Model):
    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=230, unique=True)
    units = models.ManyToManyField(Unit, related_name="groups", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit group")
        verbose_name_plural = _("unit groups")

    def __str__(self) -> str:
        return self.name


class UnitGroupSet(models.Model):
    """A classification of units (for example by arm); a unit belongs to at most one group in it."""

    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=230, unique=True)
    groups = models.ManyToManyField(UnitGroup, related_name="group_sets", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit group set")
        verbose_name_plural = _("unit group sets")

    def __str__(self) -> str:
        return self.name
