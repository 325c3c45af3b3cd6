"""The distance the covering-index read bounds scores with (storage.search_bounds) is never
more than PostgreSQL's earth_distance for the same two points, so the bound it gives the
distance factor is never below the lot's own: next to the centre, at any distance, and
near the antipode, where both formulas round the most."""

from __future__ import annotations

import math
import random

from sqlalchemy import Float, cast, column, func, select, values

from availability_service.app import Application
from availability_service.storage.search_bounds import distance_floor_m


def test_the_distance_floor_never_exceeds_earth_distance(app: Application) -> None:
    """(`app` migrates the database: earthdistance is installed by the first migration.)"""
    rng = random.Random(15)
    centres = [(0.0, 0.0), (89.99, 10.0), (-45.5, 179.99), (20.0, 76.0)]
    centres += [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(6)]
    checked = 0
    with app.engine.connect() as conn:
        for lat0, lng0 in centres:
            points = [(lat0, lng0), (-lat0, lng0 + 180.0 if lng0 <= 0 else lng0 - 180.0)]
            for _ in range(400):
                scale = rng.choice([1e-6, 1e-3, 0.1, 5.0, 90.0])
                lat = max(-90.0, min(90.0, lat0 + rng.uniform(-scale, scale)))
                lng = (lng0 + rng.uniform(-2 * scale, 2 * scale) + 540.0) % 360.0 - 180.0
                points.append((lat, lng))
            points.append((-lat0 + 1e-7, lng0 - 180.0 if lng0 > 0 else lng0 + 180.0 - 1e-7))
            p = values(column("lat", Float), column("lng", Float), name="p").data(points)
            lat, lng = cast(p.c.lat, Float), cast(p.c.lng, Float)
            centre = func.ll_to_earth(cast(lat0, Float), cast(lng0, Float))
            exact = func.earth_distance(centre, func.ll_to_earth(lat, lng))
            floor = distance_floor_m(lat, lng, (lat0, lng0))
            for d_exact, d_floor in conn.execute(select(exact, floor)):
                assert d_floor <= d_exact
                assert d_exact - d_floor <= 10.0 + 1e-8 * d_exact + 1.0  # a floor, not a guess
                checked += 1
    assert checked > 4000 and math.isfinite(d_floor)
