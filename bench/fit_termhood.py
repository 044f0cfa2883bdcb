"""Fit common.TERMHOOD_WEIGHTS on the judged phrases of the tuning windows of the State of the Union (issue 18).

    .venv/bin/python bench/fit_termhood.py          # prints the weights and the held-out check

The judged phrases are bench/eval/accepted.yaml's ideas and not-ideas (emerging and obituaries lists) of the
windows marked `tuning` for `sotu`; phrases of several words only (single words have rules of their own).
Prints the logistic regression's weights (statsmodels), its ROC AUC on the tuning and the held-out windows,
and, at common.TERMHOOD_MIN, how many judged not-ideas and ideas of the held-out windows fall below it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import mannwhitneyu

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import realtext  # noqa: E402


def auc(y: np.ndarray, x: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney U statistic over the pairs."""
    y = np.asarray(y, bool)
    return float(mannwhitneyu(x[y], x[~y]).statistic / (y.sum() * (~y).sum()))


def judged(ix: object) -> pd.DataFrame:
    """Every judged phrase of the SOTU windows with its window, split (tuning/held) and label."""
    acc = realtext.reference("accepted")
    tuning = set(map(str, acc["tuning"]["sotu"]))
    rows = []
    for key, v in acc["sotu"].items():
        for lab, lst in (("idea", v.get("ideas", [])), ("not", v.get("not_ideas", []))):
            for p in lst:
                pid = ix.phrase_id(p)  # type: ignore[attr-defined]
                if pid is not None:
                    rows.append((key, "tuning" if key.split("-")[0] in tuning else "held", lab, p, pid))
    return pd.DataFrame(rows, columns=["window", "split", "label", "phrase", "pid"]).drop_duplicates(["window", "phrase"])


def main() -> None:
    import policypulse
    from policypulse.discover import common

    with policypulse.open(realtext.sotu_store()) as c:
        ix = common.phrase_index(c)
        df = judged(ix)
        feats = common.termhood_features(ix).iloc[df["pid"].to_numpy()].reset_index(drop=True)
        n = ix.phrases["n"].to_numpy()[df["pid"].to_numpy()]
        known = ix.props["occ"].to_numpy()[df["pid"].to_numpy()] > 0
    df = pd.concat([df.reset_index(drop=True), feats], axis=1)
    df = df[(n > 1) & known].reset_index(drop=True)
    y = (df["label"] == "idea").to_numpy()
    X = sm.add_constant(df[list(common.TERMHOOD_FEATURES)])
    tr = (df["split"] == "tuning").to_numpy()
    model = sm.Logit(y[tr].astype(float), X[tr]).fit(disp=0)
    w = {k: round(float(v), 2) for k, v in model.params.items()}
    print("TERMHOOD_WEIGHTS =", w)
    print(f"judged phrases of several words: tuning {tr.sum()} ({y[tr].sum()} ideas), held out {(~tr).sum()} "
          f"({y[~tr].sum()} ideas)")
    p = model.predict(X).to_numpy()
    print(f"ROC AUC: tuning {auc(y[tr], p[tr]):.3f}, held out {auc(y[~tr], p[~tr]):.3f}")
    for split, m in (("tuning", tr), ("held out", ~tr)):
        low = p < common.TERMHOOD_MIN
        print(f"{split}: below {common.TERMHOOD_MIN}: not-ideas {int((low & ~y & m).sum())} of {int((~y & m).sum())}, "
              f"ideas {int((low & y & m).sum())} of {int((y & m).sum())}")


if __name__ == "__main__":
    main()
