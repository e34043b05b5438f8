""" "Near a point" with plain arithmetic, the same on SQLite and PostgreSQL.

A bounding box (index-friendly) plus the equirectangular distance, accurate to
well under 1% at the radii a patron asks for (≤ 200 km) and at Italian latitudes.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import ColumnElement

KM_PER_DEGREE = 111.32


def near(latitude: Any, longitude: Any, lat: float, lon: float, radius_km: float) -> list[ColumnElement[bool]]:
    """SQL conditions for "the point in columns (``latitude``, ``longitude``) is within ``radius_km`` of (lat, lon)"."""
    dlat = radius_km / KM_PER_DEGREE
    scale = max(math.cos(math.radians(lat)), 1e-6)
    dlon = dlat / scale
    dy = latitude - lat
    dx = (longitude - lon) * scale
    return [
        latitude.is_not(None),
        longitude.is_not(None),
        latitude.between(lat - dlat, lat + dlat),
        longitude.between(lon - dlon, lon + dlon),
        dy * dy + dx * dx <= dlat * dlat,
    ]
