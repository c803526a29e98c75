"""The command line: real runs on the fixture; --json carries the same numbers; errors are one line."""

import json
import subprocess
import sys

from typer.testing import CliRunner

from hohenberg.cli.main import app

runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_qm9_info_and_baseline_json(tmp_path, qm9_xyz_dir):
    table = tmp_path / "qm9.npz"
    built = json.loads(invoke("data", "qm9", "--source", qm9_xyz_dir, "--out", table, "--json"))
    assert built["molecules"] == 300 and built["uncharacterized"] == 1 and built["source_kind"] == "xyz-dir"
    info = json.loads(invoke("data", "info", table, "--json"))
    assert info["targets"]["homo_eV"]["unit"] == "eV" and info["targets"]["homo_eV"]["count"] == 300
    assert -8 < info["targets"]["homo_eV"]["mean"] < -5
    assert info["split_sizes"] == {"train": 251, "val": 23, "test": 25}
    out = tmp_path / "baseline"
    base = json.loads(invoke("train", "baseline", table, "--json", "--out", out))
    assert set(base["test_errors"]) >= {"U0_eV", "mu_D", "omega1_cm1"}
    assert "mae_meV" in base["test_errors"]["U0_eV"] and "mae_D" in base["test_errors"]["mu_D"]
    assert (out / "baseline_parity.png").stat().st_size > 10_000
    assert json.loads((out / "baseline.json").read_text()) == base
    human = invoke("train", "baseline", table)
    assert f"{base['test_errors']['Cv_calmolK']['mae_calmolK']:.4f}"[:5] in human


def test_mol_info_and_convert(tmp_path):
    data = json.loads(invoke("mol", "info", "CCO", "--json"))
    assert data["molecules"][0]["formula"] == "C2H6O" and data["molecules"][0]["electrons"] == 26
    out = tmp_path / "e.sdf"
    invoke("mol", "convert", "CCO", out)
    assert json.loads(invoke("mol", "info", out, "--json"))["molecules"][0]["atoms"] == 9


def test_user_errors_are_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.xyz"
    bad.write_text("2\nc\nO 0 0 0\nXx 0 0 1\n")
    proc = subprocess.run([sys.executable, "-c", "from hohenberg.cli.main import main; main()", "mol", "info", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{bad}:4: unknown element 'Xx'" in " ".join(proc.stderr.split())
    proc = subprocess.run([sys.executable, "-c", "from hohenberg.cli.main import main; main()", "data", "info",
                           str(tmp_path / "none.npz")], capture_output=True, text=True)
    assert proc.returncode == 2 and "no such table file" in proc.stderr and "Traceback" not in proc.stderr
