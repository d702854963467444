"""Bessel I0/I1 and the inverse normal CDF on numpy and cupy alike, in float64, without scipy.

Bessel I0/I1 use their power series below |x| = 20 and the asymptotic expansion above it,
scaled by exp(-|x|) as i0e/i1e (I0 and I1 multiply back, overflowing where Eigen's do);
ndtri and erfinv refine Acklam's rational first guess with Halley (Newton) steps on erfc
or erf, which `unary_ops` supplies. Every function calls only `xp.*`.
"""

from __future__ import annotations

import math


def _f64(xp, x):
    return xp.asarray(x).astype(xp.float64)


# ---- modified Bessel functions of the first kind ---------------------------------------------------
_BESSEL_SPLIT = 20.0
_BESSEL_SERIES_TERMS = 60
_BESSEL_ASYMPTOTIC_TERMS = 30


def _bessel_i_scaled(xp, x, order):
    """exp(-|x|) I_order(|x|) for order 0 or 1: the power series below |x| = 20 (all terms
    positive, so no cancellation), the asymptotic expansion above it (its smallest term,
    near k = 2|x|, is below e^-40)."""
    ax = xp.abs(_f64(xp, x))
    small = xp.where(ax < _BESSEL_SPLIT, ax, 0.0)
    quarter = 0.25 * small * small
    term = xp.ones_like(small) if order == 0 else 0.5 * small
    total = term
    for k in range(1, _BESSEL_SERIES_TERMS):
        term = term * quarter / (k * (k + order))
        total = total + term
    series = total * xp.exp(-small)
    big = xp.where(ax >= _BESSEL_SPLIT, ax, _BESSEL_SPLIT)
    mu = 4.0 * order * order
    term = xp.ones_like(big)
    total = term
    for k in range(1, _BESSEL_ASYMPTOTIC_TERMS):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * big)
        total = total + term
    asymptotic = total / xp.sqrt(2.0 * math.pi * big)
    return xp.where(ax < _BESSEL_SPLIT, series, asymptotic), ax


def bessel_i0e(xp, x):
    y, _ = _bessel_i_scaled(xp, x, 0)
    return xp.where(xp.isnan(x), xp.nan, y)


def bessel_i1e(xp, x):
    y, _ = _bessel_i_scaled(xp, x, 1)
    y = xp.where(x < 0, -y, y)
    return xp.where(xp.isnan(x), xp.nan, y)


def bessel_i0(xp, x):
    """I0(x) = exp(|x|) i0e(x), as Eigen computes it: inf past |x| ~ 709.78, nan at +-inf."""
    y, ax = _bessel_i_scaled(xp, x, 0)
    return xp.where(xp.isnan(x), xp.nan, xp.exp(ax) * y)


def bessel_i1(xp, x):
    """I1(x) = exp(|x|) i1e(x), as Eigen computes it."""
    y, ax = _bessel_i_scaled(xp, x, 1)
    value = xp.exp(ax) * y
    value = xp.where(x < 0, -value, value)
    return xp.where(xp.isnan(x), xp.nan, value)


# ---- inverse normal CDF and inverse error function ---------------------------------------------------
# Acklam's rational approximation of ndtri (relative error < 1.2e-9), refined by Halley steps.
_ACKLAM_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
             -3.066479806614716e+01, 2.506628277459239e+00)
_ACKLAM_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
             -1.328068155288572e+01)
_ACKLAM_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
             4.374664141464968e+00, 2.938163982698783e+00)
_ACKLAM_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _polynomial(xp, coefficients, x):
    total = xp.zeros_like(x)
    for c in coefficients:
        total = total * x + c
    return total


def _ndtri_lower(xp, p, erfc):
    """ndtri(p) for 0 < p <= 1/2 (a lower tail), to full double precision."""
    central = p > 0.02425
    q = p - 0.5
    r = q * q
    guess_central = q * _polynomial(xp, _ACKLAM_A, r) / (_polynomial(xp, _ACKLAM_B, r) * r + 1.0)
    t = xp.sqrt(-2.0 * xp.log(xp.where(central, 0.5, p)))
    guess_tail = _polynomial(xp, _ACKLAM_C, t) / (_polynomial(xp, _ACKLAM_D, t) * t + 1.0)
    z = xp.where(central, guess_central, guess_tail)
    for _ in range(2):  # Halley on Phi(z) - p, Phi(z) = erfc(-z / sqrt 2) / 2 (accurate in the tail)
        e = 0.5 * erfc(xp, -z / _SQRT2) - p
        u = e * _SQRT_2PI * xp.exp(0.5 * z * z)
        z = z - u / (1.0 + 0.5 * z * u)
    return z


def ndtri(xp, p, erfc):
    """The inverse of the standard normal CDF: -inf at 0, inf at 1, nan outside [0, 1]."""
    p = _f64(xp, p)
    upper = p > 0.5
    tail = xp.where(upper, 1.0 - p, p)  # exact for p >= 1/2
    inside = (tail > 0) & (p < 1)
    z = _ndtri_lower(xp, xp.where(inside, tail, 0.25), erfc)
    z = xp.where(upper, -z, z)
    z = xp.where(p == 0, -xp.inf, xp.where(p == 1, xp.inf, z))
    return xp.where((p < 0) | (p > 1) | xp.isnan(p), xp.nan, z)


def erfinv(xp, x, erf, erfc):
    """The inverse error function: ndtri's guess, then Newton steps on erf (|x| < 1/2, where
    relative accuracy near 0 matters) or on erfc (|x| >= 1/2, where 1 - |x| is exact)."""
    x = _f64(xp, x)
    ax = xp.abs(x)
    inside = ax < 1
    safe = xp.where(inside, ax, 0.5)
    y = -ndtri(xp, 0.5 * (1.0 - safe), erfc) / _SQRT2
    for _ in range(2):
        slope = (2.0 / math.sqrt(math.pi)) * xp.exp(-y * y)
        residual = xp.where(safe < 0.5, erf(xp, y) - safe, (1.0 - safe) - erfc(xp, y))
        y = y - residual / slope
    y = xp.where(safe == 0, 0.0, y)
    y = xp.where(inside, y, xp.where(ax == 1, xp.inf, xp.nan))
    y = xp.where(x < 0, -y, y)
    return xp.where(xp.isnan(x), xp.nan, y)
