"""Batch runner: results in the store and failures on disk, resume without recomputation, Dask kill + resume."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from hohenberg.errors import HohenbergError
from hohenberg.molecules import Molecule
from hohenberg.qc.batch import BatchConfig, run_batch
from hohenberg.store import StoreReader, verify_store

CONFIG = BatchConfig(level="hf/sto-3g", spacing=0.4, size=12, margin=0.5)


def small_molecules(qm9_table, n):
    small = qm9_table.take(np.flatnonzero(qm9_table.n_atoms <= 6)[:n])
    assert len(small) == n
    return small


def test_local_batch_writes_results_logs_failures_and_resumes(tmp_path, qm9_table):
    table = small_molecules(qm9_table, 3)
    mols = list(table) + [Molecule([1, 1], [[0, 0, 0], [0, 0, 0.74]], name="H2")]
    config = BatchConfig(level="hf/6-31g", spacing=0.4, size=12, margin=0.5)
    bad = Molecule([1, 1], [[0, 0, 0], [0, 0, 0.74]], name="H2-bad")
    bad.numbers = np.array([1, 118])  # an element no basis set covers: the SCF cannot even start
    bad.spin = 1
    summary = run_batch(mols + [bad], tmp_path, config)
    assert (summary.computed, summary.failed, summary.done) == (4, 1, 4)
    failures = [json.loads(x) for x in (tmp_path / "failures.jsonl").read_text().splitlines()]
    assert failures[0]["id"] == "H2-bad" and "basis" in failures[0]["reason"]
    data = StoreReader(tmp_path)[table.ids[0]]
    assert data.meta["level"] == "hf/6-31g" and data["density"].shape == (12, 12, 12)
    assert data["density"].dtype == np.float32 and float(data["homo_eV"]) < 0
    again = run_batch(mols + [bad], tmp_path, config)
    assert (again.computed, again.skipped, again.failed) == (0, 4, 1)  # nothing recomputed
    with pytest.raises(HohenbergError, match="refusing to add results"):
        run_batch(mols, tmp_path, BatchConfig(level="hf/sto-3g", spacing=0.4, size=12, margin=0.5))


def test_two_local_workers(tmp_path, qm9_table):
    table = small_molecules(qm9_table, 4)
    summary = run_batch(iter(table), tmp_path, CONFIG, workers=2)
    assert summary.computed == 4 and sorted(StoreReader(tmp_path).ids) == sorted(table.ids)


DRIVER = """
import sys
from distributed import LocalCluster
from hohenberg.molecules import MoleculeTable
from hohenberg.qc.batch import BatchConfig, run_batch

if __name__ == "__main__":
    table = MoleculeTable.load(sys.argv[1])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        cfg = BatchConfig(level="hf/sto-3g", spacing=0.6, size=16, margin=0.5)
        s = run_batch(iter(table), sys.argv[2], cfg, scheduler=cluster.scheduler_address, max_in_flight=2)
        print("DONE", s.computed, s.skipped, flush=True)
"""


def test_dask_local_cluster_killed_midway_then_resumed(tmp_path, qm9_table):
    table = small_molecules(qm9_table, 14)
    table_path = table.save(tmp_path / "t.npz")
    out = tmp_path / "batch"
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    proc = subprocess.Popen([sys.executable, str(script), str(table_path), str(out)], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def committed():  # id -> (shard, offset, nbytes, crc32) of what the store has committed so far
        if not (out / "store.json").exists():
            return {}
        reader = StoreReader(out)
        return {i: reader.location(i) for i in reader.ids}

    deadline = time.time() + 120
    while time.time() < deadline and len(committed()) < 3:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver, the scheduler and the workers
    proc.wait()
    before = committed()
    assert 3 <= len(before) < 14, "the kill must land midway"

    proc = subprocess.run([sys.executable, str(script), str(table_path), str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    done, computed, skipped = proc.stdout.split()[-3:]
    reader = StoreReader(out)
    assert sorted(reader.ids) == sorted(table.ids)  # nothing missing
    assert reader.index_problems == [] and reader.tails == {}  # nothing twice, no half-written bytes
    assert verify_store(out).ok
    assert int(skipped) == len(before) and int(computed) == 14 - len(before)
    for stem, location in before.items():  # what was done before the kill was not recomputed or moved
        assert reader.location(stem) == location
    assert sorted(p.name for p in out.iterdir()) == [".writer.lock", "shards", "store.json"]  # no temp files
    assert not (out / "failures.jsonl").exists()


def test_cli_batch_and_rerun(tmp_path, qm9_table):
    from typer.testing import CliRunner

    from hohenberg.cli.main import app

    table_path = small_molecules(qm9_table, 3).save(tmp_path / "t.npz")
    args = ["qc", "batch", str(table_path), "--level", "hf/sto-3g", "--limit", "2", "--size", "8", "--margin", "0.5",
            "--spacing", "0.5", "--out", str(tmp_path / "b"), "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["computed_now"] == 2
    second = json.loads(CliRunner().invoke(app, args).output)
    assert (second["computed_now"], second["already_done"], second["done"]) == (0, 2, 2)


def test_cli_run_json_matches_library(qm9_table):
    from typer.testing import CliRunner

    from hohenberg.cli.main import app
    from hohenberg.qc.scf import run_scf

    out = CliRunner().invoke(app, ["qc", "run", "O", "--smiles", "--level", "hf/sto-3g", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    from hohenberg.molecules.smiles import molecule_from_smiles

    ref = run_scf(molecule_from_smiles("O"), "hf/sto-3g")
    assert data["energy_eV"] == pytest.approx(ref.energy_eV, abs=1e-6) and data["level"] == "hf/sto-3g"
    assert data["homo_eV"] == pytest.approx(ref.homo_eV, abs=1e-6)
