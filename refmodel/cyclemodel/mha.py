"""Cycle model of the MHA kernel (rtl/mha/ll_mha.sv), for one token, memory without stalls.

The kernel has three phases (docs/mha.md):

  load   3 * heads * beats_per_row input beats (q, k, v of every head), one per cycle;
  write  2 * heads rows (this token's K and V) on one port, one W beat per cycle, then the last
         write response;
  run    every port streams its jobs K0, K1, K2, V0, K3, V1, ..., V(H-1) back to back; the only waits are
         a V job whose softmax (or the previous head's output capture) is not finished yet.

The run phase is modelled beat by beat per port (a beat is accepted at the earliest of: one cycle
after the previous one, when memory delivers it, when its head's softmax is done) with the fixed
pipeline depths of the RTL below. The constants marked "interface" are the latency of the memory
model and of the testbench handshakes, fixed by measurement at one point and then predicting every
position and parameter set exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

BEAT_BYTES = 32

# ---- pipeline depths of ll_mha / ll_mha_softmax (cycles)
K_DONE = 2  # last K beat accepted at t -> kdone visible at t + 2 (stage k1, score write)
SM_FIXED = 34  # softmax: start seen at s -> done visible at s + n + SM_FIXED (2 pipeline + 31 divide + 1)
SM_NEXT = 1  # ... and the sequencer starts the next head / opens the V gate one cycle after done
V_DONE = 3  # last V beat accepted at t -> vdone visible at t + 3 (v1, v2, accumulate)
OUT_DONE = 3  # capture at c -> ctx valid at c + 3 (adder, 2 requantiser stages)
OUT_FREE = 1  # ctx accepted at c + 3 -> next capture possible at c + 4
DONE = 2  # last ctx beat accepted at t -> done_o visible at t + 2

# ---- interface constants (memory model, testbench), measured
LOAD_WRITE_FIXED = 2  # start -> first qkv beat, last qkv beat -> first AW, last W -> B, B -> run
FIRST_BEAT = 2  # run start -> first R beat is read_latency + FIRST_BEAT cycles


@dataclass(frozen=True)
class MhaConfig:
    head_dim: int = 64
    heads: int = 16
    max_ctx: int = 1024
    ports: int = 8

    @property
    def beats_per_row(self) -> int:
        return self.head_dim // BEAT_BYTES

    def port_rows(self, pos: int, port: int) -> int:
        return 0 if pos < port else (pos - port) // self.ports + 1


def kv_bytes_read(cfg: MhaConfig, pos: int) -> int:
    """K and V bytes the kernel reads for one token at `pos` (rows 0..pos of every head)."""
    return 2 * cfg.heads * (pos + 1) * cfg.head_dim


def memory_bound_cycles(cfg: MhaConfig, pos: int) -> int:
    """The busiest port's read beats: the floor for any kernel using this layout."""
    return 2 * cfg.heads * cfg.port_rows(pos, 0) * cfg.beats_per_row


LOOKAHEAD = 2  # K jobs run this many heads ahead of V jobs (ll_mha Lookahead; Lookahead + 1 score banks)


def job_order(heads: int, lookahead: int = LOOKAHEAD) -> list[tuple[int, int]]:
    """(head, kind) in the order every port reads them: K0, K1, K2, V0, K3, V1, ..., V(H-1)."""
    order = []
    for h in range(heads):
        order.append((h, 0))
        if h >= lookahead:
            order.append((h - lookahead, 1))
    return order + [(h, 1) for h in range(max(0, heads - lookahead), heads)]


def run_cycles(cfg: MhaConfig, pos: int, read_latency: int) -> int:
    """Cycles from the first cycle of the run phase to done_o."""
    b = cfg.beats_per_row
    h_n = cfg.heads
    rows = [cfg.port_rows(pos, p) for p in range(cfg.ports)]
    active = [p for p in range(cfg.ports) if rows[p] > 0]
    first = read_latency + FIRST_BEAT
    # per port: time of the last accepted beat and the index of the next beat
    last = {p: first - 1 for p in active}
    idx = {p: 0 for p in active}
    k_done = {}  # (port, head) -> cycle kdone is visible
    v_done = {}
    sm_gate = {}  # head -> cycle its V beats may be accepted
    cap = {}  # head -> capture cycle
    order = job_order(h_n)
    pos_in_order = {p: 0 for p in active}

    def advance(p: int) -> None:
        """Stream port p's jobs until it reaches a V job whose gate is not known yet."""
        while pos_in_order[p] < len(order):
            head, kind = order[pos_in_order[p]]
            gate = -1
            if kind == 1:
                if head not in sm_gate or (head > 0 and head - 1 not in cap):
                    return
                gate = max(sm_gate[head], cap[head - 1] + 1 if head > 0 else -1)
            n = rows[p] * b
            t = max(last[p] + 1, first + idx[p], gate)
            # beats flow back to back from t (memory is ahead: every beat index i is there by first+i)
            t_end = t + n - 1
            last[p] = t_end
            idx[p] += n
            if kind == 0:
                k_done[(p, head)] = t_end + K_DONE
            else:
                v_done[(p, head)] = t_end + V_DONE
            pos_in_order[p] += 1

    sm_free = 0
    n0 = rows[0]  # port 0 holds the most rows: the softmax feeds n0 beats
    out_free = 0
    for h in range(h_n):
        for p in active:
            advance(p)
        s = max(sm_free, max(k_done[(p, h)] for p in active))
        done_vis = s + n0 + SM_FIXED
        sm_gate[h] = done_vis + SM_NEXT  # V beats of head h accepted from the cycle sm_done_q counts it
        sm_free = done_vis + SM_NEXT
        # captures of earlier heads whose V jobs are all scheduled
        for p in active:
            advance(p)
        if h > 0 and (h - 1) not in cap:
            c = max(out_free, max(v_done[(p, h - 1)] for p in active))
            cap[h - 1] = c
            out_free = c + OUT_DONE + OUT_FREE
    for p in active:
        advance(p)
    c = max(out_free, max(v_done[(p, h_n - 1)] for p in active))
    cap[h_n - 1] = c
    t_last_out = c + OUT_DONE
    return t_last_out + DONE


def cycles(cfg: MhaConfig, pos: int, read_latency: int = 8) -> int:
    """Cycles from start_i to done_o for one token at `pos` with an unstalled memory."""
    if not 0 <= pos < cfg.max_ctx:
        raise ValueError(f"position {pos} outside 0..{cfg.max_ctx - 1}")
    b = cfg.beats_per_row
    load = 3 * cfg.heads * b
    write = 2 * cfg.heads * b
    return load + write + LOAD_WRITE_FIXED + run_cycles(cfg, pos, read_latency)
