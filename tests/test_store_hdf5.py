"""The hdf5 container: same values as the shards container, corruption by id, kill safety, DataLoader."""

import json
import os

import h5py
import numpy as np
import pytest
from test_store_rw import CONFIG, fake_record

from hohenberg.errors import HohenbergError
from hohenberg.store import CorruptRecordError, DensityCodec, StoreReader, StoreWriter, store_info, verify_store
from hohenberg.store.hdf5 import h5_path
from hohenberg.store.layout import shard_paths


def write(root, ids, container="hdf5", **kw):
    with StoreWriter(root, CONFIG, container=container, **kw) as w:
        for i in ids:
            w.put(f"mol{i}", fake_record(i))


@pytest.mark.parametrize("codec_name", ["logq", "f16"])
def test_round_trip_equals_the_shards_container(tmp_path, codec_name):
    codec = DensityCodec(codec_name)
    write(tmp_path / "s", range(5), container="shards", density_codec=codec)
    write(tmp_path / "h", range(5), density_codec=codec, shard_records=2)  # 3 HDF5 files: 2 + 2 + 1
    a, b = StoreReader(tmp_path / "s"), StoreReader(tmp_path / "h")
    assert b.container == "hdf5" and a.container == "shards" and b.ids == a.ids
    assert json.loads((tmp_path / "h" / "store.json").read_text())["container"] == "hdf5"
    assert sorted(p.name for p in (tmp_path / "h" / "shards").iterdir()) == [
        f"0000{n}.{ext}" for n in range(3) for ext in ("h5", "idx")]
    for i in a.ids:
        ra, rb = a[i], b[i]
        assert list(ra.arrays) == list(rb.arrays) and ra.meta == rb.meta
        for name in ra.arrays:  # bit-identical: the same codes, decoded by the same function
            assert ra[name].dtype == rb[name].dtype and ra[name].shape == rb[name].shape
            np.testing.assert_array_equal(ra[name], rb[name])
    ref = fake_record(3)["density"]
    rtol, atol = (7.6e-5, 0.0) if codec_name == "logq" else (2.0**-11, 3e-8)  # the codecs' stated bounds
    np.testing.assert_allclose(b.density("mol3"), ref, rtol=rtol, atol=atol)
    assert b.grid("mol3").same_as(a.grid("mol3"))
    with h5py.File(h5_path(tmp_path / "h", 1), "r") as f:  # a plain HDF5 file: one chunk per molecule
        ds = f["density"]
        assert ds.chunks == (1, 16, 16, 16) and ds.compression == "gzip" and ds.shuffle and ds.fletcher32
        assert ds.dtype == (np.uint16 if codec_name == "logq" else np.float16)
        assert [s.decode() if isinstance(s, bytes) else s for s in f["ids"][()]] == ["mol2", "mol3"]
    assert verify_store(tmp_path / "h").ok and store_info(tmp_path / "h")["container"] == "hdf5"
    # extending keeps the container; another one is refused; so is hdf5 for the orbitals layout
    with StoreWriter(tmp_path / "h", CONFIG, density_codec=codec) as w:
        assert w.container == "hdf5" and len(w.ids) == 5
        w.put("mol5", fake_record(5))
    assert StoreReader(tmp_path / "h").ids[-1] == "mol5"
    with pytest.raises(HohenbergError, match="container is 'hdf5'"):
        StoreWriter(tmp_path / "h", CONFIG, density_codec=codec, container="shards")
    with pytest.raises(HohenbergError, match="grid layout only"):
        StoreWriter(tmp_path / "o", CONFIG, "orbitals", container="hdf5")


def test_corrupt_and_truncated_shards_are_reported_by_id(tmp_path):
    write(tmp_path, range(4), shard_records=2)
    with h5py.File(h5_path(tmp_path, 0), "r") as f:  # where mol1's compressed grid lies in the file
        info = f["density"].id.get_chunk_info_by_coord((1, 0, 0, 0))
    raw = bytearray(h5_path(tmp_path, 0).read_bytes())
    raw[info.byte_offset + info.size // 2] ^= 0x01  # one flipped bit inside mol1's chunk
    h5_path(tmp_path, 0).write_bytes(bytes(raw))
    os.truncate(h5_path(tmp_path, 1), h5_path(tmp_path, 1).stat().st_size // 2)  # mol2, mol3 cut short
    r = StoreReader(tmp_path)
    with pytest.raises(CorruptRecordError, match=r"record 'mol1' \(shards/00000.h5 row 1\)") as exc:
        r.density("mol1")
    assert exc.value.record_id == "mol1"
    with pytest.raises(CorruptRecordError, match=r"record 'mol3' .*truncated or damaged"):
        r["mol3"]
    np.testing.assert_array_equal(r.density("mol0"), StoreReader(tmp_path).density("mol0"))  # the others read
    assert float(r["mol0"]["gap_eV"]) == 5.0
    report = verify_store(tmp_path)
    assert not report.ok and report.checked == 4 and [b["id"] for b in report.bad] == ["mol1", "mol2", "mol3"]


def test_a_changed_value_fails_the_crc_and_a_swapped_row_is_caught(tmp_path):
    write(tmp_path, range(2))
    path = h5_path(tmp_path, 0)
    with h5py.File(path, "r+") as f:  # a valid HDF5 file whose stored values changed
        f["records/1"].attrs["array:gap_eV"] = np.float64(99.0)
        codes = f["density"][0]
        codes[3, 3, 3] += 2
        f["density"][0] = codes
    r = StoreReader(tmp_path)
    with pytest.raises(CorruptRecordError, match=r"record 'mol1' .*CRC32.*'gap_eV'"):
        r["mol1"]
    assert r.record("mol1", {"homo_eV"})["homo_eV"] == -11.0  # what is intact still reads
    r.close()
    with h5py.File(path, "r+") as f:
        f["records/1"].attrs["header"] = f["records/1"].attrs["header"].replace('"gap_eV"', '"gap_xx"')
    with pytest.raises(CorruptRecordError, match=r"record 'mol1' .*header is corrupt"):
        r.record("mol1", {"homo_eV"})
    with pytest.raises(CorruptRecordError, match=r"record 'mol0' .*density checksum"):
        r.density("mol0")
    _, idx = shard_paths(tmp_path, 0)
    lines = [json.loads(x) for x in idx.read_text().splitlines()]
    lines[0]["offset"], lines[1]["offset"] = lines[1]["offset"], lines[0]["offset"]
    idx.write_text("".join(json.dumps(e) + "\n" for e in lines))
    assert {b["id"] for b in verify_store(tmp_path).bad} == {"mol0", "mol1"}


def test_killed_writer_leaves_only_committed_shards_and_resumes(tmp_path):
    write(tmp_path, range(1))  # one committed shard: mol0
    pid = os.fork()
    if pid == 0:  # a writer killed mid-run: 2 records committed (mol1, mol2), mol3 in the temp file
        try:
            w = StoreWriter(tmp_path, CONFIG, shard_records=2)
            for i in (1, 2, 3):
                w.put(f"mol{i}", fake_record(i))
        finally:
            os._exit(0)  # no close(), no flush: as SIGKILL would leave it
    os.waitpid(pid, 0)
    folder = tmp_path / "shards"
    temp = [p.name for p in folder.glob(".*.tmp")]
    assert temp == [f".00002.h5.{pid}.tmp"]  # mol3, never committed
    (folder / "00003.h5").write_bytes(b"\x89HDF renamed, then killed before its index")
    r = StoreReader(tmp_path)
    assert r.ids == ["mol0", "mol1", "mol2"] and set(r.tails) == {2, 3}  # neither file is read as data
    report = verify_store(tmp_path)
    assert report.ok and report.checked == 3 and report.uncommitted_tail_bytes > 0
    with StoreWriter(tmp_path, CONFIG) as w:  # resume: cleans both up, recomputes mol3
        assert w.ids == {"mol0", "mol1", "mol2"}
        assert not list(folder.glob(".*.tmp")) and not (folder / "00003.h5").exists()
        w.put("mol3", fake_record(3))
    r = StoreReader(tmp_path)
    assert r.ids == ["mol0", "mol1", "mol2", "mol3"] and r.where("mol3") == "shards/00002.h5 row 0" and r.tails == {}
    assert float(r["mol3"]["gap_eV"]) == 8.0 and verify_store(tmp_path).ok


def test_failed_write_drops_the_open_shard_and_releases_the_lock(tmp_path):
    w = StoreWriter(tmp_path, CONFIG, container="hdf5")
    w.put("mol0", fake_record(0))
    w.flush()
    w.put("mol1", fake_record(1))
    with pytest.raises(HohenbergError, match="density shape"):  # refused before anything is written
        w.put("bad", {**fake_record(2), "density": np.zeros((4, 4, 4), np.float32)})
    w._h5._file.close()  # the temp file becomes unwritable (as on a full disk)
    with pytest.raises(Exception):
        w.put("mol2", fake_record(2))
    with pytest.raises(HohenbergError, match="writer is closed"):
        w.put("mol3", fake_record(3))
    assert not list((tmp_path / "shards").glob(".*.tmp"))
    assert StoreReader(tmp_path).ids == ["mol0"]  # mol1 was never committed: recomputed on resume
    with StoreWriter(tmp_path, CONFIG) as w2:
        w2.put("mol1", fake_record(1))
    assert StoreReader(tmp_path).ids == ["mol0", "mol1"] and verify_store(tmp_path).ok


def test_torch_dataset_with_two_worker_processes(tmp_path):
    torch = pytest.importorskip("torch")
    import pickle

    from torch.utils.data import DataLoader

    from hohenberg.store.dataset import DensityDataset

    write(tmp_path, range(6), shard_records=4)
    ds = DensityDataset(tmp_path, targets=("gap_eV", "homo_eV"))
    ref = {f"mol{i}": ds.reader.density(f"mol{i}") for i in range(6)}  # the parent opens both files
    loader = DataLoader(ds, batch_size=2, shuffle=True, num_workers=2, generator=torch.Generator().manual_seed(0))
    seen = {}
    for batch in loader:
        assert batch["density"].shape == (2, 1, 16, 16, 16)
        for i, t, rho in zip(batch["id"], batch["targets"], batch["density"]):
            seen[i] = t.tolist()
            np.testing.assert_array_equal(rho[0].numpy(), ref[i])
    assert seen == {f"mol{i}": [5.0 + i, -10.0 - i] for i in range(6)}
    assert float(ds.reader["mol5"]["gap_eV"]) == 10.0  # the parent's handles still work
    clone = pickle.loads(pickle.dumps(ds.reader))  # as sent to a spawned worker: no handles
    assert clone._h5._files == {} and float(clone["mol1"]["gap_eV"]) == 6.0


def test_steep_jumps_are_patched_as_in_the_shards_container(tmp_path):
    rec = fake_record(0)
    rec["density"][0, 0, :4] = [1e3, 0.0, 1e3, 0.0]  # second differences far beyond 16 bits
    for container in ("shards", "hdf5"):
        with StoreWriter(tmp_path / container, CONFIG, container=container) as w:
            w.put("spiky", rec)
    with h5py.File(h5_path(tmp_path / "hdf5", 0), "r") as f:
        header = json.loads(f["records/0"].attrs["header"])
    assert len(header["arrays"][0]["params"]["patch_at"]) >= 3
    np.testing.assert_array_equal(StoreReader(tmp_path / "hdf5").density("spiky"),
                                  StoreReader(tmp_path / "shards").density("spiky"))
    np.testing.assert_allclose(StoreReader(tmp_path / "hdf5").density("spiky"), rec["density"], rtol=7.6e-5)


def test_large_arrays_text_and_many_arrays_fit(tmp_path):
    rec = {**fake_record(0), "basis": np.array("C 6-31G*\n" * 5000), "big": np.arange(50_000, dtype=np.int32)}
    rec.update({f"target{k}": np.float64(k) for k in range(20)})  # past HDF5's 8 compact attributes
    for container in ("shards", "hdf5"):
        with StoreWriter(tmp_path / container, CONFIG, container=container) as w:
            w.put("m", rec)
    a, b = StoreReader(tmp_path / "shards")["m"], StoreReader(tmp_path / "hdf5")["m"]
    assert list(a.arrays) == list(b.arrays) and str(b["basis"]) == str(rec["basis"])
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name])
    with h5py.File(h5_path(tmp_path / "hdf5", 0), "r") as f:  # the big ones became datasets
        assert set(f["records/0"]) == {"array:basis", "array:big"} and "array:target19" in f["records/0"].attrs


def test_batch_extends_an_hdf5_store_and_the_cli_reads_it(tmp_path):
    from typer.testing import CliRunner

    from hohenberg.cli.store import app as store_app
    from hohenberg.molecules import Molecule
    from hohenberg.qc.batch import BatchConfig, run_batch

    cfg = BatchConfig(level="hf/sto-3g", spacing=0.5, size=8, margin=0.5)
    science = {"level": cfg.level, "spacing": cfg.spacing, "size": cfg.size, "density": cfg.density}
    StoreWriter(tmp_path, science, container="hdf5").close()  # created empty, in the hdf5 container
    h2 = Molecule([1, 1], [[0, 0, 0], [0, 0, 0.74]], name="H2")
    s = run_batch([h2], tmp_path, cfg)
    assert (s.computed, s.failed) == (1, 0)
    r = StoreReader(tmp_path)
    assert r.container == "hdf5" and r.ids == ["H2"] and 1.0 < r.grid("H2").integrate(r.density("H2")) < 2.05
    info = CliRunner().invoke(store_app, ["info", str(tmp_path), "--json"])
    assert info.exit_code == 0 and json.loads(info.output)["container"] == "hdf5"
    assert CliRunner().invoke(store_app, ["info", str(tmp_path)]).exit_code == 0
    ok = CliRunner().invoke(store_app, ["verify", str(tmp_path), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["ok"]
