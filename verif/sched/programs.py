"""Programs for the scheduler tests: the per-token dataflow of one node and random programs.

``token_program`` writes the instruction stream of one token step in the shape the compiler emits
(docs/isa.md, "The token program"): the same units, order and dependency masks as
refmodel/parallel.py's dataflow, with illustrative buffer and memory addresses (the scheduler does
not interpret them; the kernels do).
"""

from __future__ import annotations

import random

from refmodel import isa
from refmodel.isa import LnrMode, MpMode, Op, OutSel, RingOp, Unit

E, L, M, A, R, X = (1 << int(u) for u in (Unit.EMBED, Unit.LNR, Unit.MP, Unit.MHA, Unit.RING,
                                          Unit.ARGMAX))

# activation buffer map (beat addresses) used by the example program
BUF_RES, BUF_X8, BUF_QKV, BUF_CTX, BUF_WIDE, BUF_HID, BUF_LOGIT = (
    0x000, 0x100, 0x200, 0x300, 0x400, 0x600, 0x800)


def token_program(n_layer: int = 2, d: int = 128, d_ff: int = 512, heads: int = 2, d_head: int = 64,
                  vocab_rows: int = 320, nodes: int = 2, node: int = 0, num_pe: int = 8) -> list[isa.Instr]:
    """One node's token-step program (rows split evenly; node owns slice ``node``)."""
    beats = lambda n: (n + 31) // 32  # noqa: E731  int8 beats
    d_rows, ff_rows = d // nodes, d_ff // nodes
    w = 0x0010_0000                    # weight stream cursor
    prog: list[isa.Instr] = []

    def mp(rows: int, din: int, mode: MpMode, act: int, out: int, ring: bool, wait_data: int) -> None:
        nonlocal w
        prog.append(isa.Mp(w_base=w, port_stride=0x0100_0000, rows=rows, din_beats=beats(din),
                           mode=int(mode), out_sel=int(OutSel.RING if ring else OutSel.BUF), gelu_m=0x4000 if mode == MpMode.GELU else 0,
                           gelu_s=20 if mode == MpMode.GELU else 0, act_addr=act, out_addr=out,
                           wait_data=wait_data))
        w += (rows // num_pe + 1) * (beats(din) + 1) * 32

    def gather(vec: int, dst: int) -> None:
        # vec: full vector length in beats; contiguous slices, this node's slice
        per = vec // nodes
        prog.append(isa.Ring(op=int(RingOp.GATHER), layout=0, dst_addr=dst, vec_beats=vec,
                             start=node * per, len=per))

    prog.append(isa.Embed(wte_base=0x0800_0000, wpe_base=0x0900_0000, wte_rows=50257,
                          wpe_rows=1024, d=d, out_addr=BUF_RES))
    prog.append(isa.Lnr(mode=int(LnrMode.LN), shift=40, d=d, param_base=0x0B00_0000,
                        out_addr=BUF_X8, wait_data=E))
    for li in range(n_layer):
        kv = 0x0400_0000 + li * 0x0010_0000
        # QKV: weights stream while the LayerNorm finishes
        mp(3 * heads * d_head, d, MpMode.INT8, BUF_X8, BUF_QKV, False, wait_data=L)
        prog.append(isa.Mha(kv_base=kv, sm_m=0x5C55, sm_s=22, out_m=0x4000, out_s=22, heads=heads,
                            out_sel=int(OutSel.RING), qkv_addr=BUF_QKV, ctx_addr=BUF_CTX, wait_data=M))
        gather(beats(d), BUF_CTX)
        mp(d_rows, d, MpMode.WIDE, BUF_CTX, BUF_WIDE, True, wait_data=R)
        gather(beats(d) * 4, BUF_WIDE)
        prog.append(isa.Lnr(mode=int(LnrMode.ADD_LN), shift=40, d=d, param_base=0x0B00_1000 + li * 0x2000,
                            delta_addr=BUF_WIDE, out_addr=BUF_X8, wait_data=R))
        mp(ff_rows, d, MpMode.GELU, BUF_X8, BUF_HID, True, wait_data=L)
        gather(beats(d_ff), BUF_HID)
        mp(d_rows, d_ff, MpMode.WIDE, BUF_HID, BUF_WIDE, True, wait_data=R)
        gather(beats(d) * 4, BUF_WIDE)
        last = li == n_layer - 1
        prog.append(isa.Lnr(mode=int(LnrMode.ADD_LN), shift=40, d=d,
                            param_base=0x0B10_0000 if last else 0x0B00_2000 + li * 0x2000,
                            delta_addr=BUF_WIDE, out_addr=BUF_X8, wait_data=R))
    # LM head over this node's vocabulary rows, local argmax, ring reduction
    mp(vocab_rows, d, MpMode.WIDE, BUF_X8, BUF_LOGIT, False, wait_data=L)
    prog.append(isa.Argmax(index_base=node * vocab_rows, count=vocab_rows, wait_data=M))
    prog.append(isa.Ring(op=int(RingOp.ARGMAX), wait_data=X))
    prog.append(isa.End())
    return prog


# --------------------------------------------------------------------------------------------------
# random programs


def random_operands(rng: random.Random, op: Op) -> dict[str, int]:
    """Random legal operand values for ``op``."""
    vals = {f.name: rng.getrandbits(f.width) for f in isa.OPERANDS[op]}
    for name in isa.NONZERO.get(op, ()):
        if vals[name] == 0:
            vals[name] = 1
    if op is Op.LNR:
        vals["mode"] = rng.randrange(len(LnrMode))
    if op is Op.MP:
        vals["mode"] = rng.randrange(3)
        vals["out_sel"] = rng.randrange(3)
    if op is Op.MHA:
        vals["out_sel"] = rng.randrange(2)
    if op is Op.RING:
        vals["op"] = rng.randrange(2)
        if vals["op"] == RingOp.GATHER:
            vals["vec_beats"] = rng.randrange(1, 1 << 16)
            if vals["layout"] == 0:
                vals["start"] = rng.randrange(vals["vec_beats"])
                vals["len"] = rng.randrange(vals["vec_beats"] - vals["start"] + 1)
    return vals


def random_mask(rng: random.Random, num_units: int, p: float) -> int:
    return sum(1 << u for u in range(num_units) if rng.random() < p)


def random_instr(rng: random.Random, num_units: int = 8, p_mask: float = 0.15,
                 ext_units: tuple[int, ...] = (6, 7)) -> isa.Instr:
    kinds = [Op.EMBED, Op.LNR, Op.MP, Op.MHA, Op.RING, Op.ARGMAX, Op.EXT, Op.SYNC, Op.NOP]
    weights = [2, 3, 4, 2, 4, 2, 2, 2, 1]
    op = rng.choices(kinds, weights)[0]
    if op is Op.NOP:
        return isa.Nop()
    if op is Op.SYNC:
        return isa.Sync(wait_issue=random_mask(rng, num_units, 0.3))
    wi, wd = random_mask(rng, num_units, p_mask), random_mask(rng, num_units, p_mask)
    if op is Op.EXT:
        units = [u for u in ext_units if u < num_units] or list(range(num_units))
        return isa.Ext(ext_unit=rng.choice(units), payload=rng.getrandbits(224), wait_issue=wi, wait_data=wd)
    ins = isa.CLASSES[op](wait_issue=wi, wait_data=wd, **random_operands(rng, op))
    ins.validate(num_units)
    return ins


def random_program(rng: random.Random, n: int, num_units: int = 8, **kw) -> list[isa.Instr]:
    return [random_instr(rng, num_units, **kw) for _ in range(n)] + [isa.End()]
