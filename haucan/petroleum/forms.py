"""The clerk's note form: a header and up to LINES product lines, parsed into a NoteInput."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from haucan.inventory.models import Location
from haucan.petroleum.models import Channel, Product, Stage
from haucan.petroleum.services import NoteKind

LINES = 5
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class NoteHeader(forms.Form):
    location = forms.ModelChoiceField(
        label=_("Depot / tank"), queryset=Location.objects.none(), empty_label=None
    )
    date = forms.DateField(label=_("Date"), input_formats=DATE_FORMATS)
    number = forms.CharField(
        label=_("Note number"),
        required=False,
        max_length=40,
        help_text=_("Leave empty for the next number."),
    )
    channel = forms.ChoiceField(label=_("Supply channel"), choices=Channel.choices)
    order_number = forms.CharField(label=_("Order number"), required=False, max_length=60)
    counterparty = forms.CharField(
        label=_("Supplier / recipient unit"), required=False, max_length=200
    )
    destination = forms.ModelChoiceField(
        label=_("Destination"), queryset=Location.objects.none(), required=False
    )
    vehicle_plate = forms.CharField(label=_("Vehicle plate"), required=False, max_length=30)
    recipient = forms.CharField(label=_("Received by"), required=False, max_length=120)
    task = forms.CharField(label=_("Task"), required=False, max_length=200)
    stage = forms.ChoiceField(
        label=_("Loss stage"), choices=[("", "—"), *Stage.choices], required=False
    )
    explanation = forms.CharField(
        label=_("Explanation"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: object,
        kind: str,
        locations: Sequence[Location],
        destinations: Sequence[Location] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.kind = kind
        self.fields["location"].queryset = Location.objects.filter(  # type: ignore[attr-defined]
            pk__in=[loc.pk for loc in locations]
        ).order_by("code")
        self.fields["destination"].queryset = Location.objects.filter(  # type: ignore[attr-defined]
            pk__in=[loc.pk for loc in destinations]
        ).order_by("code")
        self.fields["location"].widget.attrs["autofocus"] = True
        if kind != NoteKind.TRANSFER:
            del self.fields["destination"]
        if kind != NoteKind.LOSS:
            del self.fields["stage"]


def _decimal(value: str) -> Decimal | None:
    text = value.strip().replace(" ", "").replace(".", "").replace(",", ".") if value else ""
    if not text:
        return None
    return Decimal(text)


def _plain_decimal(value: str) -> Decimal | None:
    # Temperatures and densities are typed with a decimal comma (31,5) and no thousands.
    text = value.strip().replace(",", ".") if value else ""
    return Decimal(text) if text else None


class LineRow:
    """One line of the form as typed, with its parse errors."""

    FIELDS = ("product", "quantity", "due", "temperature", "density", "price", "base")

    def __init__(self, index: int, data: dict[str, str]) -> None:
        self.index = index
        self.data = data
        self.errors: dict[str, str] = {}

    @property
    def empty(self) -> bool:
        return not any(
            self.data.get(f, "").strip() for f in self.FIELDS if f != "product"
        ) and not (self.data.get("product"))


def read_lines(
    post: dict[str, str], products: dict[int, Product]
) -> tuple[list[LineRow], list[dict[str, object]]]:
    """The typed rows and, for the non-empty ones, their parsed values (errors on the rows)."""
    rows: list[LineRow] = []
    parsed: list[dict[str, object]] = []
    for i in range(1, LINES + 1):
        row = LineRow(i, {f: post.get(f"{f}-{i}", "") for f in LineRow.FIELDS})
        rows.append(row)
        if row.empty:
            continue
        values: dict[str, object] = {}
        try:
            values["product"] = products[int(row.data["product"])]
        except (KeyError, ValueError):
            row.errors["product"] = str(_("Choose the product."))
        for name, reader in (
            ("quantity", _decimal),
            ("due", _decimal),
            ("price", _decimal),
            ("base", _decimal),
            ("temperature", _plain_decimal),
            ("density", _plain_decimal),
        ):
            try:
                values[name] = reader(row.data[name])
            except ArithmeticError:
                row.errors[name] = str(_("Not a number."))
        if values.get("quantity") is None and "quantity" not in row.errors:
            row.errors["quantity"] = str(_("Enter the actual quantity."))
        parsed.append(values)
    return rows, parsed
