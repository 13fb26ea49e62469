"""Packing numpy lane vectors into the wide integers that travel on a stream, and back.

Lane 0 is the least significant ``width`` bits (SystemVerilog ``logic [N-1:0][W-1:0]`` order).
"""

from __future__ import annotations

import numpy as np


def pack_lanes(values, width: int) -> int:
    """Pack a 1-D integer array (signed or unsigned, each fitting in ``width`` bits) into one int."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"pack_lanes expects a 1-D array, got shape {arr.shape}")
    if arr.dtype.kind not in "iub":
        raise ValueError(f"pack_lanes expects integers, got dtype {arr.dtype}")
    lo, hi = -(1 << (width - 1)), (1 << width) - 1
    vals = [int(v) for v in arr]
    bad = [v for v in vals if v < lo or v > hi]
    if bad:
        raise ValueError(f"value {bad[0]} does not fit in {width} bits")
    mask = (1 << width) - 1
    out = 0
    for i, v in enumerate(vals):
        out |= (v & mask) << (i * width)
    return out


def unpack_lanes(word: int, n: int, width: int, signed: bool = True) -> np.ndarray:
    """Unpack ``n`` lanes of ``width`` bits from ``word`` (int64 array)."""
    mask = (1 << width) - 1
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        v = (word >> (i * width)) & mask
        if signed and v >> (width - 1):
            v -= 1 << width
        out[i] = v
    return out


def to_signed(value: int, width: int) -> int:
    """Two's-complement interpretation of a ``width``-bit unsigned value."""
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value
