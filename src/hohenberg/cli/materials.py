"""``hohenberg materials``: d-band centres, adsorption energies, band gaps and candidate search
from elemental descriptors.  Every command prints a table, or the same numbers with ``--json``;
``--out DIR`` writes PNG figures beside CSV/JSON files of their numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hohenberg.cli.output import print_json, print_table

app = typer.Typer(help="Materials informatics: d-band centres, adsorption energies, band gaps, screening.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Directory for PNG figures and their CSV/JSON data.")]


def _check_model(name: str, allowed=None) -> str:
    from hohenberg.materials.models import MODEL_NAMES

    allowed = allowed or MODEL_NAMES
    if name not in allowed:
        raise typer.BadParameter(f"unknown model {name!r}; choose from {', '.join(allowed)}")
    return name


def _window(low: float, high: float) -> None:
    if not low < high:
        raise typer.BadParameter("--low must be below --high")


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
    lomo: Annotated[bool, typer.Option("--lomo", metavar="", help="Also run leave-one-metal-out with nested hyper-parameter search.")] = False,
    importance: Annotated[bool, typer.Option("--importance", metavar="", help="Also held-out permutation importance, exact SHAP (tree models) and partial dependence of the top 2 descriptors.")] = False,
    learning_curve: Annotated[bool, typer.Option("--learning-curve", metavar="", help="Also average RMSE at training fractions 0.1 ... 0.9.")] = False,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """d-band centres of 11 metals and 110 overlayers: the paper's repeated-split protocol."""
    from hohenberg.materials.run import run_dband

    _check_model(model)
    if target not in ("absolute", "table"):
        raise typer.BadParameter("target must be 'absolute' or 'table'")
    result = run_dband(model, train_fraction, repeats, target, _descriptors(descriptors), seed, lomo, importance,
                       learning_curve, out)
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
    from hohenberg.materials.run import run_dband_subsets

    _check_model(model)
    if target not in ("absolute", "table"):
        raise typer.BadParameter("target must be 'absolute' or 'table'")
    result = run_dband_subsets(model, size, target, train_fraction, repeats)
    if json_out:
        print_json(result)
        return
    print_table(f"best descriptor subsets ({model}, {train_fraction:.0%} train)", ["size", "descriptors", "RMSE mean (eV)", "RMSE std (eV)"],
                [[r["size"], ", ".join(r["descriptors"]), r["rmse_mean_eV"], r["rmse_std_eV"]] for r in result["best_per_size"]])


@app.command("adsorption")
def adsorption(
    dataset: Annotated[str, typer.Option(help="alonso (H, O, OH; grouped by material) or oc20 (CHx; Toyao-style repeated splits).")] = "alonso",
    models: Annotated[str, typer.Option(help="Comma-separated model names.")] = "mean,ridge,rf,et,gbr",
    splits: Annotated[int, typer.Option(min=2, help="Grouped folds (alonso) or random splits (oc20).")] = 5,
    importance: Annotated[bool, typer.Option("--importance", metavar="", help="Permutation importance on held-out folds (first non-baseline model).")] = False,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Adsorption energies: per-adsorbate MAE with whole materials held out, or the Toyao protocol."""
    from hohenberg.materials.run import run_adsorption

    names = tuple(_check_model(m.strip()) for m in models.split(",") if m.strip())
    if dataset not in ("alonso", "oc20"):
        raise typer.BadParameter("dataset must be 'alonso' or 'oc20'")
    result = run_adsorption(dataset, names, splits, importance, out)
    if dataset == "alonso":
        rows = [[r["adsorbate"], r["model"], r["mae_eV"], r["rmse_eV"], r["r2"], r["n"]] for r in result["errors"]]
        title = "adsorption energies, materials held out"
    else:
        rows = [[r["model"], r["rmse_mean_eV"], r["rmse_std_eV"], r["repeats"]] for r in result["errors"]]
        title = "OC20 CHx adsorption energies (Toyao-style protocol)"
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
    n_rows: Annotated[int | None, typer.Option(min=1, help="Random subset of compositions (quick runs).")] = None,
    classify: Annotated[bool, typer.Option("--classify", metavar="", help="Also metal / non-metal classification.")] = False,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Experimental band gaps from composition (grouped by chemical system)."""
    from hohenberg.materials.run import run_bandgap

    _check_model(model)
    result = run_bandgap(model, splits, n_rows, classify, out)
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
    from hohenberg.materials.run import run_intermetallic

    _check_model(model)
    if level not in ("surface", "site"):
        raise typer.BadParameter("level must be 'surface' or 'site'")
    if not all(s.strip().isdigit() and int(s) > 0 for s in sizes.split(",")):
        raise typer.BadParameter(f"--sizes {sizes!r}: comma-separated positive whole numbers, e.g. 500,2000")
    result = run_intermetallic([int(s) for s in sizes.split(",")], level, n_sites, model, repeats, out)
    if json_out:
        print_json(result)
        return
    print_table(f"intermetallic {level} d-band centres ({model}, formulas held out)", list(result["learning_curve"][0]), [list(r.values()) for r in result["learning_curve"]])


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
    from hohenberg.materials.run import run_screen_alloys

    _window(low, high)
    try:
        h, k, l = (int(v) for v in facet.split(","))
    except ValueError:
        raise typer.BadParameter("facet must be three integers, e.g. 1,1,1") from None
    result = run_screen_alloys([m.strip() for m in metals.split(",") if m.strip()], low, high, (h, k, l), top)
    if json_out:
        print_json(result)
        return
    if "ranking" in result:
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
    simulate: Annotated[bool, typer.Option("--simulate", metavar="", help="Also the retrospective BO vs random-search simulation on the known pairs.")] = False,
    seeds: Annotated[int, typer.Option(min=1, help="Seeds of the simulation.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Rank unseen (host, overlayer) pairs by predicted d-band centre and uncertainty."""
    from hohenberg.materials.run import UNCERTAIN_MODELS, run_screen

    _check_model(model, UNCERTAIN_MODELS)
    _window(low, high)
    result = run_screen([m.strip() for m in metals.split(",") if m.strip()], model, low, high, top, simulate, seeds)
    if json_out:
        print_json(result)
        return
    if "ranking" in result:
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
    from hohenberg.materials.run import BO_POOLS, UNCERTAIN_MODELS, default_window, run_bo_simulate

    _check_model(model, UNCERTAIN_MODELS)
    if pool not in BO_POOLS:
        raise typer.BadParameter("pool must be 'dband' or 'her'")
    default = default_window(pool)
    low, high = default[0] if low is None else low, default[1] if high is None else high
    _window(low, high)
    result = run_bo_simulate(pool, model, low, high, top_k, seeds)
    if json_out:
        print_json(result)
        return
    print_table(f"evaluations to find the top-{top_k} of {result['pool_size']} ({pool}, window {low}..{high} eV), {seeds} seeds",
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
    from hohenberg.materials.run import UNCERTAIN_MODELS

    _check_model(model, UNCERTAIN_MODELS)
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
    from hohenberg.materials.run import run_ofm

    result = run_ofm(structure)
    if json_out:
        print_json(result)
        return
    print_table(f"OFM of {result['formula']} (non-zero entries)", ["row", "column", "value"], result["nonzero"])


if __name__ == "__main__":  # ``python -m hohenberg.cli.materials ...`` before it is registered
    import sys

    from hohenberg.cli.output import err_console
    from hohenberg.errors import HohenbergError

    try:
        app()
    except HohenbergError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
