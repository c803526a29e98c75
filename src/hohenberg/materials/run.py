"""Runners of the materials studies: each fits, evaluates and (with ``out``) writes PNG figures
beside CSV/JSON files of their numbers, and returns the result as a plain dict with the units in
the keys.  The command line only checks its options, calls one of these and prints.

Options arrive checked (model names, descriptor names, windows); the runners do not repeat it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hohenberg.fileio import write_json

LEARNING_CURVE_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
TREE_MODELS = ("rf", "et", "gbr")  # exact SHAP values need a tree ensemble
UNCERTAIN_MODELS = ("gpr", "rf", "et")  # models with a predictive std (screening, BO)
DBAND_WINDOW_EV = (-2.35, -2.15)  # wanted overlayer d-band centres
HER_WINDOW_EV = (-0.34, -0.14)  # dG_H = dE_H + 0.24 eV (Norskov et al. 2005) within 0.1 eV of zero
BO_POOLS = ("dband", "her")


def run_dband(model: str = "gbr", train_fraction: float = 0.25, repeats: int = 50, target: str = "absolute",
              descriptors: Sequence[str] | None = None, seed: int = 0, lomo: bool = False, importance: bool = False,
              learning_curve: bool = False, out: Path | None = None) -> dict:
    """The paper's repeated-split protocol on the overlayer d-band centres, optionally with
    leave-one-metal-out (nested search), held-out permutation importance, exact SHAP (tree
    models), partial dependence and a learning curve."""
    from hohenberg.materials import dband as db
    from hohenberg.materials.datasets import load_overlayer
    from hohenberg.materials.models import make_model
    from hohenberg.materials.protocols import learning_curve_rmse

    desc = tuple(descriptors or db.BEST_SIX)
    result = db.paper_protocol(db.DbandConfig(model, target, desc, train_fraction, repeats, seed))
    df = load_overlayer(target)
    X, y = db.overlayer_design(df, desc, target), df["target_eV"].to_numpy()
    if learning_curve:
        curve = learning_curve_rmse(make_model(model), X, y, list(LEARNING_CURVE_FRACTIONS), repeats=min(repeats, 10), seed=seed)
        result["learning_curve"] = curve.to_dict("records")
    lomo_pred = None
    if lomo:
        result["leave_one_metal_out"], lomo_pred = db.lomo(model, target, desc, nested=True)
    if importance:
        from hohenberg.materials.featurize import pair_features
        from hohenberg.materials.interpret import heldout_permutation_importance, mean_abs_shap

        Xdf = pair_features(df["host"], df["guest"], desc)
        if target == "table":
            Xdf["pure"] = df["pure"].to_numpy(float)
        perm = heldout_permutation_importance(make_model(model), Xdf, y, n_splits=5, n_repeats=5, seed=seed)
        result["permutation_importance_rmse_increase_eV"] = perm.to_dict("records")
        fitted = make_model(model).fit(Xdf, y)
        shap = mean_abs_shap(fitted, Xdf, n_rows=40, n_background=20, seed=seed) if Xdf.shape[1] <= 14 and model in TREE_MODELS else None
        if shap is not None:
            result["mean_abs_shap_eV"] = shap.to_dict("records")
    if out is not None:
        from sklearn.model_selection import train_test_split

        from hohenberg.reports.figures import importance_plot, learning_curve_plot, parity_plot, partial_dependence_plot

        tr, te = train_test_split(np.arange(len(y)), train_size=train_fraction, random_state=seed)
        pred = make_model(model).fit(X[tr], y[tr]).predict(X[te])
        parity_plot(y[te], pred, out / "dband_parity.png", f"{model}, {train_fraction:.0%} train,")
        if learning_curve:
            learning_curve_plot(curve.assign(model=model), out / "dband_learning_curve.png", title="overlayer d-band centre")
        if lomo_pred is not None:
            parity_plot(lomo_pred.y_true_eV, lomo_pred.y_pred_eV, out / "dband_lomo_parity.png", "leave-one-metal-out")
        if importance:
            importance_plot(perm, out / "dband_permutation_importance.png", "held-out permutation importance (RMSE increase, eV)")
            if shap is not None:
                importance_plot(shap, out / "dband_shap.png", "mean |SHAP| (eV), exact interventional")
            partial_dependence_plot(fitted, Xdf, list(perm["feature"].head(2)), out / "dband_partial_dependence.png", f"{model}: partial dependence")
        write_json(out / "dband.json", result)
    return result


def run_dband_subsets(model: str = "gbr", sizes: Sequence[int] | None = None, target: str = "absolute",
                      train_fraction: float = 0.25, repeats: int = 5) -> dict:
    """Exhaustive search over subsets of the paper's 9 descriptors: the best subset of each size."""
    from hohenberg.materials.dband import best_per_size, subset_search

    best = best_per_size(subset_search(model, target, sizes, train_fraction, repeats))
    best["descriptors"] = best["descriptors"].map(list)
    return {"model": model, "target": target, "train_fraction": train_fraction, "repeats": repeats,
            "best_per_size": best.to_dict("records")}


def run_adsorption(dataset: str = "alonso", models: Sequence[str] = ("mean", "ridge", "rf", "et", "gbr"), splits: int = 5,
                   importance: bool = False, out: Path | None = None) -> dict:
    """Adsorption energies: per-adsorbate errors with whole materials held out (``alonso``), or
    the Toyao-style repeated random splits (``oc20``)."""
    from hohenberg.materials import adsorption as ad

    names = tuple(models)
    if dataset == "alonso":
        from hohenberg.materials.datasets import load_adsorption

        df = load_adsorption()
        summary, preds = ad.grouped_adsorption_errors(df, ad.GroupedAdsorptionConfig(names, splits))
        result = {"dataset": "alonso2023_H_O_OH", "split": f"GroupKFold({splits}) by material", "errors": summary.to_dict("records")}
        if importance:
            from hohenberg.materials.interpret import heldout_permutation_importance
            from hohenberg.materials.models import make_model

            tree_model = next((m for m in names if m not in ("mean", "ols", "ridge")), "et")
            imp = {}
            for ads, part in df.groupby("adsorbate"):
                X = ad.adsorption_design(part)
                imp[ads] = heldout_permutation_importance(make_model(tree_model), X, part["adsorption_energy_eV"].to_numpy(), part["Material"].to_numpy(), n_splits=splits, n_repeats=3)
            result["permutation_importance_rmse_increase_eV"] = {k: v.head(8).to_dict("records") for k, v in imp.items()}
        if out is not None:
            from hohenberg.reports.figures import importance_plot, parity_plot

            best_rows = summary.loc[summary.groupby("adsorbate")["mae_eV"].idxmin()]
            for _, row in best_rows.iterrows():
                p = preds[(preds.adsorbate == row.adsorbate) & (preds.model == row.model)]
                parity_plot(p.y_true_eV, p.y_pred_eV, out / f"adsorption_{row.adsorbate}_parity.png", f"{row.adsorbate} {row.model} grouped,")
            if importance:
                for ads, v in imp.items():
                    importance_plot(v, out / f"adsorption_{ads}_importance.png", f"{ads}: held-out permutation importance")
            write_json(out / "adsorption.json", result)
        return result
    if dataset == "oc20":
        from hohenberg.materials.datasets import load_oc20_chx
        from hohenberg.materials.protocols import RepeatedSplitConfig

        df = load_oc20_chx()
        X = ad.oc20_design(df).to_numpy()
        y = df["adsorption_energy_eV"].to_numpy()
        tab = ad.toyao_protocol(X, y, names, RepeatedSplitConfig(0.8, splits, 0))
        result = {"dataset": "oc20_pure_metals CHx", "n": len(y), "split": f"{splits} random 80/20 splits", "errors": tab.to_dict("records")}
        if out is not None:
            write_json(out / "adsorption_oc20.json", result)
        return result
    raise ValueError(f"dataset must be 'alonso' or 'oc20', not {dataset!r}")


def run_bandgap(model: str = "et", splits: int = 5, n_rows: int | None = None, classify: bool = False,
                out: Path | None = None) -> dict:
    """Experimental band gaps from composition, chemical systems held out; optionally metal /
    non-metal classification."""
    from hohenberg.materials.bandgap import BandgapConfig, bandgap_regression, metal_classification
    from hohenberg.materials.datasets import load_bandgap, load_metal_classification

    cfg = BandgapConfig(model, splits, n_rows)
    result, preds = bandgap_regression(load_bandgap(), cfg)
    if classify:
        result["classification"] = metal_classification(load_metal_classification(), cfg)
    if out is not None:
        from hohenberg.reports.figures import parity_plot

        parity_plot(preds.y_true_eV, preds.y_pred_eV, out / "bandgap_parity.png", f"band gap {model},")
        write_json(out / "bandgap.json", result)
    return result


def run_intermetallic(sizes: Sequence[int] = (500, 2000, 8000), level: str = "surface", n_sites: int | None = None,
                      model: str = "et", repeats: int = 2, out: Path | None = None) -> dict:
    """Learning curve of intermetallic d-band centres (per site or surface mean), bulk formulas
    held out; ``learning_curve`` holds one record per training size."""
    from hohenberg.materials.datasets import load_intermetallic
    from hohenberg.materials.intermetallic import intermetallic_learning_curve, surface_table

    data = load_intermetallic(n_sites)
    if level == "surface":
        data = surface_table(data)
    curve = intermetallic_learning_curve(data, list(sizes), model, repeats=repeats)
    result = {"model": model, "level": level, "n_rows": len(data), "split": "GroupShuffleSplit by bulk formula, 20 % test", "learning_curve": curve.to_dict("records")}
    if out is not None:
        from hohenberg.reports.figures import learning_curve_plot

        learning_curve_plot(curve.assign(model=model), out / "intermetallic_learning_curve.png", x="n_train", title="intermetallic site d-band centre")
        write_json(out / "intermetallic.json", result)
    return result


def run_screen_alloys(metals: Sequence[str], low: float = DBAND_WINDOW_EV[0], high: float = DBAND_WINDOW_EV[1],
                      facet: tuple[int, int, int] = (1, 1, 1), top: int = 15) -> dict:
    """Unseen binary alloys (A3B, AB, AB3) of ``metals`` ranked by the chance that the predicted
    surface d-band centre of ``facet`` lies in [low, high] eV (extra trees on the intermetallic
    surfaces; the spread of the trees is the uncertainty)."""
    from hohenberg.materials.datasets import load_intermetallic
    from hohenberg.materials.intermetallic import alloy_candidates, intermetallic_design, surface_table
    from hohenberg.materials.models import make_model
    from hohenberg.materials.screen import TargetWindow, rank_candidates

    h, k, l = facet
    surf = surface_table(load_intermetallic())
    fitted = make_model("et", n_estimators=100).fit(intermetallic_design(surf).to_numpy(), surf["d_center_eV"].to_numpy())
    cands = alloy_candidates(list(metals), set(surf["bulk_composition"]))
    result: dict = {"model": "et", "window_eV": [low, high], "facet": [h, k, l], "n_training_surfaces": len(surf), "n_candidates": len(cands)}
    if cands:
        frame = pd.DataFrame({"bulk_composition": cands, "h": h, "k": k, "l": l})
        ranked = rank_candidates(fitted, intermetallic_design(frame).to_numpy(), TargetWindow(low, high))
        ranked.insert(0, "composition", frame["bulk_composition"].to_numpy()[ranked.index])
        result["ranking"] = ranked.rename(columns={"score": "p_in_window"}).head(top).to_dict("records")
    return result


def run_screen(metals: Sequence[str], model: str = "gpr", low: float = DBAND_WINDOW_EV[0], high: float = DBAND_WINDOW_EV[1],
               top: int = 15, simulate: bool = False, seeds: int = 20) -> dict:
    """Unseen (host, overlayer) pairs of ``metals`` ranked by predicted d-band centre and its
    uncertainty; with ``simulate`` also the retrospective BO vs random search on the known pairs."""
    from hohenberg.materials.dband import BEST_SIX
    from hohenberg.materials.datasets import load_overlayer
    from hohenberg.materials.featurize import pair_features
    from hohenberg.materials.models import make_model
    from hohenberg.materials.screen import TargetWindow, rank_candidates, simulate_search, unseen_pairs

    df = load_overlayer("absolute")
    X, y = pair_features(df.host, df.guest, BEST_SIX).to_numpy(), df["target_eV"].to_numpy()
    fitted = make_model(model).fit(X, y)
    cands = unseen_pairs(list(metals), set(zip(df.host, df.guest)))
    window = TargetWindow(low, high)
    result: dict = {"model": model, "window_eV": [low, high], "n_candidates": len(cands)}
    if cands:
        hosts, guests = zip(*cands)
        ranked = rank_candidates(fitted, pair_features(hosts, guests, BEST_SIX).to_numpy(), window)
        ranked.insert(0, "guest", np.array(guests)[ranked.index])
        ranked.insert(0, "host", np.array(hosts)[ranked.index])
        result["ranking"] = ranked.rename(columns={"score": "p_in_window"}).head(top).to_dict("records")
    if simulate:
        sim = simulate_search(make_model(model), X, y, window, seeds=range(seeds))
        result["simulation"] = {
            "pool": len(y), "top_k": 5, "seeds": seeds,
            "bo_median_evaluations": float(sim.bo_evaluations.median()),
            "random_median_evaluations": float(sim.random_evaluations.median()),
            "per_seed": sim.to_dict("records"),
        }
    return result


def default_window(pool: str) -> tuple[float, float]:
    """The wanted window (eV) of a BO pool: overlayer d-band centres, or H adsorption energies
    good for hydrogen evolution."""
    if pool not in BO_POOLS:
        raise ValueError(f"pool must be 'dband' or 'her', not {pool!r}")
    return DBAND_WINDOW_EV if pool == "dband" else HER_WINDOW_EV


def run_bo_simulate(pool: str = "her", model: str = "gpr", low: float | None = None, high: float | None = None,
                    top_k: int = 5, seeds: int = 20) -> dict:
    """Retrospective Bayesian optimisation vs random search on a pool with known answers:
    evaluations needed to find the ``top_k`` best (median and quartiles over seeds)."""
    from hohenberg.materials.models import make_model
    from hohenberg.materials.screen import TargetWindow, simulate_search

    default = default_window(pool)
    window = TargetWindow(default[0] if low is None else low, default[1] if high is None else high)
    if pool == "dband":
        from hohenberg.materials.dband import BEST_SIX, overlayer_design
        from hohenberg.materials.datasets import load_overlayer

        df = load_overlayer()
        X, y = overlayer_design(df, BEST_SIX), df["target_eV"].to_numpy()
    else:
        from hohenberg.materials.adsorption import her_pool
        from hohenberg.materials.datasets import load_adsorption

        rows, design = her_pool(load_adsorption())
        X, y = design.to_numpy(), rows["adsorption_energy_eV"].to_numpy()
    sim = simulate_search(make_model(model), X, y, window, seeds=range(seeds), top_k=top_k)
    q = lambda c, p: float(sim[c].quantile(p))  # noqa: E731
    return {
        "pool": pool, "pool_size": len(y), "model": model, "window_eV": [window.low_eV, window.high_eV], "top_k": top_k,
        "seeds": seeds, "n_initial": 5, "n_in_window": int((window.distance(y) == 0).sum()),
        "bo_median_evaluations": q("bo_evaluations", 0.5), "bo_iqr_evaluations": [q("bo_evaluations", 0.25), q("bo_evaluations", 0.75)],
        "random_median_evaluations": q("random_evaluations", 0.5),
        "random_iqr_evaluations": [q("random_evaluations", 0.25), q("random_evaluations", 0.75)],
        "per_seed": sim.to_dict("records"),
    }


def run_ofm(structure: str | Path) -> dict:
    """Orbital-field matrix (Pham et al. 2017) of a periodic structure file, averaged over
    sites: its non-zero entries as [row label, column label, value]."""
    from ase.io import read

    from hohenberg.errors import InputError
    from hohenberg.materials.ofm import ORBITAL_LABELS, orbital_field_matrix

    try:
        atoms = read(structure)
    except Exception as exc:  # ASE raises many types for unreadable files
        raise InputError(structure, f"cannot read structure: {exc}") from None
    m = orbital_field_matrix(atoms)
    columns = ["1", *ORBITAL_LABELS]  # column 0: the central atom itself
    nz = [[ORBITAL_LABELS[i], columns[j], float(m[i, j])] for i, j in zip(*np.nonzero(m))]
    return {"formula": atoms.get_chemical_formula(), "row_labels": ORBITAL_LABELS, "column_labels": columns, "nonzero": nz}
