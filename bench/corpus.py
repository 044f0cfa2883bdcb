"""The seeded generator of the benchmark "1M-document corpus" (DESIGN.md, "Real data to try things on").

News-like documents of 300-800 words dated 2000-01-01 .. 2025-12-31 from 20 sources, written as JSON Lines
records ``{id, date, source, title, text}``. Background words are drawn from a Zipf distribution over a
vocabulary of a few thousand real-looking words (a core of common English words plus pronounceable
syllable compounds). Fifty planted ideas (phrases and hashtags, some of them real policy slogans) follow
planted monthly lifecycles and appear in surface variants that the matching rule must fold together
("Big Society's", "big-society", "BIG\\nSOCIETY", "#BigSociety"); near-misses ("big societies", "bigger
society", the plain word "bigsociety" beside the hashtag) are planted too and must never count.

The tokens of the planted ideas and of their near-misses never occur in the background vocabulary, and no
two ideas share a token, so the exact number of documents (and mentions) per idea per month is known by
construction; it is written to a sidecar JSON beside the corpus::

    {"seed", "docs", "ideas": {alias: {"docs": {"YYYY-MM": n}, "mentions": {"YYYY-MM": n}, "total_docs",
     "total_mentions"}}, "month_totals": {"YYYY-MM": n}, "watchlist": [1000 aliases], ...}

``--syndicate F`` adds near-duplicate syndicated copies (a fraction F of documents reprinted by another
source on the same day with a different title and a one-line agency credit) for the near-duplicate issue;
the sidecar then also carries ``unique`` counts (originals only). Off by default.

Generation is vectorised with numpy: each chunk of documents is one gather over a byte table of
``word + separator`` entries, so 1M documents (about 3.7 GB) take a few minutes on one core.

    python bench/corpus.py --docs 1000000 --out bench/data/corpus-1m.jsonl [--seed 20140101]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

SEED = 20140101
START = dt.date(2000, 1, 1)
END = dt.date(2025, 12, 31)
MIN_WORDS, MAX_WORDS = 300, 800

SOURCES = [
    "The Daily Sentinel", "Evening Courier", "The Northern Chronicle", "Westminster Review", "The Morning Post",
    "City Herald", "The Observer Weekly", "Coastal Gazette", "The Examiner", "Midlands Mercury",
    "The Public Ledger", "Capital Times", "The Standard Bearer", "Borough News", "The Dispatch",
    "Valley Advertiser", "The Record", "Union Journal", "Harbour Telegraph", "The Civic Voice",
]

# Common English words: the head of the Zipf distribution. None of them is a token of a planted idea.
CORE = """the of and to a in that is was he for it with as his on be at by i this had not are but from or
have an they which one you were her all she there would their we him been has when who will more no if out so
said what up its about into than them can only other new some could time these two may then do first any my
now such like our over man me even most made after also did many before must through back years where much
your way well down should because each just those people how too little state good very make world still own
see men work long get here between both life being under never day same another know while last might us
great old year off come since against go came right used take three states himself few house use during
without again place american around however home small found mrs thought went say part once general high upon
school every don does got united left number course war until always away something fact though water less
public put think almost hand enough far took head yet government system better set told nothing night end why
called didn find going look asked later knew point next program city business give group toward young days let
room president side social given present several order national possible rather second face per among form
important often things looking early white case john become large big need four within felt along children saw
best church ever least power development light thing seemed family interest want members mind country area others
although turn done open god service certain kind problem began different door thus help sense means whole
matter perhaps itself york times law human line above name example action company hands local show whether five
history gave today either act feet across taken past quite anything having seen death experience body word half
really field am week car words already information tell college shall together money period held keep sure free
real probably seems political cannot behind miss question air office making brought whose special heard major
problems ago became federal moment study available known result street economic boy position reason change
south board individual job society areas west close turned love community true court force full seem am policy
minister council budget report plan plans reform funding scheme schemes party parties vote voters election
ministers spending tax taxes health services education housing transport police crime prison court courts
judge trade industry market markets bank banks prices inflation interest rates growth jobs workers union unions
strike pay wages pension pensions benefits welfare poverty hospital hospitals doctors nurses patients teachers
pupils schools university students council councils mayor region regions rural urban energy climate carbon
emissions farmers food water rail roads airport bridge port defence army troops foreign treaty border migration
asylum refugees campaign campaigners charity charities volunteers church leaders critics opposition spokesman
spokeswoman official officials department agency inquiry review figures survey data research evidence statement
announcement decision vote debate bill amendment committee chairman chief executive director secretary
leader leadership cabinet parliament commons lords senate congress""".split()

_ONSETS = ["b", "br", "c", "ch", "cl", "cr", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l", "m", "n", "p",
           "pl", "pr", "r", "s", "sh", "sl", "sp", "st", "t", "th", "tr", "v", "w", "wh", "y", "z"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "oa", "ou", "ie"]
_CODAS = ["", "", "n", "r", "l", "s", "t", "nd", "nt", "st", "ck", "m", "ng", "rd", "ld"]
_SUFFIXES = ["", "", "", "ing", "ed", "er", "ly", "tion", "ment", "ness", "al", "ous", "ity", "ive", "ance"]

# The planted ideas: (alias, surface forms, near-miss decoys, lifecycle). A lifecycle is
# (birth "YYYY-MM", peak "YYYY-MM", end "YYYY-MM" or None for alive, peak share of the month's documents).
IDEAS: list[tuple[str, list[str], list[str], tuple[str, str, str | None, float]]] = [
    ("big society", ["Big Society", "big society", "Big Society's", "big-society", "BIG\nSOCIETY",
                     "Big  Society", "'Big Society'"],
     ["big societies", "bigger society", "Big Societies"], ("2009-06", "2011-02", "2014-12", 0.012)),
    ("#bigsociety", ["#bigsociety", "#BigSociety", "#BIGSOCIETY"], ["bigsociety", "BigSociety"],
     ("2010-05", "2011-03", "2015-06", 0.004)),
    ("third way", ["Third Way", "third way", "third-way", "Third Way's"], ["third ways", "thirdway"],
     ("2000-01", "2000-06", "2008-12", 0.008)),
    ("forward guidance", ["forward guidance", "Forward Guidance", "forward-guidance"], ["forward guidances"],
     ("2012-08", "2013-08", "2017-12", 0.006)),
    ("levelling up", ["levelling up", "Levelling Up", "levelling-up", "Levelling-Up"], ["levelled up"],
     ("2019-07", "2021-05", None, 0.010)),
    ("northern powerhouse", ["Northern Powerhouse", "northern powerhouse", "Northern Powerhouse's"],
     ["northern powerhouses"], ("2014-06", "2015-09", "2021-12", 0.006)),
    ("broken britain", ["Broken Britain", "broken Britain", "broken-Britain"], ["broken britains"],
     ("2007-01", "2008-06", "2011-12", 0.005)),
    ("stakeholder economy", ["stakeholder economy", "Stakeholder Economy"], ["stakeholder economies"],
     ("2000-01", "2000-03", "2003-12", 0.003)),
    ("compassionate conservatism", ["compassionate conservatism", "Compassionate Conservatism"],
     ["compassionate conservatisms"], ("2000-01", "2001-01", "2006-06", 0.003)),
    ("quantitative easing", ["quantitative easing", "Quantitative Easing", "quantitative-easing"],
     ["quantitative easings"], ("2008-10", "2009-03", None, 0.007)),
    ("sure start", ["Sure Start", "sure start", "Sure-Start"], ["surest start"], ("2000-01", "2003-06", None, 0.004)),
    ("respect agenda", ["Respect Agenda", "respect agenda"], ["respect agendas"], ("2005-09", "2006-01", "2008-06", 0.004)),
    ("total place", ["Total Place", "total place"], ["total places"], ("2009-01", "2010-01", "2011-12", 0.002)),
    ("troubled families", ["Troubled Families", "troubled families", "troubled-families"], ["troubled family"],
     ("2011-08", "2012-06", "2020-12", 0.004)),
    ("hostile environment", ["hostile environment", "Hostile Environment"], ["hostile environments"],
     ("2012-05", "2018-04", None, 0.005)),
    ("nudge unit", ["Nudge Unit", "nudge unit", "nudge-unit"], ["nudge units"], ("2010-07", "2013-01", "2019-12", 0.002)),
    ("universal credit", ["Universal Credit", "universal credit", "Universal Credit's"], ["universal credits"],
     ("2010-11", "2018-10", None, 0.008)),
    ("green deal", ["Green Deal", "green deal"], ["green deals"], ("2010-10", "2013-01", "2016-06", 0.004)),
    ("localism bill", ["Localism Bill", "localism bill"], ["localism bills"], ("2010-12", "2011-06", "2012-06", 0.003)),
    ("free schools", ["free schools", "Free Schools", "free-schools"], ["free schooling"], ("2010-05", "2011-09", None, 0.005)),
    ("pupil premium", ["pupil premium", "Pupil Premium"], ["pupil premiums"], ("2010-05", "2011-04", None, 0.003)),
    ("cool britannia", ["Cool Britannia", "cool Britannia", "cool-britannia"], ["cooler britannia"],
     ("2000-01", "2000-01", "2004-12", 0.003)),
    ("smart cities", ["smart cities", "Smart Cities", "smart-cities"], ["smart city"], ("2008-01", "2016-06", None, 0.003)),
    ("national living wage", ["National Living Wage", "national living wage", "national living-wage"],
     ["national living wages"], ("2015-07", "2016-04", None, 0.005)),
    ("garden bridge", ["Garden Bridge", "garden bridge", "Garden Bridge's"], ["garden bridges"],
     ("2013-02", "2016-06", "2018-06", 0.002)),
    ("custody diversion", ["custody diversion", "Custody Diversion", "custody-diversion"], ["custody diversions"],
     ("2000-01", "2001-06", "2025-12", 0.0008)),
    ("service integration", ["service integration", "Service Integration"], ["service integrations"],
     ("2012-01", "2015-06", None, 0.002)),
    ("partnership working", ["partnership working", "Partnership Working", "partnership-working"],
     ["partnerships working"], ("2000-01", "2003-01", "2012-12", 0.003)),
    ("social exclusion", ["social exclusion", "Social Exclusion"], ["socially exclusion"], ("2000-01", "2001-06", "2010-12", 0.004)),
    ("new public management", ["new public management", "New Public Management", "new public-management"],
     ["new public managements"], ("2000-01", "2002-01", "2009-12", 0.002)),
    ("evidence based policy", ["evidence-based policy", "Evidence Based Policy", "evidence based policy"],
     ["evidence based policies"], ("2000-01", "2005-01", None, 0.002)),
    ("triple lock", ["triple lock", "Triple Lock", "triple-lock"], ["triple locks"], ("2010-05", "2017-05", None, 0.004)),
    ("bedroom tax", ["bedroom tax", "Bedroom Tax", "bedroom-tax"], ["bedroom taxes"], ("2012-03", "2013-04", "2017-12", 0.005)),
    ("one nation", ["One Nation", "one nation", "one-nation"], ["one nations"], ("2000-01", "2012-10", None, 0.004)),
    ("blue labour", ["Blue Labour", "blue labour"], ["blue labours"], ("2011-01", "2011-05", "2015-12", 0.002)),
    ("#metoo", ["#MeToo", "#metoo", "#METOO"], ["metoo", "MeToo"], ("2017-10", "2017-11", None, 0.006)),
    ("#occupywallstreet", ["#OccupyWallStreet", "#occupywallstreet"], ["occupywallstreet"], ("2011-09", "2011-11", "2013-06", 0.003)),
    ("#blacklivesmatter", ["#BlackLivesMatter", "#blacklivesmatter"], ["blacklivesmatter"], ("2014-08", "2020-06", None, 0.004)),
    ("#levellingup", ["#LevellingUp", "#levellingup"], ["levellingup"], ("2019-09", "2021-05", None, 0.002)),
    ("#brexit", ["#Brexit", "#brexit", "#BREXIT"], [], ("2016-01", "2016-06", None, 0.006)),
    ("brexit", ["Brexit", "brexit", "Brexit's", "BREXIT"], [], ("2012-06", "2019-03", None, 0.02)),
    ("climate emergency", ["climate emergency", "Climate Emergency", "climate-emergency"], ["climate emergencies"],
     ("2018-10", "2019-06", None, 0.006)),
    ("net zero", ["net zero", "Net Zero", "net-zero"], ["net zeros"], ("2015-12", "2021-11", None, 0.008)),
    ("fracking moratorium", ["fracking moratorium", "Fracking Moratorium"], ["fracking moratoriums"],
     ("2011-06", "2019-11", "2023-12", 0.002)),
    ("sugar levy", ["sugar levy", "Sugar Levy", "sugar-levy"], ["sugar levies"], ("2016-03", "2018-04", None, 0.002)),
    ("eco towns", ["eco towns", "Eco Towns", "eco-towns"], ["eco town"], ("2007-05", "2008-07", "2010-12", 0.003)),
    ("workfare", ["workfare", "Workfare", "WORKFARE"], ["workfares"], ("2000-01", "2012-02", None, 0.002)),
    ("financial deregulation", ["financial deregulation", "Financial Deregulation"], ["financial deregulations"],
     ("2000-01", "2008-10", None, 0.002)),
    ("shared prosperity fund", ["Shared Prosperity Fund", "shared prosperity fund", "shared-prosperity fund"],
     ["shared prosperity funds"], ("2017-06", "2022-04", None, 0.002)),
    ("contact tracing", ["contact tracing", "Contact Tracing", "contact-tracing"], ["contact tracings"],
     ("2020-02", "2020-06", "2022-06", 0.012)),
]

_BASE_RATE = 0.00002  # background share before birth / after death for generic phrases ("one nation", ...)


def _tokens(s: str) -> list[str]:
    import re
    return re.findall(r"#?[^\W_]+", s.lower())


def months() -> list[str]:
    out, y, m = [], START.year, START.month
    while (y, m) <= (END.year, END.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


def build_vocabulary(rng: np.random.Generator, size: int = 4000) -> list[str]:
    """A few thousand real-looking lower-case words, none of them a planted idea's (or near-miss's) token."""
    banned = set()
    for alias, forms, decoys, _ in IDEAS:
        for s in [alias, *forms, *decoys]:
            banned.update(t.lstrip("#") for t in _tokens(s))
    words, seen = [], set()
    for w in CORE:
        if w not in banned and w not in seen and w.isalpha():
            words.append(w)
            seen.add(w)
    while len(words) < size:
        n = rng.integers(1, 4)
        w = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(n))
        w += rng.choice(_SUFFIXES)
        if 3 <= len(w) <= 14 and w not in seen and w not in banned:
            words.append(w)
            seen.add(w)
    return words


def lifecycle_shares(lc: tuple[str, str, str | None, float], month_keys: list[str], generic: bool) -> np.ndarray:
    """Expected share of each month's documents mentioning an idea: rise to the peak, exponential decay."""
    birth, peak, end, top = lc
    idx = {m: i for i, m in enumerate(month_keys)}
    b, p = idx[birth], idx[peak]
    e = idx[end] if end else len(month_keys) - 1
    t = np.arange(len(month_keys), dtype=float)
    share = np.zeros(len(month_keys))
    rise = (t >= b) & (t <= p)
    share[rise] = top * np.exp(-3.0 * (p - t[rise]) / max(p - b, 1))  # e^-3 of the peak at birth
    fall = (t > p) & (t <= e)
    half_life = max((e - p) / 5.0, 2.0) if end else max((e - p) / 2.0, 12.0)
    share[fall] = top * 0.5 ** ((t[fall] - p) / half_life)
    if generic:
        share = np.maximum(share, _BASE_RATE)
    return share


def generate(n_docs: int, out: Path, seed: int = SEED, syndicate: float = 0.0, chunk: int = 10_000,
             quiet: bool = False) -> dict:
    """Write the corpus to ``out`` and its sidecar ``out.truth.json``; return the sidecar."""
    rng = np.random.default_rng(seed)
    vocab = build_vocabulary(rng)
    V = len(vocab)
    month_keys = months()
    n_days = (END - START).days + 1

    # -- dates: every day gets documents, a gentle upward trend, weekends lighter ---------------------
    day_w = np.linspace(0.6, 1.4, n_days) * np.where((np.arange(n_days) + START.weekday()) % 7 >= 5, 0.6, 1.0)
    day = np.sort(rng.choice(n_days, size=n_docs, p=day_w / day_w.sum()))
    dates = np.datetime64(START.isoformat()) + day.astype("timedelta64[D]")
    ym = dates.astype("datetime64[M]")
    month_idx = (ym - np.datetime64("2000-01", "M")).astype(int)
    n_months = len(month_keys)
    month_totals = np.bincount(month_idx, minlength=n_months)
    month_starts = np.concatenate([[0], np.cumsum(month_totals)])
    source = rng.integers(0, len(SOURCES), n_docs)
    n_words = rng.integers(MIN_WORDS, MAX_WORDS + 1, n_docs)

    # -- surface-form table: entry = (form, separator); forms: words, Capitalised words, idea forms, decoys --
    seps = [" ", ", ", ". ", ".\\n\\n"]  # JSON-escaped: the last one is a paragraph break
    forms: list[str] = vocab + [w.capitalize() for w in vocab]
    idea_form_ids: list[np.ndarray] = []
    decoy_form_ids: list[np.ndarray] = []
    for _alias, fs, ds, _ in IDEAS:
        idea_form_ids.append(np.arange(len(forms), len(forms) + len(fs)))
        forms += fs
        decoy_form_ids.append(np.arange(len(forms), len(forms) + len(ds)))
        forms += ds
    enc = [(f + s).replace("\n", "\\n").encode() for f in forms for s in seps]
    entry_len = np.array([len(e) for e in enc], dtype=np.int64)
    entry_off = np.concatenate([[0], np.cumsum(entry_len)[:-1]])
    table = np.frombuffer(b"".join(enc), dtype=np.uint8)
    n_sep = len(seps)

    ranks = np.arange(1, V + 1, dtype=float)
    zipf = 1.0 / (ranks + 2.7) ** 1.07
    zipf /= zipf.sum()
    zipf_cdf = np.cumsum(zipf)
    sep_p = np.array([0.86, 0.07, 0.06, 0.01])
    sep_cdf = np.cumsum(sep_p)

    # -- plants: for every idea and month, exactly k documents of that month ---------------------------
    plants_doc: list[np.ndarray] = []
    plants_form: list[np.ndarray] = []
    truth: dict[str, dict] = {}
    generic = {"one nation", "workfare", "social exclusion", "partnership working", "financial deregulation"}
    for i, (alias, _fs, _ds, lc) in enumerate(IDEAS):
        share = lifecycle_shares(lc, month_keys, alias in generic)
        k = np.minimum(rng.poisson(share * month_totals), month_totals)
        docs = np.concatenate([month_starts[m] + rng.choice(month_totals[m], size=k[m], replace=False)
                               for m in range(n_months) if k[m] > 0] or [np.zeros(0, np.int64)])
        mentions = 1 + rng.geometric(0.6, size=len(docs)) - 1  # 1, 2, 3 ... mostly 1
        d = np.repeat(docs, mentions)
        plants_doc.append(d)
        plants_form.append(rng.choice(idea_form_ids[i], size=len(d)))
        truth[alias] = {"docs_idx": docs, "mentions": mentions}
        # near-miss decoys: a background of documents anywhere, plus some in the idea's own documents
        if len(decoy_form_ids[i]):
            nd = max(1, int(0.3 * len(docs) + n_docs * 2e-4))
            dd = np.concatenate([rng.integers(0, n_docs, nd // 2), rng.choice(docs, nd - nd // 2) if len(docs) else []])
            plants_doc.append(dd.astype(np.int64))
            plants_form.append(rng.choice(decoy_form_ids[i], size=len(dd)))
    p_doc = np.concatenate(plants_doc)
    p_form = np.concatenate(plants_form)
    order = np.argsort(p_doc, kind="stable")
    p_doc, p_form = p_doc[order], p_form[order]
    p_bounds = np.searchsorted(p_doc, np.arange(0, n_docs + chunk, chunk))

    # -- syndicated near-duplicates: reprints of originals by another source, same day -----------------
    synd_of = np.zeros(0, np.int64)
    if syndicate > 0:
        synd_of = np.sort(rng.choice(n_docs, size=int(n_docs * syndicate), replace=False))

    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    written = 0
    src_b = [s.encode() for s in SOURCES]
    date_b = [str(d).encode() for d in np.unique(dates)]
    date_code = np.searchsorted(np.unique(dates), dates)
    with open(out, "wb", buffering=16 << 20) as fh:
        for c, start in enumerate(range(0, n_docs, chunk)):
            stop = min(start + chunk, n_docs)
            nw = n_words[start:stop]
            total = int(nw.sum())
            words = np.searchsorted(zipf_cdf, rng.random(total)).astype(np.int64)
            words = np.minimum(words, V - 1)
            sep = np.searchsorted(sep_cdf, rng.random(total)).astype(np.int64)
            sep = np.minimum(sep, n_sep - 1)
            doc_off = np.concatenate([[0], np.cumsum(nw)])
            sep[doc_off[1:] - 1] = 2  # every text ends with a full stop
            # capitalise sentence starts (after ". " or a paragraph break) and each text's first word
            cap = np.zeros(total, bool)
            cap[1:] = sep[:-1] >= 2
            cap[doc_off[:-1]] = True
            form = words + cap * V
            # plants: distinct positions inside each document, replacing background words
            a, b = p_bounds[c], p_bounds[c + 1]
            if b > a:
                pd_ = p_doc[a:b] - start
                pf = p_form[a:b]
                # position j-th plant of a doc at a random slot; slots are distinct because each plant gets
                # its own stride of the document (at most ~30 plants per document, 300+ words)
                first = np.searchsorted(pd_, pd_, side="left")
                rank = np.arange(len(pd_)) - first
                count = np.bincount(pd_, minlength=stop - start)[pd_]
                stride = nw[pd_] // np.maximum(count, 1)
                pos = rank * stride + (rng.random(len(pd_)) * np.maximum(stride - 1, 1)).astype(np.int64)
                gpos = doc_off[pd_] + pos
                form[gpos] = pf
                sep[gpos] = np.where(sep[gpos] == 3, 2, sep[gpos])  # keep it simple: no paragraph break after
            entry = form * n_sep + sep
            lens = entry_len[entry]
            ends = np.cumsum(lens)
            starts = ends - lens
            nbytes = int(ends[-1])
            src_idx = np.repeat(entry_off[entry] - starts, lens) + np.arange(nbytes)
            buf = table[src_idx].tobytes()
            byte_doc = np.concatenate([[0], ends[doc_off[1:] - 1]])
            # titles: six Capitalised words from the same Zipf vocabulary
            tw = np.minimum(np.searchsorted(zipf_cdf, rng.random((stop - start) * 6)), V - 1).reshape(-1, 6)
            lines = []
            for j in range(stop - start):
                g = start + j
                title = " ".join(vocab[w] for w in tw[j]).capitalize()
                text = buf[byte_doc[j]:byte_doc[j + 1] - 1]  # drop the trailing space
                head = (b'{"id": "d%08d", "date": "' % g + date_b[date_code[g]] + b'", "source": "'
                        + src_b[source[g]] + b'", "title": "' + title.encode() + b'", "text": "')
                lines.append(head + text + b'"}\n')
            if len(synd_of):
                lo, hi = np.searchsorted(synd_of, [start, stop])
                for g in synd_of[lo:hi]:
                    j = g - start
                    text = buf[byte_doc[j]:byte_doc[j + 1] - 1]
                    other = (source[g] + 1 + g % (len(SOURCES) - 1)) % len(SOURCES)
                    title = " ".join(vocab[w] for w in tw[j][::-1]).capitalize()
                    lines.append(b'{"id": "s%08d", "date": "' % g + date_b[date_code[g]] + b'", "source": "'
                                 + src_b[other] + b'", "title": "' + title.encode()
                                 + b'", "text": "(Syndicated) ' + text + b'", "syndicated_from": "d%08d"}\n' % g)
            data = b"".join(lines)
            fh.write(data)
            written += len(data)
            if not quiet and c % 10 == 0:
                el = time.time() - t0
                print(f"\r{stop:>9,} docs {written / 1e6:>8.0f} MB {written / 1e6 / max(el, 1e-9):6.0f} MB/s",
                      end="", file=sys.stderr, flush=True)
    if not quiet:
        print(file=sys.stderr)

    # -- the sidecar: exact counts per idea per month ---------------------------------------------------
    synd_set = set(synd_of.tolist())
    ideas_out = {}
    for alias, t in truth.items():
        d_idx, men = t["docs_idx"], t["mentions"]
        dm = np.bincount(month_idx[d_idx], minlength=n_months)
        mm = np.bincount(month_idx[d_idx], weights=men, minlength=n_months).astype(int)
        entry = {"docs": {month_keys[m]: int(dm[m]) for m in np.nonzero(dm)[0]},
                 "mentions": {month_keys[m]: int(mm[m]) for m in np.nonzero(mm)[0]},
                 "total_docs": int(len(d_idx)), "total_mentions": int(men.sum())}
        if synd_set:
            # raw counts include the syndicated copies (same text, same day); "unique" counts originals only
            copies = np.array([x for x in d_idx.tolist() if x in synd_set], dtype=np.int64)
            raw = dm + np.bincount(month_idx[copies], minlength=n_months) if len(copies) else dm
            entry["unique_docs"] = entry["docs"]
            entry["docs"] = {month_keys[m]: int(raw[m]) for m in np.nonzero(raw)[0]}
            entry["total_docs"] = int(raw.sum())
        ideas_out[alias] = entry
    mt = month_totals.copy()
    if len(synd_of):
        mt += np.bincount(month_idx[synd_of], minlength=n_months)
    sidecar = {
        "generator": "bench/corpus.py", "seed": seed, "docs": int(n_docs + len(synd_of)), "originals": int(n_docs),
        "syndicated": int(len(synd_of)), "bytes": written, "start": START.isoformat(), "end": END.isoformat(),
        "sources": SOURCES, "vocabulary_size": V,
        "ideas": ideas_out,
        "month_totals": {month_keys[m]: int(mt[m]) for m in range(n_months)},
        "watchlist": watchlist(vocab, seed),
        "decoys": {a: ds for a, _f, ds, _ in IDEAS if ds},
    }
    Path(str(out) + ".truth.json").write_text(json.dumps(sidecar, indent=1))
    return sidecar


def watchlist(vocab: list[str], seed: int = SEED, size: int = 1000) -> list[str]:
    """1,000 aliases: the 50 planted ideas plus background bigrams and trigrams of mid-frequency words."""
    rng = np.random.default_rng(seed + 1)
    out = [a for a, *_ in IDEAS]
    seen = set(out)
    mid = vocab[20:1500]
    while len(out) < size:
        n = 2 if rng.random() < 0.8 else 3
        phrase = " ".join(rng.choice(mid, size=n, replace=True))
        if phrase not in seen:
            out.append(phrase)
            seen.add(phrase)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--syndicate", type=float, default=0.0, help="fraction of documents reprinted by another source")
    args = ap.parse_args(argv)
    out = args.out or Path(__file__).parent / "data" / f"corpus-{args.docs}.jsonl"
    t0 = time.time()
    side = generate(args.docs, out, seed=args.seed, syndicate=args.syndicate)
    print(f"{out}: {side['docs']:,} documents, {side['bytes'] / 1e9:.2f} GB in {time.time() - t0:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
