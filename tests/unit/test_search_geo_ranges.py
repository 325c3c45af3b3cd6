"""The radius's latitude and longitude ranges hold every point of the circle, as earthdistance
measures it (watch.standing.earth_distance_m is its arithmetic in Python), also over a
pole and across the 180th meridian."""

from __future__ import annotations

import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from availability_service.storage.search_geo import GeoRanges, circle_ranges
from availability_service.watch.standing import earth_distance_m


def inside(ranges: GeoRanges, latitude: float, longitude: float) -> bool:
    if not ranges.south <= latitude <= ranges.north:
        return False
    return not ranges.longitudes or any(w <= longitude <= e for w, e in ranges.longitudes)


def clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


@settings(max_examples=2000, deadline=None)
@given(
    centre_lat=st.floats(-90, 90),
    centre_lng=st.floats(-180, 180),
    radius_km=st.floats(0.001, 21000),
    share=st.floats(0, 1),
    bearing=st.floats(0, 2 * math.pi),
)
@example(centre_lat=0.0, centre_lng=179.9, radius_km=50.0, share=1.0, bearing=math.pi / 2)
@example(centre_lat=0.0, centre_lng=-179.9, radius_km=50.0, share=1.0, bearing=-math.pi / 2)
@example(centre_lat=89.9, centre_lng=10.0, radius_km=100.0, share=1.0, bearing=0.0)
@example(centre_lat=-89.0, centre_lng=0.0, radius_km=500.0, share=1.0, bearing=math.pi)
@example(centre_lat=45.0, centre_lng=0.0, radius_km=500.0, share=1.0, bearing=math.pi / 2)
def test_every_point_within_the_radius_lies_inside_the_ranges(
    centre_lat: float, centre_lng: float, radius_km: float, share: float, bearing: float
) -> None:
    """Points walked out from the centre (up to a little beyond the radius): each one
    earthdistance puts within the radius is inside the ranges."""
    radius_m = radius_km * 1000.0
    angle = share * 1.001 * radius_m / 6378168.0
    phi, lam = math.radians(centre_lat), math.radians(centre_lng)
    lat = math.asin(
        clip(
            math.sin(phi) * math.cos(angle) + math.cos(phi) * math.sin(angle) * math.cos(bearing),
            -1,
            1,
        )
    )
    lng = lam + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(phi),
        math.cos(angle) - math.sin(phi) * math.sin(lat),
    )
    point = (math.degrees(lat), (math.degrees(lng) + 540.0) % 360.0 - 180.0)
    if earth_distance_m((centre_lat, centre_lng), point) <= radius_m:
        assert inside(circle_ranges(centre_lat, centre_lng, radius_m), *point)


def test_a_circle_across_the_180th_meridian_is_two_longitude_ranges() -> None:
    ranges = circle_ranges(10.0, 179.5, 200_000.0)
    assert len(ranges.longitudes) == 2
    assert inside(ranges, 10.0, -179.5) and inside(ranges, 10.0, 179.9)
    assert not inside(ranges, 10.0, 0.0)


def test_a_circle_over_a_pole_spans_every_longitude() -> None:
    ranges = circle_ranges(89.5, 0.0, 200_000.0)
    assert ranges.longitudes == () and ranges.north == 90.0


def test_a_small_circle_is_a_narrow_box() -> None:
    """500 km at 20 N: about 4.5 degrees of latitude and 4.8 of longitude each way."""
    ranges = circle_ranges(20.0, 76.0, 500_000.0)
    assert 4.4 < 20.0 - ranges.south < 4.6
    ((west, east),) = ranges.longitudes
    assert 4.7 < 76.0 - west < 4.9 and 4.7 < east - 76.0 < 4.9
