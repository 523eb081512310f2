"""Validation of site boundaries: GeoJSON Polygon or MultiPolygon in WGS84 (lon, lat).

We check it ourselves rather than depend on GEOS (shapely) for one predicate: rings must be closed
with at least four positions, coordinates finite and on the globe, no ring may cross itself or
another ring, each ring must enclose an area, and a hole must lie inside its outer ring. Segments
are compared after sorting by their left end, so a boundary of a few thousand points is checked in
well under a second (ADR 0041)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _

from haucan.core.errors import ValidationFailed

MAX_POSITIONS = 20_000
Point = tuple[float, float]


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed(message, field="boundary")


def validate_boundary(doc: Any) -> dict[str, Any]:
    """Return the boundary as a clean GeoJSON geometry, or raise ValidationFailed naming the
    problem. A Feature is unwrapped to its geometry."""
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = doc.get("geometry")
    if not isinstance(doc, dict) or doc.get("type") not in ("Polygon", "MultiPolygon"):
        raise _fail(_("The boundary must be a GeoJSON Polygon or MultiPolygon."))
    coords = doc.get("coordinates")
    polygons_raw = [coords] if doc["type"] == "Polygon" else coords
    if not isinstance(polygons_raw, list) or not polygons_raw:
        raise _fail(_("The boundary has no coordinates."))
    polygons: list[list[list[Point]]] = []
    total = 0
    for p_index, raw in enumerate(polygons_raw, start=1):
        if not isinstance(raw, list) or not raw:
            raise _fail(_("Polygon %(n)d has no rings.") % {"n": p_index})
        rings = [_ring(ring, p_index, r_index) for r_index, ring in enumerate(raw, start=1)]
        total += sum(len(r) for r in rings)
        if total > MAX_POSITIONS:
            raise _fail(_("The boundary has more than %(n)d points.") % {"n": MAX_POSITIONS})
        polygons.append(rings)
    _check_crossings(polygons)
    for p_index, rings in enumerate(polygons, start=1):
        outer = rings[0]
        for r_index, hole in enumerate(rings[1:], start=2):
            if not _inside(hole[0], outer):
                raise _fail(
                    _("Ring %(r)d of polygon %(p)d lies outside its outer ring.")
                    % {"r": r_index, "p": p_index}
                )
    clean = [[[list(pt) for pt in ring] for ring in rings] for rings in polygons]
    if doc["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": clean[0]}
    return {"type": "MultiPolygon", "coordinates": clean}


def _ring(raw: Any, p_index: int, r_index: int) -> list[Point]:
    where = {"r": r_index, "p": p_index}
    if not isinstance(raw, list):
        raise _fail(_("Ring %(r)d of polygon %(p)d is not a list of points.") % where)
    ring: list[Point] = []
    for pos in raw:
        if (
            not isinstance(pos, list | tuple)
            or len(pos) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in pos[:2])
        ):
            raise _fail(
                _("Ring %(r)d of polygon %(p)d has a point that is not [lon, lat].") % where
            )
        lon, lat = float(pos[0]), float(pos[1])
        if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
            raise _fail(_("Ring %(r)d of polygon %(p)d has a point off the globe.") % where)
        ring.append((lon, lat))
    if len(ring) < 4:
        raise _fail(_("Ring %(r)d of polygon %(p)d needs at least four points.") % where)
    if ring[0] != ring[-1]:
        raise _fail(
            _("Ring %(r)d of polygon %(p)d is not closed (the last point must repeat the first).")
            % where
        )
    if abs(signed_area(ring)) < 1e-14:
        raise _fail(_("Ring %(r)d of polygon %(p)d encloses no area.") % where)
    for a, b in pairwise(ring):
        if a == b:
            raise _fail(_("Ring %(r)d of polygon %(p)d repeats a point.") % where)
    return ring


def signed_area(ring: Sequence[Point]) -> float:
    return 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in pairwise(ring))


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_intersect(a: Point, b: Point, c: Point, d: Point) -> bool:
    """True when the closed segments ab and cd share at least one point."""
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and (
        (o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)
    ):
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )


def _check_crossings(polygons: list[list[list[Point]]]) -> None:
    # (min x, max x, polygon, ring, index, a, b) for every edge, swept from left to right.
    edges = []
    for p, rings in enumerate(polygons):
        for r, ring in enumerate(rings):
            for i, (a, b) in enumerate(pairwise(ring)):
                edges.append((min(a[0], b[0]), max(a[0], b[0]), p, r, i, a, b, len(ring) - 1))
    edges.sort(key=lambda e: e[0])
    for k, (_lo, hi, p, r, i, a, b, n) in enumerate(edges):
        for lo2, _hi2, p2, r2, j, c, d, _n2 in edges[k + 1 :]:
            if lo2 > hi:
                break
            if max(a[1], b[1]) < min(c[1], d[1]) or max(c[1], d[1]) < min(a[1], b[1]):
                continue
            if p == p2 and r == r2:
                gap = abs(i - j)
                if gap == 1 or gap == n - 1:  # neighbours share a vertex: only that is allowed
                    shared = b if (j == i + 1 or (i == n - 1 and j == 0)) else a
                    if _overlap_beyond(a, b, c, d, shared):
                        raise _self_crossing(p, r)
                    continue
            if segments_intersect(a, b, c, d):
                raise (
                    _self_crossing(p, r)
                    if (p, r) == (p2, r2)
                    else _fail(
                        _("Rings of the boundary cross or touch each other (polygon %(p)d).")
                        % {"p": p + 1}
                    )
                )


def _overlap_beyond(a: Point, b: Point, c: Point, d: Point, shared: Point) -> bool:
    """Two edges meeting at `shared` that also overlap along a line (a spike folding back)."""
    if _orient(a, b, c) != 0 or _orient(a, b, d) != 0:
        return False
    others = [pt for pt in (a, b, c, d) if pt != shared]
    ab_other = a if b == shared else b
    cd_other = c if d == shared else d
    if len(others) < 2:
        return True
    # Collinear: they overlap when both far ends lie on the same side of the shared vertex.
    v1 = (ab_other[0] - shared[0], ab_other[1] - shared[1])
    v2 = (cd_other[0] - shared[0], cd_other[1] - shared[1])
    return v1[0] * v2[0] + v1[1] * v2[1] > 0


def _self_crossing(p: int, r: int) -> ValidationFailed:
    return _fail(_("Ring %(r)d of polygon %(p)d crosses itself.") % {"r": r + 1, "p": p + 1})


def _inside(point: Point, ring: Sequence[Point]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > y) != (y2 > y):
            cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < cross:
                inside = not inside
    return inside


def validate_markers(raw: Any) -> list[dict[str, Any]]:
    """Boundary markers (mốc ranh giới): [{"code": "M1", "lon": .., "lat": ..}, ...]."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationFailed(_("The boundary markers must be a list."), field="markers")
    clean = []
    for n, item in enumerate(raw, start=1):
        try:
            code = str(item["code"]).strip()
            lon, lat = float(item["lon"]), float(item["lat"])
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed(
                _("Marker %(n)d needs a code, a longitude and a latitude.") % {"n": n},
                field="markers",
            ) from None
        if (
            not code
            or not (math.isfinite(lon) and math.isfinite(lat))
            or abs(lon) > 180
            or abs(lat) > 90
        ):
            raise ValidationFailed(
                _("Marker %(n)d has no code or lies off the globe.") % {"n": n}, field="markers"
            )
        clean.append({"code": code, "lon": lon, "lat": lat})
    return clean
