"""Analytical cycle model of one whole token step of the node RTL (rtl/node/ll_node.sv) on N nodes.

`token_cycles(config, nodes, pos)` builds the per-node programs exactly as the compiler does
(`refmodel.compiler._program`, with placeholder addresses and scales: no weights are needed) and walks
them instruction by instruction with the dependency semantics of docs/node.md and docs/scheduler.md:

* the scheduler issues in program order, at most one instruction per cycle; an instruction with
  `wait_issue` on unit v issues only once v has no op in flight (a done pulse in cycle d releases the
  wait from d + 1); the first instruction issues `sched.first_issue_latency` cycles after START;
* a unit's launch latch takes the instruction at the launch handshake and starts the kernel when the
  `wait_data` units' ops in flight at launch are done (no weight prefetch: the MP does not touch
  memory before its input is complete) and the kernel has finished its previous op;
* each kernel then takes its own analytical model's cycles (`lnr.embed_cycles`, `lnr.lnr_cycles`,
  `mp.cycles`, `mha.cycles`, `lnr.argmax_cycles`) plus the node's glue latency around it (`GLUE`);
  its done is reported after its output drained;
* a ring all-gather is done on every node one all-gather tail (`ring.allgather_done_tail_cycles`)
  after the last producer's output beat on the slowest node; the argmax reduction one
  `ring.argmax_tail_cycles` after the last node's local argmax result;
* END retires the cycle after the last done; CYCLES = END - START.

The glue constants are the only numbers not derived from a kernel model: they are the per-op cycles the
node adds around a kernel (launch latch, activation-buffer read latency, packer / width-converter drain,
LayerNorm parameter DMA), fitted once to the RTL measurements of tiny-v512 (docs/performance.md) and
checked against every other measured configuration by refmodel/tests/test_cyclemodel_system.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from .. import isa
from ..compiler import Abuf, HwConfig, _program, check_fit
from ..parallel import ROW_ALIGN
from ..partition import check_nodes, split_heads, split_range
from . import lnr as lnr_model
from . import mha as mha_model
from . import mp as mp_model
from . import ring as ring_model
from . import sched as sched_model

U = isa.Unit
UNIT_NAMES = ["EMBED", "LNR", "MP", "MHA", "RING", "ARGMAX"]

#: Node glue cycles added to each kernel model inside the node. EMBED and LNR are read from UNIT_BUSY and
#: GATHER fitted to CYCLES of the one-node tiny-v512 run; the others are structural estimates
#: (docs/performance.md, "The model").
GLUE = {
    "EMBED": 1,      # launch latch + write-stream arbitration
    "LNR": 19,       # parameter DMA first burst + delta read port + x8 write drain
    "MP": 4,         # activation read port latency (act_latency) + packer drain
    "MHA": 4,        # qkv read port + 512 -> 256 width converter
    "GATHER": -6,    # producer done is reported this much after its last beat entered the ring
    "ARGMAX": 2,     # unpacker in front of the argmax unit
    "REDUCE": 0,     # argmax reduction command -> done, beyond its tail
}
#: LayerNorm parameters: a credit-based read port on channel 0 (ll_mp_rd_port, FifoDepth 32, bursts
#: of 16 requested only with room for them) feeds 2 memory beats per LNR beat of pass 2 through a
#: 256 -> 512 unpacker. Up to LNR_PAR_PREFETCH memory beats are waiting when pass 2 starts (FIFO +
#: unpacker); the rest arrive one per cycle, the first LNR_PAR_REFILL + latency cycles after pass 2
#: starts (16 beats consumed at 2 per cycle free a burst's credit, then the registered AR). Only for
#: d > 4 * LNR_PAR_PREFETCH. LNR_PAR_REFILL is set on the d = 1024 measurement ("medium-layer":
#: UNIT_BUSY[LNR] = 3 x 504); the earlier read master (ll_axi_dma_rd) measured 7 cycles less.
LNR_PAR_PREFETCH = 34
LNR_PAR_REFILL = 16


def lnr_param_stall(d: int, mem_latency: int) -> int:
    """Cycles pass 2 of a LayerNorm of length d waits for its parameters beyond one beat per cycle."""
    mem_beats = d // 4
    if mem_beats <= LNR_PAR_PREFETCH:
        return 0
    last = LNR_PAR_REFILL + mem_latency + (mem_beats - LNR_PAR_PREFETCH)
    return max(0, last - d // 8)


#: Relative tolerance of the model against the RTL's CYCLES (asserted by refmodel/tests/
#: test_cyclemodel_system.py on pinned measurements and by verif/system/test_system.py on every run).
TOLERANCE = 0.01

#: RTL measurements the model is checked against: (config, nodes) -> {position: CYCLES per node}, from
#: verif/system (random weights seed 0, prompt [11, 400, 7, 93] then greedy tokens, memory read latency
#: 16, no stalls). The glue constants were set on MEASURED_FIT only (tiny-v512: GLUE; medium-layer:
#: LNR_PAR_REFILL); the rest are predictions. The d = 128 runs predate the LayerNorm parameter read
#: port change, which does not touch d = 128 (tiny-v512 on 1 node measured 3318 before and after).
MEASURED = {
    ("tiny-v512", 1): {p: [3318] for p in range(8)},
    ("tiny-v512", 2): {p: [2307, 2304] for p in range(8)},
    ("tiny-v512", 4): {p: [1990, 1983, 1981, 1978] for p in range(8)},
    # vocabulary 50257: the LM head dominates (13.5 K of the 15.5 K cycles)
    ("tiny", 2): {p: [15534, 15531] for p in range(8)},
    # 4 layers, context 256: 40 steps; the attention adds one K and one V beat per port every 8 positions
    ("tiny-deep", 1): dict(enumerate([[c] for c in [6096] * 8 + [6120] * 8 + [6144] * 8 + [6168] * 8 + [6192] * 8])),
    ("tiny-deep", 4): {p: [3638, 3636, 3633, 3629] for p in range(8)},
    # one GPT-2 medium layer (d = 1024, 16 heads, d_ff 4096), vocabulary 512, context 64; prompt [11, 400]
    ("medium-layer", 1): {0: [54187], 1: [54187]},
    ("medium-layer", 2): {0: [28080, 28076], 1: [28080, 28076]},
    ("medium-layer", 4): {0: [15054, 15051, 15047, 15040], 1: [15054, 15051, 15047, 15040]},
}
MEASURED_FIT = {("tiny-v512", 1), ("medium-layer", 1)}
#: UNIT_BUSY of node 0 at position 0 in the same runs (EMBED, LNR, MP, MHA, RING, ARGMAX)
MEASURED_BUSY = {
    ("tiny-v512", 1): [45, 770, 3229, 258, 3234, 458],
    ("tiny-v512", 2): [45, 770, 2206, 168, 2223, 322],
    ("tiny-v512", 4): [45, 770, 1868, 166, 1906, 256],
    ("tiny", 2): [45, 770, 15433, 168, 15450, 13548],
    ("tiny-deep", 1): [45, 1386, 5989, 516, 5996, 458],
    ("tiny-deep", 4): [45, 1386, 3466, 334, 3538, 254],
    ("medium-layer", 1): [185, 1512, 53967, 773, 53971, 2600],
    ("medium-layer", 2): [185, 1512, 27855, 405, 27864, 1568],
    ("medium-layer", 4): [185, 1512, 14811, 221, 14838, 1052],
}


def measured_config(name: str):
    """The configuration of a MEASURED entry: a named one, or `medium-layer` (one GPT-2 medium layer)."""
    from ..config import GPT2Config, get_config

    if name == "medium-layer":
        return GPT2Config(n_layer=1, n_embd=1024, n_head=16, n_positions=64, vocab_size=512)
    return get_config(name)

#: MP activation latency inside the node: activation-buffer read port (registered RAM + output reg)
MP_ACT_LATENCY = 2


@dataclass
class Breakdown:
    """One token step: total cycles (START to END of the slowest node) and where they went."""

    cycles: int
    #: cycles on the critical path attributed to each kernel (sum = cycles)
    critical: dict = field(default_factory=dict)
    #: per unit, cycles its kernel ran on the slowest node (like UNIT_BUSY but without the wait for data)
    kernel: dict = field(default_factory=dict)
    #: CYCLES of every node
    per_node: list = field(default_factory=list)
    #: UNIT_BUSY of every node as the scheduler counts it (cycles with an op in flight)
    busy: list = field(default_factory=list)

    def ms(self, clock_hz: float = 285e6) -> float:
        return self.cycles / clock_hz * 1e3


def _placeholder_model(cfg):
    """The attributes `_program` reads from a quantised model, with placeholder scales."""
    ln = SimpleNamespace(s=16)
    lay = SimpleNamespace(ln1=ln, ln2=ln, sm_m=1, sm_s=1, ctx_m=1, ctx_s=1, fc1=SimpleNamespace(gelu_m=1, gelu_s=1))
    return SimpleNamespace(config=cfg, layers=[lay] * cfg.n_layer, ln_f=ln)


def node_programs(cfg, nodes: int, hw: HwConfig) -> tuple[Abuf, list[list]]:
    """The program of every node (compiler._program with placeholder addresses)."""
    check_nodes(nodes)
    ab, heads = check_fit(cfg, hw, nodes)
    d, dff, dh = cfg.n_embd, cfg.d_ff, cfg.d_head
    qm = _placeholder_model(cfg)
    r_d = split_range(d, nodes, ROW_ALIGN)
    r_ff = split_range(dff, nodes, ROW_ALIGN)
    r_v = split_range(cfg.vocab_size, nodes, ROW_ALIGN)
    sym = {"wte": 0, "wpe": 0, "ln_f": 0}
    ln_addr = [(0, 0)] * cfg.n_layer
    progs = []
    for n in range(nodes):
        h0, h1 = heads[n]
        nh = h1 - h0
        mats = []
        for _ in range(cfg.n_layer):
            m = {}
            if nh:
                m["qkv"] = (0, 3 * nh * dh, d // 32)
            for name, rr, din in (("proj", r_d[n], d), ("fc1", r_ff[n], d), ("fc2", r_d[n], dff)):
                m[name] = (0, rr[1] - rr[0], din // 32) if rr[1] > rr[0] else None
            mats.append(m)
        head = (0, r_v[n][1] - r_v[n][0], d // 32) if r_v[n][1] > r_v[n][0] else None
        kv_base = [0] * cfg.n_layer if nh else []
        progs.append(_program(qm, n, nodes, ab, sym, ln_addr, mats, head, kv_base, nh, r_d[n], r_ff[n], r_v[n],
                              hw))
    return ab, progs


def _kernel_cycles(ins, cfg, hw: HwConfig, pos: int, L: int) -> int:
    """The kernel's own cycles for one instruction (no wait for data), node glue included."""
    op = ins.OP
    if op is isa.Op.EMBED:
        return lnr_model.embed_cycles(ins.d, 8, L) + GLUE["EMBED"]
    if op is isa.Op.LNR:
        mode = {isa.LnrMode.ADD_LN: "add_ln", isa.LnrMode.LOAD_LN: "load_ln"}[isa.LnrMode(ins.mode)]
        return lnr_model.lnr_cycles(ins.d, 8, mode) + GLUE["LNR"] + lnr_param_stall(ins.d, L)
    if op is isa.Op.MP:
        return mp_model.cycles(ins.rows, ins.din_beats * hw.lanes, hw.num_pe, hw.lanes, L, MP_ACT_LATENCY) + GLUE["MP"]
    if op is isa.Op.MHA:
        mc = mha_model.MhaConfig(head_dim=cfg.d_head, heads=ins.heads, max_ctx=hw.max_ctx, ports=hw.num_pe)
        return mha_model.cycles(mc, pos, L) + GLUE["MHA"]
    raise ValueError(f"no kernel model for {op!r}")


def within_tolerance(predicted: int, measured: int, tol: float = TOLERANCE) -> bool:
    return abs(predicted - measured) <= tol * measured


def token_cycles(config, nodes: int, pos: int, hw: HwConfig | None = None, mem_latency: int = 16) -> Breakdown:
    """Predicted cycles of the token step at position `pos` (START to END on the slowest node)."""
    cfg = config
    if hw is None:
        heads = max(b - a for a, b in split_heads(cfg.n_head, nodes))
        hw = HwConfig(max_ctx=max(cfg.n_positions, 1), max_heads=max(heads, 1))
    if not 0 <= pos < cfg.n_positions:
        raise ValueError(f"position {pos} outside the context 0..{cfg.n_positions - 1}")
    L = mem_latency
    _, progs = node_programs(cfg, nodes, hw)
    n_ring = [sum(1 for i in p if i.OP is isa.Op.RING) for p in progs]
    assert len(set(n_ring)) == 1, "every node runs the same ring ops"
    first = sched_model.first_issue_latency(sched_model.SchedParams(read_latency=L))

    # per node state
    class Node:
        def __init__(self):
            self.pc = 0
            self.issue = first - 1          # issue cycle of the previous instruction
            self.last_done = [-1] * 8       # done cycle of each unit's last op
            self.ring_k = -1                # index of the last ring op issued
            self.ring_producer = {}         # ring op index -> last producer output cycle on this node
            self.argmax_result = -1
            self.pending_prod = []          # ring outputs produced before their gather was issued
            self.pending_argmax = None
            self.ops = []                   # (unit, launch cycle, done cycle or ("ring", k))
            self.finish = None
            self.crit = []                  # (unit, start, end) of kernels, for the breakdown

    st = [Node() for _ in range(nodes)]
    for s, prog in zip(st, progs):
        if not any(i.OP is isa.Op.ARGMAX for i in prog):
            s.argmax_result = 0  # no vocabulary rows: nothing to reduce locally
    ring_done: dict[int, int] = {}
    ring_kind: dict[int, int] = {}

    def ring_time(k: int) -> int | None:
        """Done cycle of ring op k on every node once every node has produced its part."""
        if k in ring_done:
            return ring_done[k]
        if any(s.ring_k < k for s in st):
            return None
        if ring_kind[k] == isa.RingOp.GATHER:
            prods = [s.ring_producer.get(k) for s in st]
            if any(s.ring_producer.get(k, "open") == "open" for s in st):
                return None
            last = max(p for p in prods if p is not None)
            ring_done[k] = last + ring_model.allgather_done_tail_cycles(nodes) + GLUE["GATHER"]
        else:
            if any(s.argmax_result < 0 for s in st):
                return None
            last = max(s.argmax_result for s in st)
            ring_done[k] = last + ring_model.argmax_tail_cycles(nodes) + GLUE["REDUCE"]
        return ring_done[k]

    def unit_done(s: Node, u: int) -> int | None:
        if u == U.RING:
            if s.ring_k < 0:
                return -1
            return ring_time(s.ring_k)
        return s.last_done[u]

    def step(s: Node, prog: list) -> bool:
        """Advance node s by one instruction; False if it must wait for another node."""
        ins = prog[s.pc]
        # wait_issue: every named unit idle
        t = s.issue + 1
        for v in range(8):
            if ins.wait_issue >> v & 1:
                dv = unit_done(s, v)
                if dv is None:
                    return False
                t = max(t, dv + 1)
        if ins.OP is isa.Op.END:
            ends = [unit_done(s, v) for v in range(6)]
            if any(e is None for e in ends):
                return False
            s.finish = max(t, max(ends) + 1)
            s.pc += 1
            return True
        u = ins.unit
        # launch latch: ready only when the unit is idle (nothing pending, previous op done)
        prev = unit_done(s, u)
        if prev is None:
            return False
        t = max(t, prev + 1)
        issue = t
        if ins.OP is isa.Op.RING:
            s.ring_k += 1
            k = s.ring_k
            ring_kind[k] = ins.op
            if ins.op == isa.RingOp.GATHER:
                s.ring_producer[k] = None if ins.len == 0 else "open"
                if ins.len and s.pending_prod:
                    s.ring_producer[k] = s.pending_prod.pop(0)
            s.ops.append((u, issue, ("ring", k)))
        else:
            data = issue + 1
            for v in range(8):
                if ins.wait_data >> v & 1:
                    dv = unit_done(s, v)
                    if dv is None:
                        return False
                    data = max(data, dv + 1)
            start = max(data, s.last_done[u] + 1)
            if ins.OP is isa.Op.ARGMAX:
                # takes the LM head's logits as the MP produces them: its result (and done) is set when
                # the LM head's MP op that follows it in the program is walked
                s.pending_argmax = (ins, start, issue)
            else:
                dur = _kernel_cycles(ins, cfg, hw, pos, L)
                end = start + dur
                s.last_done[u] = end
                s.ops.append((u, issue, end))
                out_sel = getattr(ins, "out_sel", isa.OutSel.BUF)
                s.crit.append(("LM head" if out_sel == isa.OutSel.ARGMAX else UNIT_NAMES[u], start, end))
                if out_sel == isa.OutSel.RING:
                    # the output belongs to the earliest issued gather still waiting for this node's
                    # slice (MHA: issued after its gather), else to the next gather (MP projections)
                    open_k = [k for k, v in s.ring_producer.items() if v == "open"]
                    if open_k:
                        s.ring_producer[min(open_k)] = end
                    else:
                        s.pending_prod.append(end)
                elif out_sel == isa.OutSel.ARGMAX:
                    a_ins, a_start, a_issue = s.pending_argmax
                    beats = -(-ins.rows * 4 // 32)
                    res = max(end, a_start + lnr_model.argmax_cycles(beats)) + GLUE["ARGMAX"]
                    s.argmax_result = res
                    s.last_done[U.ARGMAX] = res
                    s.ops.append((int(U.ARGMAX), a_issue, res))
        s.issue = issue
        s.pc += 1
        return True

    # round-robin the nodes until all programs end; a node that waits for another yields
    while any(s.finish is None for s in st):
        progress = False
        for s, prog in zip(st, progs):
            while s.finish is None and step(s, prog):
                progress = True
        if not progress:
            raise RuntimeError("system model deadlock (program structure not understood)")
    worst = max(range(nodes), key=lambda n: st[n].finish)
    total = st[worst].finish
    # breakdown: every cycle of the slowest node's step goes to the kernel running then (the latest
    # started), the rest to ring tails and issue
    kernel = {u: 0 for u in UNIT_NAMES + ["LM head"]}
    for name, a, b in st[worst].crit:
        kernel[name] += b - a
    crit = _critical(st[worst].crit, total, first)
    busy = []
    for s in st:
        spans = [[] for _ in UNIT_NAMES]
        for u, a, b in s.ops:
            spans[u].append((a + 1, (ring_done[b[1]] if isinstance(b, tuple) else b) + 1))
        busy.append({name: _union(spans[i]) for i, name in enumerate(UNIT_NAMES)})
    return Breakdown(total, crit, kernel, [s.finish for s in st], busy)


def _union(spans: list) -> int:
    """Cycles covered by half-open intervals [a, b)."""
    total, end = 0, None
    for a, b in sorted(spans):
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def _critical(spans: list, total: int, first: int) -> dict:
    """Attribute every cycle of [0, total) to the kernel running then (latest start wins), else to
    'RING/sched' (ring tails, issue latency and gaps)."""
    out = {u: 0 for u in ("EMBED", "LNR", "MP", "MHA", "LM head")}
    out["RING/sched"] = 0
    events = sorted(spans, key=lambda x: x[1])
    t = 0
    for name, a, b in events:
        if b <= t:
            continue
        a = max(a, t)
        out["RING/sched"] += a - t
        out[name] += b - a
        t = b
    out["RING/sched"] += max(0, total - t)
    return out
