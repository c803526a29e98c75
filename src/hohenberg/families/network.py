"""The graphs-of-graphs families: pair models (the change y(B) - y(A) across ``A>>B``;
``hohenberg train pairs``) and network models (molecules of a network; ``hohenberg train network``)."""

from __future__ import annotations

import json
from pathlib import Path

from hohenberg.errors import InputError
from hohenberg.families.base import Prediction, Predictor
from hohenberg.manifest import Manifest, split_summary, target_entries


def train_pairs(*args, **kwargs):
    from hohenberg.network.run import train_pairs as run

    return run(*args, **kwargs)


def train_network(*args, **kwargs):
    from hohenberg.network.run import train_network as run

    return run(*args, **kwargs)


def legacy_manifest(model_dir: Path, kind: str) -> Manifest:
    from hohenberg.network.run import manifest_provenance

    info = json.loads((model_dir / "model.json").read_text())
    targets = info.get("targets", [])
    return Manifest(kind=kind, targets=target_entries([f"delta_{t}" for t in targets] if kind == "pairs" else targets),
                    split=split_summary(model_dir), provenance=manifest_provenance(info),
                    card={"metrics": {"test_errors": info.get("test_errors", {})}})


class _GraphOfGraphsPredictor(Predictor):
    EVALUATE_OPTIONS = frozenset({"table", "cache"})

    def __init__(self, path, manifest: Manifest, name: str = "", verify: bool = True):
        super().__init__(path, manifest, name)

    def _evaluate(self, data: Path, split: str = "test", out=None, table=None, cache=None) -> dict:
        from hohenberg.fileio import write_json
        from hohenberg.molecules.table import MoleculeTable
        from hohenberg.network.build import NetworkData, is_network_file
        from hohenberg.network.run import evaluate_network, evaluate_pairs

        if table is None:
            raise InputError(self.path, f"a {self.kind} model is evaluated on a network with the table it was "
                                        "built from: table must be given")
        if not is_network_file(data):
            raise InputError(data, "not a network file (build one with `hohenberg data network`)")
        net, tab = NetworkData.load(data), MoleculeTable.load(table)
        fn = evaluate_pairs if self.kind == "pairs" else evaluate_network
        payload = {"model_dir": str(self.path), "network": str(data), "table": str(table),
                   **fn(self.path, net, tab, split, cache, table)}
        n = payload.get("n_pairs", payload.get("n_molecules"))
        payload["title"] = f"{payload.get('pair_model', 'network')} model on {Path(data).name} ({split}, n={n})"
        if out is not None:
            write_json(Path(out) / "evaluation.json", payload)
        return payload

    def _answer(self, payload: dict, records: list[dict], columns: tuple[str, ...]) -> Prediction:
        for r in records:
            r.setdefault("warnings", [])
        notes = [] if payload["ensemble"] >= 2 else ["single-member model: no uncertainty (train an ensemble of at "
                                                    "least 2 members)"]
        info = {k: v for k, v in payload.items() if k not in ("pairs", "molecules", "model_dir")}
        return Prediction(records, columns, {"model": self.name, "kind": self.kind, **info, "warnings": notes})


class PairsPredictor(_GraphOfGraphsPredictor):
    """``predict(["A>>B", ...])``: the change of each target from A to B, with the ensemble's spread."""

    kind = "pairs"

    def _predict(self, inputs: list) -> Prediction:
        from hohenberg.network.run import predict_pairs

        payload = predict_pairs(self.path, [str(i) for i in inputs])
        answer = self._answer(payload, payload["pairs"], tuple(f"delta_{t}" for t in payload["targets"]))
        answer.records_key = "pairs"
        return answer


class NetworkPredictor(_GraphOfGraphsPredictor):
    """``predict([id or SMILES of a network molecule, ...])`` (transductive: its own nodes)."""

    kind = "network"

    def _predict(self, inputs: list) -> Prediction:
        from hohenberg.network.run import predict_network

        payload = predict_network(self.path, [str(i) for i in inputs])
        return self._answer(payload, payload["molecules"], tuple(payload["targets"]))


PREDICTORS = {"pairs": PairsPredictor, "network": NetworkPredictor}
