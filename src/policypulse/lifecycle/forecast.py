"""Decay models fitted after a peak, and the forecast of the last mention with a predictive interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .glm import PoissonFit, fit_poisson
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

    def dispersion(self) -> float:
        """Pearson chi-square / df of the fit, at least 1, and at blocks of up to four periods (the
        larger), so that serial correlation widens the intervals as overdispersion does."""
        mu = np.exp(_design(self.k, self.form) @ self.fit.params + self.offset)
        best = 1.0
        n = self.y.size
        for b in (1, 2, 4):
            m = n // b
            if m < 4:
                break
            yb = self.y[n - m * b :].reshape(m, b).sum(axis=1)
            mb = mu[n - m * b :].reshape(m, b).sum(axis=1)
            ok = mb > 0
            if ok.sum() > 2:
                best = max(best, float(np.sum((yb[ok] - mb[ok]) ** 2 / mb[ok]) / (ok.sum() - 2)))
        return best

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
    fits: dict[str, DecayFit] = {}
    for form in DECAY_FORMS:
        f = fit_poisson(_design(k, form), y, off, engine=engine)
        if f is not None and np.all(np.isfinite(f.params)):
            fits[form] = DecayFit(form, start, f, k, y, off, s.by)
    if not fits:
        return None
    # Quasi-AIC (AIC on the log-likelihood divided by the dispersion): with overdispersed counts the
    # Poisson AIC overstates small differences. The power law must win clearly (by 2) and have a finite
    # end (exponent below -1) to be preferred; otherwise the exponential form is used.
    best = fits.get("exponential")
    power = fits.get("power")
    if power is not None:
        phi = max(min(f.dispersion() for f in fits.values()), 1.0)
        qaic = {form: -2 * f.fit.loglik / phi + 2 * len(f.fit.params) for form, f in fits.items()}
        if best is None or (qaic["power"] < qaic.get("exponential", np.inf) - 2.0 and power.slope < -1.0):
            best = power
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
    Interval: see `_last_mention_draws` (a negative binomial decay model: parameter uncertainty,
    overdispersion, serial correlation and the chance of the final stray mention); its lower end also
    allows the idea to be dropped abruptly (`_abandonment_draws`).
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
        draws = _last_mention_draws(model, exposure, t_end, n_boot, rng, cap)
        if draws is not None:
            # The lower end allows an abrupt end (a slogan dropped while still said): the last mention is
            # the earlier of the decay's end and an abandonment time; the upper end is the decay's alone,
            # since abandonment can only bring the end forward.
            mentioned = np.flatnonzero(s.docs > 0)
            age = float(s.n - mentioned[0]) if mentioned.size else 1.0
            early = to_index(np.minimum(draws, t_end + _abandonment_draws(age, draws.size, rng)))
            draws = to_index(draws)
            q = (
                np.quantile(early, (1 - level) / 2, method="lower"),
                np.quantile(draws, 1 - (1 - level) / 2, method="higher"),
            )
            lo = int(q[0]) if np.isfinite(q[0]) else None
            hi = int(q[1]) if np.isfinite(q[1]) else None
            if lo is None:  # even the lower bound is beyond the horizon: no interval worth stating
                hi = None
    pt = int(point) if np.isfinite(point) else None
    return Forecast(pt, lo, hi, remaining_after_end)


def _abandonment_draws(age: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws of the periods until an idea `age` periods old is dropped, from Gott's (1993) delta-t
    argument: with nothing special about the present moment of a life, P(still in use t periods on) =
    age / (age + t), so t = age (1 / u - 1) for u uniform. A prior for what one idea's counts cannot show:
    that it can be dropped abruptly at any time."""
    u = rng.uniform(size=n)
    return age * (1.0 / np.maximum(u, 1e-12) - 1.0)


MAX_GRID = 6000  # future periods simulated for the interval; a last mention beyond them is "no end in sight"


def _last_mention_draws(
    model: DecayFit, exposure: float, t_end: int, n: int, rng: np.random.Generator, cap: float
) -> np.ndarray | None:
    """Draws of the last mention (k, periods since the peak; inf: beyond the horizon) under a negative
    binomial (NB2) version of the decay model.

    The NB2 model (statsmodels) is fitted on the same periods; its dispersion alpha carries the counts'
    overdispersion and the lag-1 autocorrelation rho of the latent rate (`_latent_rho`) inflates the
    parameters' covariance by (1 + rho) / (1 - rho) (serial correlation: fewer independent periods than it
    seems). The coefficients are drawn from that normal restricted to decaying slopes (`_decaying_draws`).
    For each parameter draw, P(no mention after K) = prod over t > K of (1 + alpha mu_t) ** (-1 / alpha),
    and the last mention is drawn from that distribution; a draw with no end within the horizon is inf.
    """
    x = _design(model.k, model.form)
    beta0, cov, alpha = model.fit.params, model.fit.cov, 0.0
    nb = _fit_nb2(x, model.y, model.offset, beta0)
    if nb is not None:
        beta0, cov, alpha = nb
    mu = np.exp(x @ beta0 + model.offset)
    rho = _latent_rho(model.y, mu, alpha)
    beta = _decaying_draws(beta0, cov * (1 + rho) / (1 - rho), model.form, n, rng)
    beta = beta[np.all(np.isfinite(beta), axis=1)]
    if beta.shape[0] < 10:
        return None
    horizon = int(min(cap, MAX_GRID))
    k = np.arange(t_end + 1, t_end + 1 + horizon, dtype=float)
    with np.errstate(over="ignore"):
        eta = beta @ _design(k, model.form).T + math.log(exposure)
        m = np.exp(np.minimum(eta, 50.0))
    # Serially correlated counts come in spells: periods within a block of about (1 + rho) / (1 - rho)
    # periods share one gamma multiplier, so a block is silent with probability (1 + a M)^(-1/a), M its
    # expected mentions, not the product over its periods. The block's "mass" is spread over its periods.
    block = int(min(max(round((1 + rho) / (1 - rho)), 1), 24))
    a_eff = max(alpha, 1e-9)
    if block > 1:
        blocks = -(-horizon // block)
        pad = np.zeros((m.shape[0], blocks * block - horizon))
        mb = np.concatenate([m, pad], axis=1).reshape(m.shape[0], blocks, block)
        gb = np.log1p(a_eff * mb.sum(axis=2)) / a_eff
        share = mb / np.maximum(mb.sum(axis=2, keepdims=True), 1e-300)
        g = (share * gb[:, :, None]).reshape(m.shape[0], blocks * block)[:, :horizon]
    else:
        g = np.log1p(alpha * m) / alpha if alpha > 1e-9 else m
    tail = np.cumsum(g[:, ::-1], axis=1)[:, ::-1]  # tail[:, j] = expected "mass" from k[j] on
    need = -np.log(rng.uniform(size=beta.shape[0]))
    # Last mention <= K when the mass after K is at most `need`; before the grid: already happened.
    after = tail > need[:, None]
    last = np.where(after.any(axis=1), k[np.minimum(after.sum(axis=1), horizon - 1)] - 1.0, t_end)
    # The mass beyond the grid must be negligible, else no end is in sight for that draw.
    beyond = g[:, -1] * 10 * horizon > need
    return np.where(beyond & after[:, -1], np.inf, last).astype(float)


def _latent_rho(y: np.ndarray, mu: np.ndarray, alpha: float) -> float:
    """Lag-1 autocorrelation of the latent rate multiplier, in [0, 0.9], from the NB2 Pearson residuals.

    The residuals' correlation is diluted by Poisson noise: with variance mu + alpha mu^2, only the share
    alpha mu / (1 + alpha mu) of it is the rate's, so their lag-1 correlation is about rho times the mean
    share. Dividing by that share undoes the dilution. On the bench's 96 AR(1) fades (phi 0.8; the rate
    multiplier's lag-1 correlation is 0.71, spells of (1 + 0.71) / (1 - 0.71) = 6 periods) the mean spell
    goes from 2.0 to 3.4 periods; on Poisson and negative binomial fades it stays at 1.0-1.1.
    """
    if y.size <= 3:
        return 0.0
    resid = (y - mu) / np.sqrt(mu + alpha * mu * mu)
    if resid.std() == 0:
        return 0.0
    rho = float(np.corrcoef(resid[:-1], resid[1:])[0, 1])
    rho = max(rho if np.isfinite(rho) else 0.0, 0.0)
    # Only a correlation that stands out of its sampling noise (2 / sqrt(n)) is scaled up: divided by a
    # small share, noise would pass for long spells.
    if alpha > 1e-9 and rho > 2.0 / math.sqrt(y.size):
        share = float(np.mean(alpha * mu / (1.0 + alpha * mu)))
        rho /= max(share, 1e-3)
    return min(rho, 0.9)


def _decaying_draws(beta0: np.ndarray, cov: np.ndarray, form: str, n: int, rng: np.random.Generator
                    ) -> np.ndarray:
    """n draws of (intercept, slope) from N(beta0, cov) restricted to slopes that decay to an end
    (exponential: below 0; power law: below -1).

    A forecast of the last mention is made only for a fading idea, so the draws condition on that; an
    unrestricted normal puts over 2.5% of its mass on slopes that never decay whenever the slope is
    uncertain (overdispersed counts), and the interval then has no upper end. The slope is drawn from the
    truncated normal and the intercept from its normal law given the slope.
    """
    from scipy.stats import truncnorm

    lim = 0.0 if form == "exponential" else -1.0
    sd_b = math.sqrt(max(float(cov[1, 1]), 1e-300))
    upper = (lim - float(beta0[1])) / sd_b
    u = rng.uniform(size=n)
    with np.errstate(all="ignore"):
        b = truncnorm.ppf(u, -np.inf, upper, loc=float(beta0[1]), scale=sd_b)
    b = np.minimum(b, np.nextafter(lim, -np.inf))
    slope_coef = float(cov[0, 1]) / (sd_b * sd_b)
    sd_a = math.sqrt(max(float(cov[0, 0]) - float(cov[0, 1]) ** 2 / (sd_b * sd_b), 0.0))
    a = float(beta0[0]) + slope_coef * (b - float(beta0[1])) + sd_a * rng.standard_normal(n)
    return np.column_stack([a, b])


def _fit_nb2(x: np.ndarray, y: np.ndarray, offset: np.ndarray, start: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """NB2 regression with offset (statsmodels): coefficients, their covariance, and alpha; None if it
    fails or finds no overdispersion worth the name (then the Poisson fit stands)."""
    import warnings

    import statsmodels.api as sm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.NegativeBinomial(y, x, offset=offset, loglike_method="nb2").fit(
                start_params=np.append(start, 0.1), disp=0, maxiter=100)
        params = np.asarray(res.params)
        cov = np.asarray(res.cov_params())
    except (ValueError, np.linalg.LinAlgError, OverflowError):
        return None
    if not (res.mle_retvals.get("converged", False) and np.all(np.isfinite(params)) and np.all(np.isfinite(cov))):
        return None
    alpha = float(params[-1])
    if alpha <= 1e-6:
        return None
    return params[:-1], cov[:-1, :-1], alpha


def _remaining(params: np.ndarray, form: str, exposure: float, k: float) -> float:
    """Expected mentions from period k (since the peak) onwards under a decay model."""
    a, b = float(params[0]), float(params[1])
    if form == "exponential":
        return exposure * math.exp(a + b * k) / -math.expm1(b) if b < 0 else math.inf
    if b >= -1.0:
        return math.inf
    return exposure * math.exp(a) * (k + 0.5) ** (b + 1.0) / -(b + 1.0)
