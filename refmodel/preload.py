"""KV-cache preload: start a token run at position P with the cache of positions 0..P-1 already filled.

A decode benchmark at a long position (the paper measures the token at position 639) would otherwise
have to run every earlier position first. Instead, the cache rows 0..P-1 of every layer and head are
filled with deterministic random int8 values (`random_kv`, seeded), put into the integer reference
(`IntGPT2.preload_kv`, `ParallelIntGPT2.preload_kv`) and written into every node's memory image at the
addresses `refmodel.kv_layout` gives for the node's heads (`preload_image`), so the reference, the ISS
and the RTL all start position P from the same cache. The rows are random, not those of a real prompt:
the step at P reads exactly as many KV bytes and does exactly the same work as after a real prompt, and
its result is checked against the reference bit for bit.
"""

from __future__ import annotations

import numpy as np

from .compiler import SystemImage


def random_kv(config, positions: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """K and V rows for positions 0..positions-1: int8 [n_layer, n_head, positions, d_head] each,
    uniform over the whole int8 range, from numpy's PCG64 stream seeded with `seed`."""
    if not 0 <= positions <= config.n_positions:
        raise ValueError(f"{positions} preloaded positions outside 0..{config.n_positions}")
    rng = np.random.Generator(np.random.PCG64(seed))
    shape = (config.n_layer, config.n_head, positions, config.d_head)
    k = rng.integers(-128, 128, size=shape, dtype=np.int8)
    v = rng.integers(-128, 128, size=shape, dtype=np.int8)
    return k, v


def check_kv(config, k: np.ndarray, v: np.ndarray) -> int:
    """The number of preloaded positions of (k, v); raises ValueError on a shape or type mismatch."""
    if k.dtype != np.int8 or v.dtype != np.int8:
        raise TypeError("preloaded K and V must be int8")
    want = (config.n_layer, config.n_head)
    if k.shape != v.shape or k.ndim != 4 or k.shape[:2] != want or k.shape[3] != config.d_head:
        raise ValueError(f"K, V must be [n_layer={want[0]}, n_head={want[1]}, T, d_head={config.d_head}], "
                         f"got {k.shape} and {v.shape}")
    if k.shape[2] > config.n_positions:
        raise ValueError(f"{k.shape[2]} preloaded positions exceed the context of {config.n_positions}")
    return k.shape[2]


def preload_image(sysimg: SystemImage, k: np.ndarray, v: np.ndarray) -> None:
    """Write K/V rows 0..T-1 of every layer into the KV-cache region of every node's channels (in place).

    Node n holds heads h0..h1-1 (its local heads 0..h1-h0-1); row t of (local head, kind) of layer l is
    at `kv.addr(kv_base[l], head, kind, t)`. On port p the rows t = p, p + ports, ... are contiguous
    from row 0 of the (head, kind) block, so each block is written with one slice per port.
    """
    t_len = check_kv(sysimg.config, k, v)
    for node in sysimg.nodes:
        kv = node.kv
        if kv is None or t_len == 0:
            continue
        h0, h1 = node.heads
        for li, base in enumerate(node.kv_base):
            for kind, arr in ((0, k), (1, v)):
                for h in range(h1 - h0):
                    rows = arr[li, h0 + h]
                    for port in range(kv.ports):
                        sel = rows[port::kv.ports]
                        if not len(sel):
                            continue
                        p, a = kv.addr(base, h, kind, port)
                        a = node.offset(a)
                        assert p == port
                        data = np.ascontiguousarray(sel).tobytes()
                        ch = node.channels[port]
                        if a + len(data) > len(ch):
                            raise ValueError(f"node {node.node}: KV preload beyond channel {port}'s image")
                        ch[a:a + len(data)] = data
