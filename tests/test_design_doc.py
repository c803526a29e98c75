"""docs/DESIGN.md names only modules that exist: every ``src/hohenberg/...`` path, every
``hohenberg.x.y`` module, every entry of its layout block and every test file it cites (read as
text; nothing is imported)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESIGN = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
PKG = ROOT / "src" / "hohenberg"


def _module_exists(dotted: str) -> bool:
    """``hohenberg.a.b`` is a module or package, or ``hohenberg.a.b.Name`` a name defined in one."""
    parts = dotted.split(".")[1:]
    for cut in range(len(parts), 0, -1):
        base = PKG.joinpath(*parts[:cut])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            rest = parts[cut:]
            if not rest:
                return True
            source = (base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py").read_text()
            return len(rest) == 1 and _defines(source, rest[0])
    return len(parts) == 1 and _defines((PKG / "__init__.py").read_text(), parts[0])


def _defines(source: str, name: str) -> bool:
    """``name`` is defined, imported or listed in ``__all__`` by ``source``."""
    return re.search(rf"^\s*(class|def) {name}\b|^{name}\s*[:=]|\bimport .*\b{name}\b|[\"']{name}[\"']", source, re.M) is not None


def _layout_entries() -> list[str]:
    block = DESIGN.split("## 2. Layout", 1)[1].split("```", 2)[1]
    entries, inside = [], False
    for line in block.splitlines():
        if line.startswith("src/hohenberg/"):
            inside = True
            continue
        if inside and line.startswith("  ") and line.strip():
            entries.append(line.split()[0])
        elif inside and line.strip() and not line.startswith(" "):
            inside = False
    return entries


def test_paths_in_design_exist():
    paths = set(re.findall(r"src/hohenberg/[\w/.-]*\w", DESIGN)) | set(re.findall(r"\btests/[\w/]+\.py", DESIGN))
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"DESIGN.md names paths that do not exist: {missing}"


def test_dotted_modules_in_design_exist():
    names = set(re.findall(r"\bhohenberg(?:\.\w+)+", DESIGN))
    missing = sorted(n for n in names if not _module_exists(n))
    assert not missing, f"DESIGN.md names modules that do not exist: {missing}"


def test_layout_block_matches_the_package():
    entries = _layout_entries()
    assert len(entries) > 15
    missing = sorted(e for e in entries if not (PKG / e.rstrip("/")).exists())
    assert not missing, f"the layout names what src/hohenberg/ does not hold: {missing}"
    listed = {e.rstrip("/") for e in entries}
    # every package and top-level module is described (private helpers and __init__ excepted)
    present = {p.name for p in PKG.iterdir() if (p.is_dir() and (p / "__init__.py").is_file())
               or (p.suffix == ".py" and not p.name.startswith("_"))}
    assert not present - listed, f"DESIGN.md's layout leaves out: {sorted(present - listed)}"


def test_the_ase_calculator_is_not_promised():
    assert "becomes an ASE calculator" not in DESIGN
