"""Encoding of arrays into record payloads: pure functions, no state, no pickle.

``logq`` is the density codec.  Densities span ten orders of magnitude, so a uniform (linear)
quantiser wastes its levels on the core; quantising ``log(rho)`` with a fixed step gives the
same *relative* error everywhere:

    code 0            rho < floor                 decoded as 0      (|error| <= floor)
    code k >= 1       log(rho / floor) ~ (k-1) * step
                      decoded as floor * exp((k-1) * step)       (|error| / rho <= expm1(step/2))

Far from the nuclei ``log(rho)`` is almost linear along a grid line, so the codes are stored as
second differences along the flattened grid (exact integers, zigzag-mapped to unsigned, 16 bits
with the rare larger ones patched from a list), bytes shuffled (all low bytes, then all high
bytes) and deflated: the differences are small and
repeat, which zlib compresses well.  zlib is the standard library's, so a store needs no compression plug-ins to be read.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

ZLIB_LEVEL = 6  # level 9 gains ~1 % here at twice the write time
ESCAPE = 0xFFFF  # a 16-bit logq code with this value is patched from the list after the codes


def shuffle(a: np.ndarray) -> bytes:
    """Bytes of ``a`` grouped by significance (byte 0 of every element, then byte 1, ...)."""
    a = np.ascontiguousarray(a)
    return np.ascontiguousarray(a.view(np.uint8).reshape(-1, a.itemsize).T).tobytes()


def unshuffle(raw: bytes, dtype: np.dtype, count: int) -> np.ndarray:
    dtype = np.dtype(dtype)
    b = np.frombuffer(raw, dtype=np.uint8)
    if b.size != count * dtype.itemsize:
        raise ValueError(f"expected {count * dtype.itemsize} bytes, found {b.size}")
    return np.ascontiguousarray(b.reshape(dtype.itemsize, count).T).view(dtype).reshape(count)


def logq_codes(values: np.ndarray, floor: float, step: float) -> np.ndarray:
    """Zigzagged second differences of the log-quantised codes (int64, >= 0): what both containers store."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)):
        raise ValueError("values are not all finite")
    k = np.zeros(x.size, dtype=np.int64)
    above = x >= floor
    k[above] = np.rint(np.log(x[above] / floor) / step).astype(np.int64) + 1
    if k.max(initial=0) >= 2**31:
        raise ValueError("values span too many quantisation steps")
    # second differences: log(rho) is nearly linear along a line far from nuclei, so they are
    # mostly 0 or +-1 (7 % smaller than first differences); zigzag maps +-n to small unsigned ints
    d2 = np.diff(np.diff(k, prepend=0), prepend=0)
    return (d2 << 1) ^ (d2 >> 63)


def logq_encode(values: np.ndarray, floor: float, step: float) -> tuple[bytes, dict]:
    """Deflated, delta-coded log-quantised codes of ``values`` and the parameters to decode them."""
    z = logq_codes(values, floor, step)
    # 16 bits per voxel; the few larger values (steep cusps, a few per nucleus) are patched in
    # from a list appended after the 16-bit codes: 32-bit codes everywhere would cost 2x to inflate
    patch = np.flatnonzero(z >= ESCAPE)
    body = shuffle(np.minimum(z, ESCAPE).astype("<u2"))
    tail = patch.astype("<u4").tobytes() + z[patch].astype("<u4").tobytes()
    params = {"floor": float(floor), "step": float(step), "patches": int(patch.size)}
    return zlib.compress(body + tail, ZLIB_LEVEL), params


def logq_decode(payload: bytes, params: dict, count: int) -> np.ndarray:
    raw = zlib.decompress(payload)
    n_patch = int(params["patches"])
    if len(raw) != 2 * count + 8 * n_patch:
        raise ValueError(f"expected {2 * count + 8 * n_patch} bytes, found {len(raw)}")
    z = unshuffle(raw[:2 * count], np.dtype("<u2"), count).astype(np.uint32)
    if n_patch:
        where = np.frombuffer(raw, "<u4", n_patch, 2 * count)
        if where.max() >= count:
            raise ValueError("patch position out of range")
        z[where] = np.frombuffer(raw, "<u4", n_patch, 2 * count + 4 * n_patch)
    return logq_values(z, params)


def logq_values(z: np.ndarray, params: dict) -> np.ndarray:
    """float32 densities from the uint32 zigzagged second differences (``logq_codes``)."""
    z = np.asarray(z, dtype=np.uint32).ravel()
    count = z.size
    # 32-bit arithmetic (wrapping, exact since every code fits in 31 bits): half the memory traffic
    d2 = ((z >> np.uint32(1)) ^ (np.uint32(0) - (z & np.uint32(1)))).view(np.int32)
    k = np.cumsum(np.cumsum(d2, dtype=np.int32), dtype=np.int32)
    if k.size and k.min() < 0:
        raise ValueError("codes out of range")
    out = np.zeros(count, dtype=np.float32)
    nz = np.flatnonzero(k)  # most of a box is below the floor: exp only where it matters
    # float64 for the exponent: (k-1)*step reaches ~30, where a float32 product is off by 2e-6
    out[nz] = params["floor"] * np.exp((k[nz] - 1) * params["step"])
    return out


def logq_error_bound(params: dict) -> tuple[float, float]:
    """(relative bound above the floor, absolute bound below it) for one voxel."""
    return math.expm1(params["step"] / 2) + 1e-7, params["floor"]  # 1e-7: float32 output


def f16_encode(values: np.ndarray) -> tuple[bytes, dict]:
    """float16, shuffled and deflated: the simple alternative measured in the benchmark."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if np.abs(x).max(initial=0) > 65504:
        raise ValueError("values exceed the float16 range")
    return zlib.compress(shuffle(x.astype(np.float16)), ZLIB_LEVEL), {}


def f16_decode(payload: bytes, params: dict, count: int) -> np.ndarray:
    return unshuffle(zlib.decompress(payload), np.float16, count).astype(np.float32)


def deflate_encode(values: np.ndarray) -> tuple[bytes, dict]:
    """Lossless: shuffled and deflated (orbital coefficients, basis text)."""
    return zlib.compress(shuffle(np.asarray(values)), ZLIB_LEVEL), {}


def deflate_decode(payload: bytes, dtype: np.dtype, count: int) -> np.ndarray:
    return unshuffle(zlib.decompress(payload), dtype, count)
