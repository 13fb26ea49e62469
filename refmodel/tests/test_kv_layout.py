"""KV-cache layout: every row has its own place, rows of a head spread over all ports, contiguous
per port, never across a 4 KB boundary, and pack/unpack are inverse."""

import numpy as np
import pytest

from refmodel.kv_layout import BEAT_BYTES, KIND_K, KIND_V, KvLayout

LAYOUTS = [KvLayout(64, 4, 256, 4), KvLayout(32, 2, 64, 2), KvLayout(64, 16, 1024, 8), KvLayout(128, 3, 16, 1)]


@pytest.mark.parametrize("lay", LAYOUTS, ids=str)
def test_unique_and_inside_layer(lay):
    base = lay.layer_base(2, cache_base=0x10000)
    seen = set()
    for h in range(lay.heads):
        for kind in (KIND_K, KIND_V):
            for t in range(lay.max_ctx):
                port, a = lay.addr(base, h, kind, t)
                assert port == t % lay.ports
                assert base <= a and a + lay.head_dim <= base + lay.layer_bytes
                assert a % lay.head_dim == 0
                assert a // 4096 == (a + lay.head_dim - 1) // 4096  # a row never crosses 4 KB
                assert (port, a) not in seen
                seen.add((port, a))
    assert len(seen) * lay.head_dim == lay.ports * lay.layer_bytes  # dense: no holes


@pytest.mark.parametrize("lay", LAYOUTS, ids=str)
def test_rows_of_a_head_are_contiguous_per_port(lay):
    for p in range(lay.ports):
        addrs = [lay.addr(0, 1 % lay.heads, KIND_V, t)[1] for t in range(p, lay.max_ctx, lay.ports)]
        assert addrs == list(range(addrs[0], addrs[0] + len(addrs) * lay.head_dim, lay.head_dim))


@pytest.mark.parametrize("lay", LAYOUTS, ids=str)
def test_port_rows_counts(lay):
    for pos in (0, 1, lay.ports - 1, lay.max_ctx - 1):
        if pos >= lay.max_ctx:
            continue
        counts = [lay.port_rows(pos, p) for p in range(lay.ports)]
        assert sum(counts) == pos + 1
        assert max(counts) - min(counts) <= 1  # balanced over the ports
        for p in range(lay.ports):
            assert counts[p] == sum(1 for t in range(pos + 1) if t % lay.ports == p)


def test_pack_unpack_roundtrip():
    lay = KvLayout(64, 4, 256, 4)
    rng = np.random.default_rng(1)
    k = rng.integers(-128, 128, (4, 37, 64), dtype=np.int8)
    v = rng.integers(-128, 128, (4, 37, 64), dtype=np.int8)
    base = lay.layer_base(1)
    imgs = lay.pack(k, v, base)
    assert all(len(im) == base + lay.layer_bytes for im in imgs)
    k2, v2 = lay.unpack(imgs, 37, base)
    assert np.array_equal(k, k2) and np.array_equal(v, v2)
    # one explicit row: head 2, V, t = 6 -> port 2, row (2*2+1)*64 + 1
    assert lay.addr(base, 2, KIND_V, 6) == (2, base + (5 * 64 + 1) * 64)
    assert lay.beats_per_row == 64 // BEAT_BYTES


@pytest.mark.parametrize("kwargs", [dict(head_dim=48, heads=1, max_ctx=8, ports=1),
                                    dict(head_dim=16, heads=1, max_ctx=8, ports=1),
                                    dict(head_dim=64, heads=0, max_ctx=8, ports=1),
                                    dict(head_dim=64, heads=1, max_ctx=6, ports=4),
                                    dict(head_dim=64, heads=1, max_ctx=8, ports=3)])
def test_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        KvLayout(**kwargs)


def test_bad_addresses():
    lay = KvLayout(64, 2, 16, 2)
    for args in [(0, 2, KIND_K, 0), (0, 0, 2, 0), (0, 0, KIND_K, 16), (0, 0, KIND_K, -1), (32, 0, KIND_K, 0)]:
        with pytest.raises(ValueError):
            lay.addr(*args)
    with pytest.raises(TypeError):
        lay.pack(np.zeros((2, 1, 64), np.int16), np.zeros((2, 1, 64), np.int16))
