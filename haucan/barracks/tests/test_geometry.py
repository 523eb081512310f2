from __future__ import annotations

import pytest

from haucan.barracks.geometry import segments_intersect, validate_boundary, validate_markers
from haucan.core.errors import ValidationFailed

SQUARE = [[105.0, 20.0], [105.01, 20.0], [105.01, 20.01], [105.0, 20.01], [105.0, 20.0]]


def test_a_closed_square_is_accepted_as_polygon() -> None:
    assert validate_boundary({"type": "Polygon", "coordinates": [SQUARE]}) == {
        "type": "Polygon",
        "coordinates": [SQUARE],
    }


def test_a_feature_is_unwrapped_to_its_geometry() -> None:
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
    assert validate_boundary(feature)["type"] == "Polygon"


def test_a_bow_tie_is_refused_as_self_crossing() -> None:
    bow = [[0, 0], [3, 2], [3, 0], [0, 1], [0, 0]]
    with pytest.raises(ValidationFailed, match="crosses itself"):
        validate_boundary({"type": "Polygon", "coordinates": [bow]})


def test_an_open_ring_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="not closed"):
        validate_boundary({"type": "Polygon", "coordinates": [[*SQUARE[:-1], [105.0, 20.005]]]})


def test_a_ring_touching_itself_at_a_vertex_is_refused() -> None:
    eight = [[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 1], [0, 0]]
    with pytest.raises(ValidationFailed, match="crosses itself"):
        validate_boundary({"type": "Polygon", "coordinates": [eight]})


def test_a_spike_folding_back_on_its_edge_is_refused() -> None:
    spike = [[0, 0], [2, 0], [2, 2], [2, 1], [0, 2], [0, 0]]
    with pytest.raises(ValidationFailed):
        validate_boundary({"type": "Polygon", "coordinates": [spike]})


def test_a_flat_ring_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="no area"):
        validate_boundary({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]})


def test_a_hole_inside_is_accepted_and_outside_is_refused() -> None:
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]
    validate_boundary({"type": "Polygon", "coordinates": [outer, hole]})
    far = [[20, 20], [22, 20], [22, 22], [20, 22], [20, 20]]
    with pytest.raises(ValidationFailed, match="outside"):
        validate_boundary({"type": "Polygon", "coordinates": [outer, far]})


def test_multipolygon_parts_that_cross_are_refused() -> None:
    a = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    b = [[2, 2], [6, 2], [6, 6], [2, 6], [2, 2]]
    validate_boundary({"type": "MultiPolygon", "coordinates": [[a]]})
    with pytest.raises(ValidationFailed, match="cross"):
        validate_boundary({"type": "MultiPolygon", "coordinates": [[a], [b]]})


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [0, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[["a", 0], [1, 0], [0, 1], ["a", 0]]]},
        "not a geometry",
    ],
)
def test_malformed_boundaries_are_refused(doc: object) -> None:
    with pytest.raises(ValidationFailed):
        validate_boundary(doc)


def test_segments_sharing_an_end_intersect_and_parallel_ones_do_not() -> None:
    assert segments_intersect((0, 0), (1, 1), (1, 1), (2, 0))
    assert not segments_intersect((0, 0), (1, 0), (0, 1), (1, 1))


def test_markers_need_code_and_position() -> None:
    assert validate_markers([{"code": "M1", "lon": 105, "lat": 20}]) == [
        {"code": "M1", "lon": 105.0, "lat": 20.0}
    ]
    with pytest.raises(ValidationFailed, match="Marker 1"):
        validate_markers([{"code": "M1"}])
