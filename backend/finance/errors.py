"""What the finance domain refuses, in Italian and English."""

from backend.errors import ErrorCode  # noqa: F401 - the codes follow with each piece
