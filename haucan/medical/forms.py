"""Forms of the entry screens: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from haucan.medical.diseases import DISEASES
from haucan.medical.models import DischargeKind, Outcome, PatientCategory, Sex

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"]
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class AdmitForm(forms.Form):
    patient_code = forms.CharField(label=_("Patient code"), max_length=30)
    full_name = forms.CharField(label=_("Full name"), max_length=120)
    category = forms.ChoiceField(label=_("Patient category"), choices=PatientCategory.choices)
    birth_date = forms.DateField(
        label=_("Date of birth"), required=False, input_formats=DATE_FORMATS
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.MALE)
    personal_id = forms.CharField(label=_("Personal ID number"), max_length=12, required=False)
    insurance_card = forms.CharField(label=_("Insurance card"), max_length=15, required=False)
    home_unit = forms.CharField(label=_("Patient's unit (code)"), max_length=50, required=False)
    department = forms.ChoiceField(label=_("Department"))
    admitted_at = forms.DateTimeField(
        label=_("Admitted at"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    icd10 = forms.CharField(
        label=_("Diagnosis (ICD-10)"),
        max_length=10,
        widget=forms.TextInput(attrs={"list": "hc-icd-list", "autocomplete": "off"}),
    )
    emergency = forms.BooleanField(label=_("Emergency admission"), required=False)

    def __init__(self, *args: object, departments: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["department"].choices = departments  # type: ignore[attr-defined]


class DischargeForm(forms.Form):
    discharged_at = forms.DateTimeField(
        label=_("Discharged at"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    kind = forms.ChoiceField(label=_("Discharge kind"), choices=DischargeKind.choices)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    destination = forms.CharField(label=_("Transferred to"), max_length=200, required=False)
    icd10 = forms.CharField(label=_("Discharge diagnosis (ICD-10)"), max_length=10, required=False)


class MoveForm(forms.Form):
    to = forms.ChoiceField(label=_("To department"))
    moved_at = forms.DateTimeField(
        label=_("Moved at"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: object, departments: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["to"].choices = departments  # type: ignore[attr-defined]


class CaseForm(forms.Form):
    unit = forms.CharField(label=_("Unit (code)"), max_length=50)
    disease = forms.ChoiceField(
        label=_("Disease"),
        choices=[("", "—"), *[(d.code, f"{d.name} (nhóm {d.group})") for d in DISEASES]],
        required=False,
    )
    onset_on = forms.DateField(label=_("Onset"), input_formats=DATE_FORMATS)
    patient_name = forms.CharField(label=_("Patient"), max_length=120, required=False)
    hospitalised = forms.BooleanField(label=_("Hospitalised"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OutbreakForm(forms.Form):
    unit = forms.CharField(label=_("Unit (code)"), max_length=50)
    disease = forms.ChoiceField(
        label=_("Disease"),
        choices=[("", "—"), *[(d.code, d.name) for d in DISEASES]],
        required=False,
    )
    started_on = forms.DateField(label=_("Started on"), input_formats=DATE_FORMATS)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    measures = forms.CharField(
        label=_("Measures taken"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OutbreakDayForm(forms.Form):
    day = forms.DateField(label=_("Day"), input_formats=DATE_FORMATS)
    new_cases = forms.IntegerField(label=_("New cases"))
    hospitalised = forms.IntegerField(label=_("Hospitalised"), initial=0)
    deaths = forms.IntegerField(label=_("Deaths"), initial=0)
