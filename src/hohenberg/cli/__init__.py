"""The ``hohenberg`` command line (typer + rich); one module per command group.

Every module here is imported when any command starts (typer reads all of them to build
``--help``), so none imports numpy, torch, RDKit or a library module that does at its top: each
command imports what it needs in its body, and option defaults are read from the light
configuration modules (``hohenberg.training.config``, ``hohenberg.graph.config``, ...).
``tests/test_cli_startup.py`` checks it; ``benchmarks/startup.py`` times it.
"""
