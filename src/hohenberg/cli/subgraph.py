"""``hohenberg subgraph mine|explain`` and ``hohenberg train subgraph``: learning over the
complete set of connected subgraphs."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape

from hohenberg.cli.output import console, print_json, print_table
from hohenberg.errors import InputError

if TYPE_CHECKING:
    import numpy as np

app = typer.Typer(help="Frequent subgraphs of molecules and the models built on them.", no_args_is_help=True)

MODELS = ("sparse", "boost", "topic")


def _min_support(value: float, n: int) -> int:
    """Absolute count, or a fraction of the molecules when below 1; 0 means 0.1 % (at least 2)."""
    if value <= 0:
        return max(2, math.ceil(0.001 * n))
    return max(1, math.ceil(value * n)) if value < 1 else int(value)


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

    data = read_smiles_file(smiles_file, smiles_column)
    config = LabelConfig(aromatic=aromatic, charge=charge)
    support = _min_support(min_support, len(data.smiles))
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


def _metrics(target: str, y: np.ndarray, pred: np.ndarray) -> dict:
    """Regression errors with their unit in the key (``mae_meV``; ``mae_target_unit`` when the
    target's name carries no unit) and R^2."""
    from hohenberg.models.metrics import regression_errors, report_unit

    if len(y) == 0:
        return {}
    unit, factor = report_unit(target)
    # a name without a unit suffix: errors are in whatever unit the column has
    return regression_errors(y, pred, unit or "target_unit", factor, r2=True)


def _class_metrics(est, smiles: list, y: np.ndarray) -> dict:
    """Accuracy, and ROC AUC where both classes occur."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    if len(y) == 0:
        return {}
    both = len(np.unique(y)) == 2
    auc = float(roc_auc_score(y == est.classes_[1], est.predict_proba(smiles)[:, 1])) if both else None
    return {"accuracy": float(est.score(smiles, y)), "auc": auc, "n": int(len(y))}


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
    import numpy as np

    from hohenberg.subgraph.inputs import read_training_data
    from hohenberg.subgraph.persist import save_model

    if model not in MODELS:
        raise InputError(None, f"--model must be one of {', '.join(MODELS)}, not {model!r}")
    if features not in ("indicator", "count"):
        raise InputError(None, f"--features must be indicator or count, not {features!r}")
    if max_count < 1:
        raise InputError(None, "--max-count must be at least 1")
    if loss not in ("squared", "huber", "logistic"):
        raise InputError(None, f"--loss must be squared, huber or logistic, not {loss!r}")
    if loss != "squared" and model != "sparse":
        raise InputError(None, f"--loss {loss} needs --model sparse")
    if not 0.0 < l1_ratio <= 1.0:
        raise InputError(None, f"--l1-ratio must be in (0, 1], not {l1_ratio}")
    if not 0 <= test_fraction < 1:
        raise InputError(None, "--test-fraction must be in [0, 1)")
    if limit is not None and limit < 1:
        raise InputError(None, f"--limit must be at least 1, not {limit}")
    from hohenberg.datasets.splits import split_molecules, write_split_ids

    data = read_training_data(data_path, target, smiles_column)
    if limit is not None:  # a random subset, then split as asked
        keep = np.sort(np.random.default_rng(seed).permutation(len(data.smiles))[:limit])
        data = type(data)([data.smiles[i] for i in keep], data.y[keep], [data.ids[i] for i in keep], data.target)
    table = None
    if data_path.suffix.lower() == ".npz" and split == "standard":
        from hohenberg.molecules.table import MoleculeTable

        table = MoleculeTable.load(data_path)
    parts = split_molecules(data.ids, data.smiles, split, seed, (1.0 - test_fraction, 0.0, test_fraction), table)
    train, test = parts["train"], parts["test"]
    if len(train) == 0:
        raise InputError(None, f"--split {split}: no training molecule among the {len(data.ids)} given")
    smiles = np.asarray(data.smiles, dtype=object)
    y = data.y
    support = _min_support(min_support, len(train))
    classify = loss == "logistic"
    if classify:
        from hohenberg.subgraph.sparse import SparseSubgraphClassifier

        if len(np.unique(y[train])) != 2:
            raise InputError(data_path, f"--loss logistic needs a target with two classes; {target!r} has "
                                        f"{len(np.unique(y[train]))} distinct values in the training split")
        est = SparseSubgraphClassifier(lam=lam, l1_ratio=l1_ratio, n_lambdas=n_lambdas, lam_min_ratio=lam_min_ratio,
                                       min_support=support, max_size=max_size, composition=composition,
                                       features=features)
    elif model == "sparse":
        from hohenberg.subgraph.sparse import SparseSubgraphRegressor

        est = SparseSubgraphRegressor(lam=lam, l1_ratio=l1_ratio, loss=loss, n_lambdas=n_lambdas,
                                      lam_min_ratio=lam_min_ratio, min_support=support, max_size=max_size,
                                      composition=composition, features=features)
    elif model == "boost":
        from hohenberg.subgraph.boost import SubgraphBoostRegressor

        est = SubgraphBoostRegressor(n_estimators=n_estimators, learning_rate=learning_rate, max_depth=max_depth,
                                     min_support=support, max_size=max_size, composition=composition,
                                     max_count=max_count)
    else:
        from hohenberg.subgraph.bag import SubgraphTopicRegressor

        est = SubgraphTopicRegressor(n_topics=n_topics, radius=radius, min_df=support, seed=seed)
    t0 = time.perf_counter()
    est.fit(list(smiles[train]), y[train])
    fit_seconds = time.perf_counter() - t0

    def metrics(rows) -> dict:
        if classify:
            return _class_metrics(est, list(smiles[rows]), y[rows])
        return _metrics(target, y[rows], est.predict(list(smiles[rows])))

    result = {
        "data": str(data_path), "target": target, "model": model, "n_train": len(train), "n_test": len(test),
        "min_support": support, "fit_seconds": round(fit_seconds, 2),
        "task": "classification" if classify else "regression",
        "train": metrics(train), "test": metrics(test) if len(test) else {},
    }
    if hasattr(est, "search_stats_"):
        s = est.search_stats_
        result["search"] = {"visited": s.visited, "expanded": s.expanded, "created": s.created}
        result["n_features"] = len(est.patterns_)
        result["top"] = [{"smarts": a, "weight": b, "support": c} for a, b, c in est.top_patterns(15)]
    else:
        result["n_features"] = len(est.bag_.names_)
        result["top"] = est.topics(6)
    result["split"] = split
    save_model(est, out, {"training": {k: v for k, v in result.items() if k != "top"}})
    write_split_ids(out, {k: [data.ids[i] for i in v] for k, v in parts.items()}, split, seed)
    (out / "metrics.json").write_text(json.dumps(result, indent=1, default=float))
    if json_out:
        print_json(result)
        return
    parts_ = [(name, m) for name, m in (("train", result["train"]), ("test", result["test"])) if m]
    title = f"{model} on {target}: {len(train)} train / {len(test)} test, {result['n_features']} features, {fit_seconds:.1f} s"
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
    from hohenberg.subgraph.persist import MODEL_FILE, load_model

    if not (model_dir / MODEL_FILE).is_file():
        raise InputError(model_dir / MODEL_FILE, "no model here (train one with 'hohenberg train subgraph')")
    try:
        est, _ = load_model(model_dir)
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
