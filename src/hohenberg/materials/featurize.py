"""Featurizers from the element table: (host, guest) pairs and compositions.

Pure functions do the work; the two transformers wrap them for scikit-learn pipelines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from hohenberg.materials.elements import PAPER_DESCRIPTORS, element_table

# Columns used for compositions by default: every numeric column of the element table.
COMPOSITION_STATS = ("mean", "std", "min", "max", "range")
_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)|(\()|(\))(\d*\.?\d*)")


def parse_formula(formula: str) -> dict[str, float]:
    """Element amounts of a formula: ``'Hg0.7Cd0.3Te'`` -> ``{'Hg': 0.7, 'Cd': 0.3, 'Te': 1}``.

    Handles decimal amounts and (nested) parentheses such as ``Ca3(PO4)2``; raises ValueError on
    anything else so bad rows are reported, not silently dropped.
    """
    text = formula.strip().replace(" ", "")
    stack: list[dict[str, float]] = [{}]
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot parse formula {formula!r} at {text[pos:]!r}")
        sym, amount, opened, closed, mult = m.groups()
        if sym:
            stack[-1][sym] = stack[-1].get(sym, 0.0) + (float(amount) if amount else 1.0)
        elif opened:
            stack.append({})
        else:
            if len(stack) == 1:
                raise ValueError(f"unbalanced ')' in formula {formula!r}")
            inner = stack.pop()
            k = float(mult) if mult else 1.0
            for s, v in inner.items():
                stack[-1][s] = stack[-1].get(s, 0.0) + k * v
        pos = m.end()
    if len(stack) != 1 or not stack[0]:
        raise ValueError(f"cannot parse formula {formula!r}")
    return stack[0]


def numeric_columns() -> list[str]:
    """Numeric descriptor columns of the element table."""
    return list(element_table().select_dtypes("number").columns)


def pair_features(
    hosts: Sequence[str],
    guests: Sequence[str],
    columns: Sequence[str] = PAPER_DESCRIPTORS,
    include: Sequence[str] = ("host", "guest"),
) -> pd.DataFrame:
    """Descriptors of (host, guest) pairs: ``host_<col>``, ``guest_<col>``, ``diff_<col>``
    (guest minus host) for each requested ``include`` part."""
    table = element_table()
    unknown = sorted({s for s in [*hosts, *guests] if s not in table.index})
    if unknown:
        raise KeyError(f"no element data for {', '.join(unknown)}")
    h = table.loc[list(hosts), list(columns)].to_numpy(float)
    g = table.loc[list(guests), list(columns)].to_numpy(float)
    parts = {"host": h, "guest": g, "diff": g - h}
    blocks, names = [], []
    for part in include:
        blocks.append(parts[part])
        names += [f"{part}_{c}" for c in columns]
    return pd.DataFrame(np.hstack(blocks), columns=names)


def composition_features(
    formulas: Iterable[str | dict[str, float]],
    columns: Sequence[str] | None = None,
    stats: Sequence[str] = COMPOSITION_STATS,
) -> pd.DataFrame:
    """Fraction-weighted statistics of element descriptors for each composition.

    ``std`` is the fraction-weighted standard deviation, ``range`` = max - min; elements with a
    missing value are left out of that column's statistics (NaN if none is left).
    """
    table = element_table()
    columns = list(columns) if columns is not None else numeric_columns()
    values = table[columns].to_numpy(float)
    index = {s: i for i, s in enumerate(table.index)}
    rows = []
    for f in formulas:
        comp = parse_formula(f) if isinstance(f, str) else dict(f)
        unknown = [s for s in comp if s not in index]
        if unknown:
            raise KeyError(f"no element data for {', '.join(unknown)} (in {f!r})")
        w = np.array(list(comp.values()), float)
        v = values[[index[s] for s in comp]]  # (n_el, n_col)
        rows.append(_weighted_stats(v, w / w.sum(), stats) + [len(comp)])
    names = [f"{st}_{c}" for st in stats for c in columns] + ["n_elements"]
    return pd.DataFrame(rows, columns=names)


def _weighted_stats(v: np.ndarray, w: np.ndarray, stats: Sequence[str]) -> list[float]:
    ok = np.isfinite(v)
    wm = np.where(ok, w[:, None], 0.0)
    tot = wm.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(tot > 0, (wm * np.nan_to_num(v)).sum(0) / tot, np.nan)
        var = (wm * (np.nan_to_num(v) - mean) ** 2).sum(0) / tot
    vmin = np.where(ok.any(0), np.nanmin(np.where(ok, v, np.inf), 0), np.nan)
    vmax = np.where(ok.any(0), np.nanmax(np.where(ok, v, -np.inf), 0), np.nan)
    out = {"mean": mean, "std": np.sqrt(var), "min": vmin, "max": vmax, "range": vmax - vmin}
    return [float(x) for st in stats for x in out[st]]


class PairFeaturizer(TransformerMixin, BaseEstimator):
    """Transformer: a frame with ``host`` and ``guest`` symbol columns -> pair descriptors."""

    def __init__(self, columns=PAPER_DESCRIPTORS, include=("host", "guest")):
        self.columns = columns
        self.include = include

    def fit(self, X, y=None):
        self.feature_names_out_ = np.array([f"{p}_{c}" for p in self.include for c in self.columns])
        return self

    def transform(self, X):
        check_is_fitted(self, "feature_names_out_")
        X = pd.DataFrame(X, columns=["host", "guest"]) if not isinstance(X, pd.DataFrame) else X
        return pair_features(X["host"], X["guest"], self.columns, self.include).to_numpy()

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_


class CompositionFeaturizer(TransformerMixin, BaseEstimator):
    """Transformer: formulas (1-D array or one-column frame) -> composition statistics."""

    def __init__(self, columns=None, stats=COMPOSITION_STATS):
        self.columns = columns
        self.stats = stats

    def fit(self, X, y=None):
        cols = list(self.columns) if self.columns is not None else numeric_columns()
        self.feature_names_out_ = np.array([f"{s}_{c}" for s in self.stats for c in cols] + ["n_elements"])
        return self

    def transform(self, X):
        check_is_fitted(self, "feature_names_out_")
        formulas = np.asarray(X, dtype=object).ravel()
        return composition_features(formulas, self.columns, self.stats).to_numpy()

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_
