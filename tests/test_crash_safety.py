"""An ingest killed with SIGKILL at any moment leaves a readable store at its last complete version, and
re-running it gives exactly the documents of a clean ingest; readers in another process see a snapshot.

Ingests run in child processes started by a fork server that has already imported policypulse (cheap
to start, and no threads of this process are forked). A child can be killed at the n-th atomic rename
(``os.replace``: every segment, manifest and totals commit goes through one), just before or just after
it, or by the parent after a seeded random delay.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest

from policypulse.corpus import index as token_index
from policypulse.corpus.ingest import ingest
from policypulse.corpus.store import Store
from policypulse.errors import StoreError

TODAY = dt.date(2024, 6, 1)
BATCH = 40
_CTX = mp.get_context("forkserver")
_CTX.set_forkserver_preload(["policypulse.corpus.ingest"])


def _child(store: str, src: str, kill: tuple[str, int] | None, pause_at: int | None, flags: str,
           shard_bytes: int | None = None) -> None:
    """Run an ingest; SIGKILL itself before/after the n-th os.replace, or pause there until told to go."""
    if shard_bytes is not None:
        token_index.SHARD_BYTES = shard_bytes
    real_replace = os.replace
    calls = 0
    flag_dir = Path(flags)

    def replace(a: object, b: object) -> None:
        nonlocal calls
        calls += 1
        if kill == ("before", calls):
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(a, b)  # type: ignore[arg-type]
        if kill == ("after", calls):
            os.kill(os.getpid(), signal.SIGKILL)
        if pause_at == calls:
            (flag_dir / "paused").touch()
            deadline = time.monotonic() + 60
            while not (flag_dir / "go").exists() and time.monotonic() < deadline:
                time.sleep(0.005)

    os.replace = replace  # type: ignore[assignment]
    from policypulse.corpus.ingest import ingest as run

    (flag_dir / "ready").touch()
    run(store, [src], batch_docs=BATCH, today=TODAY)
    (flag_dir / "replaces").write_text(str(calls))


def _start(store: Path, src: Path, flags: Path, kill: tuple[str, int] | None = None,
           pause_at: int | None = None, shard_bytes: int | None = None) -> mp.process.BaseProcess:
    flags.mkdir(parents=True, exist_ok=True)
    proc = _CTX.Process(target=_child, args=(str(store), str(src), kill, pause_at, str(flags), shard_bytes))
    proc.start()
    return proc


def _wait_for(path: Path, proc: mp.process.BaseProcess, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if not proc.is_alive() or time.monotonic() > deadline:
            return path.exists()
        time.sleep(0.002)
    return True


def _lines(rng: random.Random, n: int, tag: str, reuse: list[str]) -> list[str]:
    out: list[str] = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.05 and reuse:
            out.append(rng.choice(reuse))  # an exact duplicate, maybe of an earlier ingest
        elif roll < 0.08:
            out.append('{"date": "not a date 1", "text": "bad"}')
        else:
            day = dt.date(2001, 1, 1) + dt.timedelta(days=rng.randrange(7000))
            text = f"{tag} document {i}: " + " ".join(rng.choice(["big", "society", "partnership", "reform"])
                                                       for _ in range(rng.randint(5, 40)))
            out.append(json.dumps({"id": f"{tag}{i}", "date": day.isoformat(), "source": f"s{i % 5}",
                                   "text": text}))
            reuse.append(out[-1])
    return out


def _signature(store: Path, version: int | None = None) -> list[tuple[str, str, int]]:
    """What must be equal between a recovered and a clean ingest: every document, once."""
    rows = Store(store).documents(version, columns=["hash", "doc_id", "origin_record"]).to_pylist()
    return sorted((r["hash"], r["doc_id"], r["origin_record"]) for r in rows)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Inputs, a store at version 1 (file A), and the clean result of ingesting file B into it."""
    root = tmp_path_factory.mktemp("crash")
    rng = random.Random(1234)
    reuse: list[str] = []
    a, b = root / "a.jsonl", root / "b.jsonl"
    a.write_text("\n".join(_lines(rng, 300, "a", reuse)) + "\n")
    b.write_text("\n".join(_lines(rng, 500, "b", reuse)) + "\n")
    base = root / "base"
    ingest(base, [a], batch_docs=BATCH, today=TODAY)
    clean = root / "clean"
    shutil.copytree(base, clean)
    calls = 0
    commit = 0  # the os.replace that commits the new version (later ones write the token index and seal it)
    real_replace = os.replace

    def counting(x: object, y: object) -> None:
        nonlocal calls, commit
        calls += 1
        if not commit and Path(str(y)).name == "manifest.json" and len(json.loads(Path(str(x)).read_bytes())["versions"]) > 1:
            commit = calls
        real_replace(x, y)  # type: ignore[arg-type]

    os.replace = counting  # type: ignore[assignment]
    t0 = time.monotonic()
    try:
        clean_report = ingest(clean, [b], batch_docs=BATCH, today=TODAY)
    finally:
        os.replace = real_replace
    duration = time.monotonic() - t0  # only to spread random kills over an ingest's life
    fresh = root / "fresh"
    ingest(fresh, [b], batch_docs=BATCH, today=TODAY)
    assert clean_report.accepted > 10 * BATCH  # many commits happen
    return {"root": root, "a": a, "b": b, "base": base, "base_sig": _signature(base), "clean_sig": _signature(clean),
            "fresh_sig": _signature(fresh), "replaces": calls, "commit": commit, "duration": duration, "b_records": len(b.read_text().splitlines())}


def _check_killed_store(store: Path, before: list, after: list, prev_version: int) -> int:
    """The store opens at its previous complete version or the next one, with exactly that version's documents."""
    s = Store(store)
    assert s.version in (prev_version, prev_version + 1)
    expected = before if s.version == prev_version else after
    assert _signature(store) == expected
    assert s.count() == len(expected)
    if s.version:
        assert s.version_info()["documents"] == len(expected)
    assert s.connection().execute("SELECT count(*) FROM docs").fetchone() == (len(expected),)
    return s.version


def _rerun_and_compare(world: dict, store: Path, expected: list, prev_version: int) -> None:
    report = ingest(store, [world["b"]], batch_docs=BATCH, today=TODAY)
    assert report.accepted + report.duplicates + len(report.rejected) == world["b_records"]
    s = Store(store)
    assert s.version == report.version > prev_version
    assert _signature(store) == expected  # nothing lost, nothing doubled
    assert s.manifest.pending == []
    listed = set(s.manifest.segments)
    assert {p.name for p in (store / "segments").iterdir()} == listed  # no leftovers of the killed run
    assert token_index.covers(s)  # the re-run also finished the token index, each document in it once
    assert token_index.open_index(s).num_docs == s.count()


def _kill_points(n: int, commit: int) -> list[tuple[str, int]]:
    # first segment, first manifest commit, the middle, the totals file, the version commit, and after it the
    # token index's first list and its last
    return [("before", 1), ("after", 1), ("after", 2), ("before", commit // 2), ("before", commit - 1),
            ("after", commit - 1), ("before", commit), ("after", commit), ("after", commit + 1), ("before", n)]


@pytest.mark.parametrize("point", range(10), ids=lambda i: f"point{i}")
def test_sigkill_at_commit_points(world: dict, tmp_path: Path, point: int) -> None:
    assert world["replaces"] > world["commit"]  # the token index is written after the version commit
    kill = _kill_points(world["replaces"], world["commit"])[point]
    store = tmp_path / "store"
    shutil.copytree(world["base"], store)
    proc = _start(store, world["b"], tmp_path / "flags", kill=kill)
    proc.join(60)
    assert proc.exitcode == -signal.SIGKILL
    version = _check_killed_store(store, world["base_sig"], world["clean_sig"], prev_version=1)
    if kill[1] > world["commit"] or kill == ("after", world["commit"]):
        assert version == 2  # killed after the version commit: its documents are in, the index may lag
    else:
        assert version == 1
    _rerun_and_compare(world, store, world["clean_sig"], prev_version=version)


SMALL_SHARD = 3_000  # bytes of text: every couple of segments the token index opens a new shard


@pytest.fixture(scope="module")
def sharded_replaces(world: dict, tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many atomic renames ingesting file B makes when the token index opens many shards."""
    store = tmp_path_factory.mktemp("sharded") / "store"
    shutil.copytree(world["base"], store)
    calls = 0
    real_replace = os.replace

    def counting(x: object, y: object) -> None:
        nonlocal calls
        calls += 1
        real_replace(x, y)  # type: ignore[arg-type]

    mp_ = pytest.MonkeyPatch()
    mp_.setattr(token_index, "SHARD_BYTES", SMALL_SHARD)
    os.replace = counting  # type: ignore[assignment]
    try:
        ingest(store, [world["b"]], batch_docs=BATCH, today=TODAY)
    finally:
        os.replace = real_replace
        mp_.undo()
    shards = json.loads((store / "index" / "covered.json").read_text())["shards"]
    assert len(shards) >= 5
    assert _signature(store) == world["clean_sig"]
    return calls


@pytest.mark.parametrize("side", ["before", "after"])
@pytest.mark.parametrize("fraction", [0.2, 0.45, 0.7, 0.9, 0.97])
def test_sigkill_while_the_token_index_opens_shards(world: dict, sharded_replaces: int, tmp_path: Path,
                                                   fraction: float, side: str) -> None:
    # "before" the rename after a shard's commit lands between tantivy's commit and the listing
    kill = (side, max(1, int(sharded_replaces * fraction)))
    store = tmp_path / "store"
    shutil.copytree(world["base"], store)
    proc = _start(store, world["b"], tmp_path / "flags", kill=kill, shard_bytes=SMALL_SHARD)
    proc.join(60)
    assert proc.exitcode == -signal.SIGKILL
    version = _check_killed_store(store, world["base_sig"], world["clean_sig"], prev_version=1)
    _rerun_and_compare(world, store, world["clean_sig"], prev_version=version)


@pytest.mark.parametrize("seed", [11, 12])
def test_sigkill_after_random_delays_even_repeatedly(world: dict, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = tmp_path / "store"
    shutil.copytree(world["base"], store)
    version = 1
    for attempt in range(3):  # killed, then killed again during the re-run, ...
        flags = tmp_path / f"flags{attempt}"
        proc = _start(store, world["b"], flags)
        assert _wait_for(flags / "ready", proc)
        time.sleep(rng.uniform(0, world["duration"] * 1.2))
        proc.kill()
        proc.join(60)
        version = _check_killed_store(store, world["base_sig"] if version == 1 else world["clean_sig"],
                                      world["clean_sig"], prev_version=version)
    _rerun_and_compare(world, store, world["clean_sig"], prev_version=version)


@pytest.mark.parametrize("kill", [("before", 1), ("after", 1), ("after", 13)], ids=str)
def test_sigkill_during_the_first_ingest_into_a_new_store(world: dict, tmp_path: Path, kill: tuple[str, int]) -> None:
    store = tmp_path / "new-store"
    proc = _start(store, world["b"], tmp_path / "flags", kill=kill)
    proc.join(60)
    assert proc.exitcode == -signal.SIGKILL
    if kill == ("before", 1):
        # killed before the store's first manifest existed: there is no store yet, and it says so
        with pytest.raises(StoreError, match="no store here"):
            Store(store)
    else:
        assert _check_killed_store(store, [], world["fresh_sig"], prev_version=0) == 0
    report = ingest(store, [world["b"]], batch_docs=BATCH, today=TODAY)
    assert report.version == 1
    assert _signature(store) == world["fresh_sig"]


def test_reader_in_another_process_sees_a_consistent_snapshot(world: dict, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(world["base"], store)
    old_count, new_count = len(world["base_sig"]), len(world["clean_sig"])
    flags = tmp_path / "flags"
    # the writer pauses after its second segment commit (renames: the manifest unsealing the token index, segment,
    # manifest, the segment's cached arrays and norm copy for the token index, segment, manifest)
    proc = _start(store, world["b"], flags, pause_at=7)
    try:
        assert _wait_for(flags / "paused", proc)
        early = Store(store)  # a reader holding the old snapshot through the whole ingest
        assert len(early.manifest.pending) == 2  # committed segments of an unfinished ingest exist ...
        assert (early.version, early.count()) == (1, old_count)  # ... and no reader sees them
        assert early.connection().execute("SELECT count(*) FROM docs").fetchone() == (old_count,)
        assert _signature(store) == world["base_sig"]
        (flags / "go").touch()
        seen = set()
        while proc.is_alive():
            s = Store(store)
            n = s.connection().execute("SELECT count(*) FROM docs").fetchone()[0]
            assert (s.version, n) in {(1, old_count), (2, new_count)}
            assert s.count() == n
            seen.add(s.version)
            s.close()
        proc.join(60)
        assert proc.exitcode == 0
    finally:
        (flags / "go").touch()
        proc.join(60)
    assert seen <= {1, 2}
    late = Store(store)
    assert (late.version, late.count()) == (2, new_count)
    # the early reader still answers from version 1: segments are immutable
    assert early.connection().execute("SELECT count(*) FROM docs").fetchone() == (old_count,)
    assert early.refresh().count() == new_count
