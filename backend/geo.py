""""Near a point" with plain arithmetic, the same on SQLite and PostgreSQL.

A bounding box (index-friendly) plus the equirectangular distance, accurate to
well under 1% at the radii a patron asks for (≤ 200 km) and at Italian latitudes.
"""

from __future__ import annotations

import math

KM_PER_DEGREE = 111.32


def near(latitude, longitude, lat: float, lon: float, radius_km: float) -> list:
    """SQL conditions for "the point in columns (``latitude``, ``longitude``) is within ``radius_km`` of (lat, lon)"."""
    dlat = radius_km / KM_PER_DEGREE
    scale = max(math.cos(math.radians(lat)), 1e-6)
    dlon = dlat / scale
    dy = latitude - lat
    dx = (longitude - lon) * scale
    return [
        latitude.is_not(None), longitude.is_not(None),
        latitude.between(lat - dlat, lat + dlat), longitude.between(lon - dlon, lon + dlon),
        dy * dy + dx * dx <= dlat * dlat,
    ]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), for showing the distance in results."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(math.sqrt(a))
