"""Inverse design: mutation operator, acquisition functions, Tanimoto kernel, searches on the QM9
fixture with the table oracle, resume without repeated calls, a live gfn2-xtb search, bad input."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch
from scipy.stats import norm

pytest.importorskip("botorch")

from hohenberg.design.acquisition import Goal, acquire, expected_improvement, parse_goal  # noqa: E402
from hohenberg.design.loop import DesignConfig, DesignRun, run_design  # noqa: E402
from hohenberg.design.mutate import is_valid, mutation_pool, neighbours  # noqa: E402
from hohenberg.design.oracle import TableOracle  # noqa: E402
from hohenberg.design.pool import Pool  # noqa: E402
from hohenberg.errors import InputError  # noqa: E402

torch.set_num_threads(1)


# -- mutation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", ["CCO", "c1ccccc1O", "C1CC1C#N", "O=C1NC=CC1", "c1cc[nH]c1", "FC(F)F"])
def test_mutations_are_valid_molecules_within_the_size_limit(seed):
    from rdkit import Chem

    found = neighbours(seed, max_heavy=8)
    assert found, seed
    own = Chem.MolToSmiles(Chem.MolFromSmiles(seed))
    for smi, kind in found.items():
        mol = Chem.MolFromSmiles(smi)
        assert mol is not None and smi != own, (seed, smi, kind)
        assert Chem.MolToSmiles(mol) == smi  # canonical, so a pool holds each molecule once
        assert mol.GetNumAtoms() <= 8 and is_valid(mol, 8)
        assert all(a.GetSymbol() in "CNOF" and a.GetFormalCharge() == 0 for a in mol.GetAtoms())
        assert len(Chem.GetMolFrags(mol)) == 1


def test_mutation_kinds_include_ring_closure_and_opening():
    assert "close" in set(neighbours("CCCCC").values())  # a chain closes to a ring
    opened = neighbours("C1CCCCC1")
    assert "CCCCCC" in opened and opened["CCCCCC"] == "open"
    assert "c1ccncc1" in neighbours("c1ccccc1")  # element change kept aromatic


def test_mutation_pool_is_unique_valid_and_bounded():
    from rdkit import Chem

    pool = mutation_pool(["CCO", "c1ccccc1", "CC(=O)N"], size=300, max_heavy=7, seed=1)
    smiles = [s for s, _ in pool]
    assert len(smiles) == 300 == len(set(smiles))
    assert [o for _, o in pool[:3]] == ["seed"] * 3
    assert all(Chem.MolFromSmiles(s).GetNumAtoms() <= 7 for s in smiles)
    assert pool == mutation_pool(["CCO", "c1ccccc1", "CC(=O)N"], size=300, max_heavy=7, seed=1)  # seeded


# -- acquisition functions ------------------------------------------------------------------------
def test_ei_on_a_toy_1d_pool_picks_the_analytic_maximiser():
    x = np.linspace(0, 1, 201)
    mean = np.sin(6 * x)
    std = 0.05 + 0.3 * x ** 2
    best = 0.8
    z = (mean - best) / std
    ei = (mean - best) * norm.cdf(z) + std * norm.pdf(z)  # closed form, by hand
    assert acquire("ei", Goal("max"), 1, mean, std, observed=[best, 0.1])[0] == np.argmax(ei)
    order = acquire("ei", Goal("max"), 5, mean, std, observed=[best])
    assert list(order) == list(np.argsort(-ei)[:5])
    # minimisation: EI of -y
    best_min = -0.7
    zm = (best_min - mean) / std
    ei_min = (best_min - mean) * norm.cdf(zm) + std * norm.pdf(zm)
    assert acquire("ei", Goal("min"), 1, mean, std, observed=[best_min, 0.3])[0] == np.argmax(ei_min)
    # greedy ignores the uncertainty; UCB is mean + 2 std at beta = 4
    assert acquire("greedy", Goal("max"), 1, mean, std)[0] == np.argmax(mean)
    assert acquire("ucb", Goal("max"), 1, mean, std, beta=4.0)[0] == np.argmax(mean + 2 * std)


@pytest.mark.filterwarnings("ignore::botorch.exceptions.warnings.NumericsWarning")  # qEI: the values compared
def test_window_ei_matches_botorch_monte_carlo_on_the_transformed_objective():
    from botorch.acquisition.monte_carlo import qExpectedImprovement
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.sampling import SobolQMCNormalSampler

    from hohenberg.design.acquisition import pool_model

    goal = Goal("window", 2.0, 2.5)
    mean = np.array([0.5, 1.6, 2.2, 3.0, 4.0])
    std = np.array([0.3, 0.5, 0.2, 0.6, 0.1])
    best_d = 0.7  # best measured value 1.3 or 3.2
    ei = expected_improvement(goal, mean, std, observed=[1.3, 5.0])
    dist = lambda y: (2.0 - y).clamp_min(0) + (y - 2.5).clamp_min(0)  # noqa: E731
    objective = GenericMCObjective(lambda Y, X=None: -dist(Y[..., 0]))
    mc = qExpectedImprovement(pool_model(mean, std), best_f=-best_d, objective=objective,
                              sampler=SobolQMCNormalSampler(torch.Size([4096]), seed=0))
    with torch.no_grad():
        ref = mc(torch.arange(5, dtype=torch.float64).reshape(-1, 1, 1)).numpy()
    ok = ei > 0
    np.testing.assert_allclose(ei[ok], ref[ok], atol=5e-3)
    assert np.argmax(ei) == np.argmax(ref) == 2


def test_thompson_batch_takes_one_distinct_pick_per_draw():
    draws = np.array([[0, 5, 1], [0, 5, 1], [9, 0, 0]], float)
    assert list(acquire("thompson", Goal("max"), 3, draws=draws)) == [1, 2, 0]
    assert list(acquire("thompson", Goal("min"), 2, draws=draws)) == [0, 2]


@pytest.mark.parametrize("text", ["maximum", "window:3", "window:3:2", "window:2:2", "window:a:b"])
def test_bad_goals_are_input_errors(text):
    with pytest.raises(InputError):
        parse_goal(text)


# -- Tanimoto kernel ------------------------------------------------------------------------------
def test_tanimoto_kernel_against_hand_computation():
    from gpytorch.kernels import ScaleKernel

    from hohenberg.design.surrogates import tanimoto_kernel_class, tanimoto_similarity

    a = torch.tensor([[1.0, 0, 1, 1, 0], [2, 1, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=torch.float64)
    b = torch.tensor([[1.0, 1, 1, 0, 0], [2, 1, 0, 0, 0]], dtype=torch.float64)
    # bits: |a & b| / |a | b|: {0,2,3} vs {0,1,2} -> 2/4; counts: <a,b>/(|a|^2+|b|^2-<a,b>)
    hand = np.array([[2 / 4, 2 / (3 + 5 - 2)], [3 / (5 + 3 - 3), 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(tanimoto_similarity(a, b).numpy(), hand)
    k = ScaleKernel(tanimoto_kernel_class()())
    k.outputscale = 2.0
    with torch.no_grad():
        np.testing.assert_allclose(k(a, b).to_dense().numpy(), 2.0 * hand, rtol=1e-6)
        np.testing.assert_allclose(k(a[:2], diag=True).numpy(), [2.0, 2.0], rtol=1e-6)


def test_gp_fits_and_predicts_with_uncertainty():
    from hohenberg.design.surrogates import GPTanimoto, morgan_fingerprints

    smiles = ["C", "CC", "CCC", "CCCC", "CCO", "CCCO", "CCCCO", "c1ccccc1", "Cc1ccccc1", "Oc1ccccc1"]
    y = np.array([s.count("C") + 3 * ("c1" in s) for s in smiles], float)
    X = morgan_fingerprints(smiles)
    gp = GPTanimoto().fit(X[:8], y[:8])
    mean, std = gp.predict(X)
    assert np.all(std > 0) and std[8:].mean() > std[:8].mean()  # unmeasured molecules less certain
    assert abs(mean[8] - y[8]) < 3.0
    assert gp.sample(X[8:], 3).shape == (3, 2)


# -- 3D polarity --------------------------------------------------------------------------------
def test_charge_dipole_of_two_point_charges():
    from hohenberg.design.polarity import DEBYE_PER_E_ANGSTROM, charge_dipole

    mu = charge_dipole([1.0, -1.0], [[1.0, 2, 3], [1.0, 2, 2]])
    np.testing.assert_allclose(mu, [0, 0, DEBYE_PER_E_ANGSTROM])
    np.testing.assert_allclose(charge_dipole([1.0, -1.0], [[6.0, 2, 3], [6.0, 2, 2]]), mu)  # origin-free


def test_polarity_descriptors_see_what_the_fingerprint_misses():
    from hohenberg.design.polarity import DESCRIPTORS, polarity_matrix
    from hohenberg.design.surrogates import morgan_fingerprints

    smiles = ["O=C=O", "c1ccccc1", "C=O", "CC#N", "F/C=C/F", "F/C=C\\F"]
    D = dict(zip(smiles, polarity_matrix(smiles)))  # ETKDG + MMFF94 geometries
    mu = DESCRIPTORS.index("mu_mmff_D")
    for symmetric in ("O=C=O", "c1ccccc1", "F/C=C/F"):
        assert D[symmetric][mu] < 0.05, symmetric
    for polar in ("C=O", "CC#N", "F/C=C\\F"):
        assert D[polar][mu] > 2.0, polar
    # trans and cis difluoroethene: the same Morgan fingerprint, dipoles 0 and ~3 D
    fp = morgan_fingerprints(["F/C=C/F", "F/C=C\\F"])
    assert np.array_equal(fp[0], fp[1])
    # formaldehyde's dipole lies along its C=O axis, the axis of least inertia
    axes = [DESCRIPTORS.index(f"mu_mmff_axis{k}_D") for k in (1, 2, 3)]
    np.testing.assert_allclose(D["C=O"][axes], [D["C=O"][mu], 0, 0], atol=0.01)


def test_polarity_on_table_geometries_tracks_the_dft_dipole(qm9_table):
    from scipy.stats import spearmanr

    from hohenberg.design.polarity import DESCRIPTORS, polarity_matrix

    n = 40
    D = polarity_matrix([str(s) for s in qm9_table.text["smiles"][:n]], qm9_table.take(np.arange(n)))
    assert D.shape == (n, len(DESCRIPTORS)) and np.isfinite(D).all()
    rho = spearmanr(D[:, DESCRIPTORS.index("mu_mmff_D")], qm9_table.properties["mu_D"][:n])[0]
    assert rho > 0.7, rho


def test_gp_3d_fits_and_predicts_with_uncertainty():
    from hohenberg.design.polarity import DESCRIPTORS
    from hohenberg.design.surrogates import GPTanimoto3D, featurize, make_surrogate

    smiles = ["C=O", "CC=O", "CCC=O", "CC#N", "CCC#N", "O=C=O", "c1ccccc1", "CCO", "CCCC=O", "N#CCC#N"]
    X = featurize("gp-tanimoto-3d", smiles)
    assert X.shape == (len(smiles), 1024 + len(DESCRIPTORS))
    y = X[:, 1024 + DESCRIPTORS.index("mu_mmff_D")].astype(float)  # a property the descriptors explain
    gp = make_surrogate("gp-tanimoto-3d")
    assert isinstance(gp, GPTanimoto3D)
    gp.fit(X[:8], y[:8])
    mean, std = gp.predict(X)
    assert mean.shape == std.shape == (len(smiles),) and np.all(std > 0)
    assert std[:8].mean() < std[8:].mean()  # more certain where it was trained
    np.testing.assert_allclose(mean[:8], y[:8], atol=0.5)
    assert gp.sample(X[8:], 3).shape == (3, 2)


# -- searches with the table oracle on the QM9 fixture ----------------------------------------------
@pytest.fixture(scope="module")
def fixture_pool(qm9_table):
    return Pool([str(i) for i in qm9_table.ids], [str(s) for s in qm9_table.text["smiles"]],
                {k: np.asarray(v, float) for k, v in qm9_table.properties.items()})


def _calls_to_find_max(pool, acquisition, seed, features=None):
    y = pool.values["gap_eV"]
    target = int(np.argmax(y))
    cfg = DesignConfig("gap_eV", "max", "fixture", acquisition=acquisition, batch=5, budget=len(pool), n_initial=5,
                       seed=seed)
    run = DesignRun(cfg, pool, TableOracle(y), features=features)
    run.run(stop=lambda r: any(c["index"] == target for c in r.calls))
    return len(run.calls), run


def test_gp_search_finds_the_max_gap_faster_than_random(fixture_pool):
    from hohenberg.design.surrogates import featurize

    X = featurize("gp-tanimoto", fixture_pool.smiles)
    bo = [_calls_to_find_max(fixture_pool, "ei", s, X)[0] for s in range(3)]
    rnd = [_calls_to_find_max(fixture_pool, "random", s)[0] for s in range(3)]
    # random needs (n + 1) / 2 = 150 calls on average
    assert np.mean(bo) < 0.5 * np.mean(rnd), (bo, rnd)
    _, run = _calls_to_find_max(fixture_pool, "ei", 0, X)
    assert run.best()["value"] == fixture_pool.values["gap_eV"].max()
    assert len({c["index"] for c in run.calls}) == len(run.calls)  # nothing measured twice


def test_graph_ensemble_search_runs(fixture_pool):
    from hohenberg.design.surrogates import GraphEnsemble

    y = fixture_pool.values["homo_eV"]
    cfg = DesignConfig("homo_eV", "min", "fixture", surrogate="gin", acquisition="thompson", batch=4, budget=16,
                       n_initial=8)
    run = DesignRun(cfg, fixture_pool, TableOracle(y))
    run.surrogate = GraphEnsemble(n_members=2, epochs=5, warm_epochs=2, hidden=16, layers=2)
    run.run()
    assert len(run.calls) == 16 and run.best()["value"] == y[[c["index"] for c in run.calls]].min()
    chosen = [c for c in run.calls if c["phase"] == "thompson"]
    assert len(chosen) == 8 and all(np.isfinite(c["pred_mean"]) for c in chosen)


def test_gp_3d_search_reads_the_table_geometries(qm9_table):
    from hohenberg.design.polarity import DESCRIPTORS

    sub = qm9_table.take(np.arange(30))
    pool = Pool([str(i) for i in sub.ids], [str(s) for s in sub.text["smiles"]], {}, None, sub)
    y = np.asarray(sub.properties["mu_D"], float)
    cfg = DesignConfig("mu_D", "max", "fixture", surrogate="gp-tanimoto-3d", batch=3, budget=9, n_initial=6)
    run = DesignRun(cfg, pool, TableOracle(y)).run()
    assert run.features.shape == (30, 1024 + len(DESCRIPTORS))
    chosen = [c for c in run.calls if c["phase"] == "ei"]
    assert len(chosen) == 3 and all(np.isfinite(c["pred_mean"]) and c["pred_std"] > 0 for c in chosen)
    assert len({c["index"] for c in run.calls}) == 9


def test_resume_repeats_no_call_and_a_finished_rerun_makes_none(fixture_pool, qm9_table, tmp_path):
    table = tmp_path / "pool.npz"
    qm9_table.save(table)
    out = tmp_path / "run"
    cfg = lambda budget: DesignConfig("gap_eV", "window:6.5:7.0", str(table), batch=4, budget=budget,  # noqa: E731
                                      n_initial=6, acquisition="ucb")
    first = run_design(cfg(14), out)
    assert first["oracle_calls"] == first["oracle_calls_now"] == 14
    state = json.loads((out / "state.json").read_text())
    second = run_design(cfg(22), out)  # a larger budget continues
    assert second["oracle_calls"] == 22 and second["oracle_calls_now"] == 8
    again = run_design(cfg(22), out)
    assert again["oracle_calls"] == 22 and again["oracle_calls_now"] == 0
    calls = json.loads((out / "state.json").read_text())["calls"]
    assert calls[:14] == state["calls"]
    assert len({c["id"] for c in calls}) == 22
    for name in ("calls.csv", "best.csv", "trace.png", "top.png", "result.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "result.json").read_text())["in_window"] >= 1
    with pytest.raises(InputError, match="acquisition"):  # another configuration is refused
        run_design(DesignConfig("gap_eV", "window:6.5:7.0", str(table), batch=4, budget=30, n_initial=6), out)


def test_interrupted_batch_is_finished_not_repeated(fixture_pool, tmp_path):
    y = fixture_pool.values["gap_eV"]

    class Interrupted(TableOracle):
        def evaluate(self, idx, ids, smiles):
            if len(idx) == 3:
                raise KeyboardInterrupt  # killed while measuring the first surrogate batch
            return super().evaluate(idx, ids, smiles)

    cfg = DesignConfig("gap_eV", "max", "fixture", batch=3, budget=12, n_initial=6)
    with pytest.raises(KeyboardInterrupt):
        DesignRun(cfg, fixture_pool, Interrupted(y), tmp_path).run()
    state = json.loads((tmp_path / "state.json").read_text())
    assert len(state["calls"]) == 6 and len(state["pending"]) == 3
    oracle = TableOracle(y)
    seen = []
    orig = oracle.evaluate
    oracle.evaluate = lambda idx, ids, smi: (seen.extend(idx), orig(idx, ids, smi))[1]
    run = DesignRun(cfg, fixture_pool, oracle, tmp_path).run()
    assert [c["index"] for c in run.calls[6:9]] == [p["index"] for p in state["pending"]]
    assert len(seen) == 6 and len(set(seen)) == 6 and not set(seen) & {c["index"] for c in state["calls"]}


# -- live oracle and the command line ---------------------------------------------------------------
def _main(monkeypatch, *args) -> int:
    from hohenberg.cli.main import main

    monkeypatch.setattr(sys, "argv", ["hohenberg", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code


def test_live_search_with_gfn2_xtb_on_mutated_candidates(tmp_path, monkeypatch, capsys):
    pytest.importorskip("tblite")
    seeds = tmp_path / "seeds.smi"
    seeds.write_text("CCO ethanol\nC=CC=O acrolein\n")
    args = ["design", "--target", "gap_eV", "--goal", "window:3:6", "--pool", f"mutate:{seeds}", "--pool-size", 10,
            "--oracle", "gfn2-xtb", "--budget", 4, "--initial", 2, "--batch", 2, "--out", tmp_path / "run", "--json"]
    assert _main(monkeypatch, *args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["pool_size"] == 10 and result["oracle_calls"] == 4 == result["oracle_calls_now"]
    assert np.isfinite(result["best_value"]) and result["best_smiles"]
    from hohenberg.store.reader import StoreReader

    with StoreReader(tmp_path / "run" / "oracle") as reader:
        assert len(reader.ids) == 4  # every oracle result stored
    assert _main(monkeypatch, *args) == 0
    assert json.loads(capsys.readouterr().out)["oracle_calls_now"] == 0


@pytest.mark.parametrize("change, message", [
    ({"--goal": "best"}, "unknown goal"),
    ({"--goal": "window:7:6"}, "LOW must be below HIGH"),
    ({"--oracle": "dft-magic"}, "unknown oracle"),
    ({"--pool": "EMPTY"}, "empty"),
])
def test_bad_input_exits_2(tmp_path, monkeypatch, capsys, change, message):
    pool = tmp_path / "pool.smi"
    pool.write_text("CCO a\nCCN b\n")
    (tmp_path / "empty.smi").write_text("# nothing\n")
    opts = {"--target": "gap_eV", "--goal": "max", "--pool": pool, "--oracle": "gfn2-xtb", "--out": tmp_path / "r"}
    opts.update({k: (tmp_path / "empty.smi" if v == "EMPTY" else v) for k, v in change.items()})
    assert _main(monkeypatch, "design", *[x for kv in opts.items() for x in kv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
