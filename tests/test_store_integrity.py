"""A store never loses records silently: a damaged index or store.json is a verify finding, a writer
refuses to cut off complete records the index lost, and repair lists them again; a record cut by a
crash is still dropped on resume."""

import hashlib
import json
import os

import numpy as np
import pytest
from test_store_rw import CONFIG, fake_record
from typer.testing import CliRunner

from hohenberg.cli.store import app as store_app
from hohenberg.errors import HohenbergError
from hohenberg.store import StoreReader, StoreWriter, repair_store, verify_store
from hohenberg.store.layout import shard_paths

N = 3
CONTAINERS = ["shards", "hdf5"]


def make(root, container, n=N):
    with StoreWriter(root, CONFIG, container=container) as w:
        for i in range(n):
            w.put(f"mol{i}", fake_record(i))
    with StoreReader(root) as r:  # what every check below must read back, value for value
        return {i: r[i].arrays for i in r.ids}


def files(root):
    """Every byte in the shards folder (the records' files and their indices), by name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "shards").iterdir())}


def damage_newline(root):
    idx = shard_paths(root, 0)[1]
    idx.write_bytes(idx.read_bytes()[:-1] + b" ")
    return CONFIG


def damage_cut(root):
    idx = shard_paths(root, 0)[1]
    raw = idx.read_bytes()
    start = raw[:-1].rfind(b"\n") + 1  # the last line, cut in its middle
    idx.write_bytes(raw[:start + (len(raw) - start) // 2])
    return CONFIG


def damage_deleted(root):
    shard_paths(root, 0)[1].unlink()
    return CONFIG


def damage_level(root):
    manifest = json.loads((root / "store.json").read_text())
    manifest["config"]["level"] = "b3lyp/def2-tzvp"
    (root / "store.json").write_text(json.dumps(manifest, indent=2))
    return manifest["config"]  # a rerun with the edited level: store.json alone would let it in


DAMAGES = {"newline": damage_newline, "cut": damage_cut, "deleted": damage_deleted, "level": damage_level}


@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damage_is_found_refused_and_repaired(tmp_path, container, damage):
    root = tmp_path / "store"
    want = make(root, container)
    config = DAMAGES[damage](root)
    report = verify_store(root)
    assert not report.ok
    problems = report.index_problems + report.manifest_problems
    assert any("mol" in p or "level" in p for p in problems), problems

    before = files(root)
    with pytest.raises(HohenbergError, match="store repair"):
        StoreWriter(root, config)
    assert files(root) == before  # the refused open changed nothing

    out = repair_store(root)
    assert out["records"] == N and out["changed"] and out["duplicate_ids"] == []
    assert verify_store(root).ok
    with StoreReader(root) as r:
        assert sorted(r.ids) == sorted(want)
        for i, arrays in want.items():
            got = r[i].arrays
            assert list(got) == list(arrays)
            for name, a in arrays.items():
                assert got[name].dtype == a.dtype and got[name].tobytes() == a.tobytes(), (i, name)
        assert r[f"mol{N - 1}"].meta["level"] == CONFIG["level"]
    with StoreWriter(root, CONFIG) as w:  # and the batch resumes with its own command
        assert w.ids == set(want)
        w.put("new", fake_record(9))
    assert verify_store(root).ok and len(StoreReader(root)) == N + 1
    assert repair_store(root)["changed"] is False  # a sound store is left as it is


def test_cut_record_is_still_dropped_on_resume(tmp_path):
    make(tmp_path, "shards")
    dat, idx = shard_paths(tmp_path, 0)
    committed = dat.stat().st_size
    with StoreReader(tmp_path) as r:
        whole = r.read_bytes("mol1")
    with open(dat, "ab") as fh:  # the first 70 % of a record, then the kill
        fh.write(whole[: len(whole) * 7 // 10])
    report = verify_store(tmp_path)
    assert report.ok and report.uncommitted_tail_bytes == len(whole) * 7 // 10
    with StoreWriter(tmp_path, CONFIG) as w:
        assert dat.stat().st_size == committed and w.ids == {"mol0", "mol1", "mol2"}
        w.put("mol3", fake_record(3))
    assert verify_store(tmp_path).ok and float(StoreReader(tmp_path)["mol3"]["gap_eV"]) == 8.0


def test_repair_sets_a_cut_tail_aside_and_lists_a_lost_record_after_it(tmp_path):
    make(tmp_path, "shards")
    dat, idx = shard_paths(tmp_path, 0)
    with StoreReader(tmp_path) as r:
        whole = r.read_bytes("mol1")
    idx.write_bytes(b"".join(idx.read_bytes().splitlines(keepends=True)[:2]))  # mol2's line lost
    with open(dat, "ab") as fh:
        fh.write(whole[:100])
    assert any("mol2" in p for p in verify_store(tmp_path).index_problems)
    out = repair_store(tmp_path)
    (item,) = out["shards"]
    assert item["recovered"] == ["mol2"] and item["tail_bytes"] == 100
    assert open(item["tail_moved_to"], "rb").read() == whole[:100]  # set aside, not deleted
    assert verify_store(tmp_path).ok and StoreReader(tmp_path).ids == ["mol0", "mol1", "mol2"]


def test_a_writer_killed_between_a_record_and_its_index_line_is_resumed(tmp_path):
    make(tmp_path, "shards")
    dat, idx = shard_paths(tmp_path, 0)
    committed = dat.stat().st_size
    pid = os.fork()
    if pid == 0:  # the record's bytes are on disk; the process dies as it writes the index line
        try:
            w = StoreWriter(tmp_path, CONFIG)
            real_write = os.write
            os.write = lambda fd, data: os._exit(0) if fd == w._idx else real_write(fd, data)
            w.put("mol3", fake_record(3))
        finally:
            os._exit(1)
    os.waitpid(pid, 0)
    assert dat.stat().st_size > committed
    report = verify_store(tmp_path)  # the commit the writer had begun: not a record, not lost
    assert report.ok and report.uncommitted_tail_bytes == dat.stat().st_size - committed
    with StoreWriter(tmp_path, CONFIG) as w:  # so the next writer drops it, as before
        assert dat.stat().st_size == committed and "mol3" not in w.ids
        w.put("mol3", fake_record(3))
    assert verify_store(tmp_path).ok


def test_hdf5_shard_renamed_without_its_index_after_a_kill_is_still_dropped(tmp_path):
    make(tmp_path, "hdf5")
    folder = tmp_path / "shards"
    (folder / "00000.h5").rename(folder / "00001.h5")  # as if renamed into place, killed before its index
    (folder / "00000.idx").unlink()
    intent = tmp_path / ".writer.intent"
    intent.write_text("")  # no commit explains it: data an index lost
    assert not verify_store(tmp_path).ok
    with pytest.raises(HohenbergError, match="store repair"):
        StoreWriter(tmp_path, CONFIG)
    assert (folder / "00001.h5").exists()
    intent.write_text(json.dumps({"commit": 1}))  # the commit a killed writer had begun
    report = verify_store(tmp_path)
    assert report.ok and report.checked == 0 and report.uncommitted_tail_bytes > 0
    with StoreWriter(tmp_path, CONFIG) as w:  # never committed: dropped and recomputed, as before
        assert w.ids == set() and not (folder / "00001.h5").exists()


def test_cli_verify_and_repair(tmp_path):
    make(tmp_path, "shards")
    damage_cut(tmp_path)
    runner = CliRunner()
    bad = runner.invoke(store_app, ["verify", str(tmp_path), "--json"])
    assert bad.exit_code == 1
    report = json.loads(bad.output)
    assert not report["ok"] and "mol2" in report["index_problems"][0]
    text = runner.invoke(store_app, ["verify", str(tmp_path)])
    assert text.exit_code == 1 and "store repair" in text.output
    fixed = runner.invoke(store_app, ["repair", str(tmp_path), "--json"])
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.output)["recovered"] == 1
    again = runner.invoke(store_app, ["repair", str(tmp_path)])
    assert again.exit_code == 0 and "nothing to change" in again.output
    assert runner.invoke(store_app, ["verify", str(tmp_path)]).exit_code == 0
