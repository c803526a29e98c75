"""Turn a trained model directory into a model that ships: weights, calibration, model card.

:func:`package_model` measures the ensemble on the model's own validation split (which fits
the sigma calibration) and test split (MAE per target, and the fraction of errors within 1 and
2 calibrated sigma), copies the member files, and writes ``card.json`` (machine-readable: what
:class:`~hohenberg.graph.predictor.EnsemblePredictor` reads, with the SHA-256 of every weight
file) and ``MODEL_CARD.md`` (the same for people).  It also writes a fixed slice of the test
split as a small table, and the card records the model's MAE on that slice computed through the
prediction path (molecules in, graphs built on the fly), so that a test can recompute it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from hohenberg.fileio import atomic_write, sha256_of
from hohenberg.graph.domain import QM9_GEOMETRY, Domain
from hohenberg.graph.predictor import CARD, EnsemblePredictor
from hohenberg.manifest import write_manifest
from hohenberg.models.calibration import fit_sigma_calibration, within
from hohenberg.models.metrics import error_summary, regression_errors, report_unit
from hohenberg.molecules.table import MoleculeTable
from hohenberg.units import unit_of

ENERGY_NOTE = ("U0, U, H and G are total energies of the molecule in eV (QM9's B3LYP/6-31G(2df,p) values, "
               "not atomization energies): U0 is the internal energy at 0 K and includes the zero-point "
               "vibrational energy; U, H and G are at 298.15 K. `hohenberg qc run` reports the electronic "
               "(SCF) energy without zero-point energy. Atomization energies: subtract QM9's free-atom "
               "references (hohenberg.datasets.qm9.atomization).")


def _rows_and_graphs(table: MoleculeTable, provenance: dict, cutoff: float, cache_dir: str | Path | None):
    from hohenberg.graph.dataset import table_graphs
    from hohenberg.graph.run import GraphRunConfig, split_rows

    sizes = provenance.get("split_sizes", {})
    run = GraphRunConfig(n_train=sizes.get("train"), n_val=sizes.get("val"), n_test=sizes.get("test"),
                         split_seed=provenance.get("split_seed", 0))
    rows = split_rows(table, run)
    return rows, lambda r: table_graphs(table, r, cutoff, cache_dir)[0]


def package_model(model_dir: str | Path, table: MoleculeTable, dest: str | Path, *, command: str,
                  hardware: str, name: str = "qm9", cache_dir: str | Path | None = None,
                  slice_path: str | Path | None = None, slice_size: int = 200, log=lambda s: None) -> dict:
    """Measure, calibrate and copy the model in ``model_dir`` to ``dest`` (see module docstring)."""
    from hohenberg.graph.inference import predict_ensemble, views_needed
    from hohenberg.training.checkpoint import load_model_file, member_files

    model_dir, dest = Path(model_dir), Path(dest)
    predictor = EnsemblePredictor.load(model_dir, verify=False)
    cfg, targets = predictor.config, predictor.targets
    files = member_files(model_dir, "hohenberg train graph")
    provs = [load_model_file(f).provenance for f in files]
    rows, graphs = _rows_and_graphs(table, provs[0], cfg.cutoff, cache_dir)

    measured, member_mae = {}, []
    for split in ("val", "test"):
        log(f"predicting the {split} split ({len(rows[split])} molecules)")
        ds = graphs(rows[split]).select(cfg.features, targets, views_needed(cfg), cfg.elements)
        pred = predict_ensemble(predictor.members, ds)
        measured[split] = (ds._data.y.numpy(), pred["mean"], pred["std"])
    y_test = measured["test"][0]
    for member in predictor.members:  # each member alone: what one model of this budget reaches
        alone = predict_ensemble([member], ds)["mean"]
        member_mae.append({t: error_summary(t, y_test[:, j], alone[:, j]) for j, t in enumerate(targets)})

    y_val, mu_val, s_val = measured["val"]
    y, mu, s = measured["test"]
    calibration, test, coverage = {}, {}, {}
    for j, t in enumerate(targets):
        cal = fit_sigma_calibration(mu_val[:, j] - y_val[:, j], s_val[:, j])
        calibration[t] = cal.to_dict()
        err, sigma = mu[:, j] - y[:, j], cal(s[:, j])
        test[t] = error_summary(t, y[:, j], mu[:, j])
        unit, factor = report_unit(t)
        coverage[t] = {"within_1_sigma": within(err, sigma, 1), "within_2_sigma": within(err, sigma, 2),
                       "raw_spread_within_1": within(err, s[:, j], 1), "raw_spread_within_2": within(err, s[:, j], 2),
                       f"median_sigma_{unit}": float(np.median(sigma) * factor)}

    dest.mkdir(parents=True, exist_ok=True)
    sha = {}
    for f in files:
        shutil.copyfile(f, dest / f.name)
        sha[f.name] = sha256_of(dest / f.name)
    fits = [p["fit"] for p in provs]
    card = {
        "name": name,
        "model": cfg.to_dict(),
        "members": len(files),
        "data": {"set": "QM9 (Ramakrishnan et al., Sci. Data 1, 140022, 2014)",
                 "level": "B3LYP/6-31G(2df,p) geometries and properties",
                 "molecules": int(sum(len(r) for r in rows.values())),
                 "source": provs[0].get("table_meta", {}).get("source", "")},
        "split": {"kind": "standard split: seeded random permutation of the characterized molecules in QM9 order",
                  "seed": provs[0].get("split_seed", 0), "sizes": {k: int(len(v)) for k, v in rows.items()}},
        "targets": {t: unit_of(t) for t in targets},
        "test_mae": {t: {k: v for k, v in e.items()} for t, e in test.items()},
        "member_test_mae": member_mae,
        "test_coverage": coverage,
        "calibration": calibration,
        "calibration_method": "sigma = sqrt((a * ensemble spread)^2 + b^2) per target, a and b fitted on the "
                              "validation split so that 68.3 % / 95.4 % of its errors lie within 1 / 2 sigma",
        "domain": Domain(geometry=QM9_GEOMETRY).to_dict(),
        "energies": ENERGY_NOTE,
        "budget": {"hardware": hardware, "members": len(fits),
                   "wall_s_per_member": [f["wall_s"] for f in fits], "epochs_per_member": [f["epochs"] for f in fits],
                   "cpu_hours": round(sum(f["wall_s"] for f in fits) / 3600, 2),
                   "train_molecules_per_s": [f["train_molecules_per_s"] for f in fits]},
        "train_config": provs[0].get("train_config", {}),
        "command": command,
        "sha256": sha,
    }
    if slice_path is not None:
        card["test_slice"] = _test_slice(predictor, table, rows["test"][:slice_size], slice_path)
    atomic_write(dest / CARD, json.dumps(card, indent=2))
    atomic_write(dest / "MODEL_CARD.md", model_card_markdown(card))
    write_manifest(dest, "graph", targets, domain=card["domain"], provenance=provs[0], split=card["split"],
                   card={"name": name, "metrics": {"test_errors": test, "test_coverage": coverage},
                         "budget": json.dumps(card["budget"]), "hardware": hardware, "command": command})
    return card


def _test_slice(predictor: EnsemblePredictor, table: MoleculeTable, rows: np.ndarray, path: str | Path) -> dict:
    """Write the slice as a table and return the model's MAE on it through :meth:`predict`."""
    sub = table.take(rows)
    sub.save(path)
    mols = list(MoleculeTable.load(path))  # exactly what a test will read back
    pred = predictor.predict(mols)
    mae = {t: regression_errors(sub.properties[t], pred.mean[:, j], "target_unit")["mae_target_unit"]
           for j, t in enumerate(predictor.targets)}
    return {"file": Path(path).name, "molecules": int(len(rows)),
            "rows": "the first molecules of the test split, in split order", "mae_target_unit": mae}


def model_card_markdown(card: dict) -> str:
    """The model card for people: the same numbers as ``card.json``."""
    b = card["budget"]
    lines = [f"# Model card: `{card['name']}`", "",
             f"**Model.** {card['model']['model']} on the {'+'.join(card['model']['views'])} view, "
             f"{card['model']['features']} atom features, width {card['model']['hidden']}, "
             f"{card['model']['layers']} layers"
             + (", bond lengths" if card['model'].get('bond_lengths') else "")
             + (", radial environment" if card['model'].get('environment') else "")
             + (", atom-wise readout of extensive targets" if card['model'].get('extensive_readout') == 'atomwise' else "")
             + f"; ensemble of {card['members']} members (seeds differ).", "",
             f"**Data.** {card['data']['set']}; {card['data']['level']}; {card['data']['molecules']:,} molecules.", "",
             f"**Split.** {card['split']['kind']} (seed {card['split']['seed']}): "
             + " / ".join(f"{k} {v:,}" for k, v in card['split']['sizes'].items()) + ".", "",
             f"**Training budget.** {b['hardware']}; {b['members']} members x "
             f"{max(b['wall_s_per_member']) / 60:.0f} min ({b['cpu_hours']} CPU-hours in all), "
             f"{max(b['epochs_per_member'])} epochs each.", "",
             f"**Command.** `{card['command']}`", "",
             "**Test MAE and calibration** (test split; sigma calibrated on the validation split):", "",
             "| target | unit | MAE | RMSE | within 1 sigma | within 2 sigma | raw spread within 1 / 2 |",
             "|---|---|---|---|---|---|---|"]
    for t, e in card["test_mae"].items():
        unit = next(k[4:] for k in e if k.startswith("mae_"))
        c = card["test_coverage"][t]
        lines.append(f"| {t} | {unit} | {e[f'mae_{unit}']:.4g} | {e[f'rmse_{unit}']:.4g} | "
                     f"{100 * c['within_1_sigma']:.1f} % | {100 * c['within_2_sigma']:.1f} % | "
                     f"{100 * c['raw_spread_within_1']:.1f} / {100 * c['raw_spread_within_2']:.1f} % |")
    lines += _by_geometry_lines(card)
    lines += ["", f"**Calibration.** {card['calibration_method']}.", "",
              f"**Energies.** {card['energies']}", "",
              f"**Domain.** {card['domain']['description']}. Other elements are refused; larger, charged or "
              "open-shell molecules are answered with a warning.", "",
              "**Checksums (SHA-256).**", ""]
    lines += [f"- `{k}`: `{v}`" for k, v in card["sha256"].items()]
    return "\n".join(lines) + "\n"


def _by_geometry_lines(card: dict) -> list[str]:
    """The card's per-geometry-source table (test MAE, its ratio to given geometries, coverage)."""
    by = card.get("coverage_by_geometry")
    if not by:
        return []
    lines = ["", f"**By geometry source** ({by['molecules']['test']:,} test and {by['molecules']['val']:,} "
                 f"validation molecules). {by['note']}", "",
             "| target | unit | " + " | ".join(f"{s}: MAE (x given) | {s}: within 1 / 2 sigma" for s in by["sources"])
             + " |", "|---|---|" + "---|---|" * len(by["sources"])]
    first = next(iter(by["sources"].values()))
    for t in first:
        unit = next(k[4:] for k in first[t] if k.startswith("mae_"))
        cells = []
        for rows in by["sources"].values():
            r = rows[t]
            cells += [f"{r[f'mae_{unit}']:.4g} (x{r['ratio_to_b3lyp']:.2f})",
                      f"{100 * r['within_1_sigma']:.1f} / {100 * r['within_2_sigma']:.1f} %"]
        lines.append(f"| {t} | {unit} | " + " | ".join(cells) + " |")
    return lines
