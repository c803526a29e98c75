"""The end-to-end demo behind ``make demo``: QM9 in, summary and first baseline out.

It grows with every capability: each step writes machine-readable JSON beside any figure under
the output folder, and ``report.md`` links them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from hohenberg.datasets import qm9
from hohenberg.datasets.statistics import target_statistics
from hohenberg.fileio import atomic_write
from hohenberg.models.metrics import report_unit, target_label
from hohenberg.molecules.table import MoleculeTable
from hohenberg.reports.figures import parity_grid
from hohenberg.training.baseline import run_baseline


def run_demo(out: Path, source: Path | None = None, log=print) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    table_path = out / "qm9.npz"
    t0 = time.perf_counter()
    wanted = str(qm9.detect_source(source).path)
    table = MoleculeTable.load(table_path) if table_path.exists() else None
    if table is not None and table.meta.get("source") == wanted:  # resume: the table is the slow step
        log(f"[1/5] reusing {table_path} ({len(table)} molecules)")
    else:
        log(f"[1/5] reading QM9 from {source or 'the installed qm9pack package'} ...")
        table = qm9.ingest(source)
        table.save(table_path)
    ingest_s = time.perf_counter() - t0
    stats = target_statistics(table, qm9.TARGETS)
    info = {"molecules": len(table), "atoms": int(table.offsets[-1]), "source_kind": table.meta["source_kind"],
            "uncharacterized": int(table.properties["uncharacterized"].sum()), "targets": stats,
            "ingest_or_load_time_s": round(ingest_s, 2)}
    atomic_write(out / "info.json", json.dumps(info, indent=2))
    log(f"[2/5] {len(table)} molecules, {info['atoms']} atoms; statistics in {out / 'info.json'}")

    result = run_baseline(table, qm9.TARGETS)
    atomic_write(out / "baseline.json", json.dumps(result.to_json(), indent=2))
    parity_grid(out / "baseline_parity.png",
                {target_label(t): (*result.predictions[t], report_unit(t)[0]) for t in qm9.TARGETS},
                title=f"per-element linear baseline, QM9 test split (n={result.split_sizes['test']})")
    log(f"[3/5] baseline fitted on {result.split_sizes['train']} molecules, tested on {result.split_sizes['test']}")

    qc = qc_step(table, out)
    log(f"[4/5] {qc['molecule']} at {qc['level']}: HOMO {qc['homo_eV']:.4f} eV (QM9 {qc['qm9_homo_eV']:.4f}), "
        f"dipole {qc['mu_D']:.4f} D (QM9 {qc['qm9_mu_D']:.4f}); density slices in {out / 'density_slices.png'}")

    lines = ["# Hohenberg demo report", "",
             f"QM9: {len(table)} molecules from `{table.meta['source_kind']}` ({table.meta['level']}).", "",
             "| target | unit | mean | std | baseline test MAE | baseline unit |", "|---|---|---|---|---|---|"]
    for t in qm9.TARGETS:
        unit = report_unit(t)[0]
        s = stats[t]
        lines.append(f"| {target_label(t)} | {s['unit']} | {s['mean']:.4g} | {s['std']:.4g} | "
                     f"{result.errors[t][f'mae_{unit}']:.4g} | {unit} |")
    lines += ["", f"Split (seed 0): {result.split_sizes}.", "",
              f"## Quantum chemistry: {qc['molecule']} ({qc['formula']}) at `{qc['level']}`", "",
              "| quantity | ours | QM9 |", "|---|---|---|",
              f"| HOMO (eV) | {qc['homo_eV']:.4f} | {qc['qm9_homo_eV']:.4f} |",
              f"| LUMO (eV) | {qc['lumo_eV']:.4f} | {qc['qm9_lumo_eV']:.4f} |",
              f"| dipole (D) | {qc['mu_D']:.4f} | {qc['qm9_mu_D']:.4f} |", "",
              f"Density on {qc['grid']} points: Becke-grid electrons {qc['becke_electrons']:.5f} "
              f"(of {qc['electrons']}), voxel sum {qc['voxel_sum_electrons']:.3f}, deformation density "
              f"(DFT - promolecule) integrates to {qc['deformation_electrons']:+.4f}.", "",
              "Files: `qm9.npz` (table), `info.json`, `baseline.json`, `baseline_parity.png`, `qc.json`, "
              "`density.cube`, `promolecule.cube`, `density_slices.png`."]
    shipped = shipped_model_step(table, out)
    log(f"[5/5] the shipped QM9 model on {len(shipped['molecules'])} test molecules "
        f"({', '.join(m['name'] for m in shipped['molecules'])}); in {out / 'shipped_model.json'}")
    lines += ["", "## The shipped QM9 model on named test molecules", "",
              f"`hohenberg.load_model(\"qm9\")`, no training: {shipped['model']}. QM9's own (B3LYP) geometries; "
              "prediction ± calibrated sigma beside the QM9 value.", "",
              "| molecule | SMILES | " + " | ".join(f"{target_label(t)} ({t.rsplit('_', 1)[1]})" for t in DEMO_TARGETS)
              + " |", "|---|---|" + "---|" * len(DEMO_TARGETS)]
    for m in shipped["molecules"]:
        cells = [f"{m[t]:.3f} ± {m[t + '_std']:.3f} (QM9 {m['qm9'][t]:.3f})" for t in DEMO_TARGETS]
        lines.append(f"| {m['name']} | `{m['smiles']}` | " + " | ".join(cells) + " |")
    lines += ["", shipped["energies"]]
    atomic_write(out / "report.md", "\n".join(lines) + "\n")
    return {"info": info, "baseline": result.to_json(), "qc": qc, "shipped": shipped}


NAMED = {"ethanol": "CCO", "acetone": "CC(C)=O", "benzene": "c1ccccc1", "pyridine": "c1ccncc1",
         "acetic acid": "CC(=O)O", "urea": "NC(N)=O", "formamide": "NC=O", "acetonitrile": "CC#N",
         "methanol": "CO", "phenol": "Oc1ccccc1", "toluene": "Cc1ccccc1", "furan": "c1ccoc1",
         "pyrrole": "c1cc[nH]c1", "glycine": "NCC(=O)O", "acetaldehyde": "CC=O", "propane": "CCC",
         "aniline": "Nc1ccccc1", "pyrimidine": "c1cncnc1", "imidazole": "c1c[nH]cn1", "oxazole": "c1cocn1",
         "cyclohexane": "C1CCCCC1", "dimethyl ether": "COC", "propanal": "CCC=O", "butane": "CCCC",
         "acetamide": "CC(N)=O", "methylamine": "CN", "ethylene glycol": "OCCO", "propyne": "CC#C",
         "pyrazine": "c1cnccn1", "benzaldehyde": "O=Cc1ccccc1", "isoxazole": "c1cnoc1", "2-butanone": "CCC(C)=O"}
DEMO_TARGETS = ("homo_eV", "lumo_eV", "gap_eV", "U0_eV", "mu_D")


def shipped_model_step(table: MoleculeTable, out: Path, n: int = 5) -> dict:
    """The shipped model on ``n`` molecules of the test split: named ones first (by canonical
    SMILES), then the first others; predictions, calibrated sigmas and QM9's values."""
    from rdkit import Chem, RDLogger

    from hohenberg.families import load_model

    model = load_model("qm9")
    test = qm9.standard_split(table)["test"]
    RDLogger.DisableLog("rdApp.*")
    canon = {Chem.CanonSmiles(smi): name for name, smi in NAMED.items()}
    picked = []
    for row in test:
        smi = str(table.text["smiles"][row]) if "smiles" in table.text else ""
        mol = Chem.MolFromSmiles(smi) if smi else None
        key = Chem.MolToSmiles(mol) if mol is not None else None
        if key in canon and canon[key] not in [p[1] for p in picked]:
            picked.append((row, canon[key]))
        if len(picked) == n:
            break
    RDLogger.EnableLog("rdApp.*")
    taken = {int(row) for row, _ in picked}
    picked += [(row, str(table.ids[row])) for row in test if int(row) not in taken][: n - len(picked)]
    mols = [table[int(row)] for row, _ in picked]
    for m in mols:
        m.info["geometry"] = "QM9's own (B3LYP/6-31G(2df,p))"
    df = model.predict(mols)
    molecules = []
    for (row, name), rec in zip(picked, df.to_dict("records")):
        rec["name"] = name
        rec["qm9_id"] = str(table.ids[row])
        rec["qm9"] = {t: float(table.properties[t][row]) for t in model.targets}
        molecules.append(rec)
    card = model.card
    payload = {"model": f"{card['model']['model']}, ensemble of {card['members']}, trained on "
                        f"{card['split']['sizes']['train']:,} QM9 molecules",
               "energies": card.get("energies", ""), "molecules": molecules}
    atomic_write(out / "shipped_model.json", json.dumps(payload, indent=2))
    return payload


def qc_step(table: MoleculeTable, out: Path, row: int | None = None) -> dict:
    """QM9's level on one small QM9 molecule (water if present): numbers vs QM9, cube files, slices."""
    from hohenberg.grids import grid_for
    from hohenberg.molecules.cube import write_cube
    from hohenberg.qc.density import becke_electron_count, density_on_grid
    from hohenberg.qc.promolecule import promolecule_density
    from hohenberg.qc.scf import run_scf
    from hohenberg.reports.slices import slice_panels

    if row is None:
        water = [i for i, m in enumerate(table.ids) if m == "dsgdb9nsd_000003"]
        row = water[0] if water else int(table.n_atoms.argmin())
    mol = table[row]
    scf = run_scf(mol, "qm9")
    grid = grid_for(mol.positions, 0.2, 48, name=f"molecule {mol.name}")
    rho = density_on_grid(scf, grid)
    pro = promolecule_density(mol.numbers, mol.positions, grid, "qm9")
    write_cube(out / "density.cube", mol, grid, rho.astype(np.float32), comment=f"DFT density, {scf.level.name}")
    write_cube(out / "promolecule.cube", mol, grid, pro.astype(np.float32), comment="promolecule density")
    slice_panels(out / "density_slices.png", {"DFT density (e/bohr^3)": rho, "promolecule": pro,
                                              "DFT - promolecule": rho - pro},
                 title=f"{mol.name} ({mol.formula}), {scf.level.name}, mid plane")
    qc = {"molecule": mol.name, "formula": mol.formula, "level": scf.level.name, "energy_eV": scf.energy_eV,
          "homo_eV": scf.homo_eV, "lumo_eV": scf.lumo_eV, "mu_D": scf.mu_D,
          "qm9_homo_eV": mol.properties["homo_eV"], "qm9_lumo_eV": mol.properties["lumo_eV"],
          "qm9_mu_D": mol.properties["mu_D"], "scf_cycles": scf.n_cycles, "scf_wall_s": scf.wall_s,
          "grid": "x".join(map(str, grid.shape)), "electrons": mol.n_electrons,
          "becke_electrons": becke_electron_count(scf), "voxel_sum_electrons": grid.integrate(rho),
          "deformation_electrons": grid.integrate(rho - pro)}
    atomic_write(out / "qc.json", json.dumps(qc, indent=2))
    return qc
