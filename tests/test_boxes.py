"""Boxes that fit: every grid holds its molecule with the stated margin, or the molecule is refused."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from hohenberg.errors import HohenbergError
from hohenberg.grids import MARGIN, grid_for, points_to_fit


def cli(*args):
    return subprocess.run([sys.executable, "-c", "from hohenberg.cli.main import main; main()", *map(str, args)],
                          capture_output=True, text=True)


def test_a_sized_box_holds_every_nucleus_with_the_margin_and_no_more_than_one_step_extra():
    rng = np.random.default_rng(0)
    for _ in range(50):
        pos = rng.normal(size=(int(rng.integers(1, 40)), 3)) * rng.uniform(0.5, 6.0)
        spacing = float(rng.uniform(0.1, 0.5))
        grid = grid_for(pos, spacing)
        assert grid.inner_distance(pos) >= MARGIN - 1e-9
        assert grid_for(pos, spacing, grid.shape[0]).shape == grid.shape  # the fitted size passes its own check
        with pytest.raises(HohenbergError, match=f"at least {grid.shape[0]}"):
            grid_for(pos, spacing, grid.shape[0] - 2)  # two points fewer cannot hold it
    assert points_to_fit(np.zeros((1, 3)), 0.5, 2.0) == 9  # one atom: 4 A across at 0.5 A


@pytest.mark.slow
def test_a_fixed_box_that_would_cut_is_refused_naming_the_molecule_and_the_size_that_fits(tmp_path):
    long_chain = "C" * 16
    res = cli("qc", "promolecule", long_chain, "--smiles", "--spacing", 0.3, "--size", 48, "--out", tmp_path / "c.cube")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    msg = " ".join(res.stderr.split())
    assert f"molecule {long_chain} does not fit a 48^3 box at 0.3 A" in msg and "use a size of at least" in msg
    assert not (tmp_path / "c.cube").exists()
    res = cli("qc", "promolecule", long_chain, "--smiles", "--spacing", 0.3, "--out", tmp_path / "c.cube",
              "--png", tmp_path / "c.png", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["voxel_sum_electrons"] == pytest.approx(report["electrons"], rel=0.05)  # nothing cut away
    assert (tmp_path / "c.png").stat().st_size > 0


@pytest.mark.slow
def test_batch_fails_the_molecule_that_does_not_fit_and_computes_the_others(tmp_path):
    smi = tmp_path / "m.smi"
    smi.write_text("O water\n" + "C" * 16 + " hexadecane\n")
    res = cli("qc", "batch", smi, "--level", "hf/sto-3g", "--spacing", 0.4, "--size", 24, "--out", tmp_path / "s", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["failed"] == 1
    reasons = [json.loads(line) for line in (tmp_path / "s" / "failures.jsonl").read_text().splitlines()]
    assert reasons[0]["id"] == "hexadecane" and "does not fit a 24^3 box" in reasons[0]["reason"]
