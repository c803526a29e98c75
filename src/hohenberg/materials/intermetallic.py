"""Surface d-band centres of the 139,829 intermetallic sites (He & Ouyang 2024) from
composition and facet descriptors, with splits grouped by bulk formula.

The element at each site is not recorded, so site-level variation within a surface is noise
for these descriptors; the learning curve says how much of the variance composition and facet
explain.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit

from hohenberg.materials.featurize import composition_features
from hohenberg.materials.models import make_model
from hohenberg.materials.protocols import summarize_errors

COMPOSITION_COLUMNS = (
    "d_electron_count",
    "n_d_valence",
    "electronegativity_pauling",
    "first_ionization_energy_eV",
    "wigner_seitz_radius_bohr",
    "period",
    "group",
    "atomic_radius_pm",
    "enthalpy_fusion_J_per_g",
)


def intermetallic_design(df: pd.DataFrame) -> pd.DataFrame:
    """Composition statistics (computed once per formula) + Miller indices + site/surface ids."""
    formulas = df["bulk_composition"].unique()
    comp = composition_features(formulas, COMPOSITION_COLUMNS, ("mean", "std", "min", "max"))
    comp.index = formulas
    X = comp.loc[df["bulk_composition"]].reset_index(drop=True)
    facet = df[["h", "k", "l"]].abs().reset_index(drop=True).astype(float)
    facet["miller_sum"] = facet.sum(axis=1)
    return pd.concat([X, facet], axis=1)


def surface_table(df: pd.DataFrame) -> pd.DataFrame:
    """Mean site d-band centre of each surface (formula, facet, termination): the quantity the
    composition and facet descriptors can address (site identity is not recorded)."""
    return df.groupby(["bulk_composition", "miller_index", "surface_index"], as_index=False).agg(
        d_center_eV=("d_center_eV", "mean"), n_sites=("d_center_eV", "size"), h=("h", "first"), k=("k", "first"), l=("l", "first")
    )


def alloy_candidates(metals: Sequence[str], known: set[str], ratios: Sequence[tuple[int, int]] = ((3, 1), (1, 1), (1, 3))) -> list[str]:
    """Binary formulas A_xB_y of the given metals (A before B alphabetically) whose element set
    and ratio are not in ``known`` (formulas of the data, compared as normalised compositions)."""
    from hohenberg.materials.featurize import parse_formula

    def key(formula):
        comp = parse_formula(formula)
        tot = sum(comp.values())
        return tuple(sorted((e, round(v / tot, 4)) for e, v in comp.items()))

    seen = {key(f) for f in known}
    out = []
    for i, a in enumerate(sorted(metals)):
        for b in sorted(metals)[i + 1 :]:
            for x, y in ratios:
                f = f"{a}{x if x > 1 else ''}{b}{y if y > 1 else ''}"
                if key(f) not in seen:
                    out.append(f)
    return out


def intermetallic_learning_curve(df: pd.DataFrame, sizes: Sequence[int], model: str = "et", test_fraction: float = 0.2,
                                 repeats: int = 2, seed: int = 0) -> pd.DataFrame:
    """Test RMSE/MAE (eV) against number of training rows (sites, or surfaces from
    :func:`surface_table`); the test set is a fixed set of held-out bulk formulas per repeat,
    training rows are drawn from the remaining formulas."""
    X = intermetallic_design(df).to_numpy()
    y = df["d_center_eV"].to_numpy()
    groups = df["bulk_composition"].to_numpy()
    rows = []
    splitter = GroupShuffleSplit(n_splits=repeats, test_size=test_fraction, random_state=seed)
    for rep, (train, test) in enumerate(splitter.split(X, y, groups)):
        rng = np.random.default_rng(seed + rep)
        for n in sizes:
            sub = rng.choice(train, size=min(n, len(train)), replace=False)
            est = make_model(model).fit(X[sub], y[sub])
            e = summarize_errors(y[test], est.predict(X[test]))
            base = summarize_errors(y[test], np.full(len(test), y[sub].mean()))
            rows.append({"repeat": rep, "n_train": len(sub), "rmse_eV": e["rmse_eV"], "mae_eV": e["mae_eV"], "r2": e["r2"],
                         "mean_predictor_rmse_eV": base["rmse_eV"]})
    out = pd.DataFrame(rows)
    return out.groupby("n_train", as_index=False).agg(
        rmse_mean_eV=("rmse_eV", "mean"), rmse_std_eV=("rmse_eV", "std"), mae_mean_eV=("mae_eV", "mean"),
        r2_mean=("r2", "mean"), mean_predictor_rmse_eV=("mean_predictor_rmse_eV", "mean"))
