"""`make bench`: accuracy and speed figures of the reference, printed as tables.

Sections (each can be run alone: `python -m refmodel.bench accuracy speed`):
- nonlinear: each integer nonlinearity against its float counterpart over its whole input range;
- accuracy: end-to-end top-1 agreement and logit error of the integer model against the float model;
- speed: float and integer decode tokens/s on the GPT-2 medium shape (random weights).
"""

from __future__ import annotations

import math
import sys
import time

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
    for t in (1, 8, 64, 512, 1024):
        for _ in range(20):
            sc = rng.integers(-(2**20), 2**20, t)
            m, s = int(rng.integers(1 << 10, 1 << 15)), int(rng.integers(8, 30))
            z = (sc - sc.max()) * (m / 2**s) / 256.0
            ref = 2.0**z / (2.0**z).sum()
            worst = max(worst, float(np.abs(io.softmax_int(sc, m, s) / 32768.0 - ref).max()))
    print(f"softmax probabilities (T = 1..1024, random scales): max abs err {worst:.2e}")
    lsb = 0
    for d in (64, 768, 1024, 4096):
        for _ in range(5):
            x = rng.integers(-(2**21), 2**21, d)
            gamma, beta, s_out = rng.uniform(-2, 2, d), rng.uniform(-1, 1, d), 4.0 / 127
            s = 26
            g = np.rint(gamma / s_out * 2.0 ** (s - 16)).astype(np.int64)
            b = np.rint(beta / s_out * 2.0**s).astype(np.int64)
            xf = x.astype(np.float64)
            ref = np.clip(np.rint(((xf - xf.mean()) / xf.std() * gamma + beta) / s_out), -128, 127)
            lsb = max(lsb, int(np.abs(io.layernorm_int(x, g, b, s) - ref).max()))
    print(f"LayerNorm (d = 64..4096, random gamma/beta): max error {lsb} LSB of the int8 output")


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


SECTIONS = {"nonlinear": bench_nonlinear, "accuracy": bench_accuracy, "speed": bench_speed}


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(SECTIONS)
    for n in names:
        if n not in SECTIONS:
            print(f"unknown section {n!r}; sections: {', '.join(SECTIONS)}", file=sys.stderr)
            return 2
    for n in names:
        SECTIONS[n]()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
