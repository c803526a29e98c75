"""``hohenberg materials``: d-band centres, adsorption energies, band gaps and candidate search
from elemental descriptors.  Every command prints a table, or the same numbers with ``--json``;
``--out DIR`` writes PNG figures beside CSV/JSON files of their numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from hohenberg.cli.output import print_json, print_table, to_jsonable

app = typer.Typer(help="Materials informatics: d-band centres, adsorption energies, band gaps, screening.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the results as JSON (units in the keys).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Directory for PNG figures and their CSV/JSON data.")]


def _check_model(name: str, allowed=None) -> str:
    from hohenberg.materials.models import MODEL_NAMES

    allowed = allowed or MODEL_NAMES
    if name not in allowed:
        raise typer.BadParameter(f"unknown model {name!r}; choose from {', '.join(allowed)}")
    return name


def _descriptors(spec: str) -> tuple[str, ...]:
    from hohenberg.materials.dband import BEST_SIX
    from hohenberg.materials.elements import PAPER_DESCRIPTORS, element_table

    if spec == "best6":
        return BEST_SIX
    if spec == "all9":
        return PAPER_DESCRIPTORS
    names = tuple(s.strip() for s in spec.split(",") if s.strip())
    unknown = [n for n in names if n not in element_table().columns]
    if unknown or not names:
        raise typer.BadParameter(f"unknown descriptor(s) {', '.join(unknown) or spec!r}; use best6, all9 or columns of the element table")
    return names


def _write_json(out: Path, name: str, data) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(to_jsonable(data), indent=2))


def _rows(d: dict) -> list[list]:
    return [[k, v] for k, v in d.items() if not isinstance(v, (dict, list))]


@app.command("dband")
def dband(
    model: Annotated[str, typer.Option(help="mean, ols, ridge, krr, svr, gpr, rf, et or gbr.")] = "gbr",
    train_fraction: Annotated[float, typer.Option(min=0.05, max=0.95, help="Training fraction of each random split.")] = 0.25,
    repeats: Annotated[int, typer.Option(min=1, help="Number of random splits.")] = 50,
    target: Annotated[str, typer.Option(help="absolute (overlayer d-band centre) or table (published values: shifts off the diagonal).")] = "absolute",
    descriptors: Annotated[str, typer.Option(help="best6, all9 or comma-separated element-table columns.")] = "best6",
    seed: Annotated[int, typer.Option(help="Seed of the random splits.")] = 0,
    lomo: Annotated[bool, typer.Option("--lomo", help="Also run leave-one-metal-out with nested hyper-parameter search.")] = False,
    importance: Annotated[bool, typer.Option("--importance", help="Also held-out permutation importance, exact SHAP (tree models) and partial dependence of the top 2 descriptors.")] = False,
    learning_curve: Annotated[bool, typer.Option("--learning-curve", help="Also average RMSE at training fractions 0.1 ... 0.9.")] = False,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """d-band centres of 11 metals and 110 overlayers: the paper's repeated-split protocol."""
    from hohenberg.materials import dband as db
    from hohenberg.materials.datasets import load_overlayer
    from hohenberg.materials.models import make_model
    from hohenberg.materials.protocols import learning_curve_rmse

    _check_model(model)
    if target not in ("absolute", "table"):
        raise typer.BadParameter("target must be 'absolute' or 'table'")
    desc = _descriptors(descriptors)
    result = db.paper_protocol(db.DbandConfig(model, target, desc, train_fraction, repeats, seed))
    df = load_overlayer(target)
    X, y = db.overlayer_design(df, desc, target), df["target_eV"].to_numpy()
    if learning_curve:
        curve = learning_curve_rmse(make_model(model), X, y, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], repeats=min(repeats, 10), seed=seed)
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
        shap = mean_abs_shap(fitted, Xdf, n_rows=40, n_background=20, seed=seed) if Xdf.shape[1] <= 14 and model in ("rf", "et", "gbr") else None
        if shap is not None:
            result["mean_abs_shap_eV"] = shap.to_dict("records")
    if out is not None:
        from sklearn.model_selection import train_test_split

        from hohenberg.materials.plots import learning_curve_plot, parity_plot

        tr, te = train_test_split(np.arange(len(y)), train_size=train_fraction, random_state=seed)
        pred = make_model(model).fit(X[tr], y[tr]).predict(X[te])
        parity_plot(y[te], pred, out / "dband_parity.png", f"{model}, {train_fraction:.0%} train,")
        if learning_curve:
            learning_curve_plot(curve.assign(model=model), out / "dband_learning_curve.png", title="overlayer d-band centre")
        if lomo_pred is not None:
            parity_plot(lomo_pred.y_true_eV, lomo_pred.y_pred_eV, out / "dband_lomo_parity.png", "leave-one-metal-out")
        if importance:
            from hohenberg.materials.plots import importance_plot, partial_dependence_plot

            importance_plot(perm, out / "dband_permutation_importance.png", "held-out permutation importance (RMSE increase, eV)")
            if shap is not None:
                importance_plot(shap, out / "dband_shap.png", "mean |SHAP| (eV), exact interventional")
            partial_dependence_plot(fitted, Xdf, list(perm["feature"].head(2)), out / "dband_partial_dependence.png", f"{model}: partial dependence")
        _write_json(out, "dband.json", result)
    if json_out:
        print_json(result)
        return
    print_table(f"d-band centre ({target}), {model}, {repeats} splits at {train_fraction:.0%} training", ["quantity", "value"], _rows(result))
    if learning_curve:
        print_table("learning curve", ["train fraction", "n train", "RMSE mean (eV)", "RMSE std (eV)"], [list(r.values()) for r in result["learning_curve"]])
    if importance:
        print_table("held-out permutation importance", ["descriptor", "RMSE increase (eV)", "std (eV)"],
                    [list(r.values()) for r in result["permutation_importance_rmse_increase_eV"]])
        if "mean_abs_shap_eV" in result:
            print_table("mean |SHAP|", ["descriptor", "mean |SHAP| (eV)", "std (eV)"], [list(r.values()) for r in result["mean_abs_shap_eV"]])
    if lomo:
        lo = result["leave_one_metal_out"]
        print_table("leave-one-metal-out (nested search)", ["held-out metal", "RMSE (eV)"], list(lo["per_metal_rmse_eV"].items()) + [["all", lo["rmse_eV"]]])


@app.command("dband-subsets")
def dband_subsets(
    model: Annotated[str, typer.Option(help="Model name (see dband).")] = "gbr",
    size: Annotated[list[int] | None, typer.Option(help="Subset size(s) to search (default: all 1-9).")] = None,
    target: Annotated[str, typer.Option(help="absolute or table.")] = "absolute",
    train_fraction: Annotated[float, typer.Option(min=0.05, max=0.95)] = 0.25,
    repeats: Annotated[int, typer.Option(min=1, help="Random splits per subset.")] = 5,
    json_out: JsonOpt = False,
) -> None:
    """Exhaustive search over subsets of the paper's 9 descriptors: best subset of each size."""
    from hohenberg.materials.dband import best_per_size, subset_search

    _check_model(model)
    best = best_per_size(subset_search(model, target, size, train_fraction, repeats))
    best["descriptors"] = best["descriptors"].map(list)
    if json_out:
        print_json({"model": model, "target": target, "train_fraction": train_fraction, "repeats": repeats, "best_per_size": best.to_dict("records")})
        return
    print_table(f"best descriptor subsets ({model}, {train_fraction:.0%} train)", ["size", "descriptors", "RMSE mean (eV)", "RMSE std (eV)"],
                [[r["size"], ", ".join(r["descriptors"]), r["rmse_mean_eV"], r["rmse_std_eV"]] for r in best.to_dict("records")])


@app.command("adsorption")
def adsorption(
    dataset: Annotated[str, typer.Option(help="alonso (H, O, OH; grouped by material) or oc20 (CHx; Toyao-style repeated splits).")] = "alonso",
    models: Annotated[str, typer.Option(help="Comma-separated model names.")] = "mean,ridge,rf,et,gbr",
    splits: Annotated[int, typer.Option(min=2, help="Grouped folds (alonso) or random splits (oc20).")] = 5,
    importance: Annotated[bool, typer.Option("--importance", help="Permutation importance on held-out folds (first non-baseline model).")] = False,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Adsorption energies: per-adsorbate MAE with whole materials held out, or the Toyao protocol."""
    from hohenberg.materials import adsorption as ad
    from hohenberg.materials.datasets import load_adsorption, load_oc20_chx
    from hohenberg.materials.protocols import RepeatedSplitConfig

    names = tuple(_check_model(m.strip()) for m in models.split(",") if m.strip())
    if dataset == "alonso":
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
            from hohenberg.materials.plots import importance_plot, parity_plot

            best_rows = summary.loc[summary.groupby("adsorbate")["mae_eV"].idxmin()]
            for _, row in best_rows.iterrows():
                p = preds[(preds.adsorbate == row.adsorbate) & (preds.model == row.model)]
                parity_plot(p.y_true_eV, p.y_pred_eV, out / f"adsorption_{row.adsorbate}_parity.png", f"{row.adsorbate} {row.model} grouped,")
            if importance:
                for ads, v in imp.items():
                    importance_plot(v, out / f"adsorption_{ads}_importance.png", f"{ads}: held-out permutation importance")
            _write_json(out, "adsorption.json", result)
        rows = [[r["adsorbate"], r["model"], r["mae_eV"], r["rmse_eV"], r["r2"], r["n"]] for r in result["errors"]]
        title = "adsorption energies, materials held out"
    elif dataset == "oc20":
        df = load_oc20_chx()
        X = ad.oc20_design(df).to_numpy()
        y = df["adsorption_energy_eV"].to_numpy()
        tab = ad.toyao_protocol(X, y, names, RepeatedSplitConfig(0.8, splits, 0))
        result = {"dataset": "oc20_pure_metals CHx", "n": len(y), "split": f"{splits} random 80/20 splits", "errors": tab.to_dict("records")}
        if out is not None:
            _write_json(out, "adsorption_oc20.json", result)
        rows = [[r["model"], r["rmse_mean_eV"], r["rmse_std_eV"], r["repeats"]] for r in result["errors"]]
        title = "OC20 CHx adsorption energies (Toyao-style protocol)"
    else:
        raise typer.BadParameter("dataset must be 'alonso' or 'oc20'")
    if json_out:
        print_json(result)
    elif dataset == "alonso":
        print_table(title, ["adsorbate", "model", "MAE (eV)", "RMSE (eV)", "R2", "n"], rows)
    else:
        print_table(title, ["model", "RMSE mean (eV)", "RMSE std (eV)", "repeats"], rows)


@app.command("bandgap")
def bandgap(
    model: Annotated[str, typer.Option(help="Regression model name.")] = "et",
    splits: Annotated[int, typer.Option(min=2, help="Folds grouped by chemical system.")] = 5,
    n_rows: Annotated[int | None, typer.Option(help="Random subset of compositions (quick runs).")] = None,
    classify: Annotated[bool, typer.Option("--classify", help="Also metal / non-metal classification.")] = False,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Experimental band gaps from composition (grouped by chemical system)."""
    from hohenberg.materials.bandgap import BandgapConfig, bandgap_regression, metal_classification
    from hohenberg.materials.datasets import load_bandgap, load_metal_classification

    _check_model(model)
    cfg = BandgapConfig(model, splits, n_rows)
    result, preds = bandgap_regression(load_bandgap(), cfg)
    if classify:
        result["classification"] = metal_classification(load_metal_classification(), cfg)
    if out is not None:
        from hohenberg.materials.plots import parity_plot

        parity_plot(preds.y_true_eV, preds.y_pred_eV, out / "bandgap_parity.png", f"band gap {model},")
        _write_json(out, "bandgap.json", result)
    if json_out:
        print_json(result)
        return
    print_table("band gaps (held-out chemical systems)", ["quantity", "value"], _rows(result))
    if classify:
        print_table("metal / non-metal", ["quantity", "value"], _rows(result["classification"]))


@app.command("intermetallic")
def intermetallic(
    sizes: Annotated[str, typer.Option(help="Comma-separated training-set sizes (rows: sites or surfaces).")] = "500,2000,8000",
    level: Annotated[str, typer.Option(help="surface (mean d-band centre of each of the 11,611 surfaces) or site.")] = "surface",
    n_sites: Annotated[int | None, typer.Option(help="Random subset of the 139,829 sites to use (before averaging).")] = None,
    model: Annotated[str, typer.Option(help="Model name.")] = "et",
    repeats: Annotated[int, typer.Option(min=1)] = 2,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Learning curve of surface d-band centres of intermetallics, bulk formulas held out."""
    from hohenberg.materials.datasets import load_intermetallic
    from hohenberg.materials.intermetallic import intermetallic_learning_curve, surface_table

    _check_model(model)
    if level not in ("surface", "site"):
        raise typer.BadParameter("level must be 'surface' or 'site'")
    n = [int(s) for s in sizes.split(",")]
    data = load_intermetallic(n_sites)
    if level == "surface":
        data = surface_table(data)
    curve = intermetallic_learning_curve(data, n, model, repeats=repeats)
    result = {"model": model, "level": level, "n_rows": len(data), "split": "GroupShuffleSplit by bulk formula, 20 % test", "learning_curve": curve.to_dict("records")}
    if out is not None:
        from hohenberg.materials.plots import learning_curve_plot

        learning_curve_plot(curve.assign(model=model), out / "intermetallic_learning_curve.png", x="n_train", title="intermetallic site d-band centre")
        _write_json(out, "intermetallic.json", result)
    if json_out:
        print_json(result)
        return
    print_table(f"intermetallic {level} d-band centres ({model}, formulas held out)", list(curve.columns), curve.to_numpy().tolist())


@app.command("screen-alloys")
def screen_alloys(
    metals: Annotated[str, typer.Option(help="Comma-separated metals to combine into A3B, AB, AB3.")] = "Cu,Ni,Pd,Pt,Au,Ag,Co,Fe,Rh,Ir,Ru,Zn,Ga,In,Sn",
    low: Annotated[float, typer.Option(help="Lower end of the wanted surface d-band centre window (eV).")] = -2.35,
    high: Annotated[float, typer.Option(help="Upper end of the window (eV).")] = -2.15,
    facet: Annotated[str, typer.Option(help="Miller indices h,k,l of the surface to predict.")] = "1,1,1",
    top: Annotated[int, typer.Option(min=1)] = 15,
    json_out: JsonOpt = False,
) -> None:
    """Rank unseen binary alloys (A3B, AB, AB3) by predicted surface d-band centre.

    Extra trees trained on the 11,611 surface averages of the intermetallic set; the spread of
    the trees is the uncertainty."""
    from hohenberg.materials.datasets import load_intermetallic
    from hohenberg.materials.intermetallic import alloy_candidates, intermetallic_design, surface_table
    from hohenberg.materials.models import make_model
    from hohenberg.materials.screen import TargetWindow, rank_candidates

    if not low < high:
        raise typer.BadParameter("--low must be below --high")
    try:
        h, k, l = (int(v) for v in facet.split(","))
    except ValueError:
        raise typer.BadParameter("facet must be three integers, e.g. 1,1,1") from None
    surf = surface_table(load_intermetallic())
    fitted = make_model("et", n_estimators=100).fit(intermetallic_design(surf).to_numpy(), surf["d_center_eV"].to_numpy())
    names = [m.strip() for m in metals.split(",") if m.strip()]
    cands = alloy_candidates(names, set(surf["bulk_composition"]))
    result: dict = {"model": "et", "window_eV": [low, high], "facet": [h, k, l], "n_training_surfaces": len(surf), "n_candidates": len(cands)}
    if cands:
        import pandas as pd

        frame = pd.DataFrame({"bulk_composition": cands, "h": h, "k": k, "l": l})
        ranked = rank_candidates(fitted, intermetallic_design(frame).to_numpy(), TargetWindow(low, high))
        ranked.insert(0, "composition", frame["bulk_composition"].to_numpy()[ranked.index])
        result["ranking"] = ranked.rename(columns={"score": "p_in_window"}).head(top).to_dict("records")
    if json_out:
        print_json(result)
        return
    if cands:
        print_table(f"unseen alloys, ({h}{k}{l}) surface, window [{low}, {high}] eV", ["composition", "pred (eV)", "std (eV)", "P(in window)"],
                    [list(r.values()) for r in result["ranking"]])
    else:
        print("no unseen compositions among the given metals")


@app.command("screen")
def screen(
    metals: Annotated[str, typer.Option(help="Comma-separated candidate metals (host and overlayer).")] = "Fe,Co,Ni,Cu,Ru,Rh,Pd,Ag,Ir,Pt,Au,Os,Re,Tc,Mn",
    model: Annotated[str, typer.Option(help="gpr, rf or et (needs a predictive std).")] = "gpr",
    low: Annotated[float, typer.Option(help="Lower end of the wanted d-band centre window (eV).")] = -2.35,
    high: Annotated[float, typer.Option(help="Upper end of the window (eV).")] = -2.15,
    top: Annotated[int, typer.Option(min=1, help="Rows to print.")] = 15,
    simulate: Annotated[bool, typer.Option("--simulate", help="Also the retrospective BO vs random-search simulation on the known pairs.")] = False,
    seeds: Annotated[int, typer.Option(min=1, help="Seeds of the simulation.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Rank unseen (host, overlayer) pairs by predicted d-band centre and uncertainty."""
    from hohenberg.materials.dband import BEST_SIX
    from hohenberg.materials.datasets import load_overlayer
    from hohenberg.materials.featurize import pair_features
    from hohenberg.materials.models import make_model
    from hohenberg.materials.screen import TargetWindow, rank_candidates, simulate_search, unseen_pairs

    _check_model(model, ("gpr", "rf", "et"))
    if not low < high:
        raise typer.BadParameter("--low must be below --high")
    df = load_overlayer("absolute")
    X, y = pair_features(df.host, df.guest, BEST_SIX).to_numpy(), df["target_eV"].to_numpy()
    fitted = make_model(model).fit(X, y)
    names = [m.strip() for m in metals.split(",") if m.strip()]
    cands = unseen_pairs(names, set(zip(df.host, df.guest)))
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
    if json_out:
        print_json(result)
        return
    if cands:
        print_table(f"unseen pairs, window [{low}, {high}] eV ({model})", ["host", "overlayer", "pred (eV)", "std (eV)", "P(in window)"],
                    [list(r.values()) for r in result["ranking"]])
    else:
        print("no unseen pairs among the given metals")
    if simulate:
        s = result["simulation"]
        print_table("evaluations to find the top-5 (median over seeds)", ["search", "evaluations"],
                    [["Bayesian optimisation (EI)", s["bo_median_evaluations"]], ["random", s["random_median_evaluations"]]])


@app.command("bo-simulate")
def bo_simulate(
    pool: Annotated[str, typer.Option(help="dband (121 overlayer pairs) or her (121 unstrained materials, H at the most stable site).")] = "her",
    model: Annotated[str, typer.Option(help="gpr, rf or et.")] = "gpr",
    low: Annotated[float | None, typer.Option(help="Window low end (eV); default -2.35 (dband) or -0.34 (her).")] = None,
    high: Annotated[float | None, typer.Option(help="Window high end (eV); default -2.15 (dband) or -0.14 (her).")] = None,
    top_k: Annotated[int, typer.Option(min=1, help="Number of best candidates that must be found.")] = 5,
    seeds: Annotated[int, typer.Option(min=1)] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Retrospective Bayesian optimisation vs random search on a data set with known answers.

    The her default window is H adsorption energies for which the free energy
    dG_H = dE_H + 0.24 eV (Norskov et al. 2005) is within 0.1 eV of zero."""
    from hohenberg.materials.screen import TargetWindow, simulate_search
    from hohenberg.materials.models import make_model

    _check_model(model, ("gpr", "rf", "et"))
    if pool == "dband":
        from hohenberg.materials.dband import BEST_SIX, overlayer_design
        from hohenberg.materials.datasets import load_overlayer

        df = load_overlayer()
        X, y = overlayer_design(df, BEST_SIX), df["target_eV"].to_numpy()
        window = TargetWindow(-2.35 if low is None else low, -2.15 if high is None else high)
    elif pool == "her":
        from hohenberg.materials.adsorption import her_pool
        from hohenberg.materials.datasets import load_adsorption

        rows, design = her_pool(load_adsorption())
        X, y = design.to_numpy(), rows["adsorption_energy_eV"].to_numpy()
        window = TargetWindow(-0.34 if low is None else low, -0.14 if high is None else high)
    else:
        raise typer.BadParameter("pool must be 'dband' or 'her'")
    if not window.low_eV < window.high_eV:
        raise typer.BadParameter("--low must be below --high")
    sim = simulate_search(make_model(model), X, y, window, seeds=range(seeds), top_k=top_k)
    q = lambda c, p: float(sim[c].quantile(p))  # noqa: E731
    result = {
        "pool": pool, "pool_size": len(y), "model": model, "window_eV": [window.low_eV, window.high_eV], "top_k": top_k,
        "seeds": seeds, "n_initial": 5, "n_in_window": int((window.distance(y) == 0).sum()),
        "bo_median_evaluations": q("bo_evaluations", 0.5), "bo_iqr_evaluations": [q("bo_evaluations", 0.25), q("bo_evaluations", 0.75)],
        "random_median_evaluations": q("random_evaluations", 0.5),
        "random_iqr_evaluations": [q("random_evaluations", 0.25), q("random_evaluations", 0.75)],
        "per_seed": sim.to_dict("records"),
    }
    if json_out:
        print_json(result)
        return
    print_table(f"evaluations to find the top-{top_k} of {len(y)} ({pool}, window {window.low_eV}..{window.high_eV} eV), {seeds} seeds",
                ["search", "median", "25 %", "75 %"],
                [["Bayesian optimisation (EI)", result["bo_median_evaluations"], *result["bo_iqr_evaluations"]],
                 ["random", result["random_median_evaluations"], *result["random_iqr_evaluations"]]])


@app.command("uncertainty")
def uncertainty(
    dataset: Annotated[str, typer.Option(help="dband (random 50 % splits) or adsorption (materials held out).")] = "dband",
    model: Annotated[str, typer.Option(help="gpr, rf or et.")] = "gpr",
    repeats: Annotated[int, typer.Option(min=1)] = 5,
    method: Annotated[str, typer.Option(help="Conformal calibration: cv (5-fold out-of-fold) or split (25 % held back).")] = "cv",
    json_out: JsonOpt = False,
) -> None:
    """Coverage of 68 % / 95 % intervals on held-out data, raw and conformally calibrated."""
    from hohenberg.materials.calibration import coverage_study

    _check_model(model, ("gpr", "rf", "et"))
    if dataset not in ("dband", "adsorption"):
        raise typer.BadParameter("dataset must be 'dband' or 'adsorption'")
    if method not in ("cv", "split"):
        raise typer.BadParameter("method must be 'cv' or 'split'")
    result = coverage_study(dataset, model, repeats, method=method)
    if json_out:
        print_json(result)
        return
    print_table(f"interval coverage on held-out data ({dataset}, {model})", ["quantity", "value"], _rows(result))


@app.command("ofm")
def ofm(
    structure: Annotated[Path, typer.Argument(help="A structure file ASE can read (cif, POSCAR, extxyz ...).")],
    json_out: JsonOpt = False,
) -> None:
    """Orbital-field matrix (Pham et al. 2017) of a periodic structure, averaged over sites."""
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
    if json_out:
        print_json({"formula": atoms.get_chemical_formula(), "row_labels": ORBITAL_LABELS, "column_labels": columns, "nonzero": nz})
        return
    print_table(f"OFM of {atoms.get_chemical_formula()} (non-zero entries)", ["row", "column", "value"], nz)


if __name__ == "__main__":  # ``python -m hohenberg.cli.materials ...`` before it is registered
    import sys

    from hohenberg.cli.output import err_console
    from hohenberg.errors import HohenbergError

    try:
        app()
    except HohenbergError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
