"""Store writer and reader: round trip, resume after a crash, refusals, corruption reported by id."""

import json
import os

import numpy as np
import pytest

from hohenberg.errors import HohenbergError, InputError
from hohenberg.grids import Grid
from hohenberg.store import CorruptRecordError, DensityCodec, StoreReader, StoreWriter, verify_store
from hohenberg.store.layout import shard_paths

CONFIG = {"level": "hf/sto-3g", "spacing": 0.3, "size": 16, "density": True}


def fake_record(seed, n=16):
    """Arrays shaped like compute_one's: an exponential density on an n^3 grid plus properties."""
    rng = np.random.default_rng(seed)
    grid = Grid.cube(rng.normal(size=3), 0.3, n)
    r = np.linalg.norm(grid.points() - grid.origin - 2.25, axis=1).reshape(grid.shape) / 0.529177
    rho = (20 * np.exp(-3 * r) + 0.1 * np.exp(-1.2 * r)).astype(np.float32)
    return {"density": rho, "grid_origin": grid.origin, "grid_axes": grid.axes, "homo_eV": np.float64(-10 - seed),
            "gap_eV": np.float64(5 + seed), "numbers": np.array([6, 1, 1, 1, 1]), "positions": rng.normal(size=(5, 3))}


def write(root, n, **kw):
    with StoreWriter(root, CONFIG, **kw) as w:
        for i in range(n):
            w.put(f"mol{i}", fake_record(i))


def test_round_trip_provenance_and_error_bound(tmp_path):
    write(tmp_path, 3)
    r = StoreReader(tmp_path)
    assert r.ids == ["mol0", "mol1", "mol2"] and len(r) == 3 and "mol1" in r and "x" not in r
    rec = r["mol1"]
    ref = fake_record(1)
    assert rec.meta["level"] == "hf/sto-3g" and rec.meta["code"].startswith("hohenberg ")
    assert float(rec["homo_eV"]) == -11.0 and rec["numbers"].tolist() == [6, 1, 1, 1, 1]
    np.testing.assert_array_equal(rec["positions"], ref["positions"])  # everything but the density is exact
    grid = r.grid("mol1")
    assert grid.same_as(Grid(ref["grid_origin"], ref["grid_axes"], (16, 16, 16)))
    rho = r.density("mol1")
    assert rho.shape == (16, 16, 16) and rho.dtype == np.float32
    assert np.abs(rho / ref["density"] - 1).max() <= 7.6e-5  # the logq bound (all values above the floor)
    assert abs(grid.integrate(rho) / grid.integrate(ref["density"]) - 1) < 7.6e-5  # so is the integral
    manifest = json.loads((tmp_path / "store.json").read_text())
    assert manifest["layout"] == "grid" and manifest["config"] == CONFIG and manifest["density_codec"]["name"] == "logq"
    with pytest.raises(HohenbergError, match="no record 'nope'"):
        r["nope"]
    with pytest.raises(HohenbergError, match="own grid only"):
        r.density("mol1", Grid.cube(np.zeros(3), 0.2, 16))


def test_extend_refusals_and_one_writer(tmp_path):
    write(tmp_path, 2)
    with StoreWriter(tmp_path, CONFIG) as w:  # extending: appends after what is there
        assert w.ids == {"mol0", "mol1"}
        with pytest.raises(HohenbergError, match="already in the store"):
            w.put("mol0", fake_record(0))
        with pytest.raises(HohenbergError, match="already open for writing"):
            StoreWriter(tmp_path, CONFIG)
        w.put("mol2", fake_record(2))
    assert StoreReader(tmp_path).ids == ["mol0", "mol1", "mol2"]
    with pytest.raises(HohenbergError, match="refusing to add results"):
        StoreWriter(tmp_path, {**CONFIG, "level": "hf/6-31g"})
    with pytest.raises(HohenbergError, match="refusing to add results"):
        StoreWriter(tmp_path, CONFIG, density_codec=DensityCodec("f16"))
    with pytest.raises(InputError, match="not a Hohenberg store"):
        StoreReader(tmp_path / "nothing")


def test_crash_mid_write_leaves_no_record_and_is_repaired(tmp_path):
    write(tmp_path, 2)
    dat, idx = shard_paths(tmp_path, 0)
    committed = dat.stat().st_size
    with open(dat, "ab") as fh:  # a record's bytes written, the process killed before its index line
        fh.write(b"HBR1 half a record")
    with open(idx, "ab") as fh:  # or killed inside the index line
        fh.write(b'{"id":"mol9","offs')
    r = StoreReader(tmp_path)
    assert r.ids == ["mol0", "mol1"] and r.tails == {0: 18} and r.index_problems == []
    report = verify_store(tmp_path)
    assert report.ok and report.uncommitted_tail_bytes == 18
    with StoreWriter(tmp_path, CONFIG) as w:  # the next writer cuts both off, then appends
        assert dat.stat().st_size == committed and idx.read_bytes().endswith(b"}\n")
        w.put("mol9", fake_record(9))
    r = StoreReader(tmp_path)
    assert r.ids == ["mol0", "mol1", "mol9"] and r.tails == {}
    assert float(r["mol9"]["gap_eV"]) == 14.0 and verify_store(tmp_path).ok


def test_corrupt_and_truncated_records_are_reported_by_id(tmp_path):
    write(tmp_path, 4, shard_bytes=1)  # every record in its own shard
    r = StoreReader(tmp_path)
    assert [r.location(i)[0] for i in r.ids] == [0, 1, 2, 3]
    dat1, _ = shard_paths(tmp_path, 1)
    raw = bytearray(dat1.read_bytes())
    raw[len(raw) // 2] ^= 0x01  # one flipped bit inside mol1
    dat1.write_bytes(bytes(raw))
    dat3, _ = shard_paths(tmp_path, 3)
    os.truncate(dat3, dat3.stat().st_size - 100)  # mol3 cut short
    r = StoreReader(tmp_path)
    with pytest.raises(CorruptRecordError, match=r"record 'mol1' .*checksum") as exc:
        r["mol1"]
    assert exc.value.record_id == "mol1"
    with pytest.raises(CorruptRecordError, match=r"record 'mol3' .*truncated"):
        r.density("mol3")
    assert float(r["mol2"]["homo_eV"]) == -12.0  # the others still read
    report = verify_store(tmp_path)
    assert not report.ok and report.checked == 4
    assert [(b["id"], b["problem"].split(":")[0]) for b in report.bad] == [("mol1", "checksum (CRC32) mismatch"),
                                                                            ("mol3", "truncated")]


def test_record_with_valid_crc_but_wrong_content_is_caught(tmp_path):
    write(tmp_path, 2)
    _, idx = shard_paths(tmp_path, 0)
    lines = idx.read_text().splitlines()
    a, b = json.loads(lines[0]), json.loads(lines[1])
    a["id"], b["id"] = b["id"], a["id"]  # an index that points each id at the other's bytes
    idx.write_text(json.dumps(b) + "\n" + json.dumps(a) + "\n")
    with pytest.raises(CorruptRecordError, match="holds record"):
        StoreReader(tmp_path)["mol0"]
    assert {x["id"] for x in verify_store(tmp_path).bad} == {"mol0", "mol1"}


def test_torch_dataset_with_two_worker_processes(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    from hohenberg.store.dataset import DensityDataset

    write(tmp_path, 6)
    ds = DensityDataset(tmp_path, targets=("gap_eV", "homo_eV"))
    ds.reader.density("mol0")  # the parent opens a shard: the workers must not use its descriptor
    loader = DataLoader(ds, batch_size=2, shuffle=True, num_workers=2, generator=torch.Generator().manual_seed(0))
    seen = {}
    for batch in loader:
        assert batch["density"].shape == (2, 1, 16, 16, 16)
        for i, t in zip(batch["id"], batch["targets"]):
            seen[i] = t.tolist()
    assert seen == {f"mol{i}": [5.0 + i, -10.0 - i] for i in range(6)}
    with pytest.raises(HohenbergError, match="not in the store"):
        DensityDataset(tmp_path, ids=["mol0", "zzz"])


def test_failed_append_closes_the_writer_and_the_next_one_repairs(tmp_path):
    w = StoreWriter(tmp_path, CONFIG)
    w.put("mol0", fake_record(0))
    os.close(w._idx)  # the index write of the next record fails (as on a full disk)
    with pytest.raises(OSError):
        w.put("mol1", fake_record(1))
    with pytest.raises(HohenbergError, match="writer is closed"):
        w.put("mol2", fake_record(2))
    r = StoreReader(tmp_path)
    assert r.ids == ["mol0"] and r.tails[0] > 0  # mol1's bytes are there, but not committed
    with StoreWriter(tmp_path, CONFIG) as w2:  # the lock was released; the tail is cut off
        w2.put("mol1", fake_record(1))
    assert StoreReader(tmp_path).ids == ["mol0", "mol1"] and verify_store(tmp_path).ok


def test_batch_computes_an_id_given_twice_once(tmp_path):
    from hohenberg.molecules import Molecule
    from hohenberg.qc.batch import BatchConfig, run_batch

    h2 = Molecule([1, 1], [[0, 0, 0], [0, 0, 0.74]], name="H2")
    s = run_batch([h2, h2], tmp_path, BatchConfig(level="hf/sto-3g", spacing=0.5, size=8, margin=0.5))
    assert (s.computed, s.done, s.failed) == (1, 1, 0)
    rho = StoreReader(tmp_path).density("H2")
    grid = StoreReader(tmp_path).grid("H2")
    assert rho.shape == (8, 8, 8) and 1.0 < grid.integrate(rho) < 2.05  # 2 electrons, coarse grid


def test_reader_sent_to_a_spawned_worker_carries_no_descriptors(tmp_path):
    import pickle  # in memory only, as multiprocessing does when it spawns a DataLoader worker

    write(tmp_path, 2)
    r = StoreReader(tmp_path)
    r.density("mol0")
    assert len(r._fds) == 1
    clone = pickle.loads(pickle.dumps(r))
    assert clone._fds == {} and float(clone["mol1"]["gap_eV"]) == 6.0
    r.close()
