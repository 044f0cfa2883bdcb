"""Rendering results as a table, CSV or JSON, to stdout or a file."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policypulse.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

OUTPUT_FORMATS = ("table", "csv", "json")


def jsonable(value: Any) -> Any:
    """Plain JSON values: ISO dates, None for missing numbers."""
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return frame_records(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def iso_days(col: pd.Series) -> pd.Series:
    """Dates as YYYY-MM-DD strings (empty for missing), years before 1000 zero-padded as ISO 8601 asks.

    strftime writes year 1 as "1-01-01"; numpy's ISO conversion pads it to "0001-01-01".
    """
    import numpy as np

    text = np.datetime_as_string(col.to_numpy().astype("datetime64[D]"), unit="D")
    return col.__class__(np.where(text == "NaT", "", text), index=col.index, name=col.name, dtype=object)


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-ready row objects."""
    return [jsonable(row) for row in df.to_dict(orient="records")]


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = iso_days(out[col])
    return out


def emit(data: pd.DataFrame | list[dict[str, Any]] | dict[str, Any], fmt: str, out: str | None,
         *, title: str | None = None, provenance: dict[str, Any] | None = None) -> None:
    """Write a result in the chosen format to ``out`` (or stdout); a provenance sidecar goes beside files."""
    import pandas as pd

    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; choose one of {', '.join(OUTPUT_FORMATS)}")
    if fmt == "json":
        payload = frame_records(data) if isinstance(data, pd.DataFrame) else jsonable(data)
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data if isinstance(data, list) else [data])
        text = _csv_frame(frame).to_csv(index=False, float_format="%.10g")
    else:
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data if isinstance(data, list) else [data])
        if out:
            text = _csv_frame(frame).to_string(index=False) + "\n"
        else:
            render_table(frame, title=title)
            return
    if out:
        path = Path(out)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write --out {out}: {exc.strerror}") from None
        if provenance:
            path.with_name(path.name + ".provenance.json").write_text(
                json.dumps(jsonable(provenance), indent=2) + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text)


def render_table(frame: pd.DataFrame, *, title: str | None = None, max_rows: int = 200) -> None:
    """A Rich table on stdout (first ``max_rows`` rows)."""
    import pandas as pd

    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for col in frame.columns:
        table.add_column(str(col), justify="right" if pd.api.types.is_numeric_dtype(frame[col]) else "left")
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    console = Console(soft_wrap=False, width=max(Console().width, 100) if sys.stdout.isatty() else 200)
    console.print(table)
    if len(frame) > max_rows:
        console.print(f"... {len(frame) - max_rows} more rows (use --format csv or --out FILE for all)")


def _cell(value: Any) -> str:
    from rich.markup import escape

    v = jsonable(value)
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return ", ".join("" if x is None else str(x) for x in v)
    return escape(str(v))
