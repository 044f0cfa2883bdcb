"""Phases of a life (latent, rise, peak, decline, relaunch, dead) and Downs' attention-cycle stages."""

from __future__ import annotations

import numpy as np

from .waves import Wave

PLATEAU = 0.75  # the "peak" phase: contiguous periods around a wave's peak at >= 75% of its height
HALF = 0.5  # a wave is "declining" (not merely "sustained") once it falls below half its peak
POST_PROBLEM = 0.25  # Downs' post-problem stage: attention below a quarter of the peak

DOWNS_STAGES: tuple[str, ...] = (
    "pre-problem",
    "alarmed discovery",
    "realising the cost",
    "gradual decline",
    "post-problem",
)

Span = tuple[str, int, int]  # (label, first period index, last period index), inclusive


def _plateau(sm: np.ndarray, peak: int, lo: int, hi: int) -> tuple[int, int]:
    """From the first to the last period in [lo, hi] where the rate reaches PLATEAU of the peak.

    First/last crossing (not the contiguous run) so that noise dipping below the line inside a long
    high stretch does not split it into rise and decline.
    """
    level = PLATEAU * sm[peak]
    hit = np.flatnonzero(sm[lo : hi + 1] >= level) + lo
    if hit.size == 0:
        return peak, peak
    return min(int(hit[0]), peak), max(int(hit[-1]), peak)


def life_phases(
    sm: np.ndarray, waves: list[Wave], last_mention: int | None, status: str, mentions: np.ndarray
) -> list[Span]:
    """Phases from the first period to the last; NaN rates (gaps) never end a plateau.

    latent (before birth) · rise · peak · decline or sustained · then, for each later wave, relaunch or
    resurrection (its rise) · peak · decline/sustained · and dormant/dead after the last mention when the
    verdict says so. A silence before a resurrection is labelled dead.
    """
    n = sm.size
    if not waves or last_mention is None:
        return [("latent", 0, n - 1)] if n else []
    sm = np.where(np.isnan(sm), -np.inf, sm)  # a gap compares below nothing, so "not < level" holds
    sm_fill = np.where(np.isinf(sm), np.nan, sm)
    out: list[Span] = []
    if waves[0].start > 0:
        out.append(("latent", 0, waves[0].start - 1))
    final_end = last_mention if status in ("dead", "dormant") else n - 1
    for i, wv in enumerate(waves):
        nxt = waves[i + 1] if i + 1 < len(waves) else None
        end = nxt.start - 1 if nxt is not None else final_end
        silence_after: Span | None = None
        if nxt is not None and nxt.kind == "resurrection":
            before = np.flatnonzero(mentions[: nxt.start] > 0)
            last_before = int(before[-1]) if before.size else wv.start
            if last_before < nxt.start - 1:
                silence_after = ("dead", last_before + 1, nxt.start - 1)
                end = last_before
        end = max(end, wv.start)
        a, b = _plateau(sm, wv.peak, wv.start, end)
        out.append(("rise" if i == 0 else wv.kind, wv.start, a - 1))
        out.append(("peak", a, b))
        tail = sm_fill[b + 1 : end + 1]
        fell = tail.size and np.nanmin(np.where(np.isnan(tail), np.inf, tail)) < HALF * sm[wv.peak]
        out.append(
            ("decline" if fell or status in ("dead", "dormant", "declining") else "sustained", b + 1, end)
        )
        if silence_after:
            out.append(silence_after)
    if status in ("dead", "dormant") and last_mention < n - 1:
        out.append((status, last_mention + 1, n - 1))
    return [(lab, a, b) for lab, a, b in out if b >= a]


def unplaced_phases(n: int, first: int, life_end: int, status: str) -> list[Span]:
    """Phases of an idea whose mentions are too thin to place a peak: latent before the first mention,
    'in use' from it to the end of its life (no rise, peak or decline the data cannot show), then
    dormant or dead after the last use when the verdict says so."""
    end = life_end if status in ("dead", "dormant") else n - 1
    out: list[Span] = [("latent", 0, first - 1), ("in use", first, end)]
    if status in ("dead", "dormant") and end < n - 1:
        out.append((status, end + 1, n - 1))
    return [(lab, a, b) for lab, a, b in out if b >= a]


def downs_stages(
    sm: np.ndarray, waves: list[Wave], peak: int | None, last_mention: int | None, status: str
) -> list[Span]:
    """Downs' (1972) five stages, for the main wave only, and only those the curve supports.

    pre-problem: before birth; alarmed discovery: birth to the start of the peak plateau; realising the
    cost: the plateau, once attention has come off it; gradual decline: after the plateau until
    attention first drops below a quarter of the peak (stated only if it fell below half); post-problem:
    from then on (or from the day after the last mention of a dormant/dead idea, if earlier).
    """
    n = sm.size
    if not waves or peak is None or last_mention is None:
        return [("pre-problem", 0, n - 1)] if n else []
    sm_inf = np.where(np.isnan(sm), -np.inf, sm)
    birth = waves[0].start
    a, b = _plateau(sm_inf, peak, birth, n - 1)
    out: list[Span] = []
    if birth > 0:
        out.append(("pre-problem", 0, birth - 1))
    out.append(("alarmed discovery", birth, a - 1))
    if b >= n - 1:  # still on the plateau at the end: attention has not come off its peak yet
        out.append(("alarmed discovery", a, n - 1))
        return _merge([(lab, x, y) for lab, x, y in out if y >= x])
    out.append(("realising the cost", a, b))
    after = sm[b + 1 :]
    low = np.flatnonzero(np.nan_to_num(after, nan=np.inf) < POST_PROBLEM * sm[peak])
    post = b + 1 + int(low[0]) if low.size else None
    if status in ("dead", "dormant") and (post is None or last_mention + 1 < post):
        post = last_mention + 1
    fell_half = (np.nan_to_num(after, nan=np.inf) < HALF * sm[peak]).any() or status in ("dead", "dormant")
    if fell_half:
        out.append(("gradual decline", b + 1, (post - 1) if post is not None else n - 1))
        if post is not None and post <= n - 1:
            out.append(("post-problem", post, n - 1))
    else:
        out[-1] = ("realising the cost", a, n - 1)
    return _merge([(lab, x, y) for lab, x, y in out if y >= x])


def _merge(spans: list[Span]) -> list[Span]:
    """Join adjacent spans that carry the same label."""
    out: list[Span] = []
    for lab, a, b in spans:
        if out and out[-1][0] == lab and out[-1][2] + 1 >= a:
            out[-1] = (lab, out[-1][1], b)
        else:
            out.append((lab, a, b))
    return out
