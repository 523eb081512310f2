"""Forms for designing the catalog. They only parse input; saving goes through catalog.services."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haucan.catalog.models import DataElement, DataSet, Indicator, ValidationRule
from haucan.core.scope import DOMAIN_CHOICES, Action, Domain, Scope

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def designable_domains(scope: Scope) -> list[tuple[str, Any]]:
    """The domain choices this actor may design in (all of them for a general designer or admin)."""
    return [
        (value, label) for value, label in DOMAIN_CHOICES if scope.can(Action.DESIGN, Domain(value))
    ]


class DomainScopedForm(forms.ModelForm):
    """Offers only the domains the actor designs, so a petroleum specialist cannot pick medical."""

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = designable_domains(scope)  # type: ignore[attr-defined]


class DataElementForm(DomainScopedForm):
    class Meta:
        model = DataElement
        fields = [
            "code",
            "name",
            "short_name",
            "form_name",
            "description",
            "domain",
            "value_type",
            "aggregation_type",
            "zero_is_significant",
            "unit_of_measure",
            "category_combo",
            "option_set",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"category_combo": _("Leave empty for no disaggregation.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service falls back to the default combination.
        self.fields["category_combo"].required = False


class DataSetForm(DomainScopedForm):
    class Meta:
        model = DataSet
        fields = [
            "code",
            "name",
            "short_name",
            "description",
            "domain",
            "period_type",
            "timely_days",
            "expiry_days",
            "open_future_periods",
            "block_on_high_validation",
            "category_combo",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"category_combo": _("Leave empty for no attribute combination.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category_combo"].required = False


class IndicatorForm(DomainScopedForm):
    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "short_name",
            "description",
            "domain",
            "numerator",
            "numerator_description",
            "denominator",
            "denominator_description",
            "factor",
            "decimals",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "numerator": forms.Textarea(attrs={"rows": 2, "class": "font-monospace"}),
            "denominator": forms.Textarea(attrs={"rows": 2, "class": "font-monospace"}),
        }
        help_texts = {
            "numerator": _(
                "For example #{dataElementUid}, #{dataElementUid.optionComboUid}, "
                "C{constantUid} or [days]."
            ),
        }


class ValidationRuleForm(DomainScopedForm):
    class Meta:
        model = ValidationRule
        fields = [
            "code",
            "name",
            "description",
            "instruction",
            "domain",
            "period_type",
            "importance",
            "left",
            "left_missing",
            "operator",
            "right",
            "right_missing",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "left": forms.Textarea(attrs={"rows": 2, "class": "font-monospace"}),
            "right": forms.Textarea(attrs={"rows": 2, "class": "font-monospace"}),
        }


class LocalDecimalField(forms.DecimalField):
    """Reads numbers typed the Vietnamese way ("1.234,5") as well as the plain way ("1234.5").

    A comma is the decimal mark and dots group thousands. Without a comma a lone dot followed by
    anything but exactly three digits is taken as a decimal point, so "2.5" stays 2,5.
    """

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip().replace(" ", "").replace("\u00a0", "")
            if "," in text:
                text = text.replace(".", "").replace(",", ".")
            elif text.count(".") > 1 or re.fullmatch(r"-?\d{1,3}\.\d{3}", text):
                text = text.replace(".", "")
            value = text
        return super().to_python(value)


class NormForm(forms.Form):
    item_code = forms.CharField(label=_("Item code"), max_length=50)
    item_name = forms.CharField(label=_("Item"), max_length=230)
    unit_of_measure = forms.CharField(label=_("Unit of measure"), max_length=40)
    value = LocalDecimalField(
        label=_("Value"),
        max_digits=18,
        decimal_places=4,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("Use a comma for decimals: 1.234,5"),
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
    )
    valid_to = forms.DateField(
        label=_("Valid to"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
