"""Volumetric store: size, error, write and random-read speed of each layout, vs raw float32 .npy.

    python benchmarks/store_layouts.py [--n 10] [--level hf/6-31g*] [--reads 200] [--json]

Molecules: the first N QM9 fixture molecules with 7-9 heavy atoms (QM9's typical size), one SCF
each at LEVEL, density on the DESIGN grid (64^3, 0.2 A).  The same arrays go into one store per
layout/codec and, as the baseline, into one raw float32 ``.npy`` file per molecule.

* containers: the grid layout in the ``shards`` container (our append-only files) and in the
  ``hdf5`` container (h5py: one sealed HDF5 file per shard, one chunk (1, n, n, n) per molecule,
  shuffle + gzip + fletcher32), with the same codecs.
* size and error: bytes per molecule vs 4 * 64^3 (records' own bytes, and the files on disk per
  molecule: index lines and HDF5 metadata included); max |error| (e/bohr^3) and the worst
  integrated-density error (relative) over the molecules, against the float32 grid.
* write: encode + append + fsync per record (what the batch driver adds per molecule), and as a
  share of the molecule's compute time (SCF + grid).
* read: random access by id, one core (threads pinned to 1 before numpy loads), warm page cache,
  and cold (every file's pages dropped with posix_fadvise(DONTNEED) before each pass).
* training rate: a small 3D CNN (3 conv blocks, 16-32-64 channels, max-pool, linear head to 13
  targets), forward + backward + SGD step on batches of 8 x 64^3, all cores; the read rate must
  be >= 5x this.
* projection for QM9 (130,831 molecules) at 64^3, and at 96^3 (same 12.8 A box, 0.133 A), the
  latter measured on the first two molecules.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core for reads
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

QM9_COUNT = 130_831


def molecules(n: int):
    from hohenberg.datasets import qm9

    table = qm9.ingest(Path(__file__).resolve().parents[1] / "tests" / "data" / "qm9_fixture" / "csv")
    heavy = np.array([np.sum(table[i].numbers > 1) for i in range(len(table))])
    return table.take(np.flatnonzero(heavy >= 7)[:n])


def compute(mol, level: str, spacing: float, size: int):
    """compute_one's arrays, plus the orbital arrays from the same SCF (one SCF per molecule)."""
    from hohenberg.grids import Grid
    from hohenberg.qc.density import density_on_grid
    from hohenberg.qc.scf import run_scf
    from hohenberg.qc.density import orbital_arrays

    t0 = time.perf_counter()
    result = run_scf(mol, level, threads=1)
    s = result.summary()
    props = {k: np.asarray(s[k], dtype=np.float64) for k in ("energy_eV", "homo_eV", "lumo_eV", "gap_eV", "mu_D")}
    props.update(numbers=mol.numbers, positions=mol.positions)
    grid = Grid.around(mol.positions, spacing, size)
    rho = density_on_grid(result, grid).astype(np.float32)
    dt = time.perf_counter() - t0
    g = {"grid_origin": grid.origin, "grid_axes": grid.axes}
    return ({**props, "density": rho, **g}, {**props, **orbital_arrays(result.mol, result.mo_coeff, result.mo_occ), **g},
            grid, dt, result.mol.nao)


def drop_cache(paths) -> None:
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def read_rates(read, ids, files, reads: int, rng, cold_passes: int = 2, warm_all: bool = True) -> tuple[float, float]:
    """(warm, cold) grids/s for random reads by id."""
    for i in ids if warm_all else ids[:1]:
        read(i)  # warm the page cache (and the code paths)
    order = rng.choice(ids, size=reads)
    t0 = time.perf_counter()
    for i in order:
        read(i)
    warm = reads / (time.perf_counter() - t0)
    n, dt = 0, 0.0
    for _ in range(cold_passes):
        drop_cache(files)
        order = rng.permutation(ids)
        t0 = time.perf_counter()
        for i in order:
            read(i)
        dt += time.perf_counter() - t0
        n += len(order)
    return warm, n / dt


def cnn_rate(size: int, batch: int = 8, steps: int = 3) -> float:
    import torch
    from torch import nn

    torch.set_num_threads(os.cpu_count() or 1)  # training gets the whole machine
    def block(i, o):
        return [nn.Conv3d(i, o, 3, padding=1), nn.BatchNorm3d(o), nn.ReLU(), nn.MaxPool3d(2)]
    net = nn.Sequential(*block(1, 16), *block(16, 32), *block(32, 64), nn.AdaptiveAvgPool3d(1), nn.Flatten(),
                        nn.Linear(64, 13))
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    x, y = torch.randn(batch, 1, size, size, size), torch.randn(batch, 13)

    def step():
        opt.zero_grad()
        nn.functional.mse_loss(net(x), y).backward()
        opt.step()

    step()  # warm-up (allocations, kernel choice)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    rate = steps * batch / (time.perf_counter() - t0)
    torch.set_num_threads(1)
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--level", default="hf/6-31g*")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--spacing", type=float, default=0.2)
    ap.add_argument("--reads", type=int, default=200)
    ap.add_argument("--n96", type=int, default=2, help="molecules measured at 96^3 (0 to skip)")
    ap.add_argument("--workdir", default=None, help="where the stores are written (a disk, not tmpfs)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from hohenberg.store import DensityCodec, StoreReader, StoreWriter
    from hohenberg.store.layout import SHARDS

    mols = molecules(args.n)
    grids, orbs, grid_objs, compute_s, naos = [], [], [], [], []
    for m in mols:
        g, o, grid, dt, nao = compute(m, args.level, args.spacing, args.size)
        grids.append(g), orbs.append(o), grid_objs.append(grid), compute_s.append(dt), naos.append(nao)
    ids = list(mols.ids)
    raw_bytes = 4 * args.size**3
    rng = np.random.default_rng(0)
    config = {"level": args.level, "spacing": args.spacing, "size": args.size, "density": True}
    variants = [("grid/logq (default)", "grid", DensityCodec(), "shards"),
                ("grid/f16", "grid", DensityCodec("f16"), "shards"),
                ("grid/deflate (lossless)", "grid", DensityCodec("raw"), "shards"),
                ("hdf5 grid/logq", "grid", DensityCodec(), "hdf5"),
                ("hdf5 grid/f16", "grid", DensityCodec("f16"), "hdf5"),
                ("orbitals", "orbitals", DensityCodec(), "shards")]
    rows = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp = Path(tmp)
        # baseline: one raw float32 .npy per molecule
        npy = tmp / "npy"
        npy.mkdir()
        t0 = time.perf_counter()
        for i, g in zip(ids, grids):
            with open(npy / f"{i}.npy", "wb") as fh:
                np.save(fh, g["density"])
                fh.flush()
                os.fsync(fh.fileno())
        write_ms = 1e3 * (time.perf_counter() - t0) / len(ids)
        warm, cold = read_rates(lambda i: np.load(npy / f"{i}.npy"), ids, list(npy.iterdir()), args.reads, rng)
        base = {"layout": "raw float32 .npy (baseline)", "bytes_per_molecule": (npy / f"{ids[0]}.npy").stat().st_size,
                "disk_bytes_per_molecule": (npy / f"{ids[0]}.npy").stat().st_size,
                "max_abs_error_e_bohr3": 0.0, "max_rel_integral_error": 0.0, "write_ms_per_record": write_ms,
                "read_warm_grids_per_s": warm, "read_cold_grids_per_s": cold}
        rows.append(base)
        for name, layout_name, codec, container in variants:
            root = tmp / name.replace(" (default)", "").replace(" ", "_").replace("/", "_").replace("(", "").replace(")", "")
            arrays = orbs if layout_name == "orbitals" else grids
            t0 = time.perf_counter()
            with StoreWriter(root, config, layout_name, codec, container=container) as w:
                for i, a in zip(ids, arrays):
                    w.put(i, a)
            write_ms = 1e3 * (time.perf_counter() - t0) / len(ids)
            reader = StoreReader(root)
            max_abs, max_int = 0.0, 0.0
            for i, g, grid in zip(ids, grids, grid_objs):
                rho = reader.density(i)
                max_abs = max(max_abs, float(np.abs(rho - g["density"]).max()))
                ref = grid.integrate(g["density"])
                max_int = max(max_int, abs(grid.integrate(rho) - ref) / ref)
            reads = args.reads if layout_name == "grid" else min(args.reads, len(ids))  # rendering is slow
            files = [p for p in (root / SHARDS).glob("*") if p.suffix in (".dat", ".h5")]
            warm, cold = read_rates(reader.density, ids, files, reads, rng,
                                    cold_passes=2 if layout_name == "grid" else 1, warm_all=layout_name == "grid")
            rows.append({"layout": name, "container": container, "bytes_per_molecule": reader.stored_bytes() / len(ids),
                         "disk_bytes_per_molecule": sum(p.stat().st_size for p in (root / SHARDS).glob("*")) / len(ids),
                         "max_abs_error_e_bohr3": max_abs, "max_rel_integral_error": max_int,
                         "write_ms_per_record": write_ms, "read_warm_grids_per_s": warm, "read_cold_grids_per_s": cold})
        # 96^3 over the same box: bytes and warm decode rate of the default codec
        big = {}
        if args.n96:
            sp96 = args.spacing * (args.size - 1) / 95
            root = tmp / "grid96"
            sizes, t_dec = [], []
            with StoreWriter(root, {**config, "spacing": sp96, "size": 96}) as w:
                for m in list(mols)[: args.n96]:
                    g, _, _, _, _ = compute(m, args.level, sp96, 96)
                    sizes.append(w.put(m.name, g))
            reader = StoreReader(root)
            for i in reader.ids:
                t0 = time.perf_counter()
                for _ in range(5):
                    reader.density(i)
                t_dec.append((time.perf_counter() - t0) / 5)
            big = {"bytes_per_molecule": float(np.mean(sizes)), "raw_bytes": 4 * 96**3,
                   "read_warm_grids_per_s": 1 / float(np.mean(t_dec)), "spacing_A": sp96}

    train = cnn_rate(args.size)
    for r in rows:
        r["ratio_vs_raw_float32"] = raw_bytes / r["bytes_per_molecule"]
        r["read_warm_vs_npy"] = r["read_warm_grids_per_s"] / base["read_warm_grids_per_s"]
        r["read_cold_vs_npy"] = r["read_cold_grids_per_s"] / base["read_cold_grids_per_s"]
        r["read_cold_vs_cnn_training"] = r["read_cold_grids_per_s"] / train
        r["qm9_GB_64"] = QM9_COUNT * r["bytes_per_molecule"] / 1e9
    default = rows[1]
    projection = {"qm9_molecules": QM9_COUNT,
                  "grid_64_GB": QM9_COUNT * default["bytes_per_molecule"] / 1e9, "raw_64_GB": QM9_COUNT * raw_bytes / 1e9,
                  "grid_64_read_s_per_epoch_one_core_cold": QM9_COUNT / default["read_cold_grids_per_s"]}
    if big:
        projection.update(grid_96_GB=QM9_COUNT * big["bytes_per_molecule"] / 1e9, raw_96_GB=QM9_COUNT * big["raw_bytes"] / 1e9,
                          grid_96_read_grids_per_s_warm=big["read_warm_grids_per_s"],
                          grid_96_ratio_vs_raw=big["raw_bytes"] / big["bytes_per_molecule"])
    result = {"level": args.level, "grid": f"{args.size}^3 at {args.spacing} A", "molecules": len(ids),
              "mean_nao": float(np.mean(naos)), "compute_s_per_molecule": float(np.mean(compute_s)),
              "cnn_training_grids_per_s": train, "rows": rows, "projection": projection}
    for r in rows:
        r["write_share_of_batch_time"] = r["write_ms_per_record"] / 1e3 / result["compute_s_per_molecule"]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.level}, {len(ids)} QM9 molecules (7-9 heavy atoms, mean {result['mean_nao']:.0f} AOs), "
          f"{result['grid']}; compute {result['compute_s_per_molecule']:.1f} s/molecule; "
          f"3D CNN training {train:.1f} grids/s")
    head = ["layout", "bytes/mol", "disk/mol", "x smaller", "max|err|", "int.err", "write ms", "write %",
            "warm g/s", "x npy", "cold g/s", "x npy", "x CNN"]
    print(("{:<26}" + "{:>10}" * (len(head) - 1)).format(*head))
    for r in rows:
        print(f"{r['layout']:<26}{r['bytes_per_molecule']:>10.0f}{r['disk_bytes_per_molecule']:>10.0f}"
              f"{r['ratio_vs_raw_float32']:>10.1f}"
              f"{r['max_abs_error_e_bohr3']:>10.1e}{r['max_rel_integral_error']:>10.1e}{r['write_ms_per_record']:>10.1f}"
              f"{100 * r['write_share_of_batch_time']:>10.2f}{r['read_warm_grids_per_s']:>10.1f}{r['read_warm_vs_npy']:>10.2f}"
              f"{r['read_cold_grids_per_s']:>10.1f}{r['read_cold_vs_npy']:>10.2f}{r['read_cold_vs_cnn_training']:>10.1f}")
    print("projection for QM9:", json.dumps(projection, indent=1))


if __name__ == "__main__":
    main()
