"""Options shared by several commands, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

Store = Annotated[str, typer.Argument(help="The store directory.")]
Format = Annotated[str, typer.Option("--format", help="Output: table, csv or json.")]
Out = Annotated[str | None, typer.Option("--out", help="Write the output to FILE.")]
IdeasFile = Annotated[str | None, typer.Option("--ideas", help="An ideas file (YAML).")]
By = Annotated[str, typer.Option("--by", help="Period: day, week, month, quarter or year.")]
Engine = Annotated[str, typer.Option("--engine", help="Counting engine: duckdb or spark.")]
SparkMaster = Annotated[str | None, typer.Option("--spark-master", help="Spark master URL (default local[*]).")]
Version = Annotated[int | None, typer.Option("--version", help="Analyse this store version (default: latest).")]
DateFrom = Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")]
DateTo = Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")]
