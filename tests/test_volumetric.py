"""3D CNNs: blocks and encoders, rigid-motion augmentation, views, memory planning, training."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from hohenberg.grids import Grid
from hohenberg.qc.promolecule import promolecule_density
from hohenberg.training.trainer import TrainConfig
from hohenberg.volumetric.augment import positions_in_view, random_rotations, random_shifts, resample, rotation_angle
from hohenberg.volumetric.blocks import InceptionBlock3d, ResidualBlock3d, SqueezeExcite3d
from hohenberg.volumetric.data import StoreVolumes, ViewCollate, ViewConfig, render_channel
from hohenberg.volumetric.memory import parse_bytes, plan_batch_size, saved_activation_bytes
from hohenberg.volumetric.models import VolumetricModelConfig, build_model
from hohenberg.volumetric.networks import ARCHITECTURES, EncoderConfig, VolumetricEncoder, parameter_count
from hohenberg.volumetric.run import VolumetricRunConfig, evaluate_volumetric, predict_views, train_volumetric
from volumetric_helpers import STORE_SPACING, build_store

torch.set_num_threads(1)  # 2 shared cores: intra-op threads only contend
VIEW = dict(size=16, spacing=0.8, max_shift=0.3)


@pytest.fixture(scope="module")
def store(qm9_table, tmp_path_factory):
    return build_store(qm9_table, tmp_path_factory.mktemp("vol") / "store", n=200)


# -- blocks and encoders ---------------------------------------------------------------------
@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_architectures_halve_the_grid_per_stage(arch):
    enc = VolumetricEncoder(EncoderConfig(arch=arch, in_channels=2, widths=(8, 16, 24), stem_width=8))
    feats = enc(torch.randn(2, 2, 16, 16, 16), features=True)
    assert [f.shape[1:] for f in feats] == [(8, 16, 16, 16), (8, 8, 8, 8), (16, 4, 4, 4), (24, 2, 2, 2)]
    assert parameter_count(enc) > 1000


def test_residual_block_is_identity_plus_body_and_se_gates():
    block = ResidualBlock3d(8, 8)
    assert isinstance(block.skip, torch.nn.Identity)
    with torch.no_grad():  # zero body: the block is SiLU(x)
        for p in block.body.parameters():
            p.zero_()
        x = torch.randn(1, 8, 6, 6, 6)
        assert torch.allclose(block(x), torch.nn.functional.silu(x))
    se = SqueezeExcite3d(8)
    x = torch.rand(2, 8, 4, 4, 4) + 0.1
    y = se(x)
    assert torch.all(y < x) and torch.all(y > 0)  # sigmoid gates in (0, 1)
    assert InceptionBlock3d(8, 16, stride=2)(torch.randn(1, 8, 8, 8, 8)).shape == (1, 16, 4, 4, 4)


def test_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    cfg = VolumetricModelConfig(encoder=EncoderConfig(arch="resse", widths=(8, 16)), view=ViewConfig(**VIEW),
                                targets=("homo_eV",))
    a = build_model(cfg)
    b = build_model(VolumetricModelConfig.from_dict({**cfg.to_dict(), "encoder": {**cfg.encoder.to_dict(),
                                                                                  "checkpoint": True}}))
    b.load_state_dict(a.state_dict())
    batch = {"grid": torch.randn(3, 1, 16, 16, 16), "z": torch.tensor([6, 1, 8]), "batch": torch.arange(3)}
    for m in (a, b):
        m.train()
        m(batch).sum().backward()
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-5), n


# -- rigid motions and resampling ------------------------------------------------------------
def test_random_rotations_are_proper_and_uniform():
    R = random_rotations(4000, torch.Generator().manual_seed(0))
    assert torch.allclose(R @ R.transpose(1, 2), torch.eye(3, dtype=R.dtype).expand_as(R), atol=1e-12)
    assert torch.allclose(torch.linalg.det(R), torch.ones(4000, dtype=R.dtype))
    # Haar measure: E[R] = 0, and the angle has density (1 - cos a) / pi, mean pi/2 + 2/pi
    assert R.mean(0).abs().max() < 0.04
    assert abs(rotation_angle(R).mean().item() - (np.pi / 2 + 2 / np.pi)) < 0.03
    t = random_shifts(1000, 0.5, torch.Generator().manual_seed(1))
    assert t.abs().max() <= 0.5 and t.abs().max() > 0.45


def _water():
    return np.array([8, 1, 1]), np.array([[0.1, 0.2, -0.1], [0.9, 0.3, 0.0], [-0.2, 1.0, 0.2]])


def test_resample_is_exact_on_grid_preserving_motions_and_close_otherwise():
    z, pos = _water()
    g = Grid.around(pos, 0.2, 48)
    vol = torch.tensor(promolecule_density(z, pos, g))[None, None]
    c = torch.tensor(g.origin + 0.2 * 47 / 2)[None]
    # a quarter turn about z and a shift by whole voxels map grid points onto grid points
    R = torch.tensor([[[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]], dtype=torch.float64)
    t = torch.tensor([[0.4, 0.0, -0.2]], dtype=torch.float64)
    out = resample(vol, c, 0.2, c, R, t, 24, 0.2)[0, 0].numpy()
    moved = positions_in_view(torch.tensor(pos), c[0], R[0], t[0]).numpy()
    exact = promolecule_density(z, moved, Grid.cube(np.zeros(3), 0.2, 24))
    assert np.abs(out - exact).max() < 1e-10
    # a general motion: trilinear interpolation error only; a few % in L1 in the valence region
    # (rho < 1 e/bohr^3; points that land near a nucleus see the cusp, which no interpolation has)
    for seed in range(3):
        R = random_rotations(1, torch.Generator().manual_seed(seed))
        out = resample(vol, c, 0.2, c, R, t, 24, 0.2)[0, 0].numpy()
        moved = positions_in_view(torch.tensor(pos), c[0], R[0], t[0]).numpy()
        exact = promolecule_density(z, moved, Grid.cube(np.zeros(3), 0.2, 24))
        valence = exact < 1.0
        assert np.abs(out - exact)[valence].sum() / exact[valence].sum() < 0.06


# -- views from a store ----------------------------------------------------------------------
def test_views_channels_and_cached_promolecule(store, qm9_table, tmp_path):
    ds = StoreVolumes(store, table=qm9_table, targets=("homo_eV", "U0_eV"))
    items = [ds[i] for i in range(4)]
    assert items[0]["spacing"] == pytest.approx(STORE_SPACING)
    assert np.isclose(items[0]["y"][0].item(), qm9_table.properties["homo_eV"][qm9_table.index_of([items[0]["id"]])[0]])
    cfg = ViewConfig(channels=("density", "promolecule", "potential"), **VIEW)
    b = ViewCollate(cfg, augment=True, generator=torch.Generator().manual_seed(0))(items)
    assert b["grid"].shape == (4, 3, 16, 16, 16) and b["grid"].dtype == torch.float32
    assert torch.all(b["grid"] >= 0) and b["y"].shape == (4, 2) and b["batch"].max() == 3
    assert len(b["z"]) == sum(len(it["numbers"]) for it in items)
    # the cached promolecule is the promolecule on each record's own grid (float16), rendered once
    cached = StoreVolumes(store, ds.ids[:4], promolecule_level="hf/sto-3g", cache_dir=tmp_path)
    its = [cached[i] for i in range(4)]
    files = sorted((tmp_path / "hf_sto-3g").glob("*.npy"))
    assert len(files) == 4
    stamp = files[0].stat().st_mtime_ns
    assert torch.equal(cached[0]["promolecule"], its[0]["promolecule"]) and files[0].stat().st_mtime_ns == stamp
    rec = cached.reader.record(its[2]["id"])
    direct = promolecule_density(rec["numbers"], rec["positions"], cached.reader.grid_of(rec), "hf/sto-3g")
    assert np.allclose(its[2]["promolecule"].numpy(), direct, rtol=2e-3, atol=1e-7)
    # resampled alike, the promolecule and the (stand-in) density views hold about the same electrons
    R, t = random_rotations(4, torch.Generator().manual_seed(5)), torch.zeros(4, 3, dtype=torch.float64)
    pro = render_channel("promolecule", its, R, t, 16, 0.8, cfg).sum((1, 2, 3))
    rho = render_channel("density", its, R, t, 16, 0.8, cfg).sum((1, 2, 3))
    assert torch.allclose(pro, rho, rtol=0.1), (pro, rho)


# -- memory ----------------------------------------------------------------------------------
def test_memory_plan_follows_the_budget_and_the_options():
    assert parse_bytes("8G") == 8 * 2**30 and parse_bytes("512MiB") == 512 * 2**20 and parse_bytes("1000") == 1000
    with pytest.raises(ValueError):
        parse_bytes("lots")

    def model(ck=False):
        torch.manual_seed(0)
        return build_model(VolumetricModelConfig(encoder=EncoderConfig(widths=(8, 16), checkpoint=ck),
                                                 view=ViewConfig(**VIEW), targets=("homo_eV",)))

    def mk(n):
        return {"grid": torch.randn(n, 1, 16, 16, 16), "z": torch.ones(n, dtype=torch.long), "batch": torch.arange(n)}

    small, big = plan_batch_size(model(), mk, 64 * 2**20), plan_batch_size(model(), mk, 256 * 2**20)
    assert big.batch_size > small.batch_size >= 1
    assert saved_activation_bytes(model(True), mk(4)) < saved_activation_bytes(model(), mk(4))
    assert saved_activation_bytes(model(), mk(4), torch.bfloat16) < saved_activation_bytes(model(), mk(4))
    with pytest.raises(ValueError, match="cannot hold one sample"):
        plan_batch_size(model(), mk, 2**20)


# -- training ----------------------------------------------------------------------------------
def _run_cfg(augment: bool, epochs: int = 6, **kw) -> VolumetricRunConfig:
    mcfg = VolumetricModelConfig(encoder=EncoderConfig(arch="resse", widths=(8, 16, 16), stem_width=8),
                                 view=ViewConfig(**VIEW), targets=("homo_eV", "U0_eV"), head_hidden=32)
    tcfg = TrainConfig(max_epochs=epochs, batch_size=16, lr=3e-3, accelerator="cpu", patience=50)
    return VolumetricRunConfig(model=mcfg, train=tcfg, augment=augment, **kw)


def test_train_writes_the_model_directory_and_evaluates_identically(store, qm9_table, tmp_path):
    out = tmp_path / "m"
    s = train_volumetric(store, qm9_table, _run_cfg(True, epochs=3, max_memory="256M"), out)
    for f in ("model.pt", "model.json", "metrics.csv", "parity.png", "learning_curve.png", "test_predictions.csv"):
        assert (out / f).exists(), f
    saved = json.loads((out / "model.json").read_text())
    assert saved["fit"]["epochs"] == 3 and saved["fit"]["peak_rss_bytes"] > 0 and saved["fit"]["batch_size"] >= 1
    assert saved["provenance"]["split_sizes"]["test"] == s["n_test"] > 5
    # per-element offsets alone take U0 from ~10 eV (mean predictor) to well under 1 eV
    y = qm9_table.properties["U0_eV"]
    assert s["test_errors"]["U0_eV"]["mae_meV"] < 0.1 * np.abs(y - y.mean()).mean() * 1000
    again = evaluate_volumetric(out, store, qm9_table, "test")
    assert again["test_errors"]["homo_eV"]["mae_meV"] == pytest.approx(s["test_errors"]["homo_eV"]["mae_meV"], rel=1e-6)


def test_augmentation_makes_predictions_rotation_stable(store, qm9_table, tmp_path):
    spread = {}
    for augment in (False, True):
        cfg = _run_cfg(augment, epochs=8)
        train_volumetric(store, qm9_table, cfg, tmp_path / str(augment))
        from hohenberg.volumetric.run import load_volumetric

        model, _ = load_volumetric(tmp_path / str(augment))
        ids = StoreVolumes(store, need_density=False).ids[:24]
        ds = StoreVolumes(store, ids, qm9_table, cfg.model.targets)
        pred = predict_views(model, ds, tta=8, seed=1)
        spread[augment] = pred["std"][:, 0].mean()  # HOMO, eV, over 8 random orientations
    assert spread[True] < 0.7 * spread[False], spread


# -- command line ----------------------------------------------------------------------------
def _volumetric_cli(qm9_table, tmp_path):
    """``train`` and ``evaluate`` as a small typer app, a runner, and the table saved to a file."""
    import typer
    from typer.testing import CliRunner

    from hohenberg.cli.models import evaluate
    from hohenberg.cli.volumetric import train_volumetric as train_cmd

    app = typer.Typer()
    app.command("train")(train_cmd)
    app.command("evaluate")(evaluate)
    table = tmp_path / "t.npz"
    qm9_table.save(table)
    return app, CliRunner(), table


def test_cli_train_and_evaluate_volumetric_json(store, qm9_table, tmp_path):
    app, runner, table = _volumetric_cli(qm9_table, tmp_path)
    config = tmp_path / "net.json"
    config.write_text(json.dumps({"encoder": {"widths": [8, 16], "stem_width": 8}, "head_hidden": 16}))
    res = runner.invoke(app, ["train", str(store), "--table", str(table), "--out", str(tmp_path / "m"), "--arch",
                              "inception-se", "--config", str(config), "--inputs", "density,potential", "--size", "16",
                              "--spacing", "0.8", "--targets", "gap_eV,mu_D", "--epochs", "1", "--accelerator", "cpu",
                              "--channels-last", "--checkpointing", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["model"]["encoder"]["arch"] == "inception-se" and summary["model"]["encoder"]["widths"] == [8, 16]
    assert summary["model"]["view"]["channels"] == ["density", "potential"]
    assert set(summary["test_errors"]) == {"gap_eV", "mu_D"} and "mae_D" in summary["test_errors"]["mu_D"]
    res = runner.invoke(app, ["evaluate", str(tmp_path / "m"), str(store), "--table", str(table), "--json"])
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout)
    assert again["test_errors"]["gap_eV"]["mae_meV"] == pytest.approx(summary["test_errors"]["gap_eV"]["mae_meV"])
    # bad input: a clear error naming the file, never a traceback
    config.write_text("{not json")
    res = runner.invoke(app, ["train", str(store), "--table", str(table), "--out", str(tmp_path / "x"),
                              "--config", str(config)])
    assert res.exit_code != 0 and "net.json" in str(res.exception) and "not valid JSON" in str(res.exception)
    res = runner.invoke(app, ["evaluate", str(tmp_path / "m"), str(store)])
    assert "--table" in str(res.exception)


def test_principal_frame_is_a_canonical_orientation(qm9_table):
    from hohenberg.volumetric.augment import principal_frame

    m = qm9_table.molecule(40)
    z, pos = torch.as_tensor(m.numbers), torch.as_tensor(m.positions)
    P = principal_frame(z, pos)
    assert torch.allclose(P.T @ P, torch.eye(3, dtype=P.dtype), atol=1e-12) and torch.linalg.det(P) > 0
    Q = random_rotations(1, torch.Generator().manual_seed(7))[0]
    moved = pos @ Q.T + torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    # the same molecule in any orientation has the same coordinates in its principal frame
    canon = lambda p: (p - (z[:, None] * p).sum(0) / z.sum()) @ principal_frame(z, p)  # noqa: E731
    assert torch.allclose(canon(pos), canon(moved), atol=1e-8)
    cfg = ViewConfig(channels=("potential",), orientation="principal", **VIEW)
    item = lambda p: {"id": "m", "numbers": z, "positions": p, "center": p.mean(0), "y": torch.zeros(0)}  # noqa: E731
    a, b = (ViewCollate(cfg)([item(p)])["grid"] for p in (pos, moved))
    assert torch.allclose(a, b, atol=1e-5)


def test_a_promolecule_model_trains_from_a_table_alone_and_predicts_new_molecules_identically(qm9_table, tmp_path):
    """No store: views rendered from the table's atoms.  Evaluating again and predicting the test
    molecules as new molecules (the prediction path, Molecule in) give the training run's numbers."""
    from hohenberg.volumetric.predict import predict_volumetric

    app, runner, table = _volumetric_cli(qm9_table, tmp_path)
    common = ["--size", "16", "--spacing", "0.8", "--widths", "8,16", "--targets", "homo_eV,U0_eV", "--epochs", "2",
              "--accelerator", "cpu", "--n-train", "60", "--n-val", "16", "--n-test", "20"]
    res = runner.invoke(app, ["train", str(table), "--out", str(tmp_path / "m"), "--inputs", "promolecule",
                              "--lr-schedule", "cosine", *common, "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["provenance"]["store"] is None and summary["provenance"]["store_config"]["layout"] == "atoms"
    # the cosine schedule spans --epochs: the last step runs at the final fraction (1 %) of the rate
    assert summary["provenance"]["train_config"]["lr_schedule"] == "cosine"
    last = torch.load(tmp_path / "m" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert last["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(1e-5, rel=0.05)
    assert summary["n_test"] == 20
    res = runner.invoke(app, ["evaluate", str(tmp_path / "m"), str(table), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["test_errors"]["U0_eV"]["mae_meV"] == pytest.approx(
        summary["test_errors"]["U0_eV"]["mae_meV"], rel=1e-6)
    test_ids = json.loads((tmp_path / "m" / "split.json").read_text())["test"][:4]
    mols = [qm9_table.molecule(int(r)) for r in qm9_table.index_of(test_ids)]
    new = predict_volumetric(tmp_path / "m", mols)
    stored = {row["id"]: row for row in _read_csv(tmp_path / "m" / "test_predictions.csv")}
    for i, mid in enumerate(test_ids):
        assert new["mean"][i, 1] == pytest.approx(float(stored[mid]["U0_eV_pred"]), abs=1e-5)
    assert "no density channel" in new["density_source"]
    # the density channel needs a store of SCF densities: a clear error naming the table
    res = runner.invoke(app, ["train", str(table), "--out", str(tmp_path / "x"), "--inputs", "density", *common])
    assert res.exit_code != 0 and "store" in str(res.exception) and "Traceback" not in res.output
    res = runner.invoke(app, ["train", str(table), "--out", str(tmp_path / "x"), "--lr-schedule", "steep", *common])
    assert res.exit_code != 0 and "--lr-schedule" in str(res.exception)


def _read_csv(path):
    import csv

    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_no_scf_pipeline_reads_the_density_an_hk_map_predicts(store, qm9_table, tmp_path):
    """molecule -> promolecule -> HK map -> density -> 3D CNN.  An untrained delta map returns the
    promolecule (zero-initialised head), so the channel it feeds must equal the promolecule on the
    store's own grid; training and evaluating through it give the same numbers."""
    from hohenberg.hkmap.model import HKConfig, HKNet
    from hohenberg.training.checkpoint import save_model_file
    from hohenberg.volumetric.data import PredictedDensities

    hk = HKNet(HKConfig(encoder=EncoderConfig(arch="residual", widths=(8, 16), stem_width=4),
                        view=ViewConfig(channels=("promolecule",), size=20, spacing=STORE_SPACING)))
    save_model_file(tmp_path / "hk" / "model.pt", "hkmap", hk.cfg.to_dict(), hk.state_dict(), {})
    ids = StoreVolumes(store, need_density=False).ids[:3]
    base = StoreVolumes(store, ids, qm9_table, ("homo_eV",), need_density=False)
    from hohenberg.families.volumetric import load_density_map

    pred = PredictedDensities(base, tmp_path / "hk", load_density_map, cache_dir=tmp_path / "cache")
    for i in range(3):
        item = pred[i]
        rec = base.reader.record(ids[i], {"grid_origin", "grid_axes"})
        grid = Grid(rec["grid_origin"], rec["grid_axes"], (20, 20, 20))
        pro = promolecule_density(item["numbers"].numpy(), item["positions"].numpy(), grid, "hf/sto-3g")
        got = item["density"].numpy()
        assert got.shape == pro.shape and np.abs(got - pro).sum() < 2e-3 * np.abs(pro).sum()
    assert len(list((tmp_path / "cache").glob("hkmap-*/*.npy"))) == 3  # made once, then read back
    cfg = _run_cfg(False, epochs=1, n_train=40, n_val=10, n_test=12, density_from=f"hkmap:{tmp_path / 'hk'}")
    from hohenberg.families import volumetric as family

    s = family.train(store, qm9_table, cfg, tmp_path / "m")
    assert s["provenance"]["density_from"].startswith("hkmap:")
    again = family.evaluate(tmp_path / "m", store, qm9_table, "test")
    assert again["test_errors"]["homo_eV"]["mae_meV"] == pytest.approx(s["test_errors"]["homo_eV"]["mae_meV"], rel=1e-6)
