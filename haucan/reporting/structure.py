"""The shape of a form: its sections, rows (data elements) and columns (option combos).

Loaded in a fixed number of queries whatever the size of the form, because the entry screen, the
save path and validation all need it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from haucan.catalog.models import (
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DataSetElement,
    GreyedField,
    Option,
    Section,
    SectionElement,
)


@dataclass(frozen=True)
class FormRow:
    element: DataElement
    combos: tuple[CategoryOptionCombo, ...]
    options: frozenset[str] | None  # the option codes when the element uses an option set


@dataclass(frozen=True)
class FormSection:
    name: str
    rows: tuple[FormRow, ...]
    greyed: frozenset[tuple[int, int]]  # (element id, option combo id)


@dataclass
class FormStructure:
    data_set: DataSet
    sections: list[FormSection]
    rows_by_element: dict[int, FormRow] = field(default_factory=dict)
    element_by_key: dict[str, DataElement] = field(default_factory=dict)
    combo_by_key: dict[str, CategoryOptionCombo] = field(default_factory=dict)

    @property
    def cell_count(self) -> int:
        return sum(len(row.combos) for s in self.sections for row in s.rows)

    def is_greyed(self, element_id: int, combo_id: int) -> bool:
        return any((element_id, combo_id) in s.greyed for s in self.sections)


def load_structure(data_set: DataSet, element_keys: Collection[str] | None = None) -> FormStructure:
    """The whole form, or only the rows of `element_keys` (uids or codes) for the save path,
    which then skips the section layout (3 queries instead of 6)."""
    members_qs = DataSetElement.objects.filter(data_set=data_set).select_related("data_element")
    if element_keys is not None:
        members_qs = members_qs.filter(
            Q(data_element__uid__in=element_keys) | Q(data_element__code__in=element_keys)
        )
    members = list(members_qs)
    elements = {m.data_element_id: m.data_element for m in members}
    combo_of = {
        m.data_element_id: m.category_combo_id or m.data_element.category_combo_id for m in members
    }
    combos: dict[int, list[CategoryOptionCombo]] = {}
    for coc in CategoryOptionCombo.objects.filter(
        combo_id__in=set(combo_of.values()), is_active=True
    ).order_by("combo_id", "sort_order"):
        combos.setdefault(coc.combo_id, []).append(coc)
    options: dict[int, set[str]] = {}
    option_sets = {e.option_set_id for e in elements.values() if e.option_set_id}
    for set_id, code in Option.objects.filter(option_set_id__in=option_sets).values_list(
        "option_set_id", "code"
    ):
        options.setdefault(set_id, set()).add(code)

    def row(element: DataElement) -> FormRow:
        allowed = options.get(element.option_set_id) if element.option_set_id else None
        return FormRow(
            element,
            tuple(combos.get(combo_of[element.pk], ())),
            frozenset(allowed) if allowed is not None else None,
        )

    rows = {element_id: row(element) for element_id, element in elements.items()}
    if element_keys is not None:
        greyed_cells = frozenset(
            GreyedField.objects.filter(
                section__data_set=data_set, data_element_id__in=rows.keys()
            ).values_list("data_element_id", "option_combo_id")
        )
        partial = FormStructure(
            data_set, [FormSection("", tuple(rows.values()), greyed_cells)], rows_by_element=rows
        )
        _index(partial, elements.values(), combos.values())
        return partial
    sections: list[FormSection] = []
    placed: set[int] = set()
    section_rows = SectionElement.objects.filter(section__data_set=data_set).order_by(
        "section__sort_order", "sort_order"
    )
    by_section: dict[int, list[int]] = {}
    for section_id, element_id in section_rows.values_list("section_id", "data_element_id"):
        if element_id in rows:
            by_section.setdefault(section_id, []).append(element_id)
    greyed: dict[int, set[tuple[int, int]]] = {}
    for section_id, element_id, coc_id in GreyedField.objects.filter(
        section__data_set=data_set
    ).values_list("section_id", "data_element_id", "option_combo_id"):
        greyed.setdefault(section_id, set()).add((element_id, coc_id))
    for section in Section.objects.filter(data_set=data_set).order_by("sort_order"):
        ids = by_section.get(section.pk, [])
        placed.update(ids)
        sections.append(
            FormSection(
                section.name, tuple(rows[i] for i in ids), frozenset(greyed.get(section.pk, ()))
            )
        )
    rest = [rows[i] for i in sorted(rows, key=lambda i: elements[i].name) if i not in placed]
    if rest:
        sections.append(
            FormSection(data_set.name if not sections else "", tuple(rest), frozenset())
        )
    structure = FormStructure(data_set, sections, rows_by_element=rows)
    _index(structure, elements.values(), combos.values())
    return structure


def _index(
    structure: FormStructure,
    elements: Iterable[DataElement],
    combos: Iterable[list[CategoryOptionCombo]],
) -> None:
    for element in elements:
        structure.element_by_key[element.uid] = element
        structure.element_by_key[element.code] = element
    for coc_list in combos:
        for coc in coc_list:
            structure.combo_by_key[coc.uid] = coc
            structure.combo_by_key[coc.code] = coc
