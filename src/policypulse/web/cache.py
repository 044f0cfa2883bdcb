"""What lets the dashboard answer many people at once: a result cache and a pool of opened corpora.

Both exist because of measurements (bench/bench_web.py): with 32 clients on two cores, a request that
opens the store, counts and analyses costs a few hundred milliseconds of CPU, and 32 of them at once
queue for seconds. So each result is computed once per store version (``ResultCache``, which also makes
requests for the same key that arrive together wait for one computation instead of each doing it), and
at most a few computations run at a time, each on a corpus that stays open between requests
(``CorpusPool``), so that answers already cached are not held up behind a crowd of threads computing.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import policypulse

T = TypeVar("T")


class Busy(Exception):
    """Raised by ``ResultCache.get(cached_only=True)`` when the value is not computed yet."""


class ResultCache:
    """A thread-safe LRU cache that computes each key once, even when requests for it arrive together."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T], *, cached_only: bool = False) -> T:
        """The cached value of ``key``, computing it (once) with ``compute`` when it is missing.

        Errors are not cached: a request that waited for a computation that failed tries again itself.
        ``cached_only=True`` raises ``Busy`` instead of computing or waiting: the caller computes elsewhere.
        """
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    return self._data[key]  # type: ignore[no-any-return]
                if cached_only:
                    raise Busy(key)
                event = self._pending.get(key)
                owner = event is None
                if owner:
                    event = self._pending[key] = threading.Event()
            assert event is not None
            if not owner:
                event.wait()
                continue
            try:
                value = compute()
                with self._lock:
                    self._data[key] = value
                    while len(self._data) > self.maxsize:
                        self._data.popitem(last=False)
                return value
            finally:
                with self._lock:
                    self._pending.pop(key, None)
                event.set()

    def __len__(self) -> int:
        return len(self._data)


class CorpusPool:
    """Corpora of one store kept open between requests and lent to one request at a time.

    A corpus holds a DuckDB connection, which must not be used by two threads at once, so each is lent
    to one request; ``size`` bounds how many computations run together (the rest wait their turn).
    Corpora of a version older than the newest one asked for are closed when they come back: an ingest
    made them stale.
    """

    def __init__(self, store: str | Path, size: int) -> None:
        self.store = str(store)
        self.size = max(1, size)
        self._slots = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self._free: dict[int, list[policypulse.Corpus]] = {}
        self._newest = 0

    @contextlib.contextmanager
    def borrow(self, version: int) -> Iterator[policypulse.Corpus]:
        """An open corpus of ``version`` for the duration of the ``with`` block."""
        self._slots.acquire()
        try:
            with self._lock:
                self._newest = max(self._newest, version)
                free = self._free.get(version)
                corpus = free.pop() if free else None
            if corpus is None:
                corpus = policypulse.open(self.store, version=version)
            else:
                try:
                    corpus.verify(max_age=1.0)  # files damaged since the corpus was opened: an error, not an answer
                except BaseException:
                    corpus.close()
                    raise
            try:
                yield corpus
            finally:
                with self._lock:
                    stale = version < self._newest
                    if not stale:
                        self._free.setdefault(version, []).append(corpus)
                    old = [c for v in list(self._free) if v < self._newest for c in self._free.pop(v)]
                for c in old + ([corpus] if stale else []):
                    c.close()
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close every corpus not lent out."""
        with self._lock:
            corpora = [c for cs in self._free.values() for c in cs]
            self._free.clear()
        for c in corpora:
            c.close()
