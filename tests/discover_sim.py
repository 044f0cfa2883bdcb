"""A seeded synthetic corpus for discovery: planted births, deaths, one renaming and a distractor.

Monthly news-like documents (2000-01 .. 2019-12) of Zipf-distributed background words (pronounceable
non-words, so no planted token ever occurs by chance). Planted phrases are real-looking English:

- **births**: absent, then from their birth month a ramp to a plateau (a few percent of documents);
- **deaths**: in use from the start, then a decline to silence years before the corpus ends;
- **renaming**: ``partnership working`` declines from 2008 and falls silent in 2012 while
  ``service integration`` is born in 2008 and rises; both appear among the same topic words (council,
  health, agencies, ...);
- **distractor**: ``garden bridge`` is born in the same month as the successor and rises the same way, but
  among other words (river, thames, design, ...).

Every planted mention carries three to five words of its topic within five tokens of it, and topic words
also occur now and then in background text, so contexts overlap a little, as real ones do.

    from discover_sim import DiscoverSim
    sim = DiscoverSim(seed=7)
    sim.write_jsonl(path)      # {id, date, source, title, text} per line
    sim.truth                  # {"births": {...}, "deaths": {...}, "renaming": (old, new), "distractor": ...}
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

START_YEAR, N_MONTHS = 2000, 240

TOPICS: dict[str, list[str]] = {
    "care": ["council", "health", "agencies", "joint", "commissioning", "patients", "local", "services",
             "budgets", "social", "care", "trusts"],
    "bridge": ["river", "thames", "design", "pedestrians", "trees", "planning", "lambeth", "crossing",
               "architect", "span", "tourists", "barge"],
    "money": ["bank", "rates", "inflation", "markets", "bonds", "lending", "governor", "sterling"],
    "schools": ["pupils", "teachers", "academies", "ofsted", "classrooms", "headteachers", "exams", "funding"],
    "climate": ["carbon", "emissions", "turbines", "targets", "warming", "solar", "grid", "insulation"],
    "crime": ["police", "sentences", "prisons", "offenders", "probation", "courts", "victims", "gangs"],
    "housing": ["tenants", "landlords", "rents", "mortgages", "homes", "estates", "planning", "builders"],
}

# (phrase, topic, month index of birth) ; births rise over RAMP months to their plateau share
BIRTHS: list[tuple[str, str, int]] = [
    ("quantitative easing", "money", 105),
    ("pupil premium", "schools", 125),
    ("net zero", "climate", 140),
    ("knife crime taskforce", "crime", 118),
    ("bedroom tax", "housing", 150),
]
# (phrase, topic, month index of the last mention); deaths decline over DECLINE months before it
DEATHS: list[tuple[str, str, int]] = [
    ("third way", "money", 60),
    ("cool britannia", "schools", 48),
    ("stakeholder economy", "climate", 84),
    ("broken britain", "crime", 110),
    ("eco towns", "housing", 130),
]
RENAME_OLD, RENAME_NEW, DISTRACTOR = "partnership working", "service integration", "garden bridge"
RENAME_BIRTH, RENAME_LAST = 96, 144  # new born 2008-01; old last mentioned 2011-12
RAMP, DECLINE = 12, 24
PLATEAU = 0.05  # share of documents mentioning a planted phrase at its plateau


def _word(rng: np.random.Generator) -> str:
    onsets = ["b", "br", "d", "dr", "f", "fl", "g", "gl", "k", "kr", "l", "m", "n", "p", "pl", "r", "s", "sk",
              "t", "tr", "v", "z", "zh", "q"]
    vowels = ["a", "e", "i", "o", "u", "ae", "oi", "ou"]
    codas = ["", "n", "r", "l", "x", "k", "m", "sp", "nt"]
    return "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(int(rng.integers(2, 4))))


@dataclass
class DiscoverSim:
    """The corpus and its truth; documents are generated on construction (about 12,000 by default)."""

    seed: int = 7
    docs_per_month: int = 50
    words: tuple[int, int] = (80, 160)
    vocab_size: int = 1500
    records: list[dict[str, Any]] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        planted_tokens = {t for p, *_ in BIRTHS + DEATHS for t in p.split()}
        planted_tokens |= {t for p in (RENAME_OLD, RENAME_NEW, DISTRACTOR) for t in p.split()}
        topic_words = {w for ws in TOPICS.values() for w in ws}
        vocab: list[str] = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "with", "was", "as",
                            "it", "by", "said", "at", "from", "he", "be"]
        seen = set(vocab)
        while len(vocab) < self.vocab_size:
            w = _word(rng)
            if w not in seen and w not in planted_tokens and w not in topic_words:
                vocab.append(w)
                seen.add(w)
        zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
        cdf = np.cumsum(zipf / zipf.sum())
        vocab_arr = np.asarray(vocab, dtype=object)
        months = np.arange(N_MONTHS)
        profiles: dict[str, tuple[np.ndarray, str]] = {}
        for phrase, topic, birth in BIRTHS:
            profiles[phrase] = (self._rise(months, birth), topic)
        for phrase, topic, last in DEATHS:
            profiles[phrase] = (self._fall(months, last), topic)
        profiles[RENAME_OLD] = (self._fall(months, RENAME_LAST, start=RENAME_BIRTH), "care")
        profiles[RENAME_NEW] = (self._rise(months, RENAME_BIRTH, ramp=RENAME_LAST - RENAME_BIRTH), "care")
        profiles[DISTRACTOR] = (self._rise(months, RENAME_BIRTH, ramp=RENAME_LAST - RENAME_BIRTH), "bridge")
        # the last mention of a dying phrase happens in its month: the month's first document carries it
        forced = {last: p for p, _, last in DEATHS} | {RENAME_LAST: RENAME_OLD}
        n_doc = 0
        for m in months:
            year, month = START_YEAR + m // 12, m % 12 + 1
            for k in range(self.docs_per_month):
                day = int(rng.integers(1, 29))
                n = int(rng.integers(*self.words))
                toks = list(vocab_arr[np.minimum(np.searchsorted(cdf, rng.random(n)), len(vocab) - 1)])
                # background use of topic words (one topic per document, sometimes)
                if rng.random() < 0.3:
                    tw = TOPICS[list(TOPICS)[int(rng.integers(len(TOPICS)))]]
                    for _ in range(int(rng.integers(1, 4))):
                        toks[int(rng.integers(n))] = str(rng.choice(tw))
                slots = list(range(8, n - 8, 16))
                s = 0
                draws = rng.random(len(profiles))
                for d, (phrase, (profile, topic)) in enumerate(profiles.items()):
                    must = k == 0 and forced.get(int(m)) == phrase
                    if (must or draws[d] < profile[m]) and s < len(slots):
                        at = slots[s]
                        s += 1
                        toks[at : at + 1] = phrase.split()
                        for _ in range(int(rng.integers(3, 6))):
                            off = int(rng.integers(-5, 6))
                            j = at + off if off < 0 else at + len(phrase.split()) + off
                            if 0 <= j < len(toks) and toks[j] not in planted_tokens:
                                toks[j] = str(rng.choice(TOPICS[topic]))
                text = " ".join(toks)
                text = text[0].upper() + text[1:] + "."
                self.records.append({"id": f"s{n_doc:06d}", "date": dt.date(year, month, day).isoformat(),
                                     "source": f"Source {n_doc % 5}", "title": f"Story {n_doc}", "text": text})
                n_doc += 1

        def month(i: int) -> str:
            return dt.date(START_YEAR + i // 12, i % 12 + 1, 1).isoformat()

        self.truth = {
            "births": {p: month(b) for p, _, b in BIRTHS} | {RENAME_NEW: month(RENAME_BIRTH),
                                                            DISTRACTOR: month(RENAME_BIRTH)},
            "deaths": {p: month(last) for p, _, last in DEATHS} | {RENAME_OLD: month(RENAME_LAST)},
            "renaming": (RENAME_OLD, RENAME_NEW),
            "distractor": DISTRACTOR,
            "end": month(N_MONTHS - 1),
        }

    @staticmethod
    def _rise(months: np.ndarray, birth: int, ramp: int = RAMP) -> np.ndarray:
        return np.where(months < birth, 0.0, PLATEAU * np.minimum(1.0, (months - birth + 1) / ramp))

    @staticmethod
    def _fall(months: np.ndarray, last: int, start: int | None = None) -> np.ndarray:
        s = last - DECLINE if start is None else start
        frac = np.clip((last - months) / max(last - s, 1), 0.0, 1.0)
        out = PLATEAU * np.where(months < s, 1.0, 0.2 + 0.8 * frac)
        out[months > last] = 0.0
        return out

    def write_jsonl(self, path: str | Path) -> Path:
        """Write the corpus as JSON Lines and return the path."""
        p = Path(path)
        with p.open("w", encoding="utf-8") as fh:
            for r in self.records:
                fh.write(json.dumps(r) + "\n")
        return p
