"""The volumetric family: 3D CNNs from grids to properties (``hohenberg train volumetric``; the
shipped ``qm9-promolecule-cnn``).  A model whose density channel comes from a Hohenberg-Kohn map
gets the map through :func:`load_density_map`: the two packages meet here, above both."""

from __future__ import annotations

from pathlib import Path

from hohenberg.errors import InputError
from hohenberg.families.base import Prediction, Predictor, molecule_record, molecules_of, prepare_inputs, with_failures
from hohenberg.manifest import Manifest, split_summary, target_entries


def load_density_map(model_dir: str | Path):
    """The Hohenberg-Kohn map of ``model_dir`` (what the volumetric code calls ``load_map``)."""
    from hohenberg.hkmap.run import load_hkmap

    return load_hkmap(model_dir)[0]


def train(store, table, cfg, out_dir, resume: bool = True, log=lambda s: None) -> dict:
    """:func:`hohenberg.volumetric.run.train_volumetric` with the map loader (writes the manifest)."""
    from hohenberg.volumetric.run import train_volumetric

    return train_volumetric(store, table, cfg, out_dir, resume=resume, log=log, load_map=load_density_map)


def evaluate(model_dir, store, table, split: str = "test", tta: int = 1, out=None) -> dict:
    from hohenberg.volumetric.run import evaluate_volumetric

    return evaluate_volumetric(model_dir, store, table, split, tta, out, load_map=load_density_map)


def predict(model_dir, molecules, density: str = "scf", tta: int = 1) -> dict:
    from hohenberg.volumetric.predict import predict_volumetric

    return predict_volumetric(model_dir, molecules, density, tta, load_map=load_density_map)


def grid_card(card: dict) -> dict:
    """The card schema's part of a shipped grid model's ``card.json``."""
    return {k: card[k] for k in ("name", "purpose", "metrics", "budget", "hardware", "command") if card.get(k)}


def legacy_manifest(model_dir: Path, kind: str) -> Manifest:
    """A directory of ``model.pt`` (+ ``model.json`` from training, or a shipped ``card.json``)."""
    from hohenberg.hkmap.run import DENSITY_TARGETS, store_domain
    from hohenberg.training.checkpoint import load_model_file

    saved = load_model_file(model_dir / "model.pt")
    from hohenberg.fileio import read_json

    card = read_json(model_dir / "card.json", "model card")
    targets = DENSITY_TARGETS if kind == "hkmap" else saved.config.get("targets", [])
    return Manifest(kind=kind, targets=target_entries(targets), split=split_summary(model_dir),
                    domain=store_domain(saved.provenance.get("store_config", {})), provenance=saved.provenance,
                    card=grid_card(card))


class VolumetricPredictor(Predictor):
    """Values from a 3D CNN; one model gives no sigma (``_std`` NaN), ``tta`` the spread over
    random orientations (``_rotation_std``, not calibrated)."""

    kind = "volumetric"
    PREDICT_OPTIONS = frozenset({"density", "tta", "geometry"})
    EVALUATE_OPTIONS = frozenset({"table", "tta"})

    def __init__(self, path, manifest: Manifest, name: str = "", verify: bool = True):
        super().__init__(path, manifest, name)

    def _predict(self, inputs: list, density: str = "scf", tta: int = 1, geometry: str = "auto") -> Prediction:
        if tta < 1:
            raise InputError(None, f"tta must be at least 1, not {tta}")
        prepared = prepare_inputs(inputs, geometry)
        mols = molecules_of(prepared)
        res = predict(self.path, mols, density, tta) if mols else None
        if res is None:  # nothing got a geometry: the rows say why
            return Prediction(with_failures(prepared, [], self.targets), self.targets,
                              {"model": self.name, "kind": self.kind, "warnings": []})
        records = []
        for i, mol in enumerate(mols):
            rec = molecule_record(mol)
            for j, t in enumerate(res["targets"]):
                rec[t] = float(res["mean"][i, j])
                rec[f"{t}_std"] = float("nan")
                if tta > 1:
                    rec[f"{t}_rotation_std"] = float(res["std"][i, j])
            rec["warnings"] = []
            records.append(rec)
        info = {"model": self.name, "kind": self.kind, "model_type": "volumetric", "channels": res["channels"],
                "density_source": res["density_source"], "tta": tta,
                "uncertainty": "none (one model); with tta N the spread over N orientations is given "
                               "(_rotation_std), not calibrated", "warnings": []}
        return Prediction(with_failures(prepared, records, res["targets"]), tuple(res["targets"]), info)

    def _evaluate(self, data: Path, split: str = "test", out=None, table=None, tta: int = 1) -> dict:
        from hohenberg.molecules.table import MoleculeTable

        if data.is_file():  # a table: a model whose channels are rendered from the atoms
            table, store = table or data, None
        elif table is None:
            raise InputError(self.path, "a volumetric model is evaluated on a store with the table of its targets: "
                                        "table must be given")
        else:
            store = data
        summary = evaluate(self.path, store, MoleculeTable.load(table), split, tta, out)
        return {"model_dir": str(self.path), "store": str(data), **summary, "errors": summary["test_errors"],
                "title": f"3D CNN on {data} ({split}, n={summary['n_test']}, {tta} rotation(s))"}


PREDICTORS = {"volumetric": VolumetricPredictor}
