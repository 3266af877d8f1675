"""Shared hypothesis strategies: bounded floats away from kinks and domain edges."""

from hypothesis import strategies as st


def reals(lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi]."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float = 0.2, hi: float = 3.0) -> st.SearchStrategy[float]:
    """Floats with lo <= |x| <= hi (off the kink of relu, off a division by zero)."""
    return st.tuples(reals(lo, hi), st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


def positives(lo: float = 0.2, hi: float = 3.0) -> st.SearchStrategy[float]:
    """Floats in [lo, hi], lo > 0 (inside log's domain)."""
    return reals(lo, hi)
