"""Adsorption energies (H, O, OH on strained metals and intermetallics; OC20 CHx) from
descriptors: design matrices and the grouped / repeated-split evaluations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from hohenberg.materials.datasets import ADSORPTION_DESCRIPTORS
from hohenberg.materials.featurize import pair_features
from hohenberg.materials.models import make_model
from hohenberg.materials.protocols import RepeatedSplitConfig, grouped_cv_predict, repeated_split_rmse, summarize_errors

# element properties of the two constituents added to the authors' descriptors
ELEMENT_DESCRIPTORS = (
    "d_electron_count",
    "electronegativity_pauling",
    "first_ionization_energy_eV",
    "wigner_seitz_radius_bohr",
    "period",
    "enthalpy_fusion_J_per_g",
)
SITE_KINDS = ("ontop", "bridge", "hollow")


def adsorption_design(df: pd.DataFrame, element_descriptors: Sequence[str] = ELEMENT_DESCRIPTORS) -> pd.DataFrame:
    """Authors' descriptors + element properties of A and B + one-hot site kind."""
    X = df[list(ADSORPTION_DESCRIPTORS)].reset_index(drop=True).astype(float)
    el = pair_features(df["element_A"], df["element_B"], element_descriptors).rename(
        columns=lambda c: c.replace("host_", "A_").replace("guest_", "B_")
    )
    sites = pd.DataFrame({f"site_{k}": (df["site_kind"].to_numpy() == k).astype(float) for k in SITE_KINDS})
    return pd.concat([X, el, sites], axis=1)


@dataclass(frozen=True)
class GroupedAdsorptionConfig:
    models: tuple[str, ...] = ("mean", "ridge", "rf", "et", "gbr")
    n_splits: int = 5


def grouped_adsorption_errors(df: pd.DataFrame, config: GroupedAdsorptionConfig = GroupedAdsorptionConfig()):
    """Per adsorbate and model: MAE/RMSE with whole materials held out (GroupKFold by Material).

    Returns (summary frame, out-of-fold predictions frame).
    """
    rows, preds = [], []
    for ads, part in df.groupby("adsorbate"):
        X = adsorption_design(part).to_numpy()
        y = part["adsorption_energy_eV"].to_numpy()
        groups = part["Material"].to_numpy()
        for name in config.models:
            p = grouped_cv_predict(make_model(name), X, y, groups, config.n_splits)
            e = summarize_errors(y, p)
            rows.append({"adsorbate": ads, "model": name, **e})
            preds.append(pd.DataFrame({"adsorbate": ads, "model": name, "material": groups, "y_true_eV": y, "y_pred_eV": p}))
    return pd.DataFrame(rows), pd.concat(preds, ignore_index=True)


def oc20_design(df: pd.DataFrame, element_descriptors: Sequence[str] = ELEMENT_DESCRIPTORS) -> pd.DataFrame:
    """OC20 CHx rows: element properties of the metal, Miller indices, surface shift, adsorbate
    one-hot and its H count (the Toyao-style setting on pure metals)."""
    el = pair_features(df["Element"], df["Element"], element_descriptors, include=("host",)).rename(
        columns=lambda c: c.replace("host_", "metal_")
    )
    facet = df[["h", "k", "l", "Surface Shift"]].reset_index(drop=True).astype(float)
    ads = df["adsorbate"].reset_index(drop=True)
    onehot = pd.DataFrame({f"ads_{a.strip('*')}": (ads == a).astype(float) for a in sorted(ads.unique())})
    n_h = ads.str.count("H").astype(float).rename("n_H")
    return pd.concat([el, facet, onehot, n_h], axis=1)


def toyao_protocol(X, y, models: Sequence[str] = ("ols", "rf", "gbr", "et"), config: RepeatedSplitConfig = RepeatedSplitConfig(0.8, 10, 0)) -> pd.DataFrame:
    """Toyao et al. 2018 protocol: repeated random splits, average test RMSE per model."""
    rows = []
    for name in models:
        r = repeated_split_rmse(make_model(name), X, y, config)
        rows.append({"model": name, "rmse_mean_eV": r.mean(), "rmse_std_eV": r.std(), "repeats": len(r)})
    return pd.DataFrame(rows)


def her_pool(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per material for a hydrogen-evolution search: unstrained H adsorption at the
    most stable site (lowest energy).  Returns (rows, design matrix)."""
    h = df[(df["adsorbate"] == "H") & (df["Biaxial Strain"] == 0)]
    rows = h.loc[h.groupby("Material")["adsorption_energy_eV"].idxmin()].reset_index(drop=True)
    return rows, adsorption_design(rows)
