from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haucan.core.errors import ValidationFailed
from haucan.core.ids import generate_uid, identifier_groups, is_valid_uid, validate_identifier
from haucan.core.text import fold


@pytest.mark.parametrize("good", ["000.00.00.G12", "BQP", "QK4.F324.E1", "A" * 35])
def test_well_formed_identifiers_pass(good):
    assert validate_identifier(good) == good


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        ("", "empty"),
        ("A" * 36, "36"),
        ("000.00.00.g12", "'g'"),
        ("QK4..F324", "single dots"),
        (".QK4", "single dots"),
        ("QK4.", "single dots"),
        ("QK 4", "' '"),
        ("QK4-F324", "'-'"),
    ],
)
def test_malformed_identifiers_are_refused_with_a_reason(bad, hint):
    with pytest.raises(ValidationFailed) as caught:
        validate_identifier(bad)
    assert hint in caught.value.message


def test_identifier_groups_parse_from_widest_level():
    assert identifier_groups("000.00.18.G12") == ["000", "00", "18", "G12"]


@given(st.integers(min_value=0, max_value=200))
def test_generated_uids_are_valid(_):
    assert is_valid_uid(generate_uid())


def test_fold_strips_vietnamese_marks_including_d_bar():
    assert fold("Quân khu 4") == "quan khu 4"
    assert fold("  ĐẠI   đội ") == "dai doi"
    assert fold("Bệnh viện Quân y 354") == "benh vien quan y 354"
