"""`make bench`: accuracy and speed figures of the reference, printed as tables.

Sections (each can be run alone: `python -m refmodel.bench accuracy speed`):
- nonlinear: each integer nonlinearity against its float counterpart over its whole input range;
- accuracy: end-to-end top-1 agreement and logit error of the integer model against the float model;
- speed: float and integer decode tokens/s on the GPT-2 medium shape (random weights);
- perf: modelled cycles per token of the node RTL for GPT-2 medium on 1, 2, 4 nodes against the memory
  bound and the paper; the GPT-2 medium / small runs measured in RTL simulation (the committed
  cyclemodel/measured_gpt2.json, written by `make bench-rtl` = the slow verif/system/test_gpt2.py tests
  + `python -m refmodel.bench record`) beside the model; the model beside the other RTL measurements.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from . import intops as io


def _gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def bench_nonlinear() -> None:
    print("== Integer nonlinearities against float (whole input range) ==")
    h = np.arange(io.RES_MIN, io.RES_MAX + 1, dtype=np.int64)
    err = np.abs(io.gelu_q10(h) / 1024.0 - _gelu_new(h / 1024.0))
    core = np.abs(h) <= 8 * 1024
    print(f"GELU   Q.10 in [-8192, 8192): max abs err {err.max():.5f}, mean {err.mean():.2e}; "
          f"in [-8, 8]: max {err[core].max():.5f}, mean {err[core].mean():.5f}")
    v = -np.arange(0, 32 * 256, dtype=np.int64)
    e_err = np.abs(io.exp2_neg(v) - 65536 * 2.0 ** (v / 256.0))
    print(f"exp2   Q.8 exponent in [-32, 0]: max abs err {e_err.max():.3f} LSB of 2^-16")
    rng = np.random.default_rng(0)
    worst = 0.0
    for e in range(22):  # score spreads 1 .. 2**21 at offsets across the range, extreme scales
        for m, s in [(1, 0), (32767, 0), (32767, 20), (1 << 10, 10), (23456, 14), (32767, 63), (300, 5)]:
            for t in (1, 3, 17, 256, 1024):
                off = int(rng.integers(-(2**21 - 2**e), 2**21 - 2**e + 1)) if e < 21 else 0
                sc = rng.integers(-(2**e), 2**e + 1, t) + off
                z = (sc - sc.max()) * (m / 2**s) / 256.0
                ref = 2.0**z / (2.0**z).sum()
                worst = max(worst, float(np.abs(io.softmax_int(sc, m, s) / 32768.0 - ref).max()))
    print(f"softmax probabilities (T = 1..1024, spreads 2^0..2^21, m 1..32767, s 0..63): max abs err "
          f"{worst:.2e} (bound 7.5e-4)")
    lsb, lsb_big = 0, 0
    s_out = 4.0 / 127
    for d in (64, 768, 1024, 4096):
        for k in range(24):  # amplitudes 2**0 .. 2**23, centred and next to both ends of int24
            for off in (0, io.RES_MAX - 2**k, io.RES_MIN + 2**k):
                x = np.clip(rng.integers(-(2**k), 2**k + 1, d) + off, io.RES_MIN, io.RES_MAX)
                if np.all(x == x[0]):
                    continue
                gamma, beta, s = rng.uniform(-2, 2, d), rng.uniform(-1, 1, d), 26
                g = np.rint(gamma / s_out * 2.0 ** (s - 16)).astype(np.int64)
                b = np.rint(beta / s_out * 2.0**s).astype(np.int64)
                xf = x.astype(np.float64)
                ref = np.clip(np.rint(((xf - xf.mean()) / xf.std() * gamma + beta) / s_out), -128, 127)
                e = int(np.abs(io.layernorm_int(x, g, b, s) - ref).max())
                lsb = max(lsb, e)
                if k >= 4:
                    lsb_big = max(lsb_big, e)
    print(f"LayerNorm (d = 64..4096, amplitudes 2^0..2^23, random gamma/beta): max error {lsb} LSB of "
          f"the int8 output ({lsb_big} LSB for amplitudes >= 2^4; the tiny-variance excess is the "
          f"integer square root's floor, docs/numerics.md)")


def bench_accuracy(tokens: int = 64) -> None:
    from .checkpoint import random_weights
    from .config import get_config
    from .float_model import FloatGPT2
    from .int_model import IntGPT2
    from .quantize import quantize

    print(f"== Integer model against float model (random weights, {tokens} random-token steps) ==")
    print(f"{'config':12s} {'smoothing':>10s} {'top-1 agree':>12s} {'logit err mean':>15s} {'max':>8s}")
    for name in ("tiny-v512", "tiny", "tiny-deep"):
        cfg = get_config(name)
        w = random_weights(cfg, 0)
        ids = [int(x) for x in np.random.default_rng(5).integers(0, cfg.vocab_size, min(tokens, cfg.n_positions))]
        for alpha in (None, 0.5):
            qm = quantize(cfg, w, smooth_alpha=alpha)
            im, fm = IntGPT2(qm), FloatGPT2(cfg, w)
            agree, errs = 0, []
            for pos, tok in enumerate(ids):
                dump = {}
                nxt = im.step(tok, pos, dump=dump)
                lf = fm.step(tok, pos)
                agree += nxt == int(np.argmax(lf))
                errs.append(float(np.abs(dump["logits"] * qm.scales["logit"] - lf).max() / np.abs(lf).max()))
            label = "none" if alpha is None else f"a={alpha}"
            print(f"{name:12s} {label:>10s} {agree / len(ids):12.3f} {np.mean(errs):15.4f} {np.max(errs):8.4f}")
    print("(logit error: max |int - float| over the vocabulary / max |float logit|, per step)")


def bench_speed(steps: int = 4) -> None:
    from .checkpoint import random_weights
    from .config import get_config
    from .float_model import FloatGPT2
    from .int_model import IntGPT2
    from .quantize import quantize

    cfg = get_config("gpt2-medium")
    print("== Reference decode speed, GPT-2 medium shape (random weights) ==")
    w = random_weights(cfg, 0)
    qm = quantize(cfg, w, calib_ids=list(range(16)))
    fm, im = FloatGPT2(cfg, w), IntGPT2(qm)
    rates = {}
    for label, model in (("float", fm), ("integer", im)):
        model.step(1, 0)  # warm-up
        t0 = time.perf_counter()
        for pos in range(1, steps + 1):
            model.step(100 + pos, pos)
        rates[label] = steps / (time.perf_counter() - t0)
    print(f"float   {rates['float']:7.2f} tokens/s")
    print(f"integer {rates['integer']:7.2f} tokens/s  (target >= 2)")


def bench_perf(pos: int = 639, mem_latency: int = 16) -> None:
    from .config import get_config
    from .cyclemodel.bound import CLOCK_HZ, PAPER_MS, memory_bound
    from .cyclemodel.system import MEASURED, MEASURED_FIT, measured_config, token_cycles

    cfg = get_config("gpt2-medium")
    print(f"== Modelled performance of the current node RTL: GPT-2 medium, token at position {pos} ==")
    print("MODEL PREDICTIONS of the current RTL (refmodel/cyclemodel/system.py, memory read latency "
          f"{mem_latency}, no memory stalls).")
    print("The RTL simulation of the whole model at this position (where measured) follows in the next table; "
          "one GPT-2 medium layer at positions 0, 1 is in the last (\"medium-layer\").")
    print(f"{'nodes':>5} {'cycles':>9} {'mem bound':>9} {'ratio':>6} {'ms@285MHz':>9} {'paper ms':>8} "
          f"{'speed-up':>8} {'paper':>6}")
    res = {n: token_cycles(cfg, n, pos, mem_latency=mem_latency) for n in (1, 2, 4)}
    for n, b in res.items():
        bd = memory_bound(cfg, n, pos)
        print(f"{n:>5} {b.cycles:>9} {bd.cycles:>9} {b.cycles / bd.cycles:>6.3f} {b.cycles / CLOCK_HZ * 1e3:>9.3f} "
              f"{PAPER_MS[n]:>8.2f} {res[1].cycles / b.cycles:>8.2f} {PAPER_MS[1] / PAPER_MS[n]:>6.2f}")
    print("where the time goes (critical path of the slowest node, cycles and share):")
    keys = list(res[1].critical)
    print(f"{'nodes':>5} " + " ".join(f"{k:>16}" for k in keys))
    for n, b in res.items():
        print(f"{n:>5} " + " ".join(f"{b.critical[k]:>9} {100 * b.critical[k] / b.cycles:5.1f}%" for k in keys))
    print("(targets: <= 1.10x the memory bound on one node; >= 1.9x / 3.6x speed-up on 2 / 4 nodes)")
    print("cycles above the bytes streamed (slowest node): weight/KV beats are the bound, the rest is overhead")
    print(f"{'nodes':>5} {'W beats':>9} {'MP+head over':>12} {'KV beats':>8} {'MHA over':>8} {'LNR':>6} "
          f"{'EMBED':>5} {'ring/sched':>10}")
    for n, b in res.items():
        bd = memory_bound(cfg, n, pos)
        w, kv = bd.weight_bytes // 256, bd.kv_bytes // 256
        c = b.critical
        print(f"{n:>5} {w:>9} {c['MP'] + c['LM head'] - w:>12} {kv:>8} {c['MHA'] - kv:>8} {c['LNR']:>6} "
              f"{c['EMBED']:>5} {c['RING/sched']:>10}")
    print()
    bench_measured(pos, mem_latency)
    print()
    print("== The model beside the RTL measurements (verif/system, memory latency 16) ==")
    print(f"{'config':12s} {'nodes':>5} {'pos':>4} {'RTL cycles':>10} {'model':>7} {'error':>7}  note")
    for (name, n), steps in MEASURED.items():
        c = measured_config(name)
        for p in sorted({min(steps), max(steps)}):
            meas = max(steps[p])
            pred = token_cycles(c, n, p, mem_latency=16).cycles
            note = "fitted" if (name, n) in MEASURED_FIT else "predicted"
            print(f"{name:12s} {n:>5} {p:>4} {meas:>10} {pred:>7} {100 * (pred - meas) / meas:>+6.2f}%  {note}")


MEASURED_FILE = Path(__file__).resolve().parent / "cyclemodel" / "measured_gpt2.json"
MEASURE_DIR = Path(__file__).resolve().parent.parent / "build" / "system" / "gpt2"


def load_measured(path: Path = MEASURED_FILE) -> dict:
    """The recorded GPT-2 RTL runs: "<config>/n<nodes>" -> the record verif/system/test_gpt2.py wrote."""
    if not path.is_file():
        return {}
    return json.loads(path.read_text()).get("runs", {})


def record_measured(src: Path = MEASURE_DIR, path: Path = MEASURED_FILE) -> list[str]:
    """Merge the measurement files of the latest `verif/system/test_gpt2.py` runs into `path` (the
    committed table `make bench` prints); returns the keys it updated."""
    runs = load_measured(path)
    updated = []
    for f in sorted(Path(src).glob("*.json")):
        rec = json.loads(f.read_text())
        key = f"{rec['config']}/n{rec['nodes']}"
        runs[key] = rec
        updated.append(key)
    doc = {"about": "GPT-2 shapes simulated on the RTL (verif/system/test_gpt2.py), written by `make bench-rtl`; "
                    "printed by `make bench` (refmodel/bench.py, section perf).",
           "runs": dict(sorted(runs.items()))}
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return updated


def bench_measured(pos: int = 639, mem_latency: int = 16) -> None:
    """The RTL measurements of the GPT-2 shapes beside the model, the memory bound and the paper."""
    from .config import get_config
    from .cyclemodel.bound import CLOCK_HZ, PAPER_MS, memory_bound
    from .cyclemodel.system import token_cycles

    runs = load_measured()
    cfg = get_config("gpt2-medium")
    dates = sorted({r["date"] for r in runs.values()})
    when = f"on {', '.join(dates)}" if dates else ""
    print(f"== GPT-2 medium, token at position {pos}: MEASURED in RTL simulation {when} beside the MODEL ==")
    print("(verif/system/test_gpt2.py: random weights, KV cache of positions 0..638 preloaded with random int8 "
          f"rows, memory read latency {mem_latency}, no stalls; `make bench-rtl` re-measures)")
    print(f"{'nodes':>5} {'RTL cycles':>10} {'model':>9} {'error':>7} {'mem bound':>9} {'ratio':>6} "
          f"{'ms@285MHz':>9} {'paper ms':>8} {'vs paper':>8} {'speed-up':>8} {'paper':>6} {'sim cyc/s':>9} "
          f"{'sim min':>7}")
    meas = {}
    for n in (1, 2, 4):
        r = runs.get(f"gpt2-medium/n{n}")
        if r and r["start_pos"] == pos and r["mem_latency"] == mem_latency:
            meas[n] = max(r["steps"][0]["cycles"])
    for n in (1, 2, 4):
        model = token_cycles(cfg, n, pos, mem_latency=mem_latency).cycles
        bd = memory_bound(cfg, n, pos)
        if n not in meas:
            print(f"{n:>5} {'not measured yet (make bench-rtl)':>34}   model {model} cycles, "
                  f"{model / bd.cycles:.3f} x the bound {bd.cycles}, {model / CLOCK_HZ * 1e3:.3f} ms (paper {PAPER_MS[n]})")
            continue
        r = runs[f"gpt2-medium/n{n}"]
        c = meas[n]
        ms = c / CLOCK_HZ * 1e3
        up = f"{meas[1] / c:>8.2f}" if 1 in meas else f"{'-':>8}"
        flag = "" if r.get("tokens_match_reference") and r.get("cycles_within_model_tolerance") else \
            "  (checks did not pass: see the record)"
        print(f"{n:>5} {c:>10} {model:>9} {100 * (model - c) / c:>+6.2f}% {bd.cycles:>9} {c / bd.cycles:>6.3f} "
              f"{ms:>9.3f} {PAPER_MS[n]:>8.2f} {PAPER_MS[n] / ms:>7.2f}x {up} {PAPER_MS[1] / PAPER_MS[n]:>6.2f} "
              f"{r['sim_cycles_per_s']:>9.0f} {r['sim_s'] / 60:>7.1f}{flag}")
    print("(RTL cycles: CYCLES of the slowest node, measured; model: refmodel/cyclemodel/system.py now; ratio: "
          "measured / memory bound; vs paper: paper ms / measured ms; speed-up: measured 1-node cycles / "
          "N-node cycles beside the paper's; sim cyc/s and sim min: simulated clock cycles per second of "
          "wall time of the whole system and the simulator's wall time incl. loading the images, this machine)")
    other = {k: r for k, r in runs.items() if not k.startswith("gpt2-medium/")}
    for key, r in other.items():
        for st in r["steps"]:
            c = max(st["cycles"])
            m = token_cycles(get_config(r["config"]), r["nodes"], st["pos"], mem_latency=r["mem_latency"]).cycles
            print(f"{r['config']} on {r['nodes']} nodes, position {st['pos']}: RTL {c} cycles (measured "
                  f"{r['date']}), model {m} ({100 * (m - c) / c:+.2f} %), {c / st['memory_bound']:.3f} x the memory "
                  f"bound, {c / CLOCK_HZ * 1e3:.3f} ms at 285 MHz; sim {st['sim_cycles_per_s']:.0f} cycles/s")
    if not any(k.startswith("gpt2/") for k in runs):
        print("GPT-2 small: not measured yet (make bench-rtl)")


def bench_record(*_args) -> None:
    keys = record_measured()
    print(f"recorded {', '.join(keys) or 'nothing'} from {MEASURE_DIR} into {MEASURED_FILE}")


SECTIONS = {"nonlinear": bench_nonlinear, "accuracy": bench_accuracy, "speed": bench_speed, "perf": bench_perf}
#: not part of the default run (`make bench`): `python -m refmodel.bench record` (used by `make bench-rtl`)
EXTRA = {"record": bench_record, "measured": bench_measured}


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(SECTIONS)
    for n in names:
        if n not in SECTIONS and n not in EXTRA:
            print(f"unknown section {n!r}; sections: {', '.join([*SECTIONS, *EXTRA])}", file=sys.stderr)
            return 2
    for n in names:
        {**SECTIONS, **EXTRA}[n]()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
