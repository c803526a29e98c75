"""Stores written by the batch runner: both layouts agree with the direct density, and the CLI."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from hohenberg.cli.store import app as store_app
from hohenberg.errors import InputError
from hohenberg.grids import Grid
from hohenberg.molecules import Molecule
from hohenberg.qc.batch import BatchConfig, compute_one, run_batch
from hohenberg.qc.density import density_on_grid
from hohenberg.qc.scf import run_scf
from hohenberg.store import StoreReader
from hohenberg.store.layout import shard_paths
from hohenberg.store.render import rotated_grid

WATER = Molecule([8, 1, 1], [[0, 0, 0.1173], [0, 0.7572, -0.4692], [0, -0.7572, -0.4692]], name="water")
AMMONIA = Molecule([7, 1, 1, 1], [[0, 0, 0.1], [0.94, 0, -0.27], [-0.47, 0.81, -0.27], [-0.47, -0.81, -0.27]],
                   name="ammonia")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("stores")
    for layout in ("grid", "orbitals"):
        cfg = BatchConfig(level="hf/sto-3g", spacing=0.25, size=20, margin=0.5, layout=layout)
        summary = run_batch([WATER, AMMONIA], root / layout, cfg)
        assert summary.computed == 2
    return root


def test_both_layouts_match_the_direct_density(stores):
    direct = compute_one(WATER, BatchConfig(level="hf/sto-3g", spacing=0.25, size=20, margin=0.5))
    grid = Grid(direct["grid_origin"], direct["grid_axes"], (20, 20, 20))
    ref = direct["density"].astype(np.float64)
    from_grid = StoreReader(stores / "grid").density("water")
    orbitals = StoreReader(stores / "orbitals")
    from_orbitals = orbitals.density("water")
    assert orbitals.grid("water").same_as(grid)
    n_ref = grid.integrate(ref)
    assert 8.0 < n_ref < 10.0  # 10 electrons; a 0.25 A grid misses part of the oxygen cusp
    assert abs(grid.integrate(from_grid) / n_ref - 1) < 7.6e-5  # the grid codec's stated bound
    assert np.abs(from_grid / np.where(ref >= 1e-9, ref, 1) - 1)[ref >= 1e-9].max() < 7.6e-5
    np.testing.assert_allclose(from_orbitals, ref, rtol=2e-5, atol=1e-10)  # float32 coefficients: ~1e-7
    rec = orbitals["water"]
    assert rec["orbitals_coeff"].shape == (7, 5) and rec["orbitals_occ"].tolist() == [2.0] * 5
    assert "density" not in rec.arrays and rec.meta["level"] == "hf/sto-3g"


def test_orbitals_layout_renders_any_grid_and_rotation(stores):
    reader = StoreReader(stores / "orbitals")
    scf = run_scf(AMMONIA, "hf/sto-3g")
    base = reader.grid("ammonia")
    fine = Grid(base.origin, base.axes / 2, (39, 39, 39))  # twice the resolution, same box
    np.testing.assert_allclose(reader.density("ammonia", fine), density_on_grid(scf, fine), rtol=2e-5, atol=1e-10)
    theta = 0.7
    rot = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    turned = rotated_grid(base, rot)
    rho_turned = reader.density("ammonia", turned)
    np.testing.assert_allclose(rho_turned, density_on_grid(scf, turned), rtol=2e-5, atol=1e-10)
    assert not np.allclose(rho_turned, reader.density("ammonia"))  # it did turn
    # a quarter turn about the centre maps the cubic grid's points onto themselves: same values, permuted
    quarter = reader.density("ammonia", rotated_grid(base, np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]])))
    np.testing.assert_allclose(np.sort(quarter.ravel()), np.sort(reader.density("ammonia").ravel()), rtol=1e-5)


def test_cli_info_and_verify(stores, tmp_path):
    runner = CliRunner()
    out = runner.invoke(store_app, ["info", str(stores / "grid"), "--json"])
    assert out.exit_code == 0, out.output
    info = json.loads(out.output)
    assert (info["count"], info["level"], info["grid_shape"], info["grid_spacing_A"]) == (2, "hf/sto-3g", [20] * 3, 0.25)
    assert info["layout"] == "grid" and info["raw_float32_bytes_per_molecule"] == 32000
    assert info["compression_ratio_vs_raw_float32"] > 2 and info["bytes_per_molecule"] < 16000
    table = runner.invoke(store_app, ["info", str(stores / "orbitals")])
    assert table.exit_code == 0 and "orbitals" in table.output
    ok = runner.invoke(store_app, ["verify", str(stores / "grid"), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["checked"] == 2 and json.loads(ok.output)["ok"]

    import shutil

    bad_store = tmp_path / "bad"
    shutil.copytree(stores / "orbitals", bad_store)
    reader = StoreReader(bad_store)
    _, offset, nbytes, _ = reader.location("ammonia")
    dat, _ = shard_paths(bad_store, 0)
    raw = bytearray(dat.read_bytes())
    raw[offset + nbytes - 5] ^= 0xFF  # damage ammonia, not water
    dat.write_bytes(bytes(raw))
    bad = runner.invoke(store_app, ["verify", str(bad_store), "--json"])
    assert bad.exit_code == 1
    report = json.loads(bad.output)
    assert report["checked"] == 2 and [b["id"] for b in report["bad"]] == ["ammonia"]
    assert "CRC32" in report["bad"][0]["problem"]
    text = runner.invoke(store_app, ["verify", str(bad_store)])
    assert text.exit_code == 1 and "bad record ammonia" in text.output
    missing = runner.invoke(store_app, ["info", str(tmp_path / "nothing")])
    assert isinstance(missing.exception, InputError) and "not a Hohenberg store" in str(missing.exception)


def test_qc_batch_cli_writes_a_store_with_the_chosen_layout(tmp_path, qm9_table):
    from hohenberg.cli.main import app

    table_path = qm9_table.take([0, 1]).save(tmp_path / "t.npz")  # methane, ammonia
    args = ["qc", "batch", str(table_path), "--level", "hf/sto-3g", "--size", "8", "--margin", "0.5", "--spacing", "0.5",
            "--layout", "orbitals", "--out", str(tmp_path / "s"), "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["layout"] == "orbitals"
    reader = StoreReader(tmp_path / "s")
    assert reader.layout == "orbitals" and sorted(reader.ids) == sorted(qm9_table.ids[:2])
    assert reader.density(qm9_table.ids[0]).shape == (8, 8, 8)
    grid_args = [a for a in args if a not in ("--layout", "orbitals")]
    clash = CliRunner().invoke(app, grid_args)  # the grid layout into an orbitals store
    assert "refusing to add results" in str(clash.exception)


def test_dataset_over_orbitals_renders_a_new_rotation_per_item(stores):
    import torch

    from hohenberg.store.dataset import DensityDataset

    quarter = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]])
    plain = DensityDataset(stores / "orbitals", ids=["water"], targets=("homo_eV",))
    turned = DensityDataset(stores / "orbitals", ids=["water"], targets=("homo_eV",),
                            grid_fn=lambda g: rotated_grid(g, quarter))
    a, b = plain[0], turned[0]
    assert a["density"].shape == (1, 20, 20, 20) and a["targets"].item() < 0
    assert not torch.allclose(a["density"], b["density"])
    assert torch.allclose(a["density"].sum(), b["density"].sum(), rtol=1e-5)  # the same points, turned
    with pytest.raises(Exception, match="orbitals layout"):
        DensityDataset(stores / "grid", grid_fn=lambda g: g)
