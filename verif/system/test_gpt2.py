"""The real GPT-2 shapes on the simulated system (nightly tier: `@pytest.mark.slow`, minutes each).

* GPT-2 small (12 layers, d 768, vocabulary 50257, context 1024; random weights) on 2 nodes: the first two
  positions of a greedy run, every TOKEN_OUT against the integer reference.
* GPT-2 medium (24 layers, d 1024) on 1, 2 and 4 nodes: one token at position 639 (the paper's benchmark
  position) with the KV cache of positions 0..638 preloaded (`refmodel.preload`: seeded random int8 rows,
  the same in the reference and in the memory images), TOKEN_OUT against the reference.

Every run's CYCLES are asserted against the analytical model (`refmodel.cyclemodel.system.token_cycles`,
the 1 % tolerance of the other system tests), and its measurement (cycles per node, node-0 busy cycles per
unit, simulated cycles per second, wall and build time, peak memory) is written to
`build/system/gpt2/<name>.json` before the checks; `make bench-rtl` runs these tests and records the files
in `refmodel/cyclemodel/measured_gpt2.json`, which `make bench` prints (docs/performance.md).

The quantised model (random weights seed 0, 16 calibration tokens) is cached on disk under
`build/system/models/`, keyed by the config, the seed and the source of the quantiser, so a rerun skips the
multi-gigabyte float weights.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import pickle
import resource
import time

import pytest

from refmodel.config import get_config
from verif.lib.filelist import REPO_ROOT
from verif.lib.runner import BUILD_ROOT
from verif.system.engine import SYSTEM_MAKE_LONG, run_system

MEASURE_DIR = BUILD_ROOT / "system" / "gpt2"
MODEL_DIR = BUILD_ROOT / "system" / "models"
CALIB_TOKENS = 16
MEDIUM_POS = 639
MEM_LATENCY = 16
#: scheduler watchdog for these runs: the LM head of GPT-2 on one node is one MP op of about 200 K cycles
WATCHDOG = 2_000_000


def _source_hash() -> str:
    h = hashlib.sha1()
    for f in ("checkpoint.py", "quantize.py", "intops.py", "config.py", "float_model.py"):
        h.update((REPO_ROOT / "refmodel" / f).read_bytes())
    return h.hexdigest()[:12]


def quantised_model(name: str, seed: int = 0):
    """The quantised random-weight model `name` (cached under build/system/models)."""
    from refmodel.checkpoint import random_weights
    from refmodel.quantize import quantize

    cfg = get_config(name)
    path = MODEL_DIR / f"{name}-s{seed}-c{CALIB_TOKENS}-{_source_hash()}.pkl"
    if path.is_file():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    qm = quantize(cfg, random_weights(cfg, seed), calib_ids=list(range(CALIB_TOKENS)))
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(qm, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return qm


def _measure(name: str, nodes: int, prompt: list[int], n_tokens: int, start_pos: int) -> tuple:
    """Run, write build/system/gpt2/<config>-n<nodes>.json, return (run, model breakdowns, record)."""
    from refmodel.cyclemodel.bound import memory_bound
    from refmodel.cyclemodel.system import token_cycles

    cfg = get_config(name)
    t0 = time.perf_counter()
    qm = quantised_model(name)
    t_model = time.perf_counter() - t0
    tag = f"{name}-n{nodes}-p{start_pos}"
    t1 = time.perf_counter()
    run = run_system(cfg, None, nodes, prompt, n_tokens, tag=tag, qmodel=qm, start_pos=start_pos,
                     make_overrides=SYSTEM_MAKE_LONG, watchdog=WATCHDOG, max_cycles=8_000_000,
                     mem_latency=MEM_LATENCY)
    wall = time.perf_counter() - t1
    del qm
    models = [token_cycles(cfg, nodes, start_pos + i, mem_latency=MEM_LATENCY) for i in range(len(run.cycles))]
    steps = []
    for i, (cyc, busy, out, wall_s) in enumerate(zip(run.cycles, run.busy, run.outputs, run.wall_s)):
        pos = start_pos + i
        bd = memory_bound(cfg, nodes, pos)
        steps.append(dict(pos=pos, token_out=out, expected=run.expected[i], cycles=cyc, busy_node0=busy,
                          model_cycles=models[i].cycles, memory_bound=bd.cycles, wall_s=round(wall_s, 2),
                          sim_cycles_per_s=round(max(cyc) / max(wall_s, 1e-9), 1)))
    rec = dict(
        config=name, nodes=nodes, start_pos=start_pos, kv_preload=f"random int8, seed 0, rows 0..{start_pos - 1}"
        if start_pos else "none", weights="random, seed 0", calib_tokens=CALIB_TOKENS, mem_latency=MEM_LATENCY,
        date=datetime.date.today().isoformat(), steps=steps,
        sim_cycles_per_s=round(run.sim_cycles_per_s, 1), build_s=round(run.build_s, 1),
        sim_s=round(run.sim_s, 1), load_s=round(run.sim_s - sum(run.wall_s), 1),
        run_system_s=round(wall, 1), model_prep_s=round(t_model, 1), make=SYSTEM_MAKE_LONG,
        peak_rss_mb=dict(simulator=max(r.get("peak_rss_mb", 0) for r in _report_rows(tag)),
                         python=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)),
    )
    MEASURE_DIR.mkdir(parents=True, exist_ok=True)
    (MEASURE_DIR / f"{name}-n{nodes}.json").write_text(json.dumps(rec, indent=1) + "\n")
    print(json.dumps(rec, indent=1))
    return run, models, rec


def _report_rows(tag: str) -> list[dict]:
    return json.loads((BUILD_ROOT / "system" / "cases" / tag / "report.json").read_text())


def _check(run, models, rec) -> None:
    """The checks; the measurement file records whether they passed."""
    from refmodel.cyclemodel.system import TOLERANCE, within_tolerance

    path = MEASURE_DIR / f"{rec['config']}-n{rec['nodes']}.json"
    rec["tokens_match_reference"] = run.outputs == run.expected
    rec["cycles_within_model_tolerance"] = all(within_tolerance(bd.cycles, max(st["cycles"]))
                                               for st, bd in zip(rec["steps"], models))
    path.write_text(json.dumps(rec, indent=1) + "\n")
    assert run.outputs == run.expected, f"TOKEN_OUT {run.outputs}, reference {run.expected}"
    for st, bd in zip(rec["steps"], models):
        meas = max(st["cycles"])
        assert within_tolerance(bd.cycles, meas), \
            f"pos {st['pos']}: CYCLES {st['cycles']}, model {bd.cycles} (tolerance {TOLERANCE:.0%})"


@pytest.mark.slow
@pytest.mark.parametrize("nodes", [4, 2, 1])
def test_gpt2_medium_pos639(nodes):
    """GPT-2 medium shape, the token at position 639 after a preloaded KV cache of 639 rows."""
    run, models, rec = _measure("gpt2-medium", nodes, [11], 1, MEDIUM_POS)
    assert len(run.outputs) == 1
    _check(run, models, rec)


@pytest.mark.slow
def test_gpt2_small_two_tokens():
    """GPT-2 small shape on 2 nodes: positions 0 and 1 (the second fed back from the first)."""
    run, models, rec = _measure("gpt2", 2, [11], 2, 0)
    assert len(run.outputs) == 2
    _check(run, models, rec)
