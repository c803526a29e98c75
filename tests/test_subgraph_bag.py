"""Bag of rooted subgraphs (Morgan environments) and the supervised topic model over it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from hohenberg.subgraph.bag import SubgraphBag, SubgraphTopicRegressor
from subgraph_helpers import SMILES


def test_counts_and_vocabulary():
    bag = SubgraphBag(radius=1).fit(["CCO", "CCC"])
    X = bag.transform(["CCO", "CCC", "CO"]).toarray()
    names = list(bag.get_feature_names_out())
    col = {n: j for j, n in enumerate(names)}
    # Radius 0: atom invariants; CCC has two methyls and one CH2.
    assert X[1, col["r0:[CH3;D1]"]] == 2
    assert X[1, col["r0:[CH2;D2]"]] == 1
    assert X[0, col["r0:[OH1;D1]"]] == 1
    # Radius 1: the CH2 of propane seen from the centre.
    assert X[1, col["r1:[CH2]([CH3])[CH3]"]] == 1
    # Atoms in each molecule = sum of its radius-0 counts (every atom has one environment).
    r0 = [j for n, j in col.items() if n.startswith("r0:")]
    assert X[:2][:, r0].sum(axis=1).tolist() == [3, 3]
    # CO shares only the methanol-like atoms with the vocabulary: unseen environments are dropped.
    assert X[2].sum() < 4
    assert len(set(names)) == len(names)


def test_bag_in_a_pipeline_fits_a_count_target():
    from rdkit import Chem

    y = np.array([sum(a.GetAtomicNum() == 8 for a in Chem.MolFromSmiles(s).GetAtoms()) for s in SMILES], float)
    # The O count is a sum of radius-0 counts, so least squares fits it exactly ...
    X = SubgraphBag(radius=0).fit_transform(SMILES).toarray()
    w, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)
    assert np.abs(np.column_stack([X, np.ones(len(y))]) @ w - y).max() < 1e-8
    # ... and the transformer works inside a scikit-learn pipeline.
    pipe = make_pipeline(SubgraphBag(radius=0), Ridge(alpha=1e-3)).fit(SMILES, y)
    assert np.abs(pipe.predict(SMILES) - y).max() < 0.1
    assert clone(pipe).get_params()["subgraphbag__radius"] == 0


def test_topic_regressor_learns_and_round_trips():
    y = np.array([1.0 * ("c" in s) + 0.1 * len(s) for s in SMILES])
    model = SubgraphTopicRegressor(n_topics=3, min_df=1, iterations=300, seed=1).fit(SMILES, y)
    pred = model.predict(SMILES)
    assert np.corrcoef(pred, y)[0, 1] > 0.6
    topics = model.topics(5)
    assert len(topics) == 3 and all(len(t["subgraphs"]) == 5 for t in topics)
    assert all(isinstance(name, str) and name[:2] in ("r0", "r1", "r2") for t in topics for name, _ in t["subgraphs"])
    state = json.loads(json.dumps(model.state_dict()))
    twin = SubgraphTopicRegressor(**model.get_params()).load_state(state)
    np.testing.assert_allclose(twin.predict(SMILES), pred, atol=1e-6)
    with pytest.raises(TypeError):
        SubgraphBag().fit([object()])
