"""Density codecs: exact integer round trips, the stated error bounds, compression on smooth fields."""

import math
import zlib

import numpy as np
import pytest

from hohenberg.store import codec


def slater_density(n=20, spacing=0.3):
    """Two exponential 'atoms' on an n^3 grid (electrons/bohr^3 scale: core ~1e2, edge ~1e-6)."""
    x = (np.arange(n) - (n - 1) / 2) * spacing
    gx, gy, gz = np.meshgrid(x, x, x, indexing="ij")
    r1 = np.sqrt((gx - 0.6) ** 2 + gy**2 + gz**2)
    r2 = np.sqrt((gx + 0.6) ** 2 + gy**2 + gz**2)
    return (60 * np.exp(-7 * r1) + 0.3 * np.exp(-2 * r2)).astype(np.float32)


def test_logq_relative_error_bound_and_floor():
    rho = slater_density()
    rho[0, 0, :5] = [0.0, 1e-12, -1e-13, 5e-10, 2e-9]  # below the floor, and one just above
    floor, step = 1e-9, 1.5e-4
    data, params = codec.logq_encode(rho, floor, step)
    out = codec.logq_decode(data, params, rho.size).reshape(rho.shape)
    assert out.dtype == np.float32
    rel_bound, abs_bound = codec.logq_error_bound(params)
    assert rel_bound == pytest.approx(7.5e-5, rel=1e-2)
    above = rho >= floor
    rel = np.abs(out[above].astype(np.float64) / rho[above] - 1)
    assert rel.max() <= rel_bound and rel.max() > 0.5 * rel_bound  # the bound is tight, and holds
    assert np.abs(out[~above] - rho[~above]).max() <= abs_bound
    assert list(out[0, 0, :4]) == [0, 0, 0, 0] and out[0, 0, 4] == pytest.approx(2e-9, rel=1e-4)
    total = rho.astype(np.float64).sum()
    assert abs(out.astype(np.float64).sum() - total) / total < 1e-4


def test_logq_large_jumps_are_patched_exactly():
    rho = np.array([0, 1e-9, 1e3, 0, 1e-9, 5.0, 5.0001, 0], dtype=np.float64)  # jumps of ~1.4e5 codes
    data, params = codec.logq_encode(rho, 1e-9, 1.5e-4)
    assert params["patches"] >= 4  # second differences beyond 16 bits, stored in the patch list
    out = codec.logq_decode(data, params, rho.size)
    np.testing.assert_allclose(out, rho, rtol=7.6e-5, atol=1e-9)
    _, smooth = codec.logq_encode(np.full(50, 2e-9), 1e-9, 1.5e-4)  # small codes: nothing to patch
    assert smooth["patches"] == 0
    with pytest.raises(ValueError, match="expected"):
        codec.logq_decode(data, {**params, "patches": params["patches"] + 1}, rho.size)


def test_logq_compresses_smooth_density_and_detects_garbage():
    rho = slater_density(24)
    data, params = codec.logq_encode(rho, 1e-9, 1.5e-4)
    assert rho.nbytes / len(data) > 4  # the target ratio, on a smooth field
    with pytest.raises((ValueError, zlib.error)):
        codec.logq_decode(data[:-10] + b"\0" * 10, params, rho.size)  # zlib stream damaged
    with pytest.raises(ValueError):
        codec.logq_encode(np.array([1.0, np.nan]), 1e-9, 1.5e-4)


def test_f16_and_shuffle_round_trip():
    rho = slater_density()
    data, _ = codec.f16_encode(rho)
    out = codec.f16_decode(data, {}, rho.size).reshape(rho.shape)
    normal = rho >= 6.2e-5
    assert np.abs(out[normal] / rho[normal] - 1).max() <= 2.0**-11
    a = np.arange(10, dtype=np.int32)
    assert np.array_equal(codec.unshuffle(codec.shuffle(a), a.dtype, 10), a)
    assert zlib.decompress(zlib.compress(codec.shuffle(a))) == codec.shuffle(a)
    assert math.isfinite(float(out.sum()))
