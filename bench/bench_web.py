"""Load benchmark of the dashboard (issues 7 and 16): concurrent clients on the idea page and ``/api/track``.

    .venv/bin/python bench/bench_web.py                          # bench/data/store-100k, 16 clients, 60 s
    .venv/bin/python bench/bench_web.py --duration 10            # a quick check
    .venv/bin/python bench/bench_web.py --docs 1000000           # bench/data/store-1M
    python bench/run.py --only web                               # the same, as a section of `make bench`

The server is started the way a user starts it: ``policypulse serve STORE --port P`` in a subprocess, on a
free loopback port (one uvicorn process; its sync endpoints run in its thread pool). The bench waits
until it answers, then runs ``--clients`` asyncio clients (one keep-alive connection each) for
``--duration`` seconds: by default a minimal HTTP/1.1 client on asyncio streams (``RawClient``, about
0.25 ms of CPU per request), ``--client httpx2`` for the one used before (1.4-1.8 ms per request, taken
from the server's share of the same two cores). Each client loops: pick (seeded) the idea page ``/idea?q=&by=`` or
``/api/track?q=&by=``, an idea and a period (year or month), send, wait for the whole answer, repeat.
Two scenarios, each on a freshly started server (empty caches); before the load of the first, one client
alone times each endpoint on three queries the load never asks (computed, then again from the cache):

- **dashboard** (the issue's target): the ideas are the corpus's planted ideas (50, from the truth
  sidecar), so a team looking at the same ideas. The server caches results per store version, so the
  first request of a URL computes (a *miss*) and later ones are served from the cache (a *hit*);
  latencies are reported over all requests and split into misses (no earlier answer for that URL when
  the request was sent) and hits.
- **fresh** (issue 16's target: distinct queries): every request is a query nobody asked before (the
  watchlist's background phrases, then two-word phrases of the corpus's own text), so nothing is cached.
  The idea page's first paint is the page itself, which counts nothing: its chart rows (``/api/track``,
  timed here too), summary, verdict (a bootstrap) and quotes are fetched by the page after it is drawn, so
  the page is timed alone here and the verdict in the next scenario.
- **slow** (issue 16): four clients keep asking for expensive answers nobody asked before (an idea's
  lifecycle by month, a PNG figure) while one client asks cheap ones (``/api/track`` of a new query): the
  cheap client's latency shows whether cheap requests queue behind expensive ones.

Reported per endpoint: requests, requests/s, p50, p95, p99 and max (over the requests answered with 200)
and errors (any other answer, a transport error or no answer within ``--timeout``; the first messages are
kept), latencies per 10-second window, the server's CPU seconds
and peak RSS, the bench's own CPU seconds (the clients share the machine with the server) and the load
average during the run. Results: ``bench/results/web-<size>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlencode

import numpy as np
import psutil

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import run as common  # noqa: E402

DATA, RESULTS = common.DATA, common.RESULTS
PP = common.PP
SEED = 7
TARGETS = {"/api/track": 100.0, "idea page": 300.0, "cheap while slow": 200.0, "errors": 0}
SLOW_CLIENTS = 4
CLIENTS = {"raw": "asyncio streams, a minimal HTTP/1.1 client (RawClient)", "httpx2": "asyncio + httpx2"}
ENDPOINTS = ("idea page", "/api/track")
BYS = ("year", "month")
WINDOW_S = 10.0
# When the truth sidecar is missing: planted ideas of bench/corpus.py.
FALLBACK_IDEAS = ["big society", "third way", "forward guidance", "levelling up", "northern powerhouse",
                  "sure start", "troubled families", "universal credit", "#bigsociety", "brexit"]


@dataclass
class Sample:
    """One request as the client saw it."""

    endpoint: str
    start_s: float  # since the load began
    latency_s: float
    ok: bool
    miss: bool  # no answer for this URL had arrived when it was sent (the server had nothing cached)
    status: int
    nbytes: int
    error: str | None = None


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def url_for(endpoint: str, idea: str, by: str) -> str:
    """The path and query string of one request."""
    path = "/idea" if endpoint == "idea page" else "/api/track"
    return f"{path}?{urlencode({'q': idea, 'by': by})}"


class Server:
    """``policypulse serve STORE`` in a subprocess, stopped by its own pid when done."""

    def __init__(self, store: Path, port: int, log: Path, workers: int = 1) -> None:
        self.store, self.port, self.log, self.workers = store, port, log, workers
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.rss: common.PeakRSS | None = None
        self.started_s = 0.0

    def __enter__(self) -> Self:
        import httpx2

        t0 = time.perf_counter()
        with open(self.log, "wb") as fh:
            self.proc = subprocess.Popen([PP, "serve", str(self.store), "--port", str(self.port),
                                          "--workers", str(self.workers)],
                                         stdout=fh, stderr=subprocess.STDOUT)
        # every second, not every 50 ms: each sample walks /proc, holding the bench's interpreter lock from the clients
        self.rss = common.PeakRSS(self.proc.pid, interval=1.0).__enter__()
        deadline = time.time() + 120
        while True:
            if self.proc.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"policypulse serve exited with {self.proc.returncode}: {self.log.read_text()[-800:]}")
            try:
                if httpx2.get(self.base + "/api/status", timeout=5).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.time() > deadline:
                self.__exit__()
                raise RuntimeError(f"policypulse serve did not answer within 120 s: {self.log.read_text()[-800:]}")
            time.sleep(0.1)
        self.started_s = time.perf_counter() - t0
        return self

    def cpu_s(self) -> float:
        """CPU seconds the server's processes (workers and the slow worker included) have used so far."""
        assert self.proc is not None
        top = psutil.Process(self.proc.pid)
        total = 0.0
        for proc in [top, *top.children(recursive=True)]:
            try:
                t = proc.cpu_times()
                total += t.user + t.system + (t.children_user + t.children_system if proc is top else 0.0)
            except psutil.NoSuchProcess:
                pass
        return total

    def __exit__(self, *exc: object) -> None:
        if self.rss is not None:
            self.rss.__exit__()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: GET, then the status and a Content-Length body.

    The load runs on the same two cores as the server, so what the clients cost is taken from the server:
    httpx2 spent 1.8 ms of CPU per request (as much as the server's 2.4 ms on a cold /api/track at 100k),
    this client about a tenth of that. 16 browsers on other machines would cost the server's machine nothing.
    Every answer of the dashboard carries a Content-Length (no chunked bodies), which this client requires.
    """

    def __init__(self, base: str, timeout: float) -> None:
        host_port = base.split("://", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port, self.timeout = int(port), timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, url: str) -> tuple[int, bytes]:
        """GET ``url`` (path and query): the status and the body."""
        return await asyncio.wait_for(self._get(url), self.timeout)

    async def _get(self, url: str) -> tuple[int, bytes]:
        for attempt in (0, 1):  # a kept-alive connection the server closed: reconnect once
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(f"GET {url} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode("latin-1"))
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
                continue
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length = next((int(v) for k, _, v in (ln.partition(":") for ln in lines[1:])
                           if k.strip().lower() == "content-length"), None)
            if length is None:
                raise RuntimeError(f"{url}: an answer without Content-Length ({lines[0]})")
            body = await self.reader.readexactly(length)
            if any(ln.lower().startswith("connection: close") for ln in lines[1:]):
                await self.close()
            return status, body
        raise RuntimeError("unreachable")

    async def close(self) -> None:
        """Close the connection."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def load(base: str, plan: Any, clients: int, duration: float, timeout: float,
               client: str = "raw") -> tuple[list[Sample], float]:
    """Run ``clients`` concurrent clients for ``duration`` seconds; the samples and the elapsed time."""
    import httpx2

    samples: list[Sample] = []
    answered: set[str] = set()
    t_begin = time.perf_counter()
    deadline = t_begin + duration

    async def fetch(conn: Any, url: str) -> tuple[int, int, str | None]:
        """status, bytes, error (None when answered with 200)."""
        try:
            if client == "raw":
                status, body = await conn.get(url)
            else:
                r = await conn.get(url)
                status, body = r.status_code, r.content
            return status, len(body), None if status == 200 else f"HTTP {status}: {body[:160]!r}"
        except (TimeoutError, asyncio.TimeoutError, httpx2.TimeoutException):
            return 0, 0, f"no answer within the {timeout:.0f} s timeout"
        except (OSError, RuntimeError, asyncio.IncompleteReadError, httpx2.HTTPError) as exc:
            return 0, 0, f"{type(exc).__name__}: {exc}"[:200]

    async def one(cid: int) -> None:
        rng = random.Random(SEED * 1000 + cid)
        if client == "raw":
            conn: Any = RawClient(base, timeout)
        else:
            conn = httpx2.AsyncClient(base_url=base, timeout=timeout,
                                      limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1))
        try:
            while time.perf_counter() < deadline:
                picked = plan(rng)
                if picked is None:  # the fresh scenario ran out of new queries
                    return
                endpoint, url = picked
                miss = url not in answered
                t0 = time.perf_counter()
                status, nbytes, error = await fetch(conn, url)
                t1 = time.perf_counter()
                if error is None:
                    answered.add(url)
                samples.append(Sample(endpoint, t0 - t_begin, t1 - t0, error is None, miss, status, nbytes, error))
        finally:
            if client == "raw":
                await conn.close()
            else:
                await conn.aclose()

    await asyncio.gather(*(one(i) for i in range(clients)))
    return samples, time.perf_counter() - t_begin


def summarise(samples: list[Sample], elapsed: float) -> dict[str, Any]:
    """Latency percentiles (ms), throughput and errors of a set of samples."""
    lat = np.array([s.latency_s for s in samples if s.ok]) * 1000.0
    errors = [s for s in samples if not s.ok]

    def pct(q: float) -> float | None:
        return float(np.percentile(lat, q)) if lat.size else None

    return {"requests": len(samples), "ok": int(lat.size), "errors": len(errors),
            "requests_per_s": len(samples) / elapsed if elapsed > 0 else 0.0,
            "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
            "max_ms": float(lat.max()) if lat.size else None, "mean_ms": float(lat.mean()) if lat.size else None,
            "error_examples": sorted({e.error or "" for e in errors})[:5]}


def windows(samples: list[Sample], elapsed: float) -> list[dict[str, Any]]:
    """Requests and p95 per WINDOW_S of the run (by start time): how latency settles as caches fill."""
    out = []
    for k in range(int(np.ceil(min(elapsed, max((s.start_s for s in samples), default=0.0) + 1e-9) / WINDOW_S))):
        part = [s for s in samples if k * WINDOW_S <= s.start_s < (k + 1) * WINDOW_S]
        lat = np.array([s.latency_s for s in part if s.ok]) * 1000.0
        out.append({"from_s": k * WINDOW_S, "requests": len(part), "misses": sum(s.miss for s in part),
                    "p95_ms": float(np.percentile(lat, 95)) if lat.size else None,
                    "errors": sum(not s.ok for s in part)})
    return out


def baseline(base: str, probes: list[str], timeout: float) -> dict[str, Any]:
    """One client alone: each endpoint on queries outside the load's plan, first (computed) then again (cached)."""
    import httpx2

    out: dict[str, Any] = {}
    with httpx2.Client(base_url=base, timeout=timeout) as client:
        for ep in ENDPOINTS:
            cold, warm = [], []
            for q in probes:
                url = url_for(ep, q, "month")
                for into in (cold, warm):
                    t0 = time.perf_counter()
                    r = client.get(url)
                    into.append((time.perf_counter() - t0) * 1000.0)
                    if r.status_code != 200:
                        raise RuntimeError(f"baseline {url}: HTTP {r.status_code} {r.text[:200]}")
            out[ep] = {"computed_ms": cold, "cached_ms": warm, "computed_median_ms": float(np.median(cold)),
                       "cached_median_ms": float(np.median(warm))}
    return out


def run_scenario(name: str, store: Path, plan: Any, clients: int, duration: float, timeout: float,
                 probes: list[str] | None = None, workers: int = 1, client: str = "raw") -> dict[str, Any]:
    """Start a server, (optionally) time one client alone, load it, stop it; everything measured."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"policypulse-bench-web-{os.getpid()}-{name}.log"
    common.log(f"{name}: policypulse serve {store} --port {port}; {clients} clients for {duration:.0f} s")
    loads: list[list[float]] = []
    with Server(store, port, log, workers) as srv:
        common.log(f"  server answered after {srv.started_s:.1f} s")
        alone = baseline(srv.base, probes, timeout) if probes else None
        if alone:
            common.log("  one client alone: " + ", ".join(
                f"{ep} {v['computed_median_ms']:.0f} ms computed / {v['cached_median_ms']:.0f} ms cached"
                for ep, v in alone.items()))
        cpu0, bench_cpu0 = srv.cpu_s(), time.process_time()
        stop = False

        async def sample_load() -> None:
            while not stop:
                loads.append([round(x, 2) for x in os.getloadavg()])
                await asyncio.sleep(5)

        async def main() -> tuple[list[Sample], float]:
            nonlocal stop
            sampler = asyncio.create_task(sample_load())
            try:
                return await load(srv.base, plan, clients, duration, timeout, client)
            finally:
                stop = True
                await sampler

        samples, elapsed = asyncio.run(main())
        server_cpu = srv.cpu_s() - cpu0
        bench_cpu = time.process_time() - bench_cpu0
        peak = srv.rss.peak if srv.rss else 0
        started = srv.started_s
    log.unlink(missing_ok=True)  # the server's output matters only when it failed (then it is in the error)
    res: dict[str, Any] = {
        "scenario": name, "clients": clients, "duration_s": duration, "elapsed_s": elapsed,
        "server_start_s": started, "server_cpu_s": server_cpu, "server_peak_rss_gb": peak / 2**30,
        "bench_cpu_s": bench_cpu, "load_avg": loads, "one_client": alone, "overall": summarise(samples, elapsed),
        "endpoints": {}, "windows": windows(samples, elapsed),
    }
    for ep in ENDPOINTS:
        part = [s for s in samples if s.endpoint == ep]
        res["endpoints"][ep] = {
            "all": summarise(part, elapsed),
            "miss": summarise([s for s in part if s.miss], elapsed),
            "hit": summarise([s for s in part if not s.miss], elapsed),
        }
    o = res["overall"]
    common.log(f"  {o['requests']} requests ({o['requests_per_s']:.1f}/s), p95 {fmt_ms(o['p95_ms'])}, "
               f"{o['errors']} errors")
    return res


async def mixed_load(base: str, slow_urls: list[str], cheap_urls: list[str], duration: float,
                     timeout: float) -> tuple[list[Sample], float]:
    """SLOW_CLIENTS clients on expensive URLs and one on cheap ones, each URL asked once, for ``duration``."""
    import httpx2

    samples: list[Sample] = []
    t_begin = time.perf_counter()
    deadline = t_begin + duration
    slow_it, cheap_it = iter(slow_urls), iter(cheap_urls)

    async def one(kind: str, urls: Any) -> None:
        limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx2.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
            while time.perf_counter() < deadline:
                url = next(urls, None)
                if url is None:
                    return
                t0 = time.perf_counter()
                status, nbytes, error = 0, 0, None
                try:
                    r = await client.get(url)
                    status, nbytes = r.status_code, len(r.content)
                    if status != 200:
                        error = f"HTTP {status}: {r.text[:160]}"
                except httpx2.TimeoutException:
                    error = f"no answer within the {timeout:.0f} s timeout"
                except httpx2.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"[:200]
                samples.append(Sample(kind, t0 - t_begin, time.perf_counter() - t0, error is None, True, status,
                                      nbytes, error))
                if kind == "cheap while slow":
                    await asyncio.sleep(0.05)  # a person clicking, not a loop: the slow clients keep the load

    await asyncio.gather(*(one("slow (lifecycle, figure)", slow_it) for _ in range(SLOW_CLIENTS)),
                         one("cheap while slow", cheap_it))
    return samples, time.perf_counter() - t_begin


def run_slow_scenario(store: Path, phrases: list[str], duration: float, timeout: float,
                      workers: int = 1) -> dict[str, Any]:
    """Start a server, let four clients ask for slow answers and one for cheap ones; everything measured."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"policypulse-bench-web-{os.getpid()}-slow.log"
    half = len(phrases) // 2
    slow_urls = []
    for i, p in enumerate(phrases[:half]):
        path = "/api/figure" if i % 4 == 3 else "/api/lifecycle"
        slow_urls.append(f"{path}?{urlencode({'q': p, 'by': 'month'})}")
    cheap_urls = [f"/api/track?{urlencode({'q': p, 'by': by})}" for p in phrases[half:] for by in BYS]
    random.Random(SEED).shuffle(cheap_urls)
    common.log(f"slow: policypulse serve {store} --port {port}; {SLOW_CLIENTS} slow clients + 1 cheap for {duration:.0f} s")
    with Server(store, port, log, workers) as srv:
        # the slow worker process starts with the first slow request: start it before timing
        import httpx2

        httpx2.get(srv.base + "/api/lifecycle?" + urlencode({"q": phrases[-1], "by": "year"}), timeout=timeout)
        cpu0 = srv.cpu_s()
        samples, elapsed = asyncio.run(mixed_load(srv.base, slow_urls, cheap_urls, duration, timeout))
        server_cpu = srv.cpu_s() - cpu0
        peak = srv.rss.peak if srv.rss else 0
        started = srv.started_s
    log.unlink(missing_ok=True)
    res: dict[str, Any] = {"scenario": "slow", "clients": SLOW_CLIENTS + 1, "duration_s": duration,
                           "elapsed_s": elapsed, "server_start_s": started, "server_cpu_s": server_cpu,
                           "server_peak_rss_gb": peak / 2**30, "bench_cpu_s": 0.0, "load_avg": [],
                           "one_client": None, "overall": summarise(samples, elapsed), "endpoints": {},
                           "windows": windows(samples, elapsed)}
    for ep in ("slow (lifecycle, figure)", "cheap while slow"):
        part = [x for x in samples if x.endpoint == ep]
        res["endpoints"][ep] = {"all": summarise(part, elapsed), "miss": summarise(part, elapsed),
                                "hit": summarise([], elapsed)}
    c = res["endpoints"]["cheap while slow"]["all"]
    common.log(f"  cheap while slow: {c['requests']} requests, p95 {fmt_ms(c['p95_ms'])}, {c['errors']} errors")
    return res


def dashboard_plan(ideas: list[str]) -> Any:
    """Requests over a fixed set of ideas (repeat views hit the server's cache)."""
    def plan(rng: random.Random) -> tuple[str, str]:
        ep = rng.choice(ENDPOINTS)
        return ep, url_for(ep, rng.choice(ideas), rng.choice(BYS))
    return plan


def _http_stack() -> str:
    """What uvicorn serves with in this environment (it picks httptools and uvloop when they are installed)."""
    import importlib.util

    http = "httptools" if importlib.util.find_spec("httptools") else "h11 (pure Python)"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"uvicorn {http} + {loop}"


def _pool_size() -> int:
    """The dashboard's corpora counting at once (``web.app.POOL_SIZE``)."""
    from policypulse.web import app

    return int(getattr(app, "POOL_SIZE", 0)) or min(4, os.cpu_count() or 1)


def corpus_phrases(corpus: Path, exclude: set[str], want: int, lines: int = 4000) -> list[str]:
    """Two-word phrases of the corpus's own text, each in at least two of its first ``lines`` documents.

    More distinct queries than the watchlist holds (947 phrases, 3,788 requests: 15 s at 250 requests/s), so
    that a run of any length asks nothing twice. Drawn as phrase types (each phrase once, seeded order), not
    by how often they occur, so common pairs ("of the") are not favoured.
    """
    from policypulse.text import tokens

    seen: dict[str, int] = {}
    with open(corpus, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= lines:
                break
            toks = tokens(json.loads(line).get("text", ""))
            for pair in {f"{a} {b}" for a, b in zip(toks, toks[1:])}:
                seen[pair] = seen.get(pair, 0) + 1
    out = sorted(p for p, n in seen.items() if n >= 2 and p not in exclude)
    random.Random(SEED).shuffle(out)
    return out[:want]


def fresh_plan(phrases: list[str], more: list[str] | None = None) -> Any:
    """Requests that are each asked once: nothing is cached (the watchlist's phrases first, then ``more``)."""
    combos = [(ep, p, by) for p in phrases for ep in ENDPOINTS for by in BYS]
    random.Random(SEED).shuffle(combos)
    extra = [(ep, p, by) for p in more or [] for ep in ENDPOINTS for by in BYS]
    random.Random(SEED + 1).shuffle(extra)
    it = iter(combos + extra)

    def plan(rng: random.Random) -> tuple[str, str] | None:
        nxt = next(it, None)
        return None if nxt is None else (nxt[0], url_for(*nxt))
    return plan


def fmt_ms(v: float | None) -> str:
    """Milliseconds for a table ('-' when nothing was measured)."""
    if v is None:
        return "-"
    return f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms"


def endpoint_rows(res: dict[str, Any]) -> list[list[Any]]:
    """Table rows: each endpoint, all requests then misses and hits."""
    rows = []
    for ep, parts in res["endpoints"].items():
        for key, label in (("all", ep), ("miss", "  first request of a URL (computed)"),
                           ("hit", "  repeat (served from the cache)")):
            s = parts[key]
            if key != "all" and s["requests"] == 0:
                continue
            rows.append([label, s["requests"], f"{s['requests_per_s']:.1f}", fmt_ms(s["p50_ms"]), fmt_ms(s["p95_ms"]),
                         fmt_ms(s["p99_ms"]), fmt_ms(s["max_ms"]), s["errors"]])
    o = res["overall"]
    rows.append(["**both endpoints**", o["requests"], f"{o['requests_per_s']:.1f}", fmt_ms(o["p50_ms"]),
                 fmt_ms(o["p95_ms"]), fmt_ms(o["p99_ms"]), fmt_ms(o["max_ms"]), o["errors"]])
    return rows


def report(size: str, store: Path, mach: dict[str, Any], settings: dict[str, Any],
           results: list[dict[str, Any]], ideas: list[str], load_end: list[float], date: str) -> str:
    """The Markdown page of the results."""
    docs, version, engine = settings["store_docs"], settings["store_version"], settings["engine"]
    text = (f"# Dashboard load benchmark (issues 7 and 16), {size}\n\n"
            f"- date: {date}\n"
            f"- machine: {mach['cpu']}, {mach['cores']} cores, {mach['ram_gb']} GB RAM; Python {mach['python']}, "
            f"policypulse {mach['policypulse']}, DuckDB {mach['duckdb']}\n"
            f"- code under test: {mach.get('git', 'unknown')} (at the start of the run); counting engine that "
            f"`policypulse.open` chose for this store: `{engine}`"
            + ({True: ", with the word-pair index (`policypulse index-pairs`: two-word phrases from one term)",
                False: ", without a word-pair index (two-word phrases by tantivy's phrase queries)"}
               .get(settings.get("pair_index"), "")) + "\n"
            f"- load: the machine is shared with other engineers' tests; 1/5/15-min load average "
            f"{mach['load_avg_start']} at the start, {load_end} at the end "
            "(samples every 5 s in the JSON)\n"
            f"- store: `{store}` ({docs:,} documents, version {version})\n"
            f"- settings: {settings['clients']} concurrent clients ({CLIENTS[settings.get('client', 'httpx2')]}, one "
            "keep-alive connection each, "
            f"in the bench process, on the same machine) for {settings['duration']:.0f} s per scenario; each request "
            f"picks the idea page `/idea?q=&by=` or `/api/track?q=&by=` (50/50), an idea and by=year or month "
            f"(seed {SEED}); timeout {settings['timeout']:.0f} s; server: `policypulse serve STORE --port P "
            f"--workers {settings.get('workers', 1)}` ({settings.get('workers', 1)} uvicorn process(es) and the slow "
            "worker), started afresh (empty caches) for each scenario; its CPU is that of all its processes"
            + (f"; HTTP: {settings['http']}; at most {settings['pool']} counts at once per process (corpora "
               "pooled)" if settings.get("http") else "") + "\n"
            + (f"- fresh queries: the watchlist's {settings['fresh_queries']['watchlist']} background phrases, then "
               f"{settings['fresh_queries']['corpus_pairs']:,} two-word phrases of the corpus's own text (each in at "
               "least two of its first 4,000 documents; seeded order), each asked once per endpoint and period\n"
               if settings.get("fresh_queries") else "")
            + f"- ideas (dashboard scenario): {len(ideas)} planted ideas of the corpus ({', '.join(ideas[:6])}, ...)\n\n")
    for res in results:
        title = {"dashboard": "Dashboard: the planted ideas, viewed again and again",
                 "fresh": "Fresh queries: every request a query not asked before (nothing cached; the target)",
                 "slow": f"Cheap requests while {SLOW_CLIENTS} clients ask for slow ones (lifecycles by month, "
                         "figures), every query new"}[res["scenario"]]
        text += f"## {title}\n\n"
        text += common.md_table(["endpoint", "requests", "req/s", "p50", "p95", "p99", "max", "errors"],
                                endpoint_rows(res))
        text += (f"\n\nServer: answered {res['server_start_s']:.1f} s after start; {res['server_cpu_s']:.0f} CPU s "
                 f"over the {res['elapsed_s']:.0f} s run ({res['server_cpu_s'] / res['elapsed_s']:.2f} cores), "
                 f"peak RSS {res['server_peak_rss_gb']:.2f} GB. The clients used {res['bench_cpu_s']:.0f} CPU s. "
                 f"Load average samples: {', '.join(str(x[0]) for x in res['load_avg'])}.\n")
        if res.get("one_client"):
            text += "\nOne client alone, before the load (median of 3 queries the load never asks, by=month): " + "; ".join(
                f"{ep} {fmt_ms(v['computed_median_ms'])} when computed, {fmt_ms(v['cached_median_ms'])} from the cache"
                for ep, v in res["one_client"].items()) + ".\n"
        errs = sorted({e for parts in res["endpoints"].values() for e in parts["all"]["error_examples"]})
        if errs:
            text += "\nErrors seen: " + "; ".join(f"`{e}`" for e in errs) + "\n"
        text += "\nPer 10 s of the run (requests by start time):\n\n" + common.md_table(
            ["from", "requests", "first requests of a URL", "p95", "errors"],
            [[f"{w['from_s']:.0f} s", w["requests"], w["misses"], fmt_ms(w["p95_ms"]), w["errors"]]
             for w in res["windows"]]) + "\n\n"
    checks = []
    fresh = next((r for r in results if r["scenario"] == "fresh"), None)
    if fresh:
        for ep in ENDPOINTS:
            s = fresh["endpoints"][ep]["all"]
            checks.append([f"{ep}, distinct queries, {fresh['clients']} clients: p95", f"<= {TARGETS[ep]:.0f} ms",
                           fmt_ms(s["p95_ms"]), common.verdict(s["p95_ms"] is not None and s["p95_ms"] <= TARGETS[ep])])
        checks.append(["errors (fresh)", "0", str(fresh["overall"]["errors"]),
                       common.verdict(fresh["overall"]["errors"] == 0)])
    slow = next((r for r in results if r["scenario"] == "slow"), None)
    if slow:
        c = slow["endpoints"]["cheap while slow"]["all"]
        checks.append([f"cheap /api/track while {SLOW_CLIENTS} slow requests run: p95",
                       f"<= {TARGETS['cheap while slow']:.0f} ms", fmt_ms(c["p95_ms"]),
                       common.verdict(c["p95_ms"] is not None and c["p95_ms"] <= TARGETS["cheap while slow"])])
        checks.append(["errors (slow)", "0", str(slow["overall"]["errors"]), common.verdict(slow["overall"]["errors"] == 0)])
    dash = next((r for r in results if r["scenario"] == "dashboard"), None)
    if dash:
        checks.append(["errors (dashboard)", "0", str(dash["overall"]["errors"]), common.verdict(dash["overall"]["errors"] == 0)])
    if checks:
        text += "## Targets (issue 16; the issue states them for a 1M-document store)\n\n"
        text += common.md_table(["check", "target", "measured", "result"], checks) + "\n"
    text += reading(results)
    return text


def reading(results: list[dict[str, Any]]) -> str:
    """How to read the figures, with this run's numbers (Little's law: clients always waiting)."""
    out = ["\n## Reading the figures\n"]
    for res in results:
        o, n = res["overall"], res["clients"]
        cpu_ms = 1000.0 * res["server_cpu_s"] / max(o["requests"], 1)
        wait = n / o["requests_per_s"] if o["requests_per_s"] else float("nan")
        out.append(f"- {res['scenario']}: {o['requests_per_s']:.0f} requests/s at {cpu_ms:.1f} ms of server CPU per "
                   f"request on average; with {n} clients each always waiting for an answer, a request waits for "
                   f"those ahead of it: mean latency = clients / throughput = {1000 * wait:.0f} ms "
                   f"(measured mean {fmt_ms(o['mean_ms'])}).")
        if res["scenario"] == "dashboard" and res["windows"]:
            w0 = res["windows"][0]
            out.append(f"  The first {WINDOW_S:.0f} s compute most URLs for the first time ({w0['misses']} of "
                       f"{w0['requests']} requests; p95 {fmt_ms(w0['p95_ms'])}); once each URL has been answered "
                       "the server answers from its per-version cache.")
    return "\n".join(out) + "\n"


def run(docs: int, mach: dict[str, Any] | None = None, *, store: Path | None = None, clients: int = 16,
        duration: float = 60.0, scenarios: tuple[str, ...] = ("dashboard", "fresh", "slow"), timeout: float = 120.0,
        label: str | None = None, workers: int = 1, client: str = "raw") -> dict[str, Any]:
    """Run the scenarios against ``store`` (default: the ingest benchmark's store of ``docs`` documents)."""
    store = store or DATA / f"store-{common.label(docs)}"
    size = label or common.label(docs)
    if not (store / "manifest.json").exists():
        raise SystemExit(f"no store at {store}: run `python bench/run.py --docs {docs} --only ingest` first")
    mach = mach or common.machine()
    truth_path = Path(str(common.corpus_path(docs)) + ".truth.json")
    truth = json.loads(truth_path.read_text()) if truth_path.exists() else {}
    ideas = list(truth.get("ideas", {})) or FALLBACK_IDEAS
    background = [w for w in truth.get("watchlist", []) if w not in truth.get("ideas", {})]
    import policypulse

    with policypulse.open(store) as corpus:  # what the server's requests run on
        engine, docs_n, version = type(corpus.engine).__name__, corpus.store.count(), corpus.version
        finder = getattr(corpus.engine, "_pair_index", None)
        pair_index = finder() is not None if finder is not None else False
    settings = {"clients": clients, "duration": duration, "timeout": timeout, "seed": SEED,
                "scenarios": list(scenarios), "endpoints": list(ENDPOINTS), "by": list(BYS), "engine": engine,
                "store_docs": docs_n, "store_version": version, "workers": workers, "client": client,
                "pair_index": pair_index, "http": _http_stack(), "pool": _pool_size()}
    results = []
    for name in scenarios:
        probes = None
        if name == "dashboard":
            plan = dashboard_plan(ideas)
            probes = background[-3:] or None  # queries the load never asks: its cache stays cold
        elif name == "fresh":
            if not background:
                common.log("fresh: no watchlist in the truth sidecar; skipped")
                continue
            corpus = common.corpus_path(docs)
            more = corpus_phrases(corpus, set(truth.get("watchlist", [])), 12000) if corpus.exists() else []
            settings["fresh_queries"] = {"watchlist": len(background[:-3]), "corpus_pairs": len(more)}
            plan = fresh_plan(background[:-3], more)
        elif name == "slow":
            if not background:
                common.log("slow: no watchlist in the truth sidecar; skipped")
                continue
            results.append(run_slow_scenario(store, list(reversed(background[:-3])), duration, timeout, workers))
            continue
        else:
            raise SystemExit(f"unknown scenario {name!r}; choose dashboard, fresh or slow")
        results.append(run_scenario(name, store, plan, clients, duration, timeout, probes, workers, client))
    data = {"machine": mach, "store": str(store), "settings": settings, "ideas": ideas, "targets": TARGETS,
            "results": results, "load_avg_end": [round(x, 2) for x in os.getloadavg()], "size": size,
            "date": time.strftime("%Y-%m-%dT%H:%M")}
    common.write_result(f"web-{size}", render(data), data)
    return data


def render(data: dict[str, Any]) -> str:
    """The Markdown page from the saved measurements (``--report-only`` redoes it without running)."""
    return report(data["size"], Path(data["store"]), data["machine"], data["settings"], data["results"],
                  data["ideas"], data["load_avg_end"], data["date"])


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=common.DEFAULT_DOCS, help="corpus size: picks bench/data/store-<size> "
                    "and its truth sidecar (default 100,000)")
    ap.add_argument("--store", type=Path, default=None, help="another store (default bench/data/store-<size>)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load per scenario (default 60)")
    ap.add_argument("--scenarios", default="dashboard,fresh,slow", help="comma-separated: dashboard, fresh, slow")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a request counts as an error")
    ap.add_argument("--label", default=None, help="size label of the result files (default from --docs)")
    ap.add_argument("--workers", type=int, default=1, help="server processes (`serve --workers`, default 1)")
    ap.add_argument("--client", choices=("raw", "httpx2"), default="raw",
                    help="the load's HTTP client: raw asyncio streams (default; light) or httpx2 (as before)")
    ap.add_argument("--report-only", action="store_true", help="redo the Markdown from the saved JSON")
    args = ap.parse_args(argv)
    if args.report_only:
        name = f"web-{args.label or common.label(args.docs)}"
        data = json.loads((RESULTS / f"{name}.json").read_text())
        data.setdefault("size", args.label or common.label(args.docs))
        data.setdefault("date", time.strftime("%Y-%m-%dT%H:%M", time.localtime((RESULTS / f"{name}.json").stat().st_mtime)))
        (RESULTS / f"{name}.md").write_text(render(data))
        return
    scen = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    run(args.docs, store=args.store, clients=args.clients, duration=args.duration, scenarios=scen,
        timeout=args.timeout, label=args.label, workers=args.workers, client=args.client)


if __name__ == "__main__":
    main()
