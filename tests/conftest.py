from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
QM9_FIXTURE = DATA / "qm9_fixture"


def pytest_addoption(parser):
    parser.addoption("--run-full-qm9", action="store_true", help="run the full QM9 ingest from the qm9pack wheel")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-full-qm9"):
        return
    skip = pytest.mark.skip(reason="opt in with --run-full-qm9")
    for item in items:
        if "full_qm9" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def qm9_xyz_dir() -> Path:
    return QM9_FIXTURE / "xyz"


@pytest.fixture(scope="session")
def qm9_csv_dir() -> Path:
    return QM9_FIXTURE / "csv"


@pytest.fixture(scope="session")
def qm9_table(qm9_csv_dir):
    from hohenberg.datasets import qm9

    return qm9.ingest(qm9_csv_dir)
