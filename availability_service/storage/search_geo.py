"""The radius filter of a search as latitude and longitude ranges that B-tree indexes serve.

PostgreSQL estimates an `earth_box @>` condition at a fixed 0.1 % of the rows, whatever the
radius (cube's operators have no statistics), so with it the planner never combined the box
with the quality and price indexes and read every lot in the box instead (27,000 rows of
which 2,000 passed, at 200,000 lots). Ranges on the latitude and longitude columns have
real histograms, so the planner ANDs the (commodity, latitude, longitude) index of
migration 0010 with the others and reads only the lots that pass them all.

The ranges are a superset of the circle: every point within `radius_m` of the centre, as
earthdistance measures it (a sphere of radius EARTH_RADIUS_M, great-circle arcs), lies
inside them, with a margin far above float rounding; the exact `earth_distance` filter and
scoring then decide every edge, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# earthdistance's earth(): the sphere its ll_to_earth and earth_distance use.
EARTH_RADIUS_M = 6378168.0
# Added to the circle's angular radius (radians): about 6 m, far above the float rounding of
# earth_distance (about 1e-9 m per km) and of the trigonometry below.
ANGLE_MARGIN = 1e-6


@dataclass(frozen=True)
class GeoRanges:
    """Latitude within [south, north]; longitude within any of `longitudes` (none: any)."""

    south: float
    north: float
    longitudes: tuple[tuple[float, float], ...]


def circle_ranges(latitude: float, longitude: float, radius_m: float) -> GeoRanges:
    """Degree ranges holding every point within radius_m of (latitude, longitude).

    Latitude: the centre's +/- the angular radius. Longitude: the widest a circle of that
    angular radius reaches at the centre's latitude, asin(sin(d) / cos(latitude)) (the
    tangent meridians); a circle over a pole spans every longitude, and one crossing the
    180th meridian is two ranges, one each side.
    """
    angle = radius_m / EARTH_RADIUS_M + ANGLE_MARGIN
    if not angle < math.pi:
        return GeoRanges(-90.0, 90.0, ())
    phi = math.radians(latitude)
    south, north = phi - angle, phi + angle
    if south <= -math.pi / 2 or north >= math.pi / 2:
        return GeoRanges(max(-90.0, math.degrees(south)), min(90.0, math.degrees(north)), ())
    # |phi| + angle < pi / 2 here, so sin(angle) < cos(phi) and the ratio is below 1.
    ratio = math.sin(angle) / math.cos(phi)
    if not ratio < 1:
        return GeoRanges(math.degrees(south), math.degrees(north), ())
    # The asin's own rounding is covered by ANGLE_MARGIN's share of a longitude degree.
    reach = math.degrees(math.asin(ratio)) + math.degrees(ANGLE_MARGIN)
    west, east = longitude - reach, longitude + reach
    if west < -180.0 and east > 180.0:
        ranges: tuple[tuple[float, float], ...] = ()
    elif west < -180.0:
        ranges = ((-180.0, east), (west + 360.0, 180.0))
    elif east > 180.0:
        ranges = ((west, 180.0), (-180.0, east - 360.0))
    else:
        ranges = ((west, east),)
    return GeoRanges(math.degrees(south), math.degrees(north), ranges)
