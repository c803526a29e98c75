"""QM9 ingest: both sources give identical arrays; splits, flags, atom references, baseline."""

import io
import tarfile
import zipfile

import numpy as np
import pytest

from hohenberg.datasets import qm9
from hohenberg.errors import InputError
from hohenberg.molecules import MoleculeTable
from hohenberg.units import HARTREE_EV


def assert_tables_equal(a: MoleculeTable, b: MoleculeTable):
    assert list(a.ids) == list(b.ids)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_array_equal(a.numbers, b.numbers)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert sorted(a.properties) == sorted(b.properties)
    for k in a.properties:
        np.testing.assert_array_equal(a.properties[k], b.properties[k], err_msg=k)
    for k in a.atom_properties:
        np.testing.assert_array_equal(a.atom_properties[k], b.atom_properties[k], err_msg=k)
    for k in a.ragged:
        np.testing.assert_array_equal(a.ragged[k][0], b.ragged[k][0], err_msg=k)
        np.testing.assert_array_equal(a.ragged[k][1], b.ragged[k][1], err_msg=k)
    for k in ("smiles", "inchi"):
        assert list(a.text[k]) == list(b.text[k])


def test_official_and_qm9pack_sources_agree(qm9_xyz_dir, qm9_csv_dir, qm9_table):
    official = qm9.ingest(qm9_xyz_dir)
    assert official.meta["source_kind"] == "xyz-dir" and qm9_table.meta["source_kind"] == "qm9pack-csv"
    assert len(official) == 300 and len(qm9_table) == 299
    shared = official.take(official.properties["uncharacterized"] == 0)
    assert_tables_equal(shared, qm9_table)


def test_tarball_source_streams_members_and_ignores_unsafe_ones(tmp_path, qm9_xyz_dir, qm9_table):
    tar_path = tmp_path / "dsgdb9nsd.xyz.tar.bz2"
    with tarfile.open(tar_path, "w:bz2") as tf:
        for p in sorted(qm9_xyz_dir.glob("*.xyz")):
            tf.add(p, arcname=p.name)
        evil = b"not a molecule"
        for name in ("../evil.xyz", "/abs/dsgdb9nsd_999999.xyz"):
            info = tarfile.TarInfo(name)
            info.size = len(evil)
            tf.addfile(info, io.BytesIO(evil)) if name.startswith("..") else None
        link = tarfile.TarInfo("dsgdb9nsd_999998.xyz")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    before = set(tmp_path.parent.iterdir())
    table = qm9.ingest(tar_path, include_uncharacterized=False)
    assert set(tmp_path.parent.iterdir()) == before  # nothing extracted anywhere
    assert_tables_equal(table, qm9_table)


def test_truncated_tarball_is_a_clear_error(tmp_path, qm9_xyz_dir):
    tar_path = tmp_path / "q.tar.bz2"
    with tarfile.open(tar_path, "w:bz2") as tf:
        for p in sorted(qm9_xyz_dir.glob("*.xyz"))[:50]:
            tf.add(p, arcname=p.name)
    data = tar_path.read_bytes()
    tar_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="q.tar.bz2: (archive is truncated or corrupt|not a readable tar archive)"):
        qm9.ingest(tar_path)


def test_wheel_source(tmp_path, qm9_csv_dir, qm9_table):
    wheel = tmp_path / "qm9pack-1.0.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(qm9_csv_dir / "qm9_part1.csv", "qm9pack/data/qm9_part1.csv")
    assert_tables_equal(qm9.ingest(wheel), qm9_table)


def test_bad_csv_rows_name_file_line_and_molecule(tmp_path, qm9_csv_dir):
    import csv

    with open(qm9_csv_dir / "qm9_part1.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("Mulliken_pop")
    rows[3][col] = "[-0.589706,0.294853]"  # molecule 3 (water) loses one charge
    bad = tmp_path / "bad"
    bad.mkdir()
    with open(bad / "qm9_part1.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(InputError, match=r"qm9_part1.csv:4: dsgdb9nsd_000003.xyz: N_atoms=3 but 3 elements, "
                                         r"3 positions, 2 charges"):
        qm9.ingest(bad)
    (bad / "qm9_part1.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="not a qm9pack CSV"):
        qm9.ingest(bad)


def test_source_detection_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        qm9.detect_source(tmp_path / "missing")
    with pytest.raises(InputError, match="neither dsgdb9nsd"):
        qm9.detect_source(tmp_path)
    junk = tmp_path / "x.whl"
    junk.write_bytes(b"junk")
    with pytest.raises(InputError, match="not a wheel"):
        qm9.ingest(junk)


def test_units_and_derived_targets(qm9_table):
    methane = qm9_table[0]
    assert methane.name == "dsgdb9nsd_000001" and methane.formula == "CH4"
    assert methane.properties["homo_eV"] == pytest.approx(-0.3877 * HARTREE_EV)
    assert methane.properties["U0_eV"] == pytest.approx(-40.47893 * HARTREE_EV)
    assert methane.properties["omega1_cm1"] == pytest.approx(3151.7078)
    assert set(qm9.TARGETS) <= set(qm9_table.properties) and len(qm9.TARGETS) == 13
    # atomization energy of CH4 from QM9's own atom references: -0.631066 Ha = -17.172 eV
    e_at = qm9.atomization(qm9_table, "U0_eV")
    assert e_at[0] == pytest.approx((-40.47893 + 37.846772 + 4 * 0.500273) * HARTREE_EV, abs=1e-9)
    assert np.all(e_at < 0)


def test_uncharacterized_flag(qm9_xyz_dir):
    assert len(qm9.uncharacterized_indices()) == 3054
    table = qm9.ingest(qm9_xyz_dir)
    flagged = table.ids[table.properties["uncharacterized"] == 1]
    assert list(flagged) == ["dsgdb9nsd_000058"]
    assert len(qm9.ingest(qm9_xyz_dir, include_uncharacterized=False)) == 299


def test_standard_split(qm9_table, qm9_xyz_dir):
    split = qm9.standard_split(qm9_table, seed=0)
    sizes = {k: len(v) for k, v in split.items()}
    assert sizes == {"train": 251, "val": 23, "test": 25}
    rows = np.concatenate(list(split.values()))
    assert len(np.unique(rows)) == len(qm9_table)
    # same molecules for the other source, whose table also has the uncharacterized one
    official = qm9.ingest(qm9_xyz_dir)
    split2 = qm9.standard_split(official, seed=0)
    assert list(official.ids[split2["test"]]) == list(qm9_table.ids[split["test"]])
    assert not np.array_equal(qm9.standard_split(qm9_table, seed=1)["test"], split["test"])
    small = qm9.quick_subset(split["train"], 50, seed=3)
    smaller = qm9.quick_subset(split["train"], 20, seed=3)
    assert set(smaller) <= set(small) <= set(split["train"])


def test_baseline_beats_the_mean_predictor(qm9_table):
    from hohenberg.training.baseline import run_baseline

    result = run_baseline(qm9_table, ("U0_eV", "alpha_bohr3", "zpve_eV"))
    split = qm9.standard_split(qm9_table)
    for target, factor in (("U0_eV", 1000.0), ("alpha_bohr3", 1.0), ("zpve_eV", 1000.0)):
        y = qm9_table.properties[target]
        mean_mae = np.mean(np.abs(y[split["test"]] - y[split["train"]].mean())) * factor
        mae = next(v for k, v in result.errors[target].items() if k.startswith("mae_"))
        assert mae < 0.2 * mean_mae, (target, mae, mean_mae)


@pytest.mark.full_qm9
def test_full_qm9_ingest_from_wheel(tmp_path):
    table = qm9.ingest(None)
    assert len(table) == qm9.N_CHARACTERIZED
    split = qm9.standard_split(table)
    assert [len(split[k]) for k in ("train", "val", "test")] == [110_000, 10_000, 10_831]
    path = table.save(tmp_path / "qm9.npz")
    assert len(MoleculeTable.load(path)) == qm9.N_CHARACTERIZED
