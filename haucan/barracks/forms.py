"""HTML forms of the barracks screens; they parse input, the services decide."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haucan.barracks.models import (
    BuildingGrade,
    BuildingType,
    CaseKind,
    CaseStatus,
    ConditionLevel,
    DurabilityClass,
    LandPurpose,
    PartyKind,
    TransferKind,
)

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def date_field(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}),
    )


def area_field(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=0, max_digits=14, decimal_places=2
    )


class SiteForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=50)
    name = forms.CharField(label=_("Name"), max_length=200)
    unit = forms.CharField(label=_("Managing unit (code)"), max_length=50)
    identifier = forms.CharField(label=_("Electronic identifier"), max_length=50, required=False)
    barracks_name = forms.CharField(label=_("Barracks"), max_length=200, required=False)
    province_code = forms.CharField(label=_("Province code"), max_length=10, required=False)
    commune_code = forms.CharField(label=_("Commune code"), max_length=10, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    origin = forms.CharField(label=_("Origin of the land"), max_length=300, required=False)
    opened_on = date_field(_("Registered on"))
    total_area = area_field(_("Total area (m²)"))
    boundary = forms.CharField(
        label=_("Boundary (GeoJSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.purposes = list(LandPurpose.objects.all())
        for p in self.purposes:
            self.fields[f"purpose_{p.code}"] = area_field(
                _("Area: %(name)s (m²)") % {"name": p.name}, required=False
            )

    def clean_boundary(self) -> Any:
        raw = self.cleaned_data["boundary"].strip()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise forms.ValidationError(_("The boundary is not valid JSON.")) from None

    def purpose_fields(self) -> list[Any]:
        return [self[f"purpose_{p.code}"] for p in self.purposes]


class BoundaryForm(forms.Form):
    boundary = forms.CharField(
        label=_("Boundary (GeoJSON)"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    markers = forms.CharField(
        label=_('Boundary markers (JSON: [{"code", "lon", "lat"}])'),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def _json(self, name: str) -> Any:
        raw = self.cleaned_data[name].strip()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise forms.ValidationError(_("This is not valid JSON.")) from None

    def clean_boundary(self) -> Any:
        return self._json("boundary")

    def clean_markers(self) -> Any:
        return self._json("markers")


class TransferForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TransferKind.choices)
    purpose = forms.ModelChoiceField(label=_("Purpose of use"), queryset=LandPurpose.objects.all())
    decision_number = forms.CharField(label=_("Decision number"), max_length=80)
    decision_date = date_field(_("Decision date"))
    effective_on = date_field(_("Effective on"))
    area = area_field(_("Area (m²)"), required=False)
    party = forms.CharField(
        label=_("Receiving locality or unit / other party"), max_length=200, required=False
    )
    to_site = forms.CharField(label=_("Receiving site (code, for a transfer)"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransferAreaForm(forms.Form):
    area = area_field(_("Area (m²)"))


class CertificateForm(forms.Form):
    number = forms.CharField(label=_("Certificate number"), max_length=50)
    issued_on = date_field(_("Issued on"))
    area = area_field(_("Area (m²)"))
    purpose = forms.ModelChoiceField(label=_("Purpose of use"), queryset=LandPurpose.objects.all())
    authority = forms.CharField(label=_("Issuing authority"), max_length=200)


class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    party_kind = forms.ChoiceField(label=_("Kind of party"), choices=PartyKind.choices)
    party = forms.CharField(label=_("Other party"), max_length=200)
    location = forms.CharField(label=_("Location"), max_length=300, required=False)
    area = area_field(_("Area (m²)"))
    opened_on = date_field(_("Found on"))
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class StepForm(forms.Form):
    taken_on = date_field(_("Date"))
    description = forms.CharField(label=_("Step taken"), widget=forms.Textarea(attrs={"rows": 2}))
    status = forms.ChoiceField(label=_("Status after the step"), choices=CaseStatus.choices)
    recovered_area = area_field(_("Area recovered (m²), when resolved"), required=False)


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    number = forms.CharField(label=_("Document number"), max_length=80, required=False)
    dated = date_field(_("Date"), required=False)
    file = forms.FileField(label=_("File"), required=False)


class BuildingForm(forms.Form):
    site = forms.CharField(label=_("Site (code)"), max_length=50)
    code = forms.CharField(label=_("Code"), max_length=50)
    name = forms.CharField(label=_("Name"), max_length=200)
    type = forms.ModelChoiceField(label=_("Type"), queryset=BuildingType.objects.all())
    grade = forms.ChoiceField(
        label=_("Grade"), choices=[("", "—"), *BuildingGrade.choices], required=False
    )
    durability = forms.ModelChoiceField(
        label=_("Durability class"), queryset=DurabilityClass.objects.all()
    )
    floors = forms.IntegerField(label=_("Floors"), min_value=1, initial=1)
    built_area = area_field(_("Built area (m²)"))
    floor_area = area_field(_("Floor area (m²)"), required=False)
    capacity = forms.IntegerField(label=_("Capacity (people)"), min_value=0, initial=0)
    purpose = forms.CharField(label=_("Purpose of use"), max_length=200, required=False)
    year_built = forms.IntegerField(label=_("Year built"))
    year_in_service = forms.IntegerField(label=_("Year in service"))
    service_life_years = forms.IntegerField(
        label=_("Service life (years, empty = the class's default)"), required=False, min_value=1
    )
    condition = forms.ModelChoiceField(label=_("Condition"), queryset=ConditionLevel.objects.all())
    assessed_on = date_field(_("Assessed on"), required=False)
    original_cost = forms.DecimalField(label=_("Original cost (VND)"), required=False, min_value=0)
    residual_value = forms.DecimalField(
        label=_("Residual value (VND)"), required=False, min_value=0
    )


class AssessmentForm(forms.Form):
    assessed_on = date_field(_("Assessed on"))
    condition = forms.ModelChoiceField(label=_("Condition"), queryset=ConditionLevel.objects.all())
    danger_level = forms.ChoiceField(
        label=_("Danger level"),
        choices=[("", "—"), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")],
        required=False,
    )
    assessor = forms.CharField(label=_("Assessor"), max_length=200)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RepairForm(forms.Form):
    completed_on = date_field(_("Completed on"))
    description = forms.CharField(label=_("Work done"), widget=forms.Textarea(attrs={"rows": 2}))
    cost = forms.DecimalField(label=_("Cost (VND)"), required=False, min_value=0)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Spreadsheet of"),
        choices=[("sites", _("Land sites")), ("buildings", _("Buildings"))],
    )
    file = forms.FileField(label=_("Excel file (.xlsx)"))
