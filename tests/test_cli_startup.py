"""The command line starts without the science stack: typer reads every command module to build
``--help``, so each of them imports its library modules inside the commands that need them, and
option defaults come from configuration modules that import no torch.  Checked on the modules a
fresh interpreter has loaded, not on timings (``benchmarks/startup.py`` times it)."""

from __future__ import annotations

import json
import subprocess
import sys

# numpy too: nothing at start-up needs it, and it is the first step towards the rest
HEAVY = ("numpy", "scipy", "pandas", "sklearn", "matplotlib", "torch", "lightning", "pytorch_lightning",
         "torch_geometric", "rdkit", "pyscf", "tblite", "ase", "h5py", "dask", "mendeleev", "tomotopy",
         "lightgbm", "botorch", "gpytorch")

_REPORT = "import json, sys; print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))"


def _loaded(code: str) -> list[str]:
    """Heavy top-level modules loaded after ``code`` runs in a new interpreter."""
    script = code + "\n" + _REPORT.format(heavy=HEAVY)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_the_command_line_loads_no_heavy_module():
    assert _loaded("import hohenberg.cli.main") == []


def test_help_and_version_load_no_heavy_module():
    # building every command (what --help and any command do) evaluates each option's default and
    # annotation; running them in-process catches an import that happens there
    run = ("import contextlib, io\n"
           "from hohenberg.cli.main import app\n"
           "for args in ([], ['--help'], ['version'], ['train', '--help'], ['data', '--help']):\n"
           "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
           "        app(args, prog_name='hohenberg')\n")
    assert _loaded(run) == []
