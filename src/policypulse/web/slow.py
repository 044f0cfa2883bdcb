"""Expensive work kept off the path of cheap requests: lifecycles (bootstraps), figures, vocabulary.

Measured (bench/bench_web.py): on two cores, analyses run in the server's own threads hold the
interpreter lock for long stretches, and a count that takes 2 ms waited seconds behind four bootstraps.
So the slow work runs in a separate process (``spawn``: forking a process that already runs DuckDB and
uvicorn threads is unsafe), results are cached per store version, and the async endpoints that need
them wait without holding one of the server's threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

# ---------------------------------------------------------------------------------------- in the worker
_OPEN: dict[tuple[str, int], Any] = {}


def _corpus(store: str, version: int) -> Any:
    """The worker's open corpus of ``version`` (older versions closed: an ingest made them stale)."""
    import policypulse

    key = (store, version)
    if key not in _OPEN:
        for old in [k for k in _OPEN if k[0] == store and k[1] < version]:
            _OPEN.pop(old).close()
        _OPEN[key] = policypulse.open(store, version=version)
    return _OPEN[key]


def lifecycle_job(store: str, version: int, q: str, by: str) -> dict[str, Any]:
    """One idea's lifecycle as JSON-ready fields (run in the worker)."""
    from policypulse.cli.output import jsonable

    lc: dict[str, Any] = _corpus(store, version).lifecycle(q, by=by).to_dicts()[0]
    return jsonable(lc)  # type: ignore[no-any-return]


def figure_job(store: str, version: int, qs: list[str], by: str, measure: str, smooth: int, fmt: str,
               date_from: str | None, date_to: str | None) -> bytes:
    """A PNG or SVG figure of one idea (with its lifecycle) or several ideas (run in the worker)."""
    import matplotlib

    matplotlib.use("Agg")
    from policypulse.report.figures import figure_bytes

    corpus = _corpus(store, version)
    track = corpus.track(qs, by=by)
    lcs = [lifecycle_job(store, version, q, by) for q in qs] if len(qs) == 1 else []
    return figure_bytes(track, lcs, by=by, measure=measure, smooth=smooth, fmt=fmt,
                        corpus_label=corpus_label(corpus), date_from=date_from, date_to=date_to)


def vocabulary_job(store: str, version: int, sample: int = 20000) -> dict[str, int]:
    """Word -> documents containing it, over a sample of the corpus (for 'did you mean')."""
    con = _corpus(store, version).store.connection(version)
    rows = con.execute(
        "SELECT t, count(*)::BIGINT FROM (SELECT unnest(list_distinct(string_split(trim(norm), ' '))) AS t "
        f"FROM (SELECT norm FROM docs USING SAMPLE {int(sample)} ROWS)) WHERE t <> '' GROUP BY t "
        "HAVING count(*) >= 2").fetchall()
    total = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM docs USING SAMPLE {int(sample)} ROWS)").fetchone()
    out = {str(t): int(n) for t, n in rows}
    out[""] = int(total[0]) if total else 0  # the sample's size, under a key no word can have
    return out


def corpus_label(corpus: Any) -> str:
    """How exports name the corpus: its directory name and version."""
    from pathlib import Path

    return f"{Path(corpus.store.path).resolve().name} (version {corpus.version})"


# ---------------------------------------------------------------------------------------- in the server
class SlowWork:
    """A process pool for slow jobs and a per-key result cache; awaited from async endpoints.

    Requests for a key already being computed wait for that computation; errors are not cached.
    ``processes=False`` runs the jobs on threads (for callers without an event loop of their own).
    """

    def __init__(self, workers: int = 1, maxsize: int = 256, processes: bool = True) -> None:
        self.workers = max(1, workers)
        self.maxsize = maxsize
        self.processes = processes
        self._pool: concurrent.futures.Executor | None = None
        self._done: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[Any]] = {}

    def _executor(self) -> concurrent.futures.Executor:
        if self._pool is None:
            if self.processes:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init)
            else:
                self._pool = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="pp-slow")
        return self._pool

    def cached(self, key: Hashable) -> Any | None:
        """The finished result of ``key``, or None (never waits)."""
        return self._done.get(key)

    async def get(self, key: Hashable, fn: Callable[..., Any], *args: Any) -> Any:
        """The result of ``fn(*args)`` for ``key``: cached, being computed, or computed now in the pool."""
        if key in self._done:
            self._done.move_to_end(key)
            return self._done[key]
        fut = self._pending.get(key)
        if fut is None:
            fut = asyncio.wrap_future(self._submit(fn, *args))
            self._pending[key] = fut

            def finished(f: asyncio.Future[Any], key: Hashable = key) -> None:
                self._pending.pop(key, None)
                if not f.cancelled() and f.exception() is None:
                    self._done[key] = f.result()
                    while len(self._done) > self.maxsize:
                        self._done.popitem(last=False)

            fut.add_done_callback(finished)
        return await asyncio.shield(fut)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        try:
            return self._executor().submit(fn, *args)
        except concurrent.futures.process.BrokenProcessPool:
            self._pool = None  # a worker died (killed, out of memory): start a new pool for this request
            return self._executor().submit(fn, *args)

    def close(self) -> None:
        """Stop the workers (a job still running is abandoned: its answer has nobody to go to)."""
        if self._pool is not None:
            procs = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                p.terminate()
            self._pool = None


def _worker_init() -> None:
    # The slow worker yields the processor to the cheap path when both want it.
    try:
        os.nice(5)
    except OSError:
        pass
    # A server killed without a clean shutdown must not leave its worker behind (seen in the bench: a
    # worker outlived a server stopped with SIGKILL): the worker leaves as soon as its parent is gone.
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(2)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="pp-parent-watch", daemon=True).start()
