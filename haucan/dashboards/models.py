"""The Operations Room (Phòng điều hành): saved visualisations and the dashboards made of them.

A `Visualization` stores an analytics query in a small JSON shape (dx/pe/ou items, which
dimensions go on rows and columns, which are filters) and how to draw it. It holds no data: every
render asks the analytics engine afresh, inside the viewer's scope. Sharing is by role and by unit;
the owner and the domain's designers always see their own work.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from haucan.core.ids import generate_uid
from haucan.core.scope import DOMAIN_CHOICES, Domain
from haucan.org.models import Unit


class ChartType(models.TextChoices):
    COLUMN = "column", _("Column")
    STACKED_COLUMN = "stacked_column", _("Stacked column")
    BAR = "bar", _("Bar")
    STACKED_BAR = "stacked_bar", _("Stacked bar")
    LINE = "line", _("Line")
    AREA = "area", _("Area")
    PIE = "pie", _("Pie")
    DONUT = "donut", _("Donut")
    KPI = "kpi", _("Key figure")
    GAUGE = "gauge", _("Gauge")
    TREEMAP = "treemap", _("Treemap")
    SUNBURST = "sunburst", _("Sunburst")
    HEATMAP = "heatmap", _("Heatmap (unit × period)")
    PIVOT = "pivot", _("Pivot table")
    MAP = "map", _("Unit map")


class Shared(models.Model):
    """What both saved objects share: identity, domain, owner and the sharing lists."""

    uid = models.CharField(max_length=11, unique=True, default=generate_uid, editable=False)
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=230)
    description = models.TextField(_("description"), blank=True)
    domain = models.CharField(
        _("domain"), max_length=20, choices=DOMAIN_CHOICES, default=Domain.GENERAL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Role names (haucan.accounts.models.Role values) whose holders may open it.
    shared_roles = models.JSONField(_("shared with roles"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Visualization(Shared):
    type = models.CharField(_("type"), max_length=20, choices=ChartType, default=ChartType.COLUMN)
    # {"dx": [...], "pe": [...], "ou": [...], "rows": [...], "columns": [...], "filters": [...]}
    query = models.JSONField(_("query"), default=dict)
    # Drawing options: {"max": 100, "target": 90, "suffix": "%", "decimals": 1, ...}
    options = models.JSONField(_("options"), default=dict, blank=True)
    shared_units = models.ManyToManyField(
        Unit, verbose_name=_("shared with units"), blank=True, related_name="+"
    )

    class Meta(Shared.Meta):
        verbose_name = _("visualisation")
        verbose_name_plural = _("visualisations")


class Dashboard(Shared):
    shared_units = models.ManyToManyField(
        Unit, verbose_name=_("shared with units"), blank=True, related_name="+"
    )
    visualizations: models.ManyToManyField[Visualization, DashboardItem] = models.ManyToManyField(
        Visualization, through="DashboardItem", related_name="dashboards"
    )

    class Meta(Shared.Meta):
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")


class DashboardItem(models.Model):
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="items")
    visualization = models.ForeignKey(Visualization, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position"), default=0)
    # Bootstrap grid columns out of 12.
    width = models.PositiveSmallIntegerField(_("width"), default=6)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("dashboard item")
        verbose_name_plural = _("dashboard items")
