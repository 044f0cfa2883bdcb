"""Decay models fitted after a peak, and the forecast of the last mention with a predictive interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .glm import PoissonFit, fit_poisson, poisson_newton
from .series import PERIOD_DAYS, RECENT_WINDOW, Series

DECAY_FORMS: tuple[str, ...] = ("exponential", "power")
MIN_DECAY_POINTS = 6  # covered periods after the peak needed before a decay model is fitted
MAX_FORECAST_YEARS = 200.0  # beyond this the model sees no end: report the bound as unknown (None)


def _design(k: np.ndarray, form: str) -> np.ndarray:
    """Design matrix of a decay form in k = periods since the peak."""
    g = k if form == "exponential" else np.log1p(k)
    return np.column_stack([np.ones_like(g), g])


@dataclass(frozen=True)
class DecayFit:
    """A Poisson GLM of docs with log(total_docs) offset on periods since `start` (the peak)."""

    form: str
    start: int
    fit: PoissonFit
    k: np.ndarray
    y: np.ndarray
    offset: np.ndarray
    by: str

    @property
    def slope(self) -> float:
        """Decay coefficient (per period for exponential, power-law exponent for power)."""
        return float(self.fit.params[1])

    def slope_z(self) -> float:
        """Wald z statistic of the decay coefficient."""
        se = math.sqrt(max(float(self.fit.cov[1, 1]), 1e-300))
        return self.slope / se

    def rate(self, k: np.ndarray) -> np.ndarray:
        """Fitted rate (mentions per document) k periods after the peak."""
        return np.exp(_design(np.asarray(k, dtype=float), self.form) @ self.fit.params)

    def half_life_days(self) -> float | None:
        """Days from the peak until the fitted rate halves (None if the model does not decay)."""
        b = self.slope
        if b >= 0:
            return None
        periods = math.log(2) / -b if self.form == "exponential" else 2.0 ** (-1.0 / b) - 1.0
        return periods * PERIOD_DAYS[self.by]


def fit_decay(s: Series, start: int, stop: int, engine: str = "numpy") -> DecayFit | None:
    """Fit exponential and power-law decay from period `start` to `stop` (inclusive); keep the lower AIC.

    Only covered periods enter (gaps carry no exposure). Returns None with too few points, no mentions,
    or when the chosen form does not decay (slope >= 0): that idea is not fading, so no forecast.
    """
    sel = np.arange(start, stop + 1)
    sel = sel[s.covered[sel]]
    if sel.size < MIN_DECAY_POINTS or s.docs[sel].sum() < 3:
        return None
    k = (sel - start).astype(float)
    y = s.docs[sel].astype(float)
    off = np.log(s.exposure[sel].astype(float))
    best: DecayFit | None = None
    for form in DECAY_FORMS:
        f = fit_poisson(_design(k, form), y, off, engine=engine)
        if f is None or not np.all(np.isfinite(f.params)):
            continue
        if best is None or f.aic < best.fit.aic:
            best = DecayFit(form, start, f, k, y, off, s.by)
    if best is None or best.slope >= 0:
        return None
    return best


def _periods_until(params: np.ndarray, form: str, exposure: float, threshold: np.ndarray) -> np.ndarray:
    """Periods after the peak at which expected remaining mentions fall to `threshold` (inf: never).

    Remaining mentions from period k on, with constant future exposure n: exponential
    n e^a e^(b k) / (1 - e^b) (a geometric sum); power n e^a (k + 1/2)^(b+1) / -(b+1) (the integral
    approximation of the sum, finite only when b < -1).
    """
    a, b = params[..., 0], params[..., 1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if form == "exponential":
            k = (np.log(threshold * -np.expm1(b)) - np.log(exposure) - a) / b
            k = np.where(b < 0, k, np.inf)
        else:
            c = -(b + 1.0)
            k = np.exp(np.log(threshold * c / (exposure * np.exp(a))) / (b + 1.0)) - 0.5
            k = np.where(b < -1.0, k, np.inf)
    return np.where(np.isnan(k), np.inf, k)


@dataclass(frozen=True)
class Forecast:
    """Forecast last mention (period index, may lie beyond the series) and a predictive interval."""

    index: int | None
    lo: int | None
    hi: int | None
    expected_remaining: float


def forecast_last_mention(
    s: Series, model: DecayFit, last_mention: int, n_boot: int, rng: np.random.Generator, level: float = 0.95
) -> Forecast:
    """Forecast the last mention from a decay model, assuming future exposure = recent mean exposure.

    Point: the last period from which at least one more mention is expected (expected remaining
    mentions fall below one after it); if fewer than one mention is expected after the series ends, the
    last mention has probably happened already and the point is the observed last mention.
    Interval: parametric bootstrap. Counts are redrawn from the fitted model and the model refitted
    (batched Newton), then for each replicate the last future mention is drawn from its exact
    distribution, P(no mention after k) = exp(-remaining(k)). The interval therefore covers both the
    parameter uncertainty and the chance of the final stray mention.
    """
    cov_idx = np.flatnonzero(s.covered)
    recent = cov_idx[-RECENT_WINDOW[s.by] :]
    exposure = float(s.exposure[recent].mean())
    t_end = s.n - 1 - model.start  # k of the last period of the series
    params = model.fit.params
    remaining_after_end = float(_remaining(params, model.form, exposure, t_end + 1))
    cap = MAX_FORECAST_YEARS * 365.2425 / PERIOD_DAYS[s.by]

    def to_index(k: np.ndarray) -> np.ndarray:
        kk = np.floor(k)
        out = np.where(kk > t_end, kk + model.start, last_mention).astype(float)
        return np.where(np.isfinite(k) & (k < cap), out, np.inf)

    point = to_index(_periods_until(params, model.form, exposure, np.array(1.0)))
    if remaining_after_end < 1.0:
        point = np.array(float(last_mention))
    lo = hi = None
    if n_boot > 0:
        x = _design(model.k, model.form)
        mu = np.exp(x @ params + model.offset)
        ystar = _poisson_draws(rng, mu, n_boot)
        # Warm-started at the estimate, regular replicates converge in a few steps; the rare degenerate
        # ones (e.g. all zeros) would run to the cap, so the cap is low and they are dropped.
        beta, ok = poisson_newton(x, ystar, model.offset, params, max_iter=6, tol=1e-5)
        beta = beta[ok]
        if beta.shape[0] >= 10:
            u = rng.uniform(size=beta.shape[0])
            draws = to_index(_periods_until(beta, model.form, exposure, -np.log(u)))
            q = (
                np.quantile(draws, (1 - level) / 2, method="lower"),
                np.quantile(draws, 1 - (1 - level) / 2, method="higher"),
            )
            lo = int(q[0]) if np.isfinite(q[0]) else None
            hi = int(q[1]) if np.isfinite(q[1]) else None
            if lo is None:  # even the lower bound is beyond the horizon: no interval worth stating
                hi = None
    pt = int(point) if np.isfinite(point) else None
    return Forecast(pt, lo, hi, remaining_after_end)


def _poisson_draws(rng: np.random.Generator, mu: np.ndarray, n: int) -> np.ndarray:
    """n rows of Poisson(mu) counts; normal approximation (rounded) where mu >= 50, for speed."""
    out = np.empty((n, mu.size))
    small = mu < 50
    out[:, small] = rng.poisson(mu[small], size=(n, int(small.sum())))
    if (~small).any():
        m = mu[~small]
        out[:, ~small] = np.maximum(np.rint(m + np.sqrt(m) * rng.standard_normal((n, m.size))), 0.0)
    return out


def _remaining(params: np.ndarray, form: str, exposure: float, k: float) -> float:
    """Expected mentions from period k (since the peak) onwards under a decay model."""
    a, b = float(params[0]), float(params[1])
    if form == "exponential":
        return exposure * math.exp(a + b * k) / -math.expm1(b) if b < 0 else math.inf
    if b >= -1.0:
        return math.inf
    return exposure * math.exp(a) * (k + 0.5) ** (b + 1.0) / -(b + 1.0)
