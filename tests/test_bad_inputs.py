"""Bad inputs end in one clear message: exit status 2, no traceback, at most 500 characters.

The corpus (``tests/bad_inputs_corpus.py``) runs every case through the CLI's error boundary
(``hohenberg.cli.main.main``) in this process; hypothesis adds generated files and SMILES.  The
physical checks of ``qc`` (overlapping atoms, far fragments, aufbau) are tested on their own too.
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from bad_inputs_corpus import MESSAGE_CAP, build_cases, message_of  # noqa: E402

from hohenberg.cli import main as cli_main  # noqa: E402

SETTINGS = settings(max_examples=10, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


_APP = cli_main.app


@functools.cache
def _command():
    """The click command of the whole CLI, built once (typer builds it on every call: 0.25 s)."""
    import typer.main

    return typer.main.get_command(_APP)


def run_cli(argv, capsys, monkeypatch) -> tuple[int, str]:
    """Exit status and stderr of ``hohenberg ARGV`` through the error boundary, in this process."""
    monkeypatch.setattr(cli_main, "app", lambda: _command()(prog_name="hohenberg"))
    monkeypatch.setattr(sys, "argv", ["hohenberg", *map(str, argv)])
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() installs its own
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:  # a bug escapes as its own exception and fails the test
        cli_main.main()
    out = capsys.readouterr()
    return stop.value.code or 0, out.err


def assert_clear(code: int, err: str, label: str) -> None:
    assert code == 2, f"{label}: exit {code}\n{err}"
    assert "Traceback" not in err, f"{label}: {err}"
    message = message_of(err)
    assert message, f"{label}: no message"
    assert len(message) <= MESSAGE_CAP + len("error: "), f"{label}: {len(message)} characters: {message[:300]}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from hohenberg.datasets.qm9 import MAX_XYZ_BYTES

    return build_cases(tmp_path_factory.mktemp("corpus"), big_archive=MAX_XYZ_BYTES + 1)


def test_every_corpus_case_is_one_clear_message(corpus, capsys, monkeypatch):
    failures = []
    for case in corpus:
        label = f"{case.category}: {case.label}"
        try:
            code, err = run_cli(case.argv, capsys, monkeypatch)
        except BaseException as exc:  # noqa: BLE001 - collect every case, report all at the end
            failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if case.expect == "warning":
            if code != 0 or "warning:" not in err:
                failures.append(f"{label}: exit {code}, expected a warning: {err[:300]}")
            continue
        try:
            assert_clear(code, err, label)
        except AssertionError as exc:
            failures.append(str(exc)[:400])
    assert not failures, "\n".join(failures)


def test_a_bug_keeps_its_traceback(monkeypatch):
    def broken():
        raise RuntimeError("a bug, not the user's mistake")

    monkeypatch.setattr(cli_main, "app", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        cli_main.main()


def test_long_messages_are_cut_to_one_line():
    text = "x" * 10_000 + "\n" + "y" * 10
    short = cli_main.one_line(text)
    assert len(short) <= MESSAGE_CAP and "\n" not in short and "10011 characters in all" in short


def test_sdf_without_hydrogens_gets_them_with_a_warning(tmp_path):
    from bad_inputs_corpus import _heavy_only_sdf

    from hohenberg.errors import InputWarning
    from hohenberg.molecules.sdf import read_sdf

    path = tmp_path / "ethanol.sdf"
    path.write_text(_heavy_only_sdf())
    with pytest.warns(InputWarning, match="6 implicit hydrogen"):
        mol = read_sdf(path)[0]
    assert mol.formula == "C2H6O" and mol.n_electrons == 26 and mol.spin == 0


# -- generated inputs ----------------------------------------------------------------------
ELEMENTS = st.sampled_from(["H", "C", "N", "O", "F", "S", "Cl"])
COORD = st.floats(-5, 5, allow_nan=False).map(lambda x: f"{x:.4f}")


@st.composite
def broken_xyz(draw) -> str:
    """An xyz frame with one mistake: wrong count line, unknown element, bad or missing number."""
    n = draw(st.integers(1, 6))
    atoms = [[draw(ELEMENTS), draw(COORD), draw(COORD), draw(COORD)] for _ in range(n)]
    mistake = draw(st.sampled_from(["count-small", "count-large", "element", "number", "columns", "count-text"]))
    count = str(n)
    if mistake == "count-small" and n > 1:
        count = str(draw(st.integers(0, n - 1)))
    elif mistake == "count-small" or mistake == "count-large":
        count = str(n + draw(st.integers(1, 3)))
    k = draw(st.integers(0, n - 1))
    if mistake == "element":
        atoms[k][0] = draw(st.sampled_from(["Xx", "Qq", "J", "1", "?"]))
    elif mistake == "number":
        atoms[k][draw(st.integers(1, 3))] = draw(st.sampled_from(["nan", "inf", "1.2.3", "x", "--1"]))
    elif mistake == "columns":
        atoms[k] = atoms[k][:draw(st.integers(1, 3))]
    elif mistake == "count-text":
        count = draw(st.sampled_from(["three", "-1", "2.5", ""]))
    return count + "\ncomment\n" + "".join(" ".join(a) + "\n" for a in atoms)


@SETTINGS
@given(text=broken_xyz())
def test_generated_broken_xyz_is_a_clear_error(text, tmp_path, capsys, monkeypatch):
    path = tmp_path / "gen.xyz"
    path.write_text(text)
    code, err = run_cli(["mol", "info", path], capsys, monkeypatch)
    if code == 0:  # an odd number of electrons would also be an error; a valid frame is not generated
        pytest.fail(f"accepted a broken frame:\n{text}")
    assert_clear(code, err, text)


@SETTINGS
@given(charge=st.integers(-12, 12), spin=st.integers(-4, 12))
def test_generated_impossible_charge_and_spin_is_a_clear_error(charge, spin, tmp_path, capsys, monkeypatch):
    electrons = 10 - charge  # water
    assume(spin < 0 or electrons < 0 or spin > electrons or (electrons - spin) % 2)
    path = tmp_path / "w.extxyz"
    path.write_text(f"3\nProperties=species:S:1:pos:R:3 charge={charge} spin={spin}\n"
                    "O 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 -0.7572 -0.4692\n")
    assert_clear(*run_cli(["mol", "info", path], capsys, monkeypatch), f"charge {charge} spin {spin}")


@SETTINGS
@given(smiles=st.text(alphabet="CNOcn()[]=#123+-*@/\\.%Hx", min_size=0, max_size=12))
def test_generated_unusable_smiles_is_a_clear_error(smiles, capsys, monkeypatch):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    RDLogger.EnableLog("rdApp.*")
    assume(mol is None or mol.GetNumAtoms() == 0 or any(a.GetAtomicNum() == 0 for a in mol.GetAtoms()))
    assume(not Path(smiles).exists())
    assert_clear(*run_cli(["mol", "info", smiles], capsys, monkeypatch), repr(smiles))


@SETTINGS
@given(data=st.binary(min_size=1, max_size=300), suffix=st.sampled_from([".xyz", ".extxyz", ".sdf", ".cube", ".smi"]))
def test_generated_bytes_never_give_a_traceback(data, suffix, tmp_path, capsys, monkeypatch):
    path = tmp_path / f"gen{suffix}"
    path.write_bytes(data)
    code, err = run_cli(["mol", "info", path], capsys, monkeypatch)
    assert code in (0, 2) and "Traceback" not in err  # a few bytes may be a valid file; never a crash


# -- physical checks ------------------------------------------------------------------------
def _mol(numbers, positions, name="m"):
    from hohenberg.molecules.molecule import Molecule

    return Molecule(numbers, positions, name=name)


def test_geometry_check_names_overlapping_atoms_and_far_fragments():
    from hohenberg.qc.checks import GeometryError, check_geometry

    water = [[0, 0, 0.1173], [0, 0.7572, -0.4692], [0, -0.7572, -0.4692]]
    check_geometry(_mol([8, 1, 1], water))
    with pytest.raises(GeometryError, match=r"atoms H2 and H3 are 0\.300 A apart"):
        check_geometry(_mol([8, 1, 1], [water[0], [0, 0.7, 0], [0, 0.7, 0.3]]))
    with pytest.raises(GeometryError, match=r"2 fragments; atom\(s\) H3 are 99.* A from the nearest"):
        check_geometry(_mol([8, 1, 1], [water[0], water[1], [0, 1000, 0]]))
    dimer = np.array(water + [[x + 3.0, y, z] for x, y, z in water])  # two waters 3 A apart: a complex
    check_geometry(_mol([8, 1, 1, 8, 1, 1], dimer))


def test_aufbau_violation_is_measured_per_spin_channel():
    from hohenberg.qc.checks import aufbau_violation_eV

    assert aufbau_violation_eV(np.array([-2.0, -1.0, 1.0]), np.array([2, 2, 0])) == -2.0
    assert aufbau_violation_eV(np.array([-2.0, 1.0, -1.0]), np.array([2, 2, 0])) == 2.0
    # open shell: a beta orbital above an alpha virtual is no violation; within a channel it is
    e = np.array([[-3.0, -2.0, 0.5], [-3.0, 0.2, 0.1]])
    occ = np.array([[1, 1, 0], [1, 1, 0]])
    assert aufbau_violation_eV(e, occ) == pytest.approx(0.1)


@pytest.fixture
def h2():
    return _mol([1, 1], [[0, 0, 0], [0, 0, 0.74]], "H2")


def test_aufbau_violation_is_rerun_once_then_refused(h2, monkeypatch):
    import hohenberg.qc.scf as scf

    real = scf.aufbau_violation_eV
    calls = []

    def first_run_violates(e, occ):
        calls.append(1)
        return 1.0 if len(calls) == 1 else real(e, occ)

    plain = scf.run_scf(h2, "hf/sto-3g")
    monkeypatch.setattr(scf, "aufbau_violation_eV", first_run_violates)
    cured = scf.run_scf(h2, "hf/sto-3g")
    assert cured.solver == "newton" and "rerun from atom" in cured.info["aufbau_retry"]
    assert cured.energy_eV == pytest.approx(plain.energy_eV, abs=1e-6)
    assert "aufbau_retry" in cured.summary()
    monkeypatch.setattr(scf, "aufbau_violation_eV", lambda e, occ: 1.0)
    with pytest.raises(scf.SCFAufbauError, match="HOMO 27.21 eV above the LUMO"):
        scf.run_scf(h2, "hf/sto-3g")


def test_batch_records_a_refused_geometry_as_a_failure_with_its_reason(tmp_path):
    import json

    from hohenberg.qc.batch import BatchConfig, run_batch

    far = _mol([8, 1, 1], [[0, 0, 0.1173], [0, 0.7572, -0.4692], [0, 1000, 0]], "far")
    summary = run_batch([far], tmp_path / "store", BatchConfig(level="hf/sto-3g", density=False))
    assert summary.failed == 1 and summary.computed == 0
    reason = json.loads((tmp_path / "store" / "failures.jsonl").read_text().splitlines()[0])["reason"]
    assert "fragments" in reason and "H3" in reason
