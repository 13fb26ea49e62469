"""Sanity of refmodel/cyclemodel/mha.py (the RTL check is the latency cocotb test in test_mha.py)."""

import pytest

from refmodel.cyclemodel import mha


@pytest.mark.parametrize("cfg", [mha.MhaConfig(64, 4, 256, 4), mha.MhaConfig(32, 2, 64, 2), mha.MhaConfig()],
                         ids=str)
def test_model_properties(cfg):
    prev = 0
    for pos in range(0, cfg.max_ctx, max(1, cfg.max_ctx // 64)):
        c = mha.cycles(cfg, pos)
        assert c >= mha.memory_bound_cycles(cfg, pos)  # never faster than the busiest port
        assert c >= prev  # more context never costs fewer cycles
        prev = c
        assert mha.kv_bytes_read(cfg, pos) == 2 * cfg.heads * (pos + 1) * cfg.head_dim
    # long contexts are memory bound: within 10% of the busiest port's beats at the maximum
    last = cfg.max_ctx - 1
    if cfg.max_ctx >= 256:
        assert mha.cycles(cfg, last) <= 1.10 * mha.memory_bound_cycles(cfg, last)
    with pytest.raises(ValueError):
        mha.cycles(cfg, cfg.max_ctx)


def test_job_order():
    assert mha.job_order(1) == [(0, 0), (0, 1)]
    assert mha.job_order(2) == [(0, 0), (1, 0), (0, 1), (1, 1)]
    assert mha.job_order(5) == [(0, 0), (1, 0), (2, 0), (0, 1), (3, 0), (1, 1), (4, 0), (2, 1), (3, 1), (4, 1)]
    assert mha.job_order(3, lookahead=1) == [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (2, 1)]
