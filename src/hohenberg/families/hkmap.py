"""The Hohenberg-Kohn map family: promolecule -> SCF density (``hohenberg train hkmap``; the shipped ``hkmap``).

What a map answers per molecule is a density on a grid (:meth:`HKMapPredictor.density`); its
``predict`` table gives what a user checks first: the electrons on the grid and the dipole of
the predicted density."""

from __future__ import annotations

from pathlib import Path

from hohenberg.families.base import Prediction, Predictor, molecule_record, molecules_of, prepare_inputs, with_failures
from hohenberg.families.volumetric import legacy_manifest
from hohenberg.manifest import Manifest

COLUMNS = ("grid_electrons_e", "mu_D")


def train(*args, **kwargs):
    """:func:`hohenberg.hkmap.run.train_hkmap` (writes the directory and its manifest)."""
    from hohenberg.hkmap.run import train_hkmap

    return train_hkmap(*args, **kwargs)


class HKMapPredictor(Predictor):
    kind = "hkmap"
    PREDICT_OPTIONS = frozenset({"symmetries", "geometry"})

    def __init__(self, path, manifest: Manifest, name: str = "", verify: bool = True):
        from hohenberg.hkmap.run import load_hkmap

        super().__init__(path, manifest, name)
        self.model, self.provenance = load_hkmap(self.path)

    def density(self, molecule, symmetries: int = 1) -> tuple:
        """``(grid, rho e/bohr^3, promolecule, report)`` of one molecule (no SCF)."""
        from hohenberg.hkmap.run import density_report

        return density_report(self.model, molecule, symmetries)

    def _predict(self, inputs: list, symmetries: int = 1, geometry: str = "auto") -> Prediction:
        prepared = prepare_inputs(inputs, geometry)
        records = []
        for mol in molecules_of(prepared):
            report = self.density(mol, symmetries)[3]
            records.append({**molecule_record(mol), "electrons_e": report["electrons"],
                            "grid_electrons_e": report["voxel_sum_electrons"], "mu_D": report["mu_D"],
                            **{f"{c}_std": float("nan") for c in COLUMNS}, "warnings": []})
        info = {"model": self.name, "kind": self.kind, "model_type": "Hohenberg-Kohn map",
                "trained_level": self.provenance.get("store_config", {}).get("level"), "symmetries": symmetries,
                "uncertainty": "none (one model)", "warnings": []}
        return Prediction(with_failures(prepared, records, COLUMNS), COLUMNS, info)

    def _evaluate(self, data: Path, split: str = "test", out=None) -> dict:
        from hohenberg.hkmap.run import evaluate_split

        summary = {"model_dir": str(self.path), "store": str(data), **evaluate_split(self.path, data, split, out)}
        n, p = summary["test_nmae_percent"], summary["promolecule_nmae_percent"]
        summary["title"] = f"Hohenberg-Kohn map on {data} ({split}, n={summary['n_test']})"
        summary["summary_table"] = {"columns": ["", "model", "promolecule"],
                            "rows": [["NMAE mean (%)", n["mean"], p["mean"]],
                                     ["NMAE median (%)", n["median"], p["median"]]]}
        return summary


PREDICTORS = {"hkmap": HKMapPredictor}
__all__ = ["HKMapPredictor", "PREDICTORS", "legacy_manifest", "train"]
