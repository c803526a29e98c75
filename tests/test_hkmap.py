"""The Hohenberg-Kohn map: conservation and positivity of the output, the metric protocol under
rotation, learning on a tiny store, the SCF guess from a density, and the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from hohenberg.errors import HohenbergError
from hohenberg.grids import Grid, points_to_fit
from hohenberg.hkmap.data import HKCollate
from hohenberg.hkmap.metrics import dipole_debye, nmae_percent, view_points
from hohenberg.hkmap.model import HKConfig, HKNet, resample_features
from hohenberg.hkmap.run import HKRunConfig, evaluate_hkmap, load_hkmap, make_dataset, train_hkmap
from hohenberg.molecules import Molecule
from hohenberg.molecules.formats import read_molecules
from hohenberg.training.trainer import TrainConfig
from hohenberg.volumetric.augment import positions_in_view, random_rotations
from hohenberg.volumetric.data import ViewConfig
from hohenberg.volumetric.networks import EncoderConfig
from volumetric_helpers import STORE_SIZE, STORE_SPACING, build_store

WATER = Molecule([8, 1, 1], [[0, 0, 0.1173], [0, 0.7572, -0.4692], [0, -0.7572, -0.4692]], name="water")
TINY_ENCODER = EncoderConfig(arch="residual", widths=(8, 16), stem_width=4)


def tiny_config(**kw) -> HKConfig:
    view = ViewConfig(channels=kw.pop("channels", ("promolecule",)), size=STORE_SIZE, spacing=STORE_SPACING,
                      max_shift=0.2)
    return HKConfig(encoder=TINY_ENCODER, view=view, **kw)


@pytest.fixture(scope="module")
def store(qm9_table, tmp_path_factory):
    return build_store(qm9_table, tmp_path_factory.mktemp("hk") / "store", n=6)


@pytest.fixture(scope="module")
def split(store, tmp_path_factory):
    from hohenberg.store import StoreReader

    ids = StoreReader(store).ids
    path = tmp_path_factory.mktemp("split") / "split.json"
    path.write_text(json.dumps({"train": ids[:4], "val": ids[:4], "test": ids[4:6]}))
    return path


def _batch(store, cfg, tmp_path, n=3, **kw):
    ds = make_dataset(store, None, cfg, tmp_path / "cache")
    return HKCollate(cfg, **kw)([ds[i] for i in range(n)])


@pytest.mark.parametrize("target", ["delta", "density", "ratio"])
def test_output_is_nonnegative_and_integrates_to_the_reference(store, tmp_path, target):
    cfg = tiny_config(target=target, channels=("promolecule", "potential"))
    torch.manual_seed(0)
    net = HKNet(cfg)
    torch.nn.init.normal_(net.head.weight, std=3.0)  # far from the promolecule: clamping and rescaling matter
    b = _batch(store, cfg, tmp_path, augment=True, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        rho = net(b["x"], b["pro"])
    assert rho.shape == b["y"].shape and (rho >= 0).all()
    np.testing.assert_allclose(rho.double().sum((1, 2, 3)), b["pro"].double().sum((1, 2, 3)), rtol=1e-5)


@pytest.mark.parametrize("target", ["delta", "ratio"])
def test_untrained_delta_model_is_the_promolecule_and_super_resolution_shapes(store, tmp_path, target):
    cfg = tiny_config(out_size=2 * STORE_SIZE, out_spacing=STORE_SPACING / 2, target=target)
    assert cfg.super_resolution
    b = _batch(store, cfg, tmp_path, n=2)
    assert b["x"].shape[-1] == STORE_SIZE and b["y"].shape[-1] == 2 * STORE_SIZE
    with torch.no_grad():
        rho = HKNet(cfg)(b["x"], b["pro"])
    torch.testing.assert_close(rho, b["pro"])
    # exact geometry of the feature resampling: a linear ramp in x is reproduced at the finer points
    ramp = torch.from_numpy(view_points(8, 1.0)[..., 0]).float()[None, None]
    fine = resample_features(ramp, 8, 1.0, 14, 0.5)
    torch.testing.assert_close(fine[0, 0], torch.from_numpy(view_points(14, 0.5)[..., 0]).float(), atol=1e-5,
                               rtol=0)


def test_lattice_motions_give_the_stored_values_exactly(store, tmp_path):
    """--motions lattice: every view point is a stored point (a cube symmetry plus whole-voxel
    shifts), so targets are the stored densities re-indexed, not interpolated; the atoms move with them."""
    cfg = tiny_config()
    cfg.view.max_shift = 2 * STORE_SPACING
    ds = make_dataset(store, None, cfg, tmp_path / "cache")
    items = [ds[i] for i in range(4)]
    b = HKCollate(cfg, augment=True, lattice=True, generator=torch.Generator().manual_seed(3))(items)
    n, c = STORE_SIZE, (STORE_SIZE - 1) / 2
    index = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1) - c
    moved = 0
    for k, it in enumerate(items):
        R, t = b["rotations"][k].numpy(), b["shifts"][k].numpy()
        assert sorted(np.abs(R).ravel()) == [0.0] * 6 + [1.0] * 3 and abs(abs(np.linalg.det(R)) - 1) < 1e-12
        steps = t / STORE_SPACING
        np.testing.assert_allclose(steps, np.rint(steps), atol=1e-12)
        assert np.abs(steps).max() <= 2
        src = index @ R.T + steps + c  # stored index of each view point
        inside = ((src > -0.5) & (src < n - 0.5)).all(-1)
        s = np.clip(np.rint(src).astype(int), 0, n - 1)
        ref = it["density"].numpy()[s[..., 0], s[..., 1], s[..., 2]] * inside
        np.testing.assert_allclose(b["y"][k].numpy(), ref, rtol=1e-4, atol=1e-5 * ref.max())
        atom_src = b["positions"][k].numpy() / STORE_SPACING @ R.T + steps + c  # atoms moved by the same map
        np.testing.assert_allclose(atom_src * STORE_SPACING + it["center"].numpy() - c * STORE_SPACING,
                                   it["positions"].numpy(), atol=1e-9)
        moved += not (np.allclose(R, np.eye(3)) and not steps.any())
    assert moved >= 3


def test_symmetrised_prediction_is_exactly_equivariant_and_keeps_the_electron_count(store, tmp_path):
    from hohenberg.hkmap.symmetry import CUBE_OPS, apply_op, symmetrised, undo_op

    assert len(set(CUBE_OPS)) == 48 and CUBE_OPS[0] == ((0, 1, 2), (False, False, False))
    t = torch.arange(2 * 4 * 5 * 6, dtype=torch.float32).reshape(2, 4, 5, 6)
    for op in CUBE_OPS:  # undo inverts apply, also on non-cubic arrays
        torch.testing.assert_close(undo_op(apply_op(t, op), op), t, rtol=0, atol=0)
    cfg = tiny_config(channels=("promolecule", "potential"))
    torch.manual_seed(0)
    net = HKNet(cfg).eval()
    torch.nn.init.normal_(net.head.weight, std=0.5)  # an untrained delta model would be the promolecule
    b = _batch(store, cfg, tmp_path, n=2)
    with torch.no_grad():
        plain = net(b["x"], b["pro"])
        torch.testing.assert_close(symmetrised(net, b["x"], b["pro"], 1), plain)
        sym = symmetrised(net, b["x"], b["pro"], 48)
        for op in (CUBE_OPS[5], CUBE_OPS[13], CUBE_OPS[46]):  # a reflection, a permutation, both
            moved = symmetrised(net, apply_op(b["x"], op), apply_op(b["pro"], op), 48)
            torch.testing.assert_close(moved, apply_op(sym, op), rtol=1e-5, atol=1e-6)
            # the plain network is not equivariant: the test above can fail
            assert (net(apply_op(b["x"], op), apply_op(b["pro"], op)) - apply_op(plain, op)).abs().max() > 1e-4
    assert (sym >= 0).all()
    torch.testing.assert_close(sym.double().sum((1, 2, 3)), b["pro"].double().sum((1, 2, 3)), rtol=1e-5, atol=0)
    with pytest.raises(ValueError, match="n_ops"):
        symmetrised(net, b["x"], b["pro"], 49)


def test_warm_start_with_an_added_input_channel_computes_the_same_density(store, tmp_path):
    from hohenberg.hkmap.run import warm_start

    torch.manual_seed(0)
    old = HKNet(tiny_config()).eval()
    torch.nn.init.normal_(old.head.weight, std=0.5)
    new = HKNet(tiny_config(channels=("potential", "promolecule"))).eval()  # promolecule moves to index 1
    assert warm_start(new, old.cfg.to_dict(), old.state_dict()) == ["potential"]
    b = _batch(store, new.cfg, tmp_path, n=2)
    with torch.no_grad():
        torch.testing.assert_close(new(b["x"], b["pro"]), old(b["x"][:, 1:], b["pro"]))
        assert (new(b["x"], b["pro"]) - HKNet(new.cfg).eval()(b["x"], b["pro"])).abs().max() > 0  # not vacuous
    wider = HKNet(HKConfig(encoder=EncoderConfig(arch="residual", widths=(8, 24), stem_width=4), view=new.cfg.view))
    with pytest.raises(HohenbergError, match="another architecture"):
        warm_start(wider, old.cfg.to_dict(), old.state_dict())
    with pytest.raises(HohenbergError, match="lacks input channel"):
        warm_start(HKNet(tiny_config(channels=("potential",))), old.cfg.to_dict(), old.state_dict())
    with pytest.raises(HohenbergError, match="target"):
        warm_start(HKNet(tiny_config(target="ratio")), old.cfg.to_dict(), old.state_dict())


def test_metric_protocol_is_rotation_invariant_and_dipole_matches_pyscf():
    """NMAE and |dipole| of the same two densities on a rotated view equal those on the unrotated
    one (to grid sampling); the dipole vector turns with the molecule and matches PySCF's."""
    from hohenberg.qc.density import density_at
    from hohenberg.qc.promolecule import promolecule_at
    from hohenberg.qc.scf import run_scf
    from hohenberg.units import ANGSTROM_BOHR

    scf = run_scf(WATER, "hf/sto-3g")
    size, spacing = 60, 0.15  # the cusps' sampling moves NMAE by ~5 % between orientations at 0.25 A
    pts = view_points(size, spacing)
    dv = (spacing * ANGSTROM_BOHR) ** 3
    center = WATER.positions.mean(0)
    out = []
    for R in [torch.eye(3, dtype=torch.float64), random_rotations(1, torch.Generator().manual_seed(3))[0]]:
        world = center + pts.reshape(-1, 3) @ R.numpy().T  # view point p sits at centre + R p
        true = density_at(scf.mol, scf.mo_coeff, scf.mo_occ, world * ANGSTROM_BOHR).reshape(pts.shape[:3])
        pro = promolecule_at(WATER.numbers, WATER.positions, world, "hf/sto-3g").reshape(pts.shape[:3])
        pos = positions_in_view(torch.as_tensor(WATER.positions), torch.as_tensor(center), R, torch.zeros(3)).numpy()
        out.append((float(nmae_percent(pro, true, dv, 10)), dipole_debye(true, pro, pts, dv, WATER.numbers, pos), R))
    (n0, mu0, _), (n1, mu1, R1) = out
    assert n0 == pytest.approx(n1, rel=0.03) and 2 < n0 < 20
    np.testing.assert_allclose(mu1, R1.numpy().T @ mu0, atol=0.01)
    assert np.linalg.norm(mu0) == pytest.approx(scf.mu_D, abs=0.01)


@pytest.mark.parametrize("target", ["delta", "ratio"])
def test_training_on_four_molecules_beats_the_promolecule(store, split, tmp_path, target):
    cfg = HKRunConfig(model=tiny_config(target=target), split_file=str(split), n_val=4, epoch_size=None, augment=False,
                      cache_dir=str(tmp_path / "cache"),
                      train=TrainConfig(max_epochs=15, batch_size=4, lr=1e-2, patience=50, accelerator="cpu",
                                        devices=1))
    summary = train_hkmap(store, cfg, tmp_path / "model", resume=False)
    model, _ = load_hkmap(tmp_path / "model")
    train_ds = make_dataset(store, json.loads(split.read_text())["train"], model.cfg, tmp_path / "cache")
    on_train = evaluate_hkmap(model, train_ds)
    assert on_train["test_nmae_percent"]["mean"] < 0.9 * on_train["promolecule_nmae_percent"]["mean"]
    assert summary["n_test"] == 2 and summary["fit"]["epochs"] >= 1
    for name in ("model.pt", "model.json", "learning_curve.png", "density_slice.png", "test_metrics.csv"):
        assert (tmp_path / "model" / name).stat().st_size > 0


def test_guess_from_the_exact_density_saves_cycles_and_reaches_the_same_energy():
    from hohenberg.hkmap.guess import density_matrix_guess
    from hohenberg.qc.density import density_on_grid
    from hohenberg.qc.scf import run_scf

    ref = run_scf(WATER, "hf/sto-3g", init_guess="minao")
    grid = Grid.around(WATER.positions, 0.25, 36)
    g = density_matrix_guess(ref.mol, grid, density_on_grid(ref, grid))
    assert g.dm is not None and g.reason == "ok" and g.density_nmae_percent < g.start_nmae_percent
    res = run_scf(WATER, "hf/sto-3g", dm0=g.dm)
    assert res.n_cycles < ref.n_cycles
    assert abs(res.energy_eV - ref.energy_eV) / 27.211386245988 < 1e-7


def test_guess_falls_back_to_minao_for_open_shells():
    from hohenberg.hkmap.guess import density_matrix_guess
    from hohenberg.hkmap.scf import run_scf_guess
    from hohenberg.qc.levels import parse_level
    from hohenberg.qc.scf import build_mol

    oh = Molecule([8, 1], [[0, 0, 0], [0, 0, 0.97]], spin=1, name="OH")
    g = density_matrix_guess(build_mol(oh, parse_level("hf/sto-3g")), Grid.around(oh.positions, 0.3, 16),
                             np.zeros((16, 16, 16)))
    assert g.dm is None and "open shell" in g.reason
    with pytest.raises(HohenbergError, match="SCF guess must be one of"):
        run_scf_guess(oh, "hf/sto-3g", "sad")


def _cli(*args):
    from typer.testing import CliRunner

    from hohenberg.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def cli_model(store, split, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "hk"
    res = _cli("train", "hkmap", store, "--out", out, "--split", split, "--n-val", 2, "--size", STORE_SIZE,
               "--spacing", STORE_SPACING, "--widths", "8,16", "--stem-width", 4, "--depth", 2, "--max-epochs", 2,
               "--epoch-size", 0, "--accelerator", "cpu", "--input", "both", "--motions", "lattice",
               "--test-symmetries", 8, "--json")
    assert res.exit_code == 0, res.output
    return out, json.loads(res.output)


def test_cli_train_predict_and_scf_guess_json(cli_model, tmp_path):
    out, summary = cli_model
    assert summary["kind"] == "hkmap" and summary["model"]["view"]["channels"] == ["promolecule", "potential"]
    assert summary["provenance"]["motions"] == "lattice" and summary["test_symmetries"] == 8
    assert summary["model"]["encoder"]["depth"] == 2 and summary["model"]["encoder"]["widths"] == [8, 16]
    assert {"mean", "median"} <= set(summary["test_nmae_percent"]) and "promolecule_dipole_mae_D" in summary
    xyz = tmp_path / "water.xyz"
    xyz.write_text("3\nwater\nO 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 -0.7572 -0.4692\n")
    res = _cli("predict-density", out, xyz, "-o", tmp_path / "w.cube", "--symmetries", 8, "--json")
    assert res.exit_code == 0, res.output
    pred = json.loads(res.output)
    assert pred["symmetries"] == 8 and pred["electrons"] == 10 and len(pred["dipole_D"]) == 3 and pred["voxel_sum_electrons"] > 5
    assert (tmp_path / "w.cube").stat().st_size > 1000
    res = _cli("qc", "run", xyz, "--level", "hf/sto-3g", "--guess", f"hkmap:{out}", "--json")
    assert res.exit_code == 0, res.output
    run = json.loads(res.output)
    assert run["guess"] == "hkmap" and run["scf_cycles"] >= 1 and run["minao_scf_cycles"] >= 1
    assert abs(run["energy_minus_minao_Ha"]) < 1e-7 and run["guess_wall_s"] > 0
    res = _cli("qc", "run", xyz, "--level", "hf/sto-3g", "--guess", "atom", "--json")
    assert res.exit_code == 0 and json.loads(res.output)["guess"] == "atom"


def test_cli_bad_inputs_give_one_line_errors(cli_model, tmp_path):
    out, _ = cli_model
    bad = tmp_path / "bad.xyz"
    bad.write_text("2\nbroken\nC 0 0\n")
    res = _cli("predict-density", out, bad, "-o", tmp_path / "x.cube")
    assert res.exit_code != 0 and "bad.xyz" in str(res.exception)
    res = _cli("predict-density", tmp_path / "nomodel", bad, "-o", tmp_path / "x.cube")
    assert isinstance(res.exception, HohenbergError) and "nomodel" in str(res.exception)
    res = _cli("qc", "run", "O", "--smiles", "--guess", "sad-ish")
    assert isinstance(res.exception, HohenbergError) and "--guess" in str(res.exception)
    res = _cli("train", "hkmap", out, "--out", tmp_path / "m", "--input", "density")
    assert isinstance(res.exception, HohenbergError) and "--input" in str(res.exception)
    res = _cli("train", "hkmap", out, "--out", tmp_path / "m", "--motions", "wobble")
    assert isinstance(res.exception, HohenbergError) and "--motions" in str(res.exception)
    res = _cli("predict-density", out, bad, "-o", tmp_path / "x.cube", "--symmetries", 0)
    assert isinstance(res.exception, HohenbergError) and "--symmetries" in str(res.exception)


def test_predict_density_grows_the_box_for_a_molecule_larger_than_the_training_box(cli_model, tmp_path):
    """The U-Net is fully convolutional: a C16 chain gets a box that holds it (never a cut), sized
    so that every encoder stage can halve it, and its density still sums to its electrons."""
    out, _ = cli_model
    res = _cli("predict-density", out, "C" * 16, "-o", tmp_path / "x.cube", "--json")
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    n = rep["grid_shape"][0]
    assert n > STORE_SIZE and n % 4 == 0 and rep["grid_shape"] == [n, n, n]
    assert n >= points_to_fit(read_molecules("C" * 16)[0].positions, STORE_SPACING)
    # the electron count is fixed to the promolecule's voxel sum on the same points (the coarse
    # test grid misses part of the cores, so not 130 itself): nothing of the chain was cut away
    from hohenberg.molecules.cube import read_cube
    from hohenberg.qc.promolecule import promolecule_density

    cube = read_cube(tmp_path / "x.cube")
    mol = read_molecules("C" * 16)[0]
    pro = promolecule_density(mol.numbers, mol.positions, cube.grid, "hf/sto-3g")
    assert rep["electrons"] == 130
    assert rep["voxel_sum_electrons"] == pytest.approx(cube.grid.integrate(pro), rel=0.01)
    assert cube.grid.integrate(pro) > 0.75 * 130


def test_evaluate_routes_a_hkmap_directory_to_the_density_metrics(cli_model, store):
    out, summary = cli_model
    res = _cli("evaluate", out, store, "--json")
    assert res.exit_code == 0, res.output
    ev = json.loads(res.output)
    assert ev["split"] == "test" and ev["n_test"] == summary["n_test"]
    assert ev["promolecule_nmae_percent"]["mean"] == pytest.approx(summary["promolecule_nmae_percent"]["mean"], rel=1e-6)
