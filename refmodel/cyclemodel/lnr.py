"""Analytical cycle models of the LNR kernel (rtl/lnr/ll_lnr.sv), the embedding unit
(rtl/embed/ll_embed.sv) and the argmax unit (rtl/argmax/ll_argmax.sv).

Each constant is a count of pipeline registers or FSM states in the RTL (named below), so a change
of the RTL that adds latency fails the cycle-count tests. The models assume no stalls: every input
stream always valid, every output always ready (docs/lnr.md).
"""

from __future__ import annotations

# ---- LNR --------------------------------------------------------------------------------------------
LNR_MODES = {"add_ln": 0, "add": 1, "load_ln": 2, "load": 3, "ln": 4, "read": 5}
LNR_VAR_BITS = 72  # var_num register: d*S2 - S1**2 < 2**71
LNR_ISQRT_CYCLES = LNR_VAR_BITS // 2  # ll_isqrt: one root bit per cycle
LNR_DIV_CYCLES = 49  # ll_div: one quotient bit per cycle of 2**48 (49-bit dividend)

# Pass 1: one beat per cycle, then 3 pipeline registers (RAM read + delta, new value, beat sums)
# until S1/S2 are final, and 1 cycle for SDrain1 to see the pipeline empty.
LNR_PASS1_TAIL = 3 + 1
# Statistics: SVarMul (1), SSqrtGo (1), isqrt, SSqrtWait capture (1), SDivGo (1), divider,
# SDivWait capture (1).
LNR_STATS = 1 + 1 + LNR_ISQRT_CYCLES + 1 + 1 + LNR_DIV_CYCLES + 1
# Pass 2: one beat per cycle, then 6 pipeline registers (RAM read, c, c*inv, n, n*g+b, y) until the
# last beat is accepted, 1 cycle for the drain check.
LNR_PASS2_TAIL = 6 + 1
# SDone: done_o is a register, high in the cycle after SDone.
LNR_DONE = 1
# An illegal command: SIdle -> SDone -> done_o.
LNR_ERROR_CYCLES = LNR_DONE


def lnr_cycles(d: int, lanes: int = 8, mode: str = "add_ln") -> int:
    """Cycles from the clock edge that accepts the command to the first cycle done_o is high."""
    if mode not in LNR_MODES:
        raise ValueError(f"unknown LNR mode {mode!r}")
    if d <= 0 or d % lanes:
        raise ValueError("d must be a positive multiple of the lane count")
    beats = d // lanes
    pass1 = mode != "read"
    ln = mode in ("add_ln", "load_ln", "ln")
    cycles = 0
    if pass1:
        cycles += beats + LNR_PASS1_TAIL
    if ln:
        cycles += LNR_STATS
    if ln or mode == "read":
        cycles += beats + LNR_PASS2_TAIL
    return cycles + LNR_DONE


def lnr_ideal_cycles(d: int, lanes: int = 8) -> int:
    """Two passes over the vector at one beat per cycle (the bound the overlap aims at)."""
    return 2 * (d // lanes)


# ---- argmax -----------------------------------------------------------------------------------------
# ll_argmax: one beat per cycle; the lane-tree register and the running-best register follow the
# last beat, so the result is valid 2 cycles after the edge that accepts the last beat.
ARGMAX_TAIL = 2


def argmax_cycles(beats: int) -> int:
    """Cycles from the edge that accepts the first beat to the first cycle out_valid_o is high."""
    if beats < 1:
        raise ValueError("a vector has at least one beat")
    return beats - 1 + ARGMAX_TAIL


# ---- embedding -------------------------------------------------------------------------------------
EMBED_BEAT_BYTES = 32


def embed_cycles(d: int, lanes: int = 8, read_latency: int = 1) -> int:
    """Cycles from the edge that accepts the command to the first cycle done_o is high, for a memory
    that answers every burst read_latency cycles after its AR handshake and then streams one beat per
    cycle, no stalls, output always ready.

    SIdle -> SAddr -> SRun (2), the first AR handshake (1), the two requantisation words and the wte
    row arrive back to back after the latency (d/32 + 2 beats); then every wpe beat gives 32/lanes
    output beats at one per cycle (the next wpe beat is taken as the last output of the previous one
    leaves), plus the output register (1), the drain check (1) and done (1).
    """
    beats = d // EMBED_BEAT_BYTES
    groups = EMBED_BEAT_BYTES // lanes
    return 2 + 1 + (read_latency - 1) + 2 + beats + groups * beats + 1 + 1 + 1
