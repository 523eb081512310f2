"""The report-form catalog, after DHIS2's metadata model (shared/reference/dhis2.md §1).

Every object carries an 11-character `uid` and a unique `code`, so DHIS2 payloads round-trip.
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from haucan.core.ids import generate_uid
from haucan.core.periods import PeriodType
from haucan.core.scope import DOMAIN_CHOICES, Domain
from haucan.org.models import Unit

# Labels are translated when displayed (PeriodType.label reads the active language).
PERIOD_TYPE_CHOICES = [(t.value, lazy(lambda t=t: t.label, str)()) for t in PeriodType]


class Identified(models.Model):
    uid = models.CharField(max_length=11, unique=True, default=generate_uid)
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=230)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ValueType(models.TextChoices):
    INTEGER = "INTEGER", _("Integer")
    INTEGER_POSITIVE = "INTEGER_POSITIVE", _("Positive integer")
    INTEGER_ZERO_OR_POSITIVE = "INTEGER_ZERO_OR_POSITIVE", _("Zero or positive integer")
    INTEGER_NEGATIVE = "INTEGER_NEGATIVE", _("Negative integer")
    NUMBER = "NUMBER", _("Number")
    PERCENTAGE = "PERCENTAGE", _("Percentage")
    UNIT_INTERVAL = "UNIT_INTERVAL", _("Unit interval (0–1)")
    TEXT = "TEXT", _("Text")
    LONG_TEXT = "LONG_TEXT", _("Long text")
    BOOLEAN = "BOOLEAN", _("Yes/No")
    TRUE_ONLY = "TRUE_ONLY", _("Yes only")
    DATE = "DATE", _("Date")


NUMERIC_VALUE_TYPES = frozenset(
    {
        ValueType.INTEGER,
        ValueType.INTEGER_POSITIVE,
        ValueType.INTEGER_ZERO_OR_POSITIVE,
        ValueType.INTEGER_NEGATIVE,
        ValueType.NUMBER,
        ValueType.PERCENTAGE,
        ValueType.UNIT_INTERVAL,
    }
)


class AggregationType(models.TextChoices):
    SUM = "SUM", _("Sum")
    AVERAGE = "AVERAGE", _("Average")
    AVERAGE_SUM_ORG_UNIT = "AVERAGE_SUM_ORG_UNIT", _("Average over time, sum over units")
    LAST = "LAST", _("Last value (stock on hand)")
    LAST_AVERAGE_ORG_UNIT = "LAST_AVERAGE_ORG_UNIT", _("Last value, average over units")
    MIN = "MIN", _("Minimum")
    MAX = "MAX", _("Maximum")
    COUNT = "COUNT", _("Count")
    NONE = "NONE", _("None")


class DimensionType(models.TextChoices):
    DISAGGREGATION = "DISAGGREGATION", _("Disaggregation")
    ATTRIBUTE = "ATTRIBUTE", _("Attribute")


class OptionSet(Identified):
    value_type = models.CharField(max_length=30, choices=ValueType, default=ValueType.TEXT)

    class Meta(Identified.Meta):
        verbose_name = _("option set")
        verbose_name_plural = _("option sets")


class Option(models.Model):
    uid = models.CharField(max_length=11, unique=True, default=generate_uid)
    option_set = models.ForeignKey(OptionSet, on_delete=models.CASCADE, related_name="options")
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=230)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["option_set_id", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["option_set", "code"], name="option_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CategoryOption(Identified):
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta(Identified.Meta):
        verbose_name = _("category option")
        verbose_name_plural = _("category options")


class Category(Identified):
    dimension_type = models.CharField(
        max_length=20, choices=DimensionType, default=DimensionType.DISAGGREGATION
    )
    options: models.ManyToManyField[CategoryOption, CategoryMembership] = models.ManyToManyField(
        CategoryOption, through="CategoryMembership"
    )

    class Meta(Identified.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def ordered_options(self) -> list[CategoryOption]:
        return [m.option for m in self.memberships.select_related("option").order_by("sort_order")]


class CategoryMembership(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="memberships")
    option = models.ForeignKey(CategoryOption, on_delete=models.PROTECT)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["category_id", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["category", "option"], name="categorymembership_unique")
        ]


class CategoryCombo(Identified):
    dimension_type = models.CharField(
        max_length=20, choices=DimensionType, default=DimensionType.DISAGGREGATION
    )
    categories: models.ManyToManyField[Category, CategoryComboMembership] = models.ManyToManyField(
        Category, through="CategoryComboMembership"
    )
    is_default = models.BooleanField(default=False)

    class Meta(Identified.Meta):
        verbose_name = _("category combination")
        verbose_name_plural = _("category combinations")


class CategoryComboMembership(models.Model):
    combo = models.ForeignKey(CategoryCombo, on_delete=models.CASCADE, related_name="memberships")
    category = models.ForeignKey(Category, on_delete=models.PROTECT)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["combo_id", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["combo", "category"], name="combomembership_unique")
        ]


class CategoryOptionCombo(models.Model):
    """One cell of a combo's Cartesian product. `options_key` (sorted option ids) keeps it unique,
    so regenerating after an edit reuses the existing rows instead of duplicating them."""

    uid = models.CharField(max_length=11, unique=True, default=generate_uid)
    code = models.CharField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=400)
    combo = models.ForeignKey(CategoryCombo, on_delete=models.CASCADE, related_name="option_combos")
    options = models.ManyToManyField(CategoryOption, blank=True)
    options_key = models.CharField(max_length=200)
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["combo_id", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["combo", "options_key"], name="coc_unique_options")
        ]

    def __str__(self) -> str:
        return self.name


class DataElement(Identified):
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    form_name = models.CharField(_("form name"), max_length=230, blank=True)
    description = models.TextField(_("description"), blank=True)
    domain = models.CharField(
        _("domain"), max_length=20, choices=DOMAIN_CHOICES, default=Domain.GENERAL
    )
    value_type = models.CharField(
        _("value type"), max_length=30, choices=ValueType, default=ValueType.NUMBER
    )
    aggregation_type = models.CharField(
        _("aggregation type"), max_length=30, choices=AggregationType, default=AggregationType.SUM
    )
    zero_is_significant = models.BooleanField(_("store zero values"), default=False)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=40, blank=True)
    category_combo = models.ForeignKey(
        CategoryCombo, verbose_name=_("disaggregation"), on_delete=models.PROTECT
    )
    option_set = models.ForeignKey(
        OptionSet, verbose_name=_("option set"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta(Identified.Meta):
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")

    @property
    def is_numeric(self) -> bool:
        return self.value_type in NUMERIC_VALUE_TYPES

    def label(self) -> str:
        return self.form_name or self.name


class DataSet(Identified):
    """A report form (biểu mẫu báo cáo)."""

    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    domain = models.CharField(
        _("domain"), max_length=20, choices=DOMAIN_CHOICES, default=Domain.GENERAL
    )
    period_type = models.CharField(_("period type"), max_length=20, choices=PERIOD_TYPE_CHOICES)
    # Submission is on time when made at most this many days after the period ends.
    timely_days = models.PositiveIntegerField(_("days to submit after the period"), default=10)
    # Entry locks this many days after the period ends; 0 never locks (DHIS2's expiryDays).
    expiry_days = models.PositiveIntegerField(_("lock after days"), default=0)
    open_future_periods = models.PositiveIntegerField(_("open future periods"), default=0)
    block_on_high_validation = models.BooleanField(
        _("refuse submission while a high-importance rule fails"), default=False
    )
    category_combo = models.ForeignKey(
        CategoryCombo,
        verbose_name=_("attribute combination"),
        on_delete=models.PROTECT,
        related_name="attribute_data_sets",
    )
    data_elements: models.ManyToManyField[DataElement, DataSetElement] = models.ManyToManyField(
        DataElement, through="DataSetElement"
    )
    units = models.ManyToManyField(Unit, related_name="data_sets", blank=True)

    class Meta(Identified.Meta):
        verbose_name = _("report form")
        verbose_name_plural = _("report forms")


class DataSetElement(models.Model):
    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="members")
    data_element = models.ForeignKey(DataElement, on_delete=models.PROTECT)
    # Overrides the element's own disaggregation on this form only.
    category_combo = models.ForeignKey(
        CategoryCombo, null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["data_set", "data_element"], name="dse_unique")
        ]


class Section(models.Model):
    uid = models.CharField(max_length=11, unique=True, default=generate_uid)
    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(_("name"), max_length=230)
    description = models.TextField(blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    data_elements: models.ManyToManyField[DataElement, SectionElement] = models.ManyToManyField(
        DataElement, through="SectionElement"
    )

    class Meta:
        ordering = ["data_set_id", "sort_order"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.name


class SectionElement(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="members")
    data_element = models.ForeignKey(DataElement, on_delete=models.PROTECT)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["section_id", "sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "data_element"], name="sectionelement_unique"
            )
        ]


class GreyedField(models.Model):
    """A (data element, option combo) cell that does not apply in a section."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="greyed")
    data_element = models.ForeignKey(DataElement, on_delete=models.CASCADE)
    option_combo = models.ForeignKey(CategoryOptionCombo, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["section", "data_element", "option_combo"], name="greyed_unique"
            )
        ]


class Constant(Identified):
    value = models.FloatField(_("value"))
    description = models.TextField(blank=True)

    class Meta(Identified.Meta):
        verbose_name = _("constant")
        verbose_name_plural = _("constants")


class Indicator(Identified):
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    domain = models.CharField(
        _("domain"), max_length=20, choices=DOMAIN_CHOICES, default=Domain.GENERAL
    )
    numerator = models.TextField(_("numerator"))
    numerator_description = models.CharField(_("numerator description"), max_length=230, blank=True)
    denominator = models.TextField(_("denominator"), default="1")
    denominator_description = models.CharField(
        _("denominator description"), max_length=230, blank=True
    )
    factor = models.FloatField(_("factor"), default=1)
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=1)

    class Meta(Identified.Meta):
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")


class Operator(models.TextChoices):
    EQUAL_TO = "equal_to", "="
    NOT_EQUAL_TO = "not_equal_to", "≠"
    GREATER_THAN = "greater_than", ">"
    GREATER_THAN_OR_EQUAL_TO = "greater_than_or_equal_to", "≥"
    LESS_THAN = "less_than", "<"
    LESS_THAN_OR_EQUAL_TO = "less_than_or_equal_to", "≤"
    COMPULSORY_PAIR = "compulsory_pair", _("compulsory pair")
    EXCLUSIVE_PAIR = "exclusive_pair", _("exclusive pair")


class MissingValueStrategy(models.TextChoices):
    SKIP_IF_ANY_VALUE_MISSING = "SKIP_IF_ANY_VALUE_MISSING", _("Skip if any value is missing")
    SKIP_IF_ALL_VALUES_MISSING = "SKIP_IF_ALL_VALUES_MISSING", _("Skip if all values are missing")
    NEVER_SKIP = "NEVER_SKIP", _("Never skip")


class Importance(models.TextChoices):
    HIGH = "HIGH", _("High")
    MEDIUM = "MEDIUM", _("Medium")
    LOW = "LOW", _("Low")


class ValidationRule(Identified):
    description = models.TextField(_("description"), blank=True)
    instruction = models.CharField(_("instruction"), max_length=500, blank=True)
    domain = models.CharField(
        _("domain"), max_length=20, choices=DOMAIN_CHOICES, default=Domain.GENERAL
    )
    period_type = models.CharField(_("period type"), max_length=20, choices=PERIOD_TYPE_CHOICES)
    left = models.TextField(_("left side"))
    left_missing = models.CharField(
        _("when the left side is missing"),
        max_length=30,
        choices=MissingValueStrategy,
        default=MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
    )
    operator = models.CharField(_("operator"), max_length=30, choices=Operator)
    right = models.TextField(_("right side"))
    right_missing = models.CharField(
        _("when the right side is missing"),
        max_length=30,
        choices=MissingValueStrategy,
        default=MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
    )
    importance = models.CharField(
        _("importance"), max_length=10, choices=Importance, default=Importance.MEDIUM
    )

    class Meta(Identified.Meta):
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")


class NormSet(Identified):
    """A table of standards, norms or quotas (tiêu chuẩn / định mức / hạn mức)."""

    class Kind(models.TextChoices):
        STANDARD = "standard", _("Standard")
        NORM = "norm", _("Norm")
        QUOTA = "quota", _("Quota")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.NORM)
    domain = models.CharField(
        _("domain"), max_length=20, choices=DOMAIN_CHOICES, default=Domain.GENERAL
    )
    description = models.TextField(_("description"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=230, blank=True)

    class Meta(Identified.Meta):
        verbose_name = _("norm set")
        verbose_name_plural = _("norm sets")


class Norm(models.Model):
    """One effective-dated row: the item is worth `value` on [valid_from, valid_to]."""

    norm_set = models.ForeignKey(NormSet, on_delete=models.CASCADE, related_name="norms")
    item_code = models.CharField(_("item code"), max_length=50)
    item_name = models.CharField(_("item"), max_length=230)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=40)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["norm_set_id", "item_code", "valid_from"]
        verbose_name = _("norm")
        verbose_name_plural = _("norms")
        constraints = [
            models.UniqueConstraint(
                fields=["norm_set", "item_code", "valid_from"], name="norm_one_per_start"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="norm_positive_span",
            ),
        ]
