"""`policypulse lifecycle --counts` on Media Cloud's attention-over-time CSV (issue 9), through the real CLI.

Media Cloud's search tool writes ``date,count,total_count,ratio`` (``ratio = count / total_count``; dates as
``YYYY-MM-DD`` or with a time of day): ``total_count`` is the exposure (stories in the collection that day).
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from policypulse.lifecycle.counts_csv import read_counts
from policypulse.lifecycle.errors import StatisticalWarning

POLICYPULSE = str(Path(sys.executable).with_name("policypulse"))
FIXTURE = Path(__file__).parent / "fixtures" / "formats" / "mediacloud-attention.csv"


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([POLICYPULSE, *args], capture_output=True, text=True, timeout=300, check=False)
    assert "Traceback" not in proc.stderr
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def _attention(path: Path, days: int = 120, stamp: str = "") -> Path:
    """A Media Cloud attention CSV: 20 quiet days, a 30-day burst, then silence, over a collection whose size
    varies from day to day (so that total_count, not a constant, must be the exposure)."""
    rows = ["date,count,total_count,ratio"]
    for i, day in enumerate(pd.date_range("2024-01-01", periods=days, freq="D")):
        total = 9000 + (i * 37) % 2000
        count = 0 if i < 20 or i >= 50 else [4, 9, 15, 22, 30, 26, 20, 14, 9, 5][(i - 20) // 3]
        rows.append(f"{day.date()}{stamp},{count},{total},{count / total:.7f}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_media_cloud_attention_csv_through_the_cli(tmp_path: Path) -> None:
    path = _attention(tmp_path / "mc-onlinenews-counts.csv")
    lc = json.loads(run("lifecycle", "--counts", str(path), "--format", "json").stdout)[0]
    assert lc["idea"] == "mc-onlinenews-counts"
    assert (lc["first_mention"], lc["last_mention"]) == ("2024-01-21", "2024-02-19")
    assert (lc["emergence"], lc["peak"], lc["status"]) == ("2024-01-21", "2024-02-04", "dead")
    assert lc["death_p_value"] < 1e-9  # 70 silent days over ~10,000 stories a day


def test_total_count_is_the_exposure_not_a_constant(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", StatisticalWarning)  # a file with totals must not fall back to a constant
        series, by = read_counts(_attention(tmp_path / "a.csv", stamp=" 00:00:00"))
    assert by == "day" and len(series) == 120
    assert series["total_docs"].tolist()[:3] == [9000, 9037, 9074]
    assert series["docs"].sum() == 3 * (4 + 9 + 15 + 22 + 30 + 26 + 20 + 14 + 9 + 5)
    assert series.attrs["notes"] == [("Media Cloud attention CSV: total_count (stories in the collection per period) "
                                     "is the exposure; ratio checked against count/total_count")]
    fixture, _ = read_counts(FIXTURE)
    assert fixture[["docs", "total_docs"]].values.tolist() == [[12, 10450], [9, 9876], [0, 8765]]


def test_columns_are_found_by_name(tmp_path: Path) -> None:
    path = tmp_path / "reordered.csv"
    path.write_text("date,count,ratio,total_count\n2024-03-01,12,0.0011483,10450\n2024-03-02,9,0.0009113,9876\n",
                    encoding="utf-8")
    series, _ = read_counts(path)
    assert series[["docs", "total_docs"]].values.tolist() == [[12, 10450], [9, 9876]]


@pytest.mark.parametrize(("content", "reason"), [
    ("date,count,total_count,ratio\n2024-03-01,12,10450,0.0011483\n2024-03-02,9876,9,0.0009113\n",
     "line 3: count 9876 exceeds total 9"),
    ("date,count,total_count,ratio\n2024-03-01,12,10450,0.0011483\n2024-03-02,9,9876,0.5\n",
     "line 3: ratio 0.5 disagrees with count/total_count = 9/9876 = 0.0009113: are the columns shifted?"),
    ("date,count,ratio\n2024-03-01,12,0.0011483\n",
     ("line 1: the third column is 'ratio' and no total column (total_count or total) is named; export the counts "
     "with their totals")),
    ("date,count,total_count,ratio\n1 March 2024,12,10450,0.0011483\n",
     "line 2: cannot read date '1 March 2024'; use YYYY-MM-DD, YYYY-MM or YYYY"),
])
def test_bad_attention_files_name_the_file_and_line(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "attention.csv"
    path.write_text(content, encoding="utf-8")
    proc = run("lifecycle", "--counts", str(path), ok=False)
    assert proc.returncode == 2 and proc.stderr == f"policypulse: error: {path}, {reason}\n"


def test_a_media_cloud_header_over_rows_without_totals(tmp_path: Path) -> None:
    # Media Cloud keeps its four-column header but writes only date,count where a platform cannot normalise
    path = tmp_path / "unnormalised.csv"
    path.write_text("date,count,total_count,ratio\n2024-03-01,12\n2024-03-02,9\n", encoding="utf-8")
    with pytest.warns(StatisticalWarning, match="no total column: exposure taken as constant"):
        series, by = read_counts(path)
    assert by == "day" and series[["docs", "total_docs"]].values.tolist() == [[12, 1200], [9, 1200]]
