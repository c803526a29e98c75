"""The scikit-learn contract for the graph-input estimators (molecules in, not arrays, so
``parametrize_with_checks`` does not apply): clone, get/set_params, fit returns self,
NotFittedError before fit, and a JSON save/load round trip that predicts the same."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError

from hohenberg.subgraph.bag import SubgraphTopicRegressor
from hohenberg.subgraph.boost import SubgraphBoostRegressor
from hohenberg.subgraph.persist import model_from_dict, model_to_dict, read_model_dir, save_model
from hohenberg.subgraph.sparse import SparseSubgraphClassifier, SparseSubgraphRegressor
from subgraph_helpers import SMILES

Y = np.array([len(s) for s in SMILES], float) * 0.3 + np.linspace(-0.5, 0.5, len(SMILES))
LABELS = np.where(Y > np.median(Y), "large", "small")

# (estimator, a parameter to change with set_params and its new value, targets)
CASES = [
    (SparseSubgraphRegressor(min_support=3, n_lambdas=4), ("lam_min_ratio", 0.1), Y),
    (SparseSubgraphRegressor(min_support=3, n_lambdas=3, loss="huber", composition=True), ("huber_delta", 0.5), Y),
    (SparseSubgraphClassifier(min_support=3, n_lambdas=3, max_size=3, tol=1e-5), ("lam_min_ratio", 0.1), LABELS),
    (SubgraphBoostRegressor(n_estimators=4, max_depth=2, min_support=3), ("learning_rate", 0.2), Y),
    (SubgraphTopicRegressor(n_topics=3, radius=1, iterations=20), ("n_topics", 4), Y),
]
IDS = ["sparse", "sparse-huber", "sparse-classifier", "boost", "topic"]


@pytest.mark.parametrize("estimator,param,y", CASES, ids=IDS)
def test_graph_estimator_contract(estimator, param, y, tmp_path):
    params = estimator.get_params()
    twin = clone(estimator)
    assert twin.get_params() == params and twin is not estimator
    name, value = param
    assert twin.set_params(**{name: value}) is twin and twin.get_params()[name] == value
    with pytest.raises(NotFittedError):
        estimator.predict(SMILES[:3])
    assert estimator.fit(SMILES, y) is estimator
    assert estimator.get_params() == params  # fit leaves the hyper-parameters alone
    assert not hasattr(clone(estimator), "model_") and not hasattr(clone(estimator), "coef_")
    pred = estimator.predict(SMILES)
    assert pred.shape == (len(SMILES),)

    save_model(estimator, tmp_path)
    loaded, _ = read_model_dir(tmp_path)
    assert type(loaded) is type(estimator) and loaded.get_params() == params
    if isinstance(estimator, SubgraphTopicRegressor):
        # sLDA infers topic mixtures by sampling: a loaded model agrees closely, not exactly
        np.testing.assert_allclose(loaded.predict(SMILES), pred, atol=0.5 * np.std(Y))
    else:
        np.testing.assert_array_equal(loaded.predict(SMILES), pred) if is_classifier(estimator) else \
            np.testing.assert_allclose(loaded.predict(SMILES), pred, rtol=1e-12, atol=1e-12)
    if hasattr(estimator, "coef_path_"):
        assert loaded.coef_path_ == estimator.coef_path_
        np.testing.assert_allclose(loaded.intercept_path_, estimator.intercept_path_)
        np.testing.assert_allclose(loaded.decision_path(SMILES), estimator.decision_path(SMILES), atol=1e-12)


def test_classifier_labels_probabilities_and_accuracy():
    clf = SparseSubgraphClassifier(min_support=3, n_lambdas=3, max_size=3, tol=1e-5).fit(SMILES, LABELS)
    assert is_classifier(clf) and not is_regressor(clf)
    assert list(clf.classes_) == ["large", "small"]
    assert set(clf.predict(SMILES)) <= {"large", "small"}
    proba = clf.predict_proba(SMILES)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert np.array_equal(clf.classes_[proba.argmax(1)], clf.predict(SMILES))
    assert clf.score(SMILES, LABELS) == pytest.approx(np.mean(clf.predict(SMILES) == LABELS))
    with pytest.raises(ValueError, match="two classes"):
        SparseSubgraphClassifier().fit(SMILES, np.arange(len(SMILES)) % 3)


def test_regressor_refuses_the_logistic_loss_and_points_to_the_classifier():
    with pytest.raises(ValueError, match="SparseSubgraphClassifier"):
        SparseSubgraphRegressor(loss="logistic").fit(SMILES, LABELS == "large")
    with pytest.raises(ValueError, match="squared"):
        SparseSubgraphRegressor(loss="bogus").fit(SMILES, Y)


def test_logistic_regressor_files_load_as_classifiers():
    clf = SparseSubgraphClassifier(min_support=3, n_lambdas=3, max_size=3, tol=1e-5).fit(SMILES, (LABELS == "large").astype(int))
    data = model_to_dict(clf)
    data["class"] = "SparseSubgraphRegressor"
    data["params"] = {**data["params"], "loss": "logistic", "huber_delta": 1.0}
    del data["state"]["classes"]
    old = model_from_dict(data)
    assert isinstance(old, SparseSubgraphClassifier)
    np.testing.assert_array_equal(old.predict(SMILES), clf.predict(SMILES))
