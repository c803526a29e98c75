"""The shipped QM9 model from SMILES: geometry sources against QM9's own B3LYP geometries.

QM9 test molecules (the standard split of the table, a seeded subset) are predicted three ways:

* ``b3lyp``: the table's own B3LYP/6-31G(2df,p) geometry, what the model was trained on (the
  baseline of this run: every ratio is to it, measured on the same molecules);
* ``mmff``: from the table's SMILES, RDKit ETKDG + MMFF94 (``prepare_molecules(..., "mmff")``);
* ``xtb``: that geometry relaxed with GFN2-xTB (what ``geometry="auto"`` gives SMILES).

A diagnostic row, ``xtb_from_b3lyp`` (the first ``--diagnose`` test molecules): QM9's own
geometry relaxed with GFN2-xTB.  It has QM9's conformer and stereoisomer, so what error it adds is
GFN2-xTB's bond lengths alone; what ``xtb`` adds beyond it is the conformer chosen from SMILES.

Per source: MAE per target and its ratio to ``b3lyp``, the fraction of errors within 1 and 2
calibrated sigma (the card's B3LYP calibration, and one fitted per source on validation molecules
built the same way), seconds per molecule to build each geometry, and molecules/s of
``model.predict`` from SMILES.  Geometries are cached one file per molecule under ``--cache``
(written atomically): a rerun skips what is done, Ctrl-C loses at most the molecule in hand.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/smiles_geometry.py --table runs/qm9/qm9.npz \\
        [--n-test 2000] [--n-val 2000] [--build-only] [--write-card] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

SOURCES = ("b3lyp", "mmff", "xtb")
BUILT = ("mmff", "xtb")
NOTES = Path(__file__).resolve().parents[1] / "docs" / "notes"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- build

def _entry(mol_or_failure, seconds: float) -> dict:
    from hohenberg.qc.geometry import Failure

    if isinstance(mol_or_failure, Failure):
        return {"error": mol_or_failure.reason, "seconds": seconds}
    m = mol_or_failure
    return {"numbers": m.numbers.tolist(), "positions": np.round(m.positions, 6).tolist(), "seconds": seconds,
            "info": {k: str(v) for k, v in m.info.items()}}


def build_one(smiles: str, name: str) -> dict:
    """Both geometries of one SMILES through the library's own path, each step timed."""
    from hohenberg.molecules.molecule import Molecule
    from hohenberg.qc.geometry import prepare_molecules

    t0 = time.perf_counter()
    mmff = prepare_molecules([smiles], "mmff")[0]
    t1 = time.perf_counter()
    out = {"smiles": smiles, "name": name, "mmff": _entry(mmff, t1 - t0)}
    if isinstance(mmff, Molecule):
        xtb = prepare_molecules([mmff], "xtb")[0]  # relaxes the MMFF94 geometry, as "auto" does
        out["xtb"] = _entry(xtb, time.perf_counter() - t1)
    else:
        out["xtb"] = {"error": "no MMFF94 geometry to start from", "seconds": 0.0}
    return out


def cache_file(cache: Path, split: str, mol_id: str) -> Path:
    return cache / split / f"{mol_id.replace('/', '_')}.json"


def build(table, rows: dict[str, np.ndarray], cache: Path) -> None:
    from hohenberg.fileio import atomic_write

    todo = [(split, int(r)) for split in ("test", "val") for r in rows[split]
            if not cache_file(cache, split, str(table.ids[r])).is_file()]
    total = sum(len(v) for v in rows.values())
    log(f"geometries: {total - len(todo)} of {total} cached, {len(todo)} to build")
    t0 = time.perf_counter()
    for k, (split, r) in enumerate(todo, start=1):
        mol_id = str(table.ids[r])
        entry = build_one(str(table.text["smiles"][r]), mol_id)
        atomic_write(cache_file(cache, split, mol_id), json.dumps(entry))
        if k % 50 == 0 or k == len(todo):
            rate = (time.perf_counter() - t0) / k
            log(f"  {k}/{len(todo)} built ({split}), {rate:.2f} s/molecule, ETA {rate * (len(todo) - k) / 60:.1f} min")


def build_diagnostic(table, rows: np.ndarray, cache: Path) -> None:
    """QM9's own geometry relaxed with GFN2-xTB, one cache file per molecule (see module docstring)."""
    from hohenberg.fileio import atomic_write
    from hohenberg.qc.geometry import prepare_molecules

    todo = [int(r) for r in rows if not cache_file(cache, "xtb_from_b3lyp", str(table.ids[r])).is_file()]
    log(f"diagnostic (B3LYP geometry relaxed by GFN2-xTB): {len(rows) - len(todo)} of {len(rows)} cached")
    t0 = time.perf_counter()
    for k, r in enumerate(todo, start=1):
        ref = table.take(np.array([r]))[0]
        t1 = time.perf_counter()
        got = prepare_molecules([ref], "xtb")[0]
        entry = {"smiles": str(table.text["smiles"][r]), "name": str(table.ids[r]),
                 "xtb": _entry(got, time.perf_counter() - t1)}
        atomic_write(cache_file(cache, "xtb_from_b3lyp", str(table.ids[r])), json.dumps(entry))
        if k % 50 == 0 or k == len(todo):
            rate = (time.perf_counter() - t0) / k
            log(f"  {k}/{len(todo)} relaxed, {rate:.2f} s/molecule, ETA {rate * (len(todo) - k) / 60:.1f} min")


def diagnostic(predictor, table, rows: np.ndarray, test: dict, test_rows: np.ndarray, cache: Path) -> dict:
    """MAE ratio to ``b3lyp`` of QM9's geometry relaxed by GFN2-xTB, and of ``xtb`` on the same molecules."""
    from hohenberg.models.metrics import report_unit

    entries = load_cached(table, "xtb_from_b3lyp", rows, cache)
    refs = list(table.take(rows))
    where = {int(r): i for i, r in enumerate(test_rows)}
    mols, pos = [], []
    for e, ref, r in zip(entries, refs, rows):
        m = molecule_of(e, "xtb", ref) if e else None
        if m is not None and np.isfinite(test["xtb"][0][where[int(r)], 0]):
            mols.append(m)
            pos.append(where[int(r)])
    if not mols:
        return {}
    pred = predictor.predict(mols)
    pos = np.array(pos)
    out = {"molecules": len(mols), "targets": {}}
    for j, t in enumerate(predictor.targets):
        unit, factor = report_unit(t)
        y = test["y"][pos, j]
        base = np.mean(np.abs(test["b3lyp"][0][pos, j] - y))
        out["targets"][t] = {f"mae_{unit}": float(np.mean(np.abs(pred.mean[:, j] - y)) * factor),
                             "ratio_to_b3lyp": float(np.mean(np.abs(pred.mean[:, j] - y)) / base),
                             "xtb_from_smiles_ratio_to_b3lyp": float(np.mean(np.abs(test["xtb"][0][pos, j] - y)) / base),
                             "mean_signed_error": float(np.mean(pred.mean[:, j] - y) * factor)}
    return out


def load_cached(table, split: str, rows: np.ndarray, cache: Path) -> list[dict | None]:
    out = []
    for r in rows:
        f = cache_file(cache, split, str(table.ids[r]))
        out.append(json.loads(f.read_text()) if f.is_file() else None)
    return out


# -------------------------------------------------------------------------------------- predict

def molecule_of(entry: dict, source: str, ref):
    """The cached geometry as a Molecule (None where it failed or its formula is not the table's)."""
    from hohenberg.molecules.molecule import Molecule

    e = entry.get(source, {}) if entry else {}
    if "numbers" not in e:
        return None
    mol = Molecule(e["numbers"], e["positions"], name=entry["name"], info=dict(e["info"]))
    return mol if mol.formula == ref.formula else None


def predict_sources(predictor, table, split: str, rows: np.ndarray, cache: Path) -> dict:
    """Per source: mean and spread (n, targets), NaN rows where that source has no molecule."""
    entries = load_cached(table, split, rows, cache)
    refs = list(table.take(rows))
    n, k = len(rows), len(predictor.targets)
    out = {"y": np.column_stack([table.properties[t][rows] for t in predictor.targets]),
           "seconds": {s: np.array([(e or {}).get(s, {}).get("seconds", np.nan) for e in entries]) for s in BUILT},
           "failed": {s: int(sum(1 for e in entries if e is not None and "numbers" not in e.get(s, {})))
                      for s in BUILT},
           "missing": int(sum(e is None for e in entries))}
    for source in SOURCES:
        mols = refs if source == "b3lyp" else [molecule_of(e, source, ref) for e, ref in zip(entries, refs)]
        keep = [i for i, m in enumerate(mols) if m is not None]
        mean, spread = np.full((n, k), np.nan), np.full((n, k), np.nan)
        if keep:
            t0 = time.perf_counter()
            pred = predictor.predict([mols[i] for i in keep])
            out.setdefault("predict_s", {})[source] = (time.perf_counter() - t0) / len(keep)
            mean[keep], spread[keep] = pred.mean, pred.spread
        out[source] = (mean, spread)
    return out


# --------------------------------------------------------------------------------------- report

def evaluate(predictor, card: dict, val: dict, test: dict) -> dict:
    from hohenberg.models.calibration import SigmaCalibration, fit_sigma_calibration, within
    from hohenberg.models.metrics import report_unit

    targets = predictor.targets
    base = {t: SigmaCalibration(**card["calibration"][t]) for t in targets}
    # one set of molecules for every source: those each source could build
    common = np.all([np.isfinite(test[s][0][:, 0]) for s in SOURCES], axis=0)
    common_val = np.all([np.isfinite(val[s][0][:, 0]) for s in SOURCES], axis=0)
    result = {"n_test": int(common.sum()), "n_val": int(common_val.sum()), "sources": {}, "calibration": {}}
    for source in SOURCES:
        mean, spread = test[source]
        vmean, vspread = val[source]
        rows, cal = {}, {}
        for j, t in enumerate(targets):
            unit, factor = report_unit(t)
            err = mean[common, j] - test["y"][common, j]
            b_err = test["b3lyp"][0][common, j] - test["y"][common, j]
            verr = vmean[common_val, j] - val["y"][common_val, j]
            own = base[t] if source == "b3lyp" else fit_sigma_calibration(verr, vspread[common_val, j])
            cal[t] = own.to_dict()
            s_base, s_own = base[t](spread[common, j]), own(spread[common, j])
            rows[t] = {f"mae_{unit}": float(np.mean(np.abs(err)) * factor),
                       "ratio_to_b3lyp": float(np.mean(np.abs(err)) / np.mean(np.abs(b_err))),
                       "within_1_sigma": within(err, s_own, 1), "within_2_sigma": within(err, s_own, 2),
                       "within_1_sigma_b3lyp_calibration": within(err, s_base, 1),
                       "within_2_sigma_b3lyp_calibration": within(err, s_base, 2),
                       f"median_sigma_{unit}": float(np.median(s_own) * factor),
                       f"median_sigma_b3lyp_calibration_{unit}": float(np.median(s_base) * factor)}
        entry = {"targets": rows}
        if source in BUILT:
            sec = np.concatenate([test["seconds"][source], val["seconds"][source]])
            if source == "xtb":  # an xTB geometry starts from the MMFF94 one: its time includes that
                sec = sec + np.concatenate([test["seconds"]["mmff"], val["seconds"]["mmff"]])
            entry.update({"geometry_s_per_molecule": float(np.nanmean(sec)),
                          "geometry_s_median": float(np.nanmedian(sec)),
                          "failed_test": test["failed"][source], "failed_val": val["failed"][source]})
            result["calibration"][source] = cal
        entry["predict_s_per_molecule"] = test.get("predict_s", {}).get(source, float("nan"))
        result["sources"][source] = entry
    return result


def smiles_rate(table, rows: np.ndarray, n: int) -> dict:
    """Molecules/s of ``load_model("qm9").predict`` on SMILES strings (geometry built inside)."""
    import hohenberg

    model = hohenberg.load_model("qm9")
    smiles = [str(table.text["smiles"][r]) for r in rows[-n:]]  # the last of the subset: not the warm-up
    model.predict(["CCO"], geometry="auto")
    out = {}
    for geometry in ("mmff", "auto"):
        t0 = time.perf_counter()
        model.predict(smiles, geometry=geometry)
        out[geometry] = n / (time.perf_counter() - t0)
    return out


def with_card(card: dict, result: dict, command: str) -> dict:
    """``card`` with the per-source calibration and coverage (weights and their checksums untouched)."""
    card = dict(card)
    card["calibration_by_geometry"] = result["calibration"]
    cov = {}
    for source, entry in result["sources"].items():
        key = "given" if source == "b3lyp" else source
        cov[key] = {t: {k: v for k, v in r.items() if "b3lyp_calibration" not in k}
                    for t, r in entry["targets"].items()}
    card["coverage_by_geometry"] = {
        "molecules": {"test": result["n_test"], "val": result["n_val"]},
        "note": "Test molecules of the standard split (a seeded subset) predicted from each geometry source: given = "
                "QM9's own B3LYP geometries (sigma: the card's calibration); mmff = ETKDG + MMFF94 from QM9's "
                "SMILES; xtb = that relaxed with GFN2-xTB (sigma of these two: calibration_by_geometry, fitted on "
                "validation molecules built the same way). MAE ratios are to given, on the same molecules.",
        "command": command, "sources": cov}
    return card


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = list(result["sources"]["b3lyp"]["targets"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(len(targets))
    for i, (source, color) in enumerate((("mmff", "tab:orange"), ("xtb", "tab:green"))):
        ratios = [result["sources"][source]["targets"][t]["ratio_to_b3lyp"] for t in targets]
        ax1.bar(x + (i - 0.5) * 0.38, ratios, 0.38, label=source, color=color)
    ax1.axhline(1, color="k", lw=0.8)
    ax1.set_xticks(x, targets, rotation=60, ha="right")
    ax1.set_yscale("log")
    ax1.set_ylabel("test MAE / MAE from B3LYP geometry")
    ax1.legend()
    ax1.set_title(f"error from SMILES geometries (n = {result['n_test']})")
    width = 0.25
    for i, (source, color) in enumerate((("b3lyp", "tab:blue"), ("mmff", "tab:orange"), ("xtb", "tab:green"))):
        c1 = [100 * result["sources"][source]["targets"][t]["within_2_sigma"] for t in targets]
        cb = [100 * result["sources"][source]["targets"][t]["within_2_sigma_b3lyp_calibration"] for t in targets]
        ax2.bar(x + (i - 1) * width, c1, width, color=color, label=f"{source}: own calibration")
        if source != "b3lyp":
            ax2.scatter(x + (i - 1) * width, cb, color="k", marker="_", s=60, zorder=3)
    ax2.axhline(95.4, color="k", lw=0.8, ls="--")
    ax2.set_ylim(0, 100)
    ax2.set_xticks(x, targets, rotation=60, ha="right")
    ax2.set_ylabel("% of test errors within 2 sigma")
    ax2.set_title("2-sigma coverage (bars: per-source calibration;\nticks: B3LYP calibration)", fontsize=9)
    ax2.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", required=True, help="QM9 table (.npz) from `hohenberg data qm9`")
    p.add_argument("--n-test", type=int, default=2000, help="test molecules (seeded subset of the test split)")
    p.add_argument("--n-val", type=int, default=2000, help="validation molecules for the per-source calibration")
    p.add_argument("--seed", type=int, default=0, help="seed of the subsets (the split itself is QM9's standard one)")
    p.add_argument("--cache", type=Path, default=Path("runs/smiles-geometry"), help="geometry cache folder")
    p.add_argument("--build-only", action="store_true", help="build the geometries and exit")
    p.add_argument("--no-build", action="store_true", help="report on what the cache holds now")
    p.add_argument("--diagnose", type=int, default=300,
                   help="test molecules whose B3LYP geometry is also relaxed by GFN2-xTB (0: skip)")
    p.add_argument("--speed-n", type=int, default=200, help="SMILES for the predict-from-SMILES rate (0: skip)")
    p.add_argument("--write-card", action="store_true", help="write the per-source calibration into the shipped card")
    p.add_argument("--out", type=Path, default=NOTES, help="folder for smiles-geometry.{csv,json,png}")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    from hohenberg.datasets.splits import split_table, subset
    from hohenberg.molecules.table import MoleculeTable

    table = MoleculeTable.load(args.table)
    split = split_table(table, "standard", 0)
    rows = {"test": subset(split["test"], args.n_test, args.seed), "val": subset(split["val"], args.n_val, args.seed)}
    if not args.no_build:
        try:
            build(table, rows, args.cache)
            if args.diagnose:
                build_diagnostic(table, rows["test"][: args.diagnose], args.cache)
        except KeyboardInterrupt:
            log("interrupted: every molecule built so far is cached; rerun the same command to go on")
            raise SystemExit(130) from None
    if args.build_only:
        return
    report(args, table, rows)


def report(args, table, rows) -> None:
    import hohenberg
    from hohenberg.cli.output import print_json, print_table
    from hohenberg.fileio import atomic_write, write_json
    from hohenberg.graph.ship import model_card_markdown
    from hohenberg.pretrained import shipped_dir

    model = hohenberg.load_model("qm9")
    predictor = model.predictor
    log("predicting validation molecules")
    val = predict_sources(predictor, table, "val", rows["val"], args.cache)
    log("predicting test molecules")
    test = predict_sources(predictor, table, "test", rows["test"], args.cache)
    card = json.loads((shipped_dir("qm9") / "card.json").read_text())
    result = evaluate(predictor, card, val, test)
    result["missing_from_cache"] = {"test": test["missing"], "val": val["missing"]}
    if args.diagnose:
        result["xtb_from_b3lyp"] = diagnostic(predictor, table, rows["test"][: args.diagnose], test, rows["test"],
                                              args.cache)
    if args.speed_n:
        log(f"predict from SMILES: {args.speed_n} molecules")
        result["predict_from_smiles_molecules_per_s"] = smiles_rate(table, rows["test"], args.speed_n)
    command = " ".join(["benchmarks/smiles_geometry.py"] + sys.argv[1:])
    result["command"] = command
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "smiles-geometry.json", result)
    lines = ["source,target,unit,mae,ratio_to_b3lyp,within_1_sigma,within_2_sigma,"
             "within_1_sigma_b3lyp_calibration,within_2_sigma_b3lyp_calibration"]
    for source, entry in result["sources"].items():
        for t, r in entry["targets"].items():
            unit = next(k[4:] for k in r if k.startswith("mae_"))
            lines.append(f"{source},{t},{unit},{r[f'mae_{unit}']:.6g},{r['ratio_to_b3lyp']:.4f},"
                         f"{r['within_1_sigma']:.4f},{r['within_2_sigma']:.4f},"
                         f"{r['within_1_sigma_b3lyp_calibration']:.4f},{r['within_2_sigma_b3lyp_calibration']:.4f}")
    atomic_write(args.out / "smiles-geometry.csv", "\n".join(lines) + "\n")
    plot(result, args.out / "smiles-geometry.png")
    if args.write_card:
        card_dir = shipped_dir("qm9")
        new = with_card(card, result, command)
        atomic_write(card_dir / "card.json", json.dumps(new, indent=2))
        atomic_write(card_dir / "MODEL_CARD.md", model_card_markdown(new))
    if args.json:
        print_json(result)
        return
    targets = list(result["sources"]["b3lyp"]["targets"])
    mae_rows, cov_rows = [], []
    for t in targets:
        r = {s: result["sources"][s]["targets"][t] for s in SOURCES}
        unit = next(k[4:] for k in r["b3lyp"] if k.startswith("mae_"))
        mae_rows.append((t, unit, *(r[s][f"mae_{unit}"] for s in SOURCES), r["mmff"]["ratio_to_b3lyp"],
                         r["xtb"]["ratio_to_b3lyp"]))
        cov_rows.append((t, *(f"{100 * r[s]['within_1_sigma']:.1f} / {100 * r[s]['within_2_sigma']:.1f}" for s in SOURCES),
                         *(f"{100 * r[s]['within_1_sigma_b3lyp_calibration']:.1f} / "
                           f"{100 * r[s]['within_2_sigma_b3lyp_calibration']:.1f}" for s in BUILT)))
    print_table(f"MAE on QM9 test molecules (n = {result['n_test']}), ratio to the B3LYP geometry",
                ["target", "unit", "b3lyp", "mmff", "xtb", "mmff / b3lyp", "xtb / b3lyp"], mae_rows)
    print_table(f"% of errors within 1 / 2 sigma (per-source calibration fitted on n = {result['n_val']} val)",
                ["target", "b3lyp", "mmff", "xtb", "mmff, B3LYP cal.", "xtb, B3LYP cal."], cov_rows)
    srcs = result["sources"]
    print_table("time per molecule", ["source", "geometry s", "predict s", "failed (test/val)"],
                [(s, srcs[s].get("geometry_s_per_molecule", 0.0), srcs[s]["predict_s_per_molecule"],
                  f"{srcs[s].get('failed_test', 0)}/{srcs[s].get('failed_val', 0)}") for s in SOURCES])
    diag = result.get("xtb_from_b3lyp", {})
    if diag:
        print_table(f"diagnostic: MAE / MAE from B3LYP geometry, {diag['molecules']} test molecules",
                    ["target", "QM9 geometry + GFN2-xTB", "SMILES + MMFF94 + GFN2-xTB"],
                    [(t, r["ratio_to_b3lyp"], r["xtb_from_smiles_ratio_to_b3lyp"]) for t, r in diag["targets"].items()])
    if "predict_from_smiles_molecules_per_s" in result:
        print("predict from SMILES, molecules/s: " + ", ".join(
            f"{k} {v:.2f}" for k, v in result["predict_from_smiles_molecules_per_s"].items()))


if __name__ == "__main__":
    main()
