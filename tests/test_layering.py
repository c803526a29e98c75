"""Layering read from the source text (ast, nothing imported): the library never reaches up into
the command line, no two packages import each other (directly or round a longer loop), and one
package never uses another package's private names."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted((SRC / "hohenberg").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return out


def _imports(tree: ast.Module):
    """(imported module, names taken from it) for every import, at the top or inside a function."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, tuple(a.name for a in node.names)


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_library_never_imports_the_cli():
    bad = [f"{name} imports {target}" for name, tree in _modules().items() if _package(name) != "hohenberg.cli"
           for target, _ in _imports(tree) if target == "hohenberg.cli" or target.startswith("hohenberg.cli.")]
    assert not bad, "library modules import the command line:\n" + "\n".join(bad)


def _package_edges(modules: dict[str, ast.Module]) -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> ``module:line`` of each import making that edge.

    Every import counts, the ones inside functions too: a lazy import defers a cycle to run time
    but does not remove it.  The root ``hohenberg`` is no node: it holds the version and a lazy
    re-export of the public entry points, and every package may take ``__version__`` from it."""
    edges: dict[tuple[str, str], list[str]] = {}
    for name, tree in modules.items():
        if name == "hohenberg":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "hohenberg":
                targets = [f"hohenberg.{a.name}" for a in node.names if f"hohenberg.{a.name}" in modules]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            else:
                continue
            for target in targets:
                if target.startswith("hohenberg.") and _package(target) != _package(name):
                    edges.setdefault((_package(name), _package(target)), []).append(f"{name}:{node.lineno}")
    return edges


def _strongly_connected(edges) -> list[set[str]]:
    """Tarjan's components of the package graph: each one of two or more packages holds a cycle."""
    succ: dict[str, set[str]] = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
        succ.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def test_no_import_cycles_between_packages():
    edges = _package_edges(_modules())
    cycles = _strongly_connected(edges)
    bad = []
    for comp in cycles:
        bad.append("cycle among " + ", ".join(sorted(comp)) + ":")
        bad += [f"  {a} -> {b}: " + ", ".join(where) for (a, b), where in sorted(edges.items())
                if a in comp and b in comp]
    assert not bad, "packages that import each other (move the shared code below both):\n" + "\n".join(bad)


def test_no_private_names_across_packages():
    bad = [f"{name} takes {n} from {target}" for name, tree in _modules().items() for target, names in _imports(tree)
           if target.startswith("hohenberg.") and _package(target) != _package(name)
           for n in names if n.startswith("_") and not n.startswith("__")]
    assert not bad, "private names used outside their package (make them public where they are an API):\n" + "\n".join(bad)


def _raised_strings(tree: ast.Module):
    """(line, text) of every string literal inside a ``raise`` statement (f-string parts included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for sub in ast.walk(node.exc):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    yield sub.lineno, sub.value


def test_library_errors_name_no_command_line_flag():
    """The library is called from Python too, where ``--split`` means nothing: its errors name the
    option (``split must be ...``) and the command line adds the flag where it needs one."""
    import re

    flag = re.compile(r"--[A-Za-z]")
    bad = [f"{name}:{line}: {text!r}" for name, tree in _modules().items() if _package(name) != "hohenberg.cli"
           for line, text in _raised_strings(tree) if flag.search(text)]
    assert not bad, "library errors that name a command-line flag:\n" + "\n".join(bad)
