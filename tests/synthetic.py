"""A seeded generator of synthetic news corpora with planted ideas whose counts are known exactly.

Documents are news-like (a title, sentences, paragraphs; words drawn from a Zipf distribution over common
English words) and spread over several sources of unequal size, with fewer documents at weekends. Planted
ideas follow a lifecycle profile (the probability that a document of a given date mentions them) and appear
in the surface variants that the matching rule folds together ("Big Society's", "big-society",
"BIG\\nSOCIETY", "#BigSociety", a soft hyphen or a no-break space inside); near-misses ("big societies",
"bigger society", "big new society", the plain word "BigSociety" beside the hashtag) are planted too and
never count. Optional coverage gaps (date ranges with no documents at all), month-precision dates
("2011-03") and undated documents (ingested with a fallback date) exercise the timeline's honesty rules.

Why the counts are exact: no token of any planted alias or exclusion ever occurs in the background
vocabulary, planted insertions are always separated by at least one background word, and every planted
surface is checked at construction (by this module's own small tokeniser) to hold exactly one occurrence of
its idea's aliases and none of any other idea's. The truth is computed from the plan, before any text is
written, so benchmarks get it for free::

    from synthetic import SyntheticCorpus, generate, expected_counts
    corpus = SyntheticCorpus(n_docs=1_000_000, seed=20140101, start="2000-01-01", end="2025-12-31",
                             n_sources=20, words=(300, 800))
    corpus.write_jsonl("corpus.jsonl")          # or: for record in corpus.records(): ...
    truth = corpus.expected("month")            # idea, period, docs, mentions (periods with docs > 0)
    timeline = corpus.expected_timeline("month")  # zero-filled, with total_docs and total_words

Records are dicts ``{id, date, source, title, text}``; ``date`` is ``YYYY-MM-DD`` (``YYYY-MM`` for
month-precision documents) and absent for undated ones.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_IDEAS", "PlantedIdea", "SyntheticCorpus", "expected_counts", "generate", "period_start",
    "period_starts", "tokenize",
]

# --- a small tokeniser of its own (the matching rule), used only to validate planted surfaces ----------

_INVISIBLE = re.compile("[\u00ad\u200c-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\u061c\u180e]")
_TOKEN = re.compile(r"#?[^\W_]+")


def tokenize(text: str) -> list[str]:
    """Tokens under the matching rule (casefolded runs of letters/digits, a leading '#' kept)."""
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text)).casefold()
    return _TOKEN.findall(text)


def _count_phrase(toks: Sequence[str], phrase: Sequence[str]) -> int:
    n, i, count = len(phrase), 0, 0
    while i + n <= len(toks):
        if list(toks[i : i + n]) == list(phrase):
            count += 1
            i += n
        else:
            i += 1
    return count


# --- periods (plain date arithmetic, independent of policypulse.timeline) -------------------------------


def period_start(d: dt.date, by: str) -> dt.date:
    """The first day of the period (day, week from Monday, month, quarter, year) holding ``d``."""
    if by == "day":
        return d
    if by == "week":
        return d - dt.timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    if by == "quarter":
        return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    if by == "year":
        return dt.date(d.year, 1, 1)
    raise ValueError(by)


def _next_period(d: dt.date, by: str) -> dt.date:
    if by == "day":
        return d + dt.timedelta(days=1)
    if by == "week":
        return d + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[by]
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def period_starts(first: dt.date, last: dt.date, by: str) -> list[dt.date]:
    """Every period start from the period holding ``first`` to the one holding ``last``."""
    out, cur, end = [], period_start(first, by), period_start(last, by)
    while cur <= end:
        out.append(cur)
        cur = _next_period(cur, by)
    return out


# Which date precisions may be placed in a period of each size (a month-dated document has no day).
_PRECISIONS_FOR = {"day": {"day"}, "week": {"day"}, "month": {"day", "month"}, "quarter": {"day", "month"},
                   "year": {"day", "month"}}


# --- planted ideas --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlantedIdea:
    """An idea planted in the corpus.

    ``surfaces``: each insertion is exactly one occurrence of one of ``aliases`` (one mention).
    ``near_misses``: look-alikes that never match. ``profile``: ``(t, p)`` knots, ``t`` the fraction of the
    corpus's time span and ``p`` the probability that a document of that date mentions the idea (linear in
    between). ``exclude`` / ``exclude_surfaces``: ideas-file exclusions and surfaces carrying them (each
    holds one alias occurrence too); a share ``exclude_share`` of mentioning documents also gets one.
    ``max_mentions``: a mentioning document mentions the idea 1..max_mentions times.
    """

    name: str
    aliases: tuple[str, ...]
    surfaces: tuple[str, ...]
    profile: tuple[tuple[float, float], ...]
    near_misses: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    exclude_surfaces: tuple[str, ...] = ()
    exclude_share: float = 0.0
    max_mentions: int = 3

    def idea_dict(self, exclusions: bool = True) -> dict[str, Any]:
        """As written in an ideas file."""
        out: dict[str, Any] = {"name": self.name, "aliases": list(self.aliases)}
        if exclusions and self.exclude:
            out["exclude"] = list(self.exclude)
        return out

    def probability(self, t: np.ndarray) -> np.ndarray:
        """Mention probability at time fractions ``t``."""
        xs, ys = zip(*self.profile)
        return np.clip(np.interp(t, xs, ys), 0.0, 1.0)


DEFAULT_IDEAS: tuple[PlantedIdea, ...] = (
    PlantedIdea(
        name="Big Society",
        aliases=("big society", "#bigsociety"),
        surfaces=("big society", "Big Society", "BIG SOCIETY", "Big-Society", "Big Society's", "big\nsociety",
                  "Big  Society", "\u201cBig Society\u201d", "big-\nsociety", "Big Soci\u00adety",
                  "Big\u00a0Society", "(Big Society)", "#BigSociety", "#bigsociety", "#BIGSOCIETY"),
        near_misses=("big societies", "bigger society", "Big Societies", "big new society", "BigSociety",
                     "#BigSocietyNow", "society, big", "#Big", "biggest society", "Big Soc"),
        profile=((0.0, 0.0), (0.30, 0.0), (0.32, 0.02), (0.45, 0.15), (0.60, 0.05), (0.75, 0.01), (0.76, 0.0),
                 (1.0, 0.0)),
        exclude=("big society network",),
        exclude_surfaces=("the Big Society Network", "Big Society network"),
        exclude_share=0.15,
    ),
    PlantedIdea(
        name="Forward Guidance",
        aliases=("forward guidance",),
        surfaces=("forward guidance", "Forward Guidance", "forward-guidance", "FORWARD GUIDANCE",
                  "forward\r\nguidance", "Forward\tGuidance"),
        near_misses=("forwarded guidance", "forward guidances", "forward policy guidance", "ForwardGuidance"),
        profile=((0.0, 0.0), (0.55, 0.0), (0.6, 0.05), (0.8, 0.08), (1.0, 0.06)),
    ),
    PlantedIdea(
        name="Service Integration",
        aliases=("service integration", "integrated services"),
        surfaces=("service integration", "Service Integration", "integrated services", "Integrated Services",
                  "service-integration", "SERVICE INTEGRATION's"),
        near_misses=("services integration", "service integrations", "integrated service", "integration service"),
        profile=((0.0, 0.03), (0.5, 0.01), (1.0, 0.03)),
        max_mentions=2,
    ),
    PlantedIdea(
        name="Levelling Up",
        aliases=("levelling up", "leveling up"),
        surfaces=("levelling up", "Levelling Up", "levelling-up", "LEVELLING UP", "leveling up", "Levelling\nup"),
        near_misses=("levelling upward", "levelled up", "up levelling", "levellingup"),
        profile=((0.0, 0.0), (0.85, 0.0), (0.88, 0.2), (1.0, 0.1)),
    ),
    PlantedIdea(
        name="Énergie citoyenne",
        aliases=("énergie citoyenne",),
        surfaces=("énergie citoyenne", "Énergie citoyenne", "\u00c9NERGIE CITOYENNE", "e\u0301nergie citoyenne",
                  "Énergie-Citoyenne"),
        near_misses=("energie citoyenne", "énergies citoyennes", "énergie citoyen"),
        profile=((0.0, 0.0), (0.1, 0.0), (0.12, 0.03), (0.2, 0.03), (0.21, 0.0), (0.8, 0.0), (0.82, 0.02),
                 (0.9, 0.02), (0.91, 0.0), (1.0, 0.0)),
        max_mentions=1,
    ),
)

# --- background text ------------------------------------------------------------------------------------

_WORDS = """the of and to a in that is was he for it with as his on be at by this had not are but from have
an they which one you were her all she there would their we him been has when who will more no if out so said
what its about into than them can only other some could time these two may then do first any now such like
our over even most made after also did many before must through back years where much your way well down
should because each just those people how too little state good very make world still own see men work long
get here between both life being under never day same another know while last might us great old year off
come since against go came right used take three states himself few house use during without again place
around however home small found thought went say part once general high upon school every does got united left
number course war until always away something fact though water less public put think almost hand enough far
took head yet government system better set told nothing night end why called find going look asked later knew
point next program city business give group toward young days let room president side given present several
order national possible rather second face per among form important often things looking early white case
become large need four within felt along children saw best church ever least power development light thing
seemed family interest want members mind country area others although turn done open god certain kind
problem began different door thus help sense means whole matter perhaps itself times law human line above
name example action company hands local show whether five history gave today either act feet across taken
past quite anything having seen death experience body word half really field week car words already
information tell college shall together money period held keep sure free real probably seems political
cannot behind question air office making brought whose special heard major problems ago became federal
moment study available known result street economic boy position reason change south board individual job
areas west close turned love community true court force full seem minister council budget report plan plans
reform funding scheme schemes party parties vote voters election ministers spending tax taxes health
education housing transport police crime prison courts judge trade industry market markets bank banks prices
inflation rates growth jobs workers strike pay wages pension pensions benefits welfare poverty hospital
hospitals doctors nurses patients teachers pupils schools university students councils mayor region regions
rural urban energy climate carbon emissions farmers food rail roads airport bridge port defence army troops
foreign treaty border migration asylum refugees campaign campaigners charity charities volunteers leaders
critics opposition spokesman spokeswoman official officials department agency inquiry review figures survey
data research evidence statement""".split()  # noqa: SIM905

_SOURCE_NAMES = (
    "The Daily Sentinel", "Evening Courier", "The Northern Chronicle", "Westminster Review", "The Morning Post",
    "City Herald", "The Observer Weekly", "Coastal Gazette", "The Examiner", "Midlands Mercury",
    "The Public Ledger", "Capital Times", "The Standard Bearer", "Borough News", "The Dispatch",
    "Valley Advertiser", "The Record", "Union Journal", "Harbour Telegraph", "The Civic Voice",
)


def _as_date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


@dataclass
class _Plan:
    dates: np.ndarray  # datetime64[D] as stored (month-precision documents on their first day)
    precision: np.ndarray  # "day" | "month"
    undated: np.ndarray  # bool: written without a date (ingested with a fallback date)
    source: np.ndarray  # int index into sources
    filler: np.ndarray  # background words per document
    n_words: np.ndarray  # tokens per document under the matching rule
    mentions: np.ndarray  # (n_docs, n_ideas) planted alias occurrences, exclusion surfaces not included
    excluded: np.ndarray  # (n_docs, n_ideas) exclusion surfaces (each one more alias occurrence)
    insertions: dict[int, list[str]] = field(default_factory=dict)


class SyntheticCorpus:
    """A seeded corpus: its records, and the exact truth of every planted idea's counts."""

    def __init__(
        self,
        n_docs: int = 5000,
        seed: int = 0,
        start: str | dt.date = "2000-01-01",
        end: str | dt.date = "2025-12-31",
        n_sources: int = 20,
        planted: Sequence[PlantedIdea] = DEFAULT_IDEAS,
        *,
        words: tuple[int, int] = (300, 800),
        gaps: Sequence[tuple[str | dt.date, str | dt.date]] = (),
        month_precision: float = 0.0,
        undated: float = 0.0,
        near_miss_rate: float = 0.05,
    ) -> None:
        self.n_docs, self.seed = int(n_docs), int(seed)
        self.start, self.end = _as_date(start), _as_date(end)
        self.planted = tuple(planted)
        self.words = words
        self.gaps = [(_as_date(a), _as_date(b)) for a, b in gaps]
        self.month_precision, self.undated, self.near_miss_rate = month_precision, undated, near_miss_rate
        self.sources = [(_SOURCE_NAMES[i] if i < len(_SOURCE_NAMES) else f"Source {i + 1}")
                        for i in range(n_sources)]
        self._check_ideas()
        reserved = {t for idea in self.planted for a in idea.aliases + idea.exclude for t in tokenize(a)}
        self.vocabulary = [w for w in dict.fromkeys(_WORDS) if w not in reserved]
        self._plan = self._make_plan()

    # -- validation ----------------------------------------------------------------------------------

    def _check_ideas(self) -> None:
        names = [i.name for i in self.planted]
        if len(set(names)) != len(names):
            raise ValueError("planted ideas need distinct names")
        alias_tokens = {i.name: [tokenize(a) for a in i.aliases] for i in self.planted}
        for idea in self.planted:
            for s in idea.surfaces + idea.near_misses + idea.exclude_surfaces:
                toks = tokenize(s)
                for other in self.planted:
                    hits = sum(_count_phrase(toks, a) for a in alias_tokens[other.name])
                    want = 1 if other is idea and s not in idea.near_misses else 0
                    if hits != want:
                        raise ValueError(f"surface {s!r} holds {hits} occurrences of {other.name!r}, not {want}")
            for s in idea.exclude_surfaces:
                if not any(_count_phrase(tokenize(s), tokenize(e)) for e in idea.exclude):
                    raise ValueError(f"exclusion surface {s!r} holds none of {idea.exclude}")
            for s in idea.surfaces + idea.near_misses:
                if any(_count_phrase(tokenize(s), tokenize(e)) for e in idea.exclude):
                    raise ValueError(f"surface {s!r} would be excluded")

    # -- the plan: everything but the words ----------------------------------------------------------

    def _make_plan(self) -> _Plan:
        rng = np.random.default_rng([self.seed, 1])
        n = self.n_docs
        days = np.arange(np.datetime64(self.start, "D"), np.datetime64(self.end, "D") + 1)
        keep = np.ones(len(days), dtype=bool)
        for a, b in self.gaps:
            keep &= ~((days >= np.datetime64(a, "D")) & (days <= np.datetime64(b, "D")))
        days = days[keep]
        if len(days) == 0:
            raise ValueError("no days left outside the coverage gaps")
        weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        weights = np.where(weekday == 5, 0.6, np.where(weekday == 6, 0.5, 1.0))
        dates = np.sort(rng.choice(days, size=n, p=weights / weights.sum()))
        span = max(1, (np.datetime64(self.end, "D") - np.datetime64(self.start, "D")).astype(int))
        t = (dates - np.datetime64(self.start, "D")).astype(int) / span

        u = rng.random(n)
        undated = u < self.undated
        month = (~undated) & (u < self.undated + self.month_precision)
        precision = np.where(month, "month", "day")
        stored = dates.copy()
        stored[month] = dates[month].astype("datetime64[M]").astype("datetime64[D]")

        src_w = 1.0 / np.arange(1, len(self.sources) + 1) ** 0.7
        source = rng.choice(len(self.sources), size=n, p=src_w / src_w.sum())
        lo, hi = self.words
        filler = rng.integers(lo, hi + 1, size=n)

        k = len(self.planted)
        mentions = np.zeros((n, k), dtype=np.int64)
        excluded = np.zeros((n, k), dtype=np.int64)
        for j, idea in enumerate(self.planted):
            hit = rng.random(n) < idea.probability(t)
            mentions[hit, j] = rng.integers(1, idea.max_mentions + 1, size=int(hit.sum()))
            if idea.exclude_surfaces and idea.exclude_share > 0:
                excluded[hit, j] = rng.random(int(hit.sum())) < idea.exclude_share
        near = rng.random(n) < self.near_miss_rate

        insertions: dict[int, list[str]] = {}
        n_words = filler.copy()
        all_near = [s for idea in self.planted for s in idea.near_misses]
        for i in np.flatnonzero(mentions.any(axis=1) | near):
            items: list[str] = []
            for j, idea in enumerate(self.planted):
                m = int(mentions[i, j])
                if m:
                    items += [idea.surfaces[x] for x in rng.integers(0, len(idea.surfaces), size=m)]
                if excluded[i, j]:
                    items.append(idea.exclude_surfaces[int(rng.integers(0, len(idea.exclude_surfaces)))])
                if m and idea.near_misses and rng.random() < 0.3:
                    items.append(idea.near_misses[int(rng.integers(0, len(idea.near_misses)))])
            if near[i] and all_near:
                items.append(all_near[int(rng.integers(0, len(all_near)))])
            rng.shuffle(items)  # type: ignore[arg-type]
            insertions[int(i)] = items
            filler[i] = max(int(filler[i]), len(items))
            n_words[i] = filler[i] + sum(len(tokenize(s)) for s in items)
        return _Plan(stored, precision, undated, source, filler, n_words, mentions, excluded, insertions)

    # -- records -------------------------------------------------------------------------------------

    def records(self) -> Iterator[dict[str, Any]]:
        """The documents, oldest first: ``{id, date, source, title, text}`` (no ``date`` when undated)."""
        rng = np.random.default_rng([self.seed, 2])
        vocab = self.vocabulary
        zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
        cdf = np.cumsum(zipf / zipf.sum())
        p = self._plan
        for i in range(self.n_docs):
            nf = int(p.filler[i])
            idx = np.searchsorted(cdf, rng.random(nf + 6), side="right").clip(0, len(vocab) - 1)
            words = [vocab[x] for x in idx[:nf].tolist()]
            title_words = [vocab[x] for x in idx[nf:].tolist()]
            # Sentences of 8-20 words, paragraphs of 3-5 sentences.
            ends = np.cumsum(rng.integers(8, 21, size=nf // 8 + 2))
            ends = ends[ends < nf].tolist()
            pos = 0
            for s, e in enumerate(ends + [nf]):
                words[pos] = words[pos].capitalize()
                last = e - 1
                words[last] = words[last] + ("." if s % 4 != 3 else ".\n\n")
                pos = e
                if pos >= nf:
                    break
            items = p.insertions.get(i)
            if items:
                slots = np.sort(rng.choice(nf + 1, size=len(items), replace=False)).tolist()
                for slot, item in zip(reversed(slots), reversed(items)):
                    words.insert(slot, item)
            text = " ".join(words).replace("\n\n ", "\n\n").rstrip()
            rec: dict[str, Any] = {
                "id": f"syn{self.seed}-{i:07d}",
                "source": self.sources[int(p.source[i])],
                "title": " ".join(title_words).capitalize(),
                "text": text,
            }
            if not p.undated[i]:
                d = p.dates[i].astype(object)
                rec["date"] = d.strftime("%Y-%m") if p.precision[i] == "month" else d.isoformat()
            yield rec

    def write_jsonl(self, path: str | Path) -> Path:
        """Write the records as JSON Lines; returns the path."""
        path = Path(path)
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(rec, ensure_ascii=False) + "\n" for rec in self.records())
        return path

    def ideas_yaml(self, exclusions: bool = True) -> str:
        """An ideas file (YAML; JSON is valid YAML) naming every planted idea."""
        return json.dumps({"ideas": [i.idea_dict(exclusions) for i in self.planted]}, ensure_ascii=False, indent=1)

    # -- truth ---------------------------------------------------------------------------------------

    def frame(self) -> pd.DataFrame:
        """One row per document: date, precision, undated, source, n_words, and per idea its docs/mentions."""
        p = self._plan
        out = pd.DataFrame({
            "doc": np.arange(self.n_docs),
            "date": [d.astype(object) for d in p.dates],
            "precision": p.precision,
            "undated": p.undated,
            "source": [self.sources[s] for s in p.source],
            "n_words": p.n_words,
        })
        for j, idea in enumerate(self.planted):
            out[f"mentions:{idea.name}"] = p.mentions[:, j]
            out[f"excluded:{idea.name}"] = p.excluded[:, j]
        return out

    def _eligible(self, by: str, include_undated: bool) -> np.ndarray:
        p = self._plan
        ok = np.isin(p.precision, list(_PRECISIONS_FOR[by]))
        return ok & ~p.undated if not include_undated else ok | p.undated

    def expected(self, by: str = "month", *, exclusions: bool = False, by_source: bool = False,
                 include_undated: bool = False, fallback_date: dt.date | None = None) -> pd.DataFrame:
        """Per idea and period (and source): ``docs`` and ``mentions``, only where docs > 0.

        ``exclusions``: apply the ideas' exclusions (documents carrying an exclusion surface do not count).
        Without them every exclusion surface is one more mention. Undated documents are left out unless
        ``include_undated`` (they then sit on ``fallback_date``, which must be given).
        """
        p = self._plan
        elig = self._eligible(by, include_undated)
        rows: dict[tuple[Any, ...], list[int]] = {}
        for j, idea in enumerate(self.planted):
            m, x = p.mentions[:, j], p.excluded[:, j]
            if exclusions:
                counted, mcount = (m > 0) & (x == 0), m
            else:
                counted, mcount = (m + x) > 0, m + x
            for i in np.flatnonzero(counted & elig):
                d = fallback_date if p.undated[i] else p.dates[i].astype(object)
                if d is None:
                    raise ValueError("include_undated needs fallback_date")
                key: tuple[Any, ...] = (idea.name, period_start(d, by))
                if by_source:
                    key += (self.sources[int(p.source[i])],)
                acc = rows.setdefault(key, [0, 0])
                acc[0] += 1
                acc[1] += int(mcount[i])
        cols = ["idea", "period"] + (["source"] if by_source else []) + ["docs", "mentions"]
        return pd.DataFrame([k + tuple(v) for k, v in sorted(rows.items())], columns=cols)

    def expected_totals(self, by: str = "month", *, by_source: bool = False, include_undated: bool = False,
                        fallback_date: dt.date | None = None) -> pd.DataFrame:
        """Per period (and source) with documents: ``total_docs`` and ``total_words``."""
        p = self._plan
        rows: dict[tuple[Any, ...], list[int]] = {}
        for i in np.flatnonzero(self._eligible(by, include_undated)):
            d = fallback_date if p.undated[i] else p.dates[i].astype(object)
            if d is None:
                raise ValueError("include_undated needs fallback_date")
            key: tuple[Any, ...] = (period_start(d, by),)
            if by_source:
                key += (self.sources[int(p.source[i])],)
            acc = rows.setdefault(key, [0, 0])
            acc[0] += 1
            acc[1] += int(p.n_words[i])
        cols = ["period"] + (["source"] if by_source else []) + ["total_docs", "total_words"]
        return pd.DataFrame([k + tuple(v) for k, v in sorted(rows.items())], columns=cols)

    def expected_timeline(self, by: str = "month", *, exclusions: bool = False) -> pd.DataFrame:
        """The zero-filled truth: every period from the first to the last counted document, every idea:
        ``idea, period, docs, mentions, total_docs, total_words`` (periods without documents have zeros)."""
        totals = self.expected_totals(by)
        counts = self.expected(by, exclusions=exclusions)
        periods = period_starts(min(totals["period"]), max(totals["period"]), by)
        tot = {r.period: (r.total_docs, r.total_words) for r in totals.itertuples()}
        cnt = {(r.idea, r.period): (r.docs, r.mentions) for r in counts.itertuples()}
        rows = []
        for idea in self.planted:
            for per in periods:
                d, m = cnt.get((idea.name, per), (0, 0))
                td, tw = tot.get(per, (0, 0))
                rows.append((idea.name, per, d, m, td, tw))
        return pd.DataFrame(rows, columns=["idea", "period", "docs", "mentions", "total_docs", "total_words"])

    def gap_periods(self, by: str = "month") -> list[dt.date]:
        """Periods between the first and last document that hold no document at all."""
        return [r.period for r in self.expected_timeline(by).drop_duplicates("period").itertuples()
                if r.total_docs == 0]


def generate(n_docs: int, seed: int = 0, start: str | dt.date = "2000-01-01", end: str | dt.date = "2025-12-31",
             n_sources: int = 20, planted: Sequence[PlantedIdea] = DEFAULT_IDEAS, **kwargs: Any,
             ) -> Iterator[dict[str, Any]]:
    """The records of ``SyntheticCorpus(n_docs, seed, start, end, n_sources, planted, **kwargs)``."""
    return SyntheticCorpus(n_docs, seed, start, end, n_sources, planted, **kwargs).records()


def expected_counts(n_docs: int, seed: int = 0, start: str | dt.date = "2000-01-01",
                    end: str | dt.date = "2025-12-31", n_sources: int = 20,
                    planted: Sequence[PlantedIdea] = DEFAULT_IDEAS, *, by: str = "month",
                    exclusions: bool = False, **kwargs: Any) -> pd.DataFrame:
    """The exact ``idea, period, docs, mentions`` of the corpus that ``generate`` with the same arguments
    yields (periods with docs > 0)."""
    corpus = SyntheticCorpus(n_docs, seed, start, end, n_sources, planted, **kwargs)
    return corpus.expected(by, exclusions=exclusions)


if __name__ == "__main__":  # a quick look: python tests/synthetic.py
    c = SyntheticCorpus(n_docs=2000, seed=1, start="2009-01-01", end="2012-12-31", n_sources=4, words=(40, 80))
    first = next(c.records())
    print(first["date"], first["source"], first["title"])
    print(first["text"][:400])
    print(c.expected("year"))
