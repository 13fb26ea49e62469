"""Analytical cycle model of one whole token step of the node RTL (rtl/node/ll_node.sv) on N nodes.

`token_cycles(config, nodes, pos)` builds the per-node programs exactly as the compiler does
(`refmodel.compiler._program`, with placeholder addresses and scales: no weights are needed) and walks
them instruction by instruction with the dependency semantics of docs/node.md and docs/scheduler.md:

* the scheduler issues in program order, at most one instruction per cycle; an instruction with
  `wait_issue` on unit v issues only once v has no op in flight (a done pulse in cycle d releases the
  wait from d + 1); the first instruction issues `sched.first_issue_latency` cycles after START;
* a unit's launch latch takes the instruction at the launch handshake and starts the kernel when the
  `wait_data` units' ops in flight at launch are done and the kernel has finished its previous op;
  the MP is the exception: it starts streaming weights the cycle after the launch handshake and only
  its dot products wait for the data (`mp.cycles(..., go_delay)`, weight prefetch); its prefetch bursts
  delay the K/V reads of an MHA op running at its launch (`mha_prefetch_delay`);
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

#: Node glue cycles added to each kernel model inside the node. EMBED and LNR are read from UNIT_BUSY of
#: the one-node tiny-v512 run, ARGMAX from its UNIT_BUSY[ARGMAX], MP and GATHER (which only their sum
#: fixes on most paths) from UNIT_BUSY[MP] and CYCLES of the tiny-v512 runs; MHA is a structural estimate
#: (docs/performance.md, "The model").
GLUE = {
    "EMBED": 1,      # launch latch + write-stream arbitration
    "LNR": 19,       # parameter DMA first burst + delta read port + x8 write drain
    "MP": 3,         # activation read port latency (act_latency) + packer drain
    "MHA": 4,        # qkv read port + 512 -> 256 width converter
    "GATHER": -5,    # producer done is reported this much after its last beat entered the ring
    "ARGMAX": -3,    # local argmax result relative to the LM head's done (the unpacker feeds the argmax
                     # unit directly; the MP's done waits for its drain check and the node's done logic)
    "REDUCE": 0,     # argmax reduction command -> done, beyond its tail
}
#: MP weight prefetch against the attention. The compiler launches the output projection the instruction
#: after the MHA op (wait_data on the context gather), so the MP starts streaming its weights one cycle
#: after the MHA kernel starts. Before go each MP port requests at most PrefetchBeats (32) beats
#: (`mp.PREFETCH_BEATS`, fewer if the matrix has fewer beats per port, or if a burst is cut at a 4 KiB
#: boundary: `mp.prefetch_bursts`, which is why the model places the matrices where the compiler does):
#: bursts accepted in cycles 2, 4, ... after the MP start, whose beats return back to back on the
#: channel from cycle 2 + L (`mp.prefetch_channel_end`). The MHA's
#: K/V reads start in its run phase (after the q/k/v load and the K/V write: 5 x heads x beats-per-row
#: cycles + `mha.LOAD_WRITE_FIXED`); ll_axi_rd_mux returns R beats in AR order, so the MHA's first beat
#: waits behind the MP's prefetch beats on every channel and the whole run phase shifts by
#: `mha_prefetch_delay()` cycles (0 once the MHA has 4 or more heads per node, e.g. GPT-2 medium on up to
#: 4 nodes). Nothing else in the compiler's programs overlaps an MP prefetch with another unit's reads.
#: MHA_RUN_GLUE is the node's part of the MHA start (kick -> kernel start, qkv read port): 3 cycles,
#: set on UNIT_BUSY[MHA] of tiny-v512 (delays of 8, 18/19 and 3 cycles per op on 1, 2, 4 nodes).
MHA_RUN_GLUE = 3


def mha_prefetch_delay(mha_ins, mp_ins, mp_after_mha_start: int, hw: HwConfig, d_head: int) -> int:
    """Cycles the MHA's run phase waits behind the prefetch of an MP started `mp_after_mha_start`
    cycles after the MHA kernel (memory latency cancels: both wait it once)."""
    if mp_ins is None:
        return 0
    b_mp = mp_model.beats_per_port(mp_ins.rows, mp_ins.din_beats * hw.lanes, hw.num_pe, hw.lanes)
    mp_last = mp_after_mha_start + mp_model.prefetch_channel_end(mp_ins.w_base, b_mp)
    bpr = d_head // mha_model.BEAT_BYTES
    mha_first = (5 * mha_ins.heads * bpr + mha_model.LOAD_WRITE_FIXED + mha_model.FIRST_BEAT
                 + MHA_RUN_GLUE)
    return max(0, mp_last - mha_first)


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
#: 16, no stalls); verif/system/test_system.py::test_tokens_tiny (tiny-v512) and ::test_calibration_run
#: (slow: the others) reproduce them and assert the model on them. All are with the MP weight prefetch.
#: The constants were set on MEASURED_FIT (tiny-v512: GLUE, MHA_RUN_GLUE; medium-layer on 1 node:
#: LNR_PAR_REFILL); the rest are predictions.
MEASURED = {
    ("tiny-v512", 1): {p: [3204] for p in range(8)},
    ("tiny-v512", 2): {p: [2212, 2207] for p in range(8)},
    ("tiny-v512", 4): {p: [1847, 1838, 1836, 1834] for p in range(8)},
    # vocabulary 50257: the LM head dominates (13.5 K of the 15.4 K cycles)
    ("tiny", 2): {p: [15424, 15421] for p in range(8)},
    # 4 layers, context 256: 40 steps; the attention adds one K and one V beat per port every 8 positions
    ("tiny-deep", 1): dict(enumerate([[c] for c in [5895] * 8 + [5919] * 8 + [5943] * 8 + [5967] * 8 + [5991] * 8])),
    ("tiny-deep", 4): {p: [3382, 3378, 3371, 3369] for p in range(8)},
    # one GPT-2 medium layer (d = 1024, 16 heads, d_ff 4096), vocabulary 512, context 64; prompt [11, 400]
    ("medium-layer", 1): {p: [54111] for p in range(2)},
    ("medium-layer", 2): {p: [28004, 28001] for p in range(2)},
    ("medium-layer", 4): {p: [14970, 14968, 14965, 14961] for p in range(2)},
}
MEASURED_FIT = {("tiny-v512", 1), ("tiny-v512", 2), ("tiny-v512", 4), ("medium-layer", 1)}
#: UNIT_BUSY of node 0 at position 0 in the same runs (EMBED, LNR, MP, MHA, RING, ARGMAX)
MEASURED_BUSY = {
    ("tiny-v512", 1): [45, 770, 3115, 274, 3120, 440],
    ("tiny-v512", 2): [45, 770, 2111, 204, 2128, 304],
    ("tiny-v512", 4): [45, 770, 1723, 172, 1763, 237],
    ("tiny", 2): [45, 770, 15324, 189, 15340, 13530],
    ("tiny-deep", 1): [45, 1386, 5788, 553, 5795, 440],
    ("tiny-deep", 4): [45, 1386, 3215, 349, 3282, 237],
    ("medium-layer", 1): [185, 1512, 53891, 773, 53895, 2582],
    ("medium-layer", 2): [185, 1512, 27777, 405, 27788, 1550],
    ("medium-layer", 4): [185, 1512, 14726, 221, 14754, 1034],
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
    #: every node's ops as (unit name, launch cycle, done cycle), in program order
    ops: list = field(default_factory=list)

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
    beat = 32
    for n in range(nodes):
        h0, h1 = heads[n]
        nh = h1 - h0
        # the compiler's bump allocation (compile_model): channel 0 holds the embedding tables and the
        # LayerNorm parameters, then every matrix sits at one address on all channels. Only the matrix
        # addresses matter here (their 4 KiB boundaries split the MP's bursts).
        top = 0
        for size in ((cfg.vocab_size * (d + 4)), cfg.n_positions * (d + 4), *[8 * d] * (2 * cfg.n_layer + 1)):
            top = -(-top // beat) * beat + size
        top = -(-top // beat) * beat

        def place(rows: int, din: int) -> tuple[int, int, int]:
            nonlocal top
            addr = top
            top += mp_model.beats_per_port(rows, din, hw.num_pe, hw.lanes) * beat
            return addr, rows, din // hw.lanes

        mats = []
        for _ in range(cfg.n_layer):
            m = {}
            if nh:
                m["qkv"] = place(3 * nh * dh, d)
            for name, rr, din in (("proj", r_d[n], d), ("fc1", r_ff[n], d), ("fc2", r_d[n], dff)):
                m[name] = place(rr[1] - rr[0], din) if rr[1] > rr[0] else None
            mats.append(m)
        head = place(r_v[n][1] - r_v[n][0], d) if r_v[n][1] > r_v[n][0] else None
        kv_base = [0] * cfg.n_layer if nh else []
        progs.append(_program(qm, n, nodes, ab, sym, ln_addr, mats, head, kv_base, nh, r_d[n], r_ff[n], r_v[n],
                              hw))
    return ab, progs


def _kernel_cycles(ins, cfg, hw: HwConfig, pos: int, L: int, go_delay: int = 0) -> int:
    """The kernel's own cycles for one instruction, node glue included. For the MP: from its start
    (weights stream) with its data released `go_delay` cycles later (0: no wait for data); for the MHA:
    `go_delay` is the shift of its K/V reads behind an MP prefetch (`mha_prefetch_delay`)."""
    op = ins.OP
    if op is isa.Op.EMBED:
        return lnr_model.embed_cycles(ins.d, 8, L) + GLUE["EMBED"]
    if op is isa.Op.LNR:
        mode = {isa.LnrMode.ADD_LN: "add_ln", isa.LnrMode.LOAD_LN: "load_ln"}[isa.LnrMode(ins.mode)]
        return lnr_model.lnr_cycles(ins.d, 8, mode) + GLUE["LNR"] + lnr_param_stall(ins.d, L)
    if op is isa.Op.MP:
        b = mp_model.beats_per_port(ins.rows, ins.din_beats * hw.lanes, hw.num_pe, hw.lanes)
        pref = sum(mp_model.prefetch_bursts(ins.w_base, b))
        return mp_model.cycles(ins.rows, ins.din_beats * hw.lanes, hw.num_pe, hw.lanes, L, MP_ACT_LATENCY,
                               go_delay, prefetch_beats=pref) + GLUE["MP"]
    if op is isa.Op.MHA:
        mc = mha_model.MhaConfig(head_dim=cfg.d_head, heads=ins.heads, max_ctx=hw.max_ctx, ports=hw.num_pe)
        return mha_model.cycles(mc, pos, L + go_delay) + GLUE["MHA"]
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
            # MP weight prefetch: the kernel starts streaming weights when its instruction is in the
            # launch latch (the cycle after the handshake, the MP idle) and starts the dot products on
            # data_ready (`start`, the kick)
            w_start = max(issue + 1, s.last_done[u] + 1)
            if ins.OP is isa.Op.ARGMAX:
                # takes the LM head's logits as the MP produces them: its result (and done) is set when
                # the LM head's MP op that follows it in the program is walked
                s.pending_argmax = (ins, start, issue)
            else:
                if ins.OP is isa.Op.MP:
                    end = w_start + _kernel_cycles(ins, cfg, hw, pos, L, start - w_start)
                elif ins.OP is isa.Op.MHA:
                    # the projection launched by the next instruction (issued the next cycle, the MP
                    # idle) prefetches its weights while the MHA reads K/V
                    nxt = prog[s.pc + 1] if s.pc + 1 < len(prog) else None
                    delay = 0
                    if nxt is not None and nxt.OP is isa.Op.MP and nxt.wait_issue == 0:
                        mp_w = max(issue + 2, s.last_done[U.MP] + 1)
                        delay = mha_prefetch_delay(ins, nxt, mp_w - start, hw, cfg.d_head)
                    end = start + _kernel_cycles(ins, cfg, hw, pos, L, delay)
                else:
                    end = start + _kernel_cycles(ins, cfg, hw, pos, L)
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
    ops = [[(UNIT_NAMES[u], a, ring_done[b[1]] if isinstance(b, tuple) else b) for u, a, b in s.ops] for s in st]
    return Breakdown(total, crit, kernel, [s.finish for s in st], busy, ops)


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
