"""The ``looplynx`` command: tokenizer, checkpoints and greedy generation through the engines.

    looplynx tokenize TEXT
    looplynx detokenize ID...
    looplynx make-checkpoint --config NAME --seed N --out DIR
    looplynx generate --engine {float,ref,rtl} (--checkpoint DIR | --config NAME [--seed N])
                      (--prompt TEXT | --prompt-ids ID...) --tokens N [--nodes N] [--json]
                      [--dump DIR]   (rtl: every intermediate vector per step, checked exactly)
    looplynx demo

An *engine* has ``reset()`` and ``step(token, pos) -> int`` (the greedy next token id). ``float`` is
:class:`refmodel.float_model.FloatEngine`; ``ref`` is the bit-exact integer model
(``refmodel.int_model.build_engine``); ``rtl`` is the simulated accelerator, a whole generation at
once (:func:`generate_rtl`, Verilator through ``verif/system``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from .checkpoint import load_checkpoint, random_weights, save_checkpoint
from .config import PRESETS, GPT2Config, get_config
from .float_model import FloatEngine
from . import tokenizer

ENGINES = ("float", "ref", "rtl")
DEMO_PROMPT = "Hello, my name is"
DEMO_TOKENS = 8
DEMO_CONFIG = "tiny"
DEMO_SEED = 0
DEMO_NODES = 2


class CliError(ValueError):
    """A usage error reported as one line on stderr with exit code 2."""


class Engine(Protocol):
    def reset(self) -> None: ...
    def step(self, token: int, pos: int) -> int: ...


@dataclass
class Generation:
    prompt_ids: list[int]
    generated_ids: list[int]
    step_seconds: list[float] = field(default_factory=list)  # one per step() call, prompt included


def generate(engine: Engine, prompt_ids: Sequence[int], n_tokens: int, n_positions: int) -> Generation:
    """Greedy generation: the prompt is fed one token at a time at positions 0, 1, ...; the token
    returned after the last prompt token is the first generated one; each generated token except the
    last is fed back at the next position."""
    prompt_ids = [int(t) for t in prompt_ids]
    if not prompt_ids:
        raise CliError("the prompt is empty: at least one token is needed")
    if n_tokens < 1:
        raise CliError(f"--tokens must be at least 1, got {n_tokens}")
    if len(prompt_ids) > n_positions:
        raise CliError(f"the prompt has {len(prompt_ids)} tokens, longer than the context of "
                       f"{n_positions} positions")
    if len(prompt_ids) + n_tokens - 1 > n_positions:
        raise CliError(f"prompt ({len(prompt_ids)} tokens) + {n_tokens} generated tokens need "
                       f"{len(prompt_ids) + n_tokens - 1} positions; the context has {n_positions}")
    engine.reset()
    out = Generation(prompt_ids, [])
    seq = list(prompt_ids)
    for pos in range(len(prompt_ids) + n_tokens - 1):
        t0 = time.perf_counter()
        nxt = int(engine.step(seq[pos], pos))
        out.step_seconds.append(time.perf_counter() - t0)
        if pos >= len(prompt_ids) - 1:
            out.generated_ids.append(nxt)
            seq.append(nxt)
    return out


def build_engine(name: str, config: GPT2Config, weights: dict[str, np.ndarray], nodes: int) -> Engine:
    """The engine called ``name`` for this model."""
    if nodes < 1:
        raise CliError(f"--nodes must be at least 1, got {nodes}")
    if name == "float":
        if nodes != 1:
            raise CliError("--nodes applies to the ref and rtl engines; the float engine has one")
        return FloatEngine(config, weights)
    if name == "ref":
        try:
            from .int_model import build_engine as build_int_engine
        except ImportError as exc:
            raise CliError(f"the integer reference engine is not available "
                           f"(refmodel.int_model.build_engine: {exc})") from None
        return build_int_engine(config, weights, nodes=nodes)
    if name == "rtl":
        raise CliError("the rtl engine runs a whole generation at once: use generate_rtl()")
    raise CliError(f"unknown engine {name!r} (engines: {', '.join(ENGINES)})")


# ---------------------------------------------------------------------------------------- commands
def _model(args) -> tuple[GPT2Config, dict[str, np.ndarray], str]:
    if args.checkpoint is not None:
        if args.seed is not None:
            raise CliError("--seed applies to --config (random weights), not to --checkpoint")
        config, weights = load_checkpoint(args.checkpoint)
        return config, weights, f"checkpoint {args.checkpoint}"
    seed = 0 if args.seed is None else args.seed
    config = get_config(args.config)
    return config, random_weights(config, seed), f"config {args.config}, seed {seed}"


def _prompt_ids(args, config: GPT2Config) -> list[int]:
    ids = tokenizer.encode(args.prompt) if args.prompt is not None else list(args.prompt_ids)
    for t in ids:
        if not 0 <= t < config.vocab_size:
            raise CliError(f"prompt token id {t} is outside this model's vocabulary "
                           f"0..{config.vocab_size - 1}" + (" (use --prompt-ids)" if args.prompt else ""))
    return ids


def _safe_decode(ids: Sequence[int]) -> str:
    """Text of ids; ids beyond the GPT-2 vocabulary (a larger test vocabulary) shown as <id>."""
    return "".join(tokenizer.decode([t]) if t < tokenizer.N_VOCAB else f"<{t}>" for t in ids) \
        if any(t >= tokenizer.N_VOCAB for t in ids) else tokenizer.decode(ids)


def cmd_tokenize(args) -> None:
    print(" ".join(str(t) for t in tokenizer.encode(args.text)))


def cmd_detokenize(args) -> None:
    print(tokenizer.decode(args.ids))


def cmd_make_checkpoint(args) -> None:
    config = get_config(args.config)
    folder = save_checkpoint(args.out, config, random_weights(config, args.seed))
    print(f"wrote {folder} (config {args.config}, seed {args.seed})")


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send file descriptor 1 (this process and its children: Verilator, make, the simulation) to 2."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def generate_rtl(config: GPT2Config, weights, source: str, nodes: int, prompt_ids: list[int], n_tokens: int,
                 tag: str, dump: str | None = None):
    """Prompt + greedy generation on the simulated accelerator (Verilator, N nodes on a ring). With
    `dump` (a folder), the debug dump: every node's intermediate vectors of every step, compared
    exactly with the instruction-set simulator and the integer reference, one .npz per step."""
    if nodes not in (1, 2, 4, 8):
        raise CliError(f"the simulated system has 1, 2, 4 or 8 nodes, not {nodes}")
    if n_tokens < 1:
        raise CliError(f"--tokens must be at least 1, got {n_tokens}")
    if len(prompt_ids) + n_tokens - 1 > config.n_positions:
        raise CliError(f"prompt ({len(prompt_ids)} tokens) + {n_tokens} generated tokens need "
                       f"{len(prompt_ids) + n_tokens - 1} positions; the context has {config.n_positions}")
    try:
        from verif.system.engine import run_system
    except ImportError as exc:
        raise CliError(f"the rtl engine needs the verification package (verif.system): {exc}") from None
    from .compiler import CompileError

    try:
        with _stdout_to_stderr():  # the simulator's own log goes to stderr; stdout stays the result
            return run_system(config, weights, nodes, prompt_ids, n_tokens, tag=tag, dump=dump or False,
                              quiet=True)
    except CompileError as exc:
        raise CliError(f"the model does not fit the accelerator: {exc}") from None


def cmd_generate_rtl(args) -> None:
    config, weights, source = _model(args)
    prompt_ids = _prompt_ids(args, config)
    tag = (f"cli-{args.config}-s{args.seed or 0}" if args.checkpoint is None else "cli-checkpoint") + f"-n{args.nodes}"
    run = generate_rtl(config, weights, source, args.nodes, prompt_ids, args.tokens, tag, args.dump)
    from verif.system.engine import CLOCK_HZ, UNITS, print_run

    result = {
        "engine": "rtl", "nodes": args.nodes, "model": source,
        "prompt_ids": run.prompt_ids, "prompt_text": _safe_decode(run.prompt_ids),
        "generated_ids": run.generated_ids, "text": _safe_decode(run.generated_ids),
        "cycles": [max(c) for c in run.cycles],
        "cycles_per_unit": [{u: b[u] for u in UNITS} for b in run.busy],
        "ms_at_285mhz": [round(max(c) / CLOCK_HZ * 1e3, 6) for c in run.cycles],
        "reference_ids": run.expected, "matches_reference": run.outputs == run.expected,
        "sim_cycles_per_s": round(run.sim_cycles_per_s),
    }
    rep = run.dump
    if rep is not None:
        result["dump"] = {"dir": args.dump, "matches": rep.ok, "steps": rep.steps, "vectors": rep.vectors,
                          "beats": rep.beats, "mismatches": [str(m) for m in rep.mismatches[:20]],
                          "reference_mismatches": rep.ref_mismatches[:20]}
    if args.json:
        print(json.dumps(result))
        return 0 if rep is None or rep.ok else 1
    print(f"engine    : rtl ({args.nodes} simulated node{'s' if args.nodes > 1 else ''}), {source}")
    print(f"prompt    : {result['prompt_text']!r} {run.prompt_ids}")
    print_run(run)
    print(f"generated : {result['text']!r} {run.generated_ids}")
    if rep is not None:
        print(rep.summary())
        print(f"vectors   : {args.dump}/step<i>.npz (keys n<node>/<name>, ref/<name>)")
    return 0 if rep is None or rep.ok else 1


def cmd_generate(args) -> int:
    if args.engine == "rtl":
        return cmd_generate_rtl(args)
    if args.dump:
        raise CliError("--dump needs --engine rtl (the debug dump of the simulated accelerator)")
    config, weights, source = _model(args)
    prompt_ids = _prompt_ids(args, config)
    engine = build_engine(args.engine, config, weights, args.nodes)
    gen = generate(engine, prompt_ids, args.tokens, config.n_positions)
    gen_steps = gen.step_seconds[len(prompt_ids) - 1:]
    result = {
        "engine": args.engine,
        "nodes": args.nodes,
        "model": source,
        "prompt_ids": gen.prompt_ids,
        "prompt_text": _safe_decode(gen.prompt_ids),
        "generated_ids": gen.generated_ids,
        "text": _safe_decode(gen.generated_ids),
        "step_ms": [round(s * 1e3, 3) for s in gen.step_seconds],
        "tokens_per_s": round(len(gen_steps) / sum(gen_steps), 3) if sum(gen_steps) > 0 else None,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"engine    : {args.engine} ({args.nodes} node{'s' if args.nodes > 1 else ''}), {source}")
    print(f"prompt    : {result['prompt_text']!r} {gen.prompt_ids}")
    print(f"generated : {result['text']!r} {gen.generated_ids}")
    print("step ms   : " + " ".join(f"{ms:.1f}" for ms in result["step_ms"])
          + f"  ({result['tokens_per_s']} tokens/s over the generated tokens)")


def cmd_demo(args) -> None:
    """The bundled tiny model: integer reference and float model, then the simulated accelerator on
    DEMO_NODES nodes, with a side-by-side check of every token."""
    config = get_config(DEMO_CONFIG)
    weights = random_weights(config, DEMO_SEED)
    prompt_ids = tokenizer.encode(DEMO_PROMPT)
    print(f"model: preset {DEMO_CONFIG!r} ({config.n_layer} layers, d={config.n_embd}, "
          f"{config.n_head} heads, vocab {config.vocab_size}), random weights seed {DEMO_SEED}")
    print(f"prompt: {DEMO_PROMPT!r} -> {prompt_ids}")
    runs: dict[str, list[int]] = {}
    for name in ("ref", "float"):
        engine = build_engine(name, config, weights, nodes=DEMO_NODES if name == "ref" else 1)
        gen = generate(engine, prompt_ids, DEMO_TOKENS, config.n_positions)
        runs[name] = gen.generated_ids
        ms = 1e3 * sum(gen.step_seconds) / len(gen.step_seconds)
        label = f"{name} ({DEMO_NODES} nodes)" if name == "ref" else name
        print(f"{label:14s}: {_safe_decode(gen.generated_ids)!r} {gen.generated_ids} ({ms:.1f} ms per step)")
    n_same = sum(a == b for a, b in zip(runs["ref"], runs["float"]))
    print(f"integer reference and float model agree on {n_same}/{DEMO_TOKENS} greedy tokens")
    if args.no_rtl:
        return
    print(f"\nsimulated accelerator, {DEMO_NODES} nodes on a ring (Verilator; the first run builds the model, "
          "which takes a few minutes):")
    run = generate_rtl(config, weights, "demo", DEMO_NODES, prompt_ids, DEMO_TOKENS, f"demo-n{DEMO_NODES}")
    from verif.system.engine import print_run

    print_run(run)
    print(f"rtl ({DEMO_NODES} nodes)  : {_safe_decode(run.generated_ids)!r} {run.generated_ids}")
    if run.generated_ids != runs["ref"]:
        raise CliError(f"the simulated accelerator generated {run.generated_ids}, the reference {runs['ref']}")
    print("the simulated accelerator generates exactly the integer reference's tokens")


# -------------------------------------------------------------------------------------- the parser
def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="looplynx", description="LoopLynx-style GPT-2 accelerator: reference model tools")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("tokenize", help="print the GPT-2 token ids of TEXT")
    p.add_argument("text", metavar="TEXT")
    p.set_defaults(func=cmd_tokenize)

    p = sub.add_parser("detokenize", help="print the text of GPT-2 token ids")
    p.add_argument("ids", metavar="ID", nargs="+", type=_nonneg_int)
    p.set_defaults(func=cmd_detokenize)

    p = sub.add_parser("make-checkpoint", help="write a Hugging Face style folder of random weights")
    p.add_argument("--config", required=True, metavar="NAME", help=f"one of {', '.join(PRESETS)}")
    p.add_argument("--seed", type=_nonneg_int, default=0)
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(func=cmd_make_checkpoint)

    p = sub.add_parser("generate", help="greedy generation through an engine")
    p.add_argument("--engine", choices=ENGINES, default="float")
    model = p.add_mutually_exclusive_group(required=True)
    model.add_argument("--checkpoint", metavar="DIR", help="Hugging Face style checkpoint folder")
    model.add_argument("--config", metavar="NAME", help=f"preset with random weights: {', '.join(PRESETS)}")
    p.add_argument("--seed", type=_nonneg_int, default=None, help="random weights seed (default 0)")
    prompt = p.add_mutually_exclusive_group(required=True)
    prompt.add_argument("--prompt", metavar="TEXT")
    prompt.add_argument("--prompt-ids", metavar="ID", nargs="+", type=_nonneg_int)
    p.add_argument("--tokens", type=_nonneg_int, default=8, metavar="N", help="tokens to generate")
    p.add_argument("--nodes", type=_nonneg_int, default=1, metavar="N", help="ring nodes (ref, rtl)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--dump", metavar="DIR", help="rtl: write every node's intermediate vectors per step "
                   "(DIR/step<i>.npz), compare them exactly with the ISS and the integer reference; "
                   "exit status 1 if any differs")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("demo", help="generate from the bundled tiny model with each engine")
    p.add_argument("--no-rtl", action="store_true", help="skip the simulated accelerator")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``looplynx`` command; returns the exit status (2 on any usage error)."""
    args = build_parser().parse_args(argv)
    try:
        rc = args.func(args)
    except (ValueError, OSError) as exc:
        # CliError, ConfigError, CheckpointError, TokenizerError and file errors: one line, no trace.
        message = " ".join(str(exc).split())
        print(f"looplynx {args.command}: error: {message}", file=sys.stderr)
        return 2
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
