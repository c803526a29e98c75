"""``hohenberg subgraph mine|explain`` and ``hohenberg train subgraph``: learning over the
complete set of connected subgraphs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from hohenberg.cli.output import console, print_json, print_table
from hohenberg.errors import InputError

app = typer.Typer(help="Frequent subgraphs of molecules and the models built on them.", no_args_is_help=True)


@app.command("mine")
def mine_command(
    smiles_file: Annotated[Path, typer.Argument(metavar="SMILES_FILE", help="One SMILES per line, or a CSV with a SMILES column.")],
    min_support: Annotated[float, typer.Option("--min-support", help="Molecules a pattern must occur in (a fraction when < 1).")] = 2,
    max_size: Annotated[Optional[int], typer.Option("--max-size", help="Largest pattern, in bonds (default: no limit).")] = None,
    aromatic: Annotated[bool, typer.Option("--aromatic/--kekule", metavar="", help="Aromatic atoms and bonds as their own labels.")] = True,
    charge: Annotated[bool, typer.Option("--charge", metavar="", help="Formal charge in the atom label.")] = False,
    atoms: Annotated[bool, typer.Option("--atoms/--no-atoms", metavar="", help="Report single-atom patterns too.")] = True,
    smiles_column: Annotated[Optional[str], typer.Option("--smiles-column", help="SMILES column of a CSV.")] = None,
    top: Annotated[int, typer.Option("--top", help="Rows shown in the table (JSON lists all).")] = 40,
    json_out: Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON.")] = False,
) -> None:
    """List every connected subgraph (as SMARTS) that occurs in at least S molecules."""
    from hohenberg.subgraph.graph import LabelConfig, to_graphs
    from hohenberg.subgraph.gspan import PatternTree
    from hohenberg.subgraph.inputs import read_smiles_file
    from hohenberg.subgraph.run import min_support_count

    data = read_smiles_file(smiles_file, smiles_column)
    config = LabelConfig(aromatic=aromatic, charge=charge)
    support = min_support_count(min_support, len(data.smiles))
    t0 = time.perf_counter()
    graphs = to_graphs(data.smiles, config)
    tree = PatternTree(graphs, support, max_size)
    patterns = [p for p in tree.walk() if atoms or p.size]
    seconds = time.perf_counter() - t0
    rows = [{"smarts": p.smarts(config), "support": len(p.support), "bonds": p.size} for p in patterns]
    payload = {"molecules": len(graphs), "min_support": support, "max_size": max_size, "patterns": len(rows),
               "seconds": round(seconds, 3), "results": rows}
    if json_out:
        print_json(payload)
        return
    shown = sorted(rows, key=lambda r: (-r["support"], r["bonds"]))[:top]
    print_table(f"{len(rows)} patterns in {len(graphs)} molecules with support >= {support} ({seconds:.2f} s)",
                ["SMARTS", "support", "bonds"], [(escape(r["smarts"]), r["support"], r["bonds"]) for r in shown])


def train_subgraph(
    data_path: Annotated[Path, typer.Argument(metavar="TABLE_OR_CSV", help="A MoleculeTable (.npz) or a CSV of SMILES + target.")],
    target: Annotated[str, typer.Option("--target", help="Property (table) or column (CSV) to learn.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder (model.json is written there).")],
    model: Annotated[str, typer.Option("--model", help="sparse | boost | topic")] = "sparse",
    smiles_column: Annotated[Optional[str], typer.Option("--smiles-column", help="SMILES column of a CSV.")] = None,
    min_support: Annotated[float, typer.Option("--min-support", help="Molecules a pattern must occur in (fraction when < 1; 0: 0.1 %, at least 2).")] = 0,
    max_size: Annotated[Optional[int], typer.Option("--max-size", help="Largest pattern in bonds (default: none).")] = None,
    lam: Annotated[Optional[float], typer.Option("--lam", help="sparse: final penalty (default lam_max * --lam-min-ratio).")] = None,
    lam_min_ratio: Annotated[float, typer.Option("--lam-min-ratio", help="sparse: end of the path relative to lam_max.")] = 0.01,
    n_lambdas: Annotated[int, typer.Option("--n-lambdas", help="sparse: points on the path.")] = 10,
    l1_ratio: Annotated[float, typer.Option("--l1-ratio", help="sparse: 1 = lasso, < 1 elastic net.")] = 1.0,
    loss: Annotated[str, typer.Option("--loss", help="sparse: squared | huber (regression) | logistic (two classes: "
                                                     "reports accuracy and AUC).")] = "squared",
    composition: Annotated[bool, typer.Option("--composition", metavar="", help="sparse/boost: element counts (H included) in the base model, for extensive targets.")] = False,
    features: Annotated[str, typer.Option("--features", help="sparse: indicator (pattern present) | count (occurrences).")] = "indicator",
    max_count: Annotated[int, typer.Option("--max-count", help="boost: also split on 'occurs at least k times', k <= this.")] = 1,
    n_estimators: Annotated[int, typer.Option("--n-estimators", help="boost: trees.")] = 100,
    learning_rate: Annotated[float, typer.Option("--learning-rate", help="boost: shrinkage.")] = 0.1,
    max_depth: Annotated[int, typer.Option("--max-depth", help="boost: depth of each tree.")] = 3,
    n_topics: Annotated[int, typer.Option("--n-topics", help="topic: topics.")] = 10,
    radius: Annotated[int, typer.Option("--radius", help="topic: Morgan radius of the rooted subgraphs.")] = 2,
    test_fraction: Annotated[float, typer.Option("--test-fraction", help="random/scaffold split: held-out share for the reported errors.")] = 0.1,
    split: Annotated[str, typer.Option("--split", help="random | scaffold (Bemis-Murcko) | standard (QM9 table) | a JSON "
                                                       "file of id lists, e.g. a graph model's split.json (fit on its train).")] = "random",
    limit: Annotated[Optional[int], typer.Option("--limit", help="Use a random subset of this many molecules.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the subset and split.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON.")] = False,
) -> None:
    """Fit a sparse-regression, boosting or topic model over subgraph features; report test errors."""
    from hohenberg.subgraph.run import SubgraphRunConfig
    from hohenberg.subgraph.run import train_subgraph as run

    cfg = SubgraphRunConfig(model=model, smiles_column=smiles_column, min_support=min_support, max_size=max_size,
                            lam=lam, lam_min_ratio=lam_min_ratio, n_lambdas=n_lambdas, l1_ratio=l1_ratio, loss=loss,
                            composition=composition, features=features, max_count=max_count,
                            n_estimators=n_estimators, learning_rate=learning_rate, max_depth=max_depth,
                            n_topics=n_topics, radius=radius, test_fraction=test_fraction, split=split, limit=limit,
                            seed=seed)
    try:
        cfg.check()
    except ValueError as exc:  # the library names the option; the command line names the flag
        name = str(exc).split(" ", 1)[0]
        raise InputError(None, f"--{name.replace('_', '-')}{str(exc)[len(name):]}") from None
    result = run(data_path, target, out, cfg)
    classify = result["task"] == "classification"
    fit_seconds = result["fit_seconds"]
    if json_out:
        print_json(result)
        return
    parts_ = [(name, m) for name, m in (("train", result["train"]), ("test", result["test"])) if m]
    title = (f"{model} on {target}: {result['n_train']} train / {result['n_test']} test, {result['n_features']} features, "
             f"{fit_seconds:.1f} s")
    if classify:
        print_table(title, ["split", "accuracy", "AUC"], [(name, m["accuracy"], m["auc"]) for name, m in parts_])
    else:
        unit = next(k for k in result["train"] if k.startswith("mae_"))[len("mae_"):]
        shown = unit.replace("target_unit", "target unit")
        print_table(title, ["split", f"MAE ({shown})", f"RMSE ({shown})", "R2"],
                    [(name, m[f"mae_{unit}"], m[f"rmse_{unit}"], m["r2"]) for name, m in parts_])
    if model != "topic":
        print_table("top subgraphs", ["SMARTS", "weight", "support"], [(escape(r["smarts"]), r["weight"], r["support"]) for r in result["top"]])
    console.print(f"wrote {out / 'model.json'}")


@app.command("explain")
def explain_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Folder written by 'hohenberg train subgraph'.")],
    top: Annotated[int, typer.Option("--top", help="How many subgraphs to draw.")] = 12,
    molecule: Annotated[Optional[str], typer.Option("--molecule", "-m", help="SMILES to highlight the subgraphs on.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for the PNGs (default MODEL_DIR).")] = None,
    json_out: Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON.")] = False,
) -> None:
    """Draw the model's top subgraphs with their coefficients or importances (PNG); with
    --molecule, highlight those that occur in that molecule."""
    from hohenberg.subgraph.explain import draw_patterns, highlight, top_patterns
    from hohenberg.subgraph.persist import MODEL_FILE, read_model_dir

    if not (model_dir / MODEL_FILE).is_file():
        raise InputError(model_dir / MODEL_FILE, "no model here (train one with 'hohenberg train subgraph')")
    try:
        est, _ = read_model_dir(model_dir)
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise InputError(model_dir / MODEL_FILE, f"unreadable model: {exc}") from None
    out = out or model_dir
    out.mkdir(parents=True, exist_ok=True)
    rows = top_patterns(est, top)
    result: dict = {"model": type(est).__name__, "top": rows}
    if rows and "smarts" in rows[0]:
        result["image"] = str(draw_patterns(rows, out / "top_subgraphs.png"))
        if molecule is not None:
            try:
                path, found = highlight(molecule, rows, out / "highlight.png", est.label_config)
            except ValueError as exc:
                raise InputError(None, str(exc)) from None
            result["molecule"] = {"smiles": molecule, "image": str(path), "matches": found}
    if json_out:
        print_json(result)
        return
    if rows and "smarts" in rows[0]:
        print_table(f"top subgraphs of {type(est).__name__}", ["SMARTS", rows[0]["kind"], "support"],
                    [(escape(r["smarts"]), r["weight"], r["support"]) for r in rows])
    else:
        print_table("topics", ["topic", "coef", "subgraphs"], [(r["topic"], r["weight"], escape(", ".join(r["subgraphs"]))) for r in rows])
    for key in ("image",):
        if key in result:
            console.print(f"wrote {result[key]}")
    if "molecule" in result:
        console.print(f"wrote {result['molecule']['image']} ({len(result['molecule']['matches'])} of the top subgraphs occur)")
