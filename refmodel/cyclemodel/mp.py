"""Analytical cycle model of the MP kernel (rtl/mp/ll_mp.sv, docs/mp.md "Timing").

The PEs run in lockstep and pop one beat from every port per cycle when every prefetch FIFO has one.
With a memory that returns one beat per port per cycle after a fixed latency, and enough bursts in
flight (FifoDepth >= latency + BurstLen + 4), the stream never starves after the first beat, so

    cycles = beats_per_port + fill
    beats_per_port = ceil(rows_pp / g) + rows_pp * din_beats     (g = lanes / 8 rows per param beat)
    fill = FILL_BASE + mem_latency + act_latency

where the fill is the time from start to the first beat popped (launch, address issue, memory
latency, FIFO write) plus the time from the last pop to done (activation read, 3 dot-product stages,
accumulate, 8 epilogue stages, output FIFO, drain check and done register): FILL_BREAKDOWN below.
Measured cycles run from the cycle in which start_i is high to the cycle in which done_o is high;
the tests assert them against this model within TOLERANCE_CYCLES (unstalled memory, no
back-pressure); so far they agree exactly for every shape, latency and configuration tested.

Two-phase start (weight prefetch): the weights stream from start_i, the pops wait for go_i. With go_i
seen `go_delay` cycles after start_i (sampled at the end of cycle go_delay; 0 = with the start), the
first pop is in cycle max(3 + L, go_delay + 1): a late go hides the memory latency and the FIFO fill.
Before go each port requests at most P = PrefetchBeats beats (default 2 x BurstLen = 32) and resumes
requesting in the cycle after go, its next data arriving L + 2 cycles later; the P buffered beats cover
that refill when P >= L + 2, otherwise the pops pause for the difference. `cycles(..., go_delay=g)` is
the one-phase figure with the fill part `3 + L` replaced by `max(3 + L, g + 1)`, plus that pause
`max(0, g + 3 + L - max(3 + L, g + 1) - P)` (for matrices longer than P beats per port).

Ideal memory here means either testbench memory model (verif/mp/mp_axi_rd_mem_sim.sv, or
rtl/sim/ll_axi_mem_sim.sv with stalls off): an address accepted in cycle c has its first data beat
in cycle c + mem_latency (mem_latency >= 2 for the former, >= 1 for the latter), and bursts follow
each other without a gap.
"""

from __future__ import annotations

#: The kernel's own cycles around the memory latency L and the B beats per port (start_i high in
#: cycle 0; checked against a cycle-by-cycle trace of rtl/mp/ll_mp.sv): cycle 1 the ports hold the
#: burst address, cycle 2 the first address is accepted, cycle 2 + L the first R beat, 3 + L the
#: first pop, 2 + L + B the last pop; its result is pushed into the output FIFO act_latency + 11
#: cycles later (act_latency + 3 to the accumulate, 8 epilogue stages) and shown one cycle
#: after that; the drain check sees the output empty the cycle after the last handshake and done_o
#: is high the cycle after: cycles = B + L + act_latency + 16.
FILL_BREAKDOWN = {
    "start -> first address accepted": 2,
    "first R beat -> first pop (prefetch FIFO write)": 1,
    "B pops span B - 1 cycles after the first (B counted in beats_per_port)": -1,
    "last pop -> result on the output (dot 3, epilogue 8 incl. the accumulate, FIFO write 1)": 12,
    "last output handshake -> drain check -> done_o": 2,
}
FILL_BASE = sum(FILL_BREAKDOWN.values())
TOLERANCE_CYCLES = 2


def beats_per_port(rows: int, d_in: int, num_pe: int = 8, lanes: int = 32) -> int:
    """Beats each port streams for one matrix: parameter beats plus weight beats."""
    if rows < 1 or d_in < 1:
        raise ValueError("rows and d_in must be positive")
    rows_pp = -(-rows // num_pe)
    din_beats = -(-d_in // lanes)
    g = lanes // 8
    return -(-rows_pp // g) + rows_pp * din_beats


def first_pop(mem_latency: int, go_delay: int = 0) -> int:
    """Cycle (start_i in cycle 0) of the first pop: the first R beat written, and go_i seen."""
    return max(FILL_BREAKDOWN["start -> first address accepted"] + mem_latency
               + FILL_BREAKDOWN["first R beat -> first pop (prefetch FIFO write)"], go_delay + 1)


#: ll_mp PrefetchBeats default (2 x BurstLen): beats per port requested before go
PREFETCH_BEATS = 32
BURST_LEN = 16
BEAT_BYTES = 32


def prefetch_bursts(addr: int, beats: int, hold: int = PREFETCH_BEATS, burst: int = BURST_LEN,
                    beat_bytes: int = BEAT_BYTES) -> list[int]:
    """Burst lengths a read port (ll_mp_rd_port) requests before go for a stream of `beats` beats at
    byte address `addr`: bursts of up to `burst` beats that never cross a 4 KiB boundary, each issued
    only while the beats requested so far plus the burst fit in `hold` (a burst is not shortened to fit,
    so a stream whose first burst is cut at a 4 KiB boundary prefetches fewer than `hold` beats). The
    kernel's ports pop in lockstep: the smallest sum over the ports is the `prefetch_beats` of
    `cycles()`."""
    out, req = [], 0
    while req < beats:
        to_4k = (4096 - (addr + req * beat_bytes) % 4096) // beat_bytes
        blen = min(burst, beats - req, to_4k)
        if req + blen > hold:
            break
        out.append(blen)
        req += blen
    return out


def prefetch_channel_end(addr: int, beats: int, hold: int = PREFETCH_BEATS) -> int:
    """Cycle (start_i in cycle 0, memory latency excluded: add L) after the last prefetched R beat on the
    channel: the port's address requests are accepted in cycles 2, 4, 6, ... (one per two cycles) and
    the beats return back to back, a burst no earlier than L after its address."""
    t = FILL_BREAKDOWN["start -> first address accepted"]
    for k, blen in enumerate(prefetch_bursts(addr, beats, hold)):
        t = max(t, FILL_BREAKDOWN["start -> first address accepted"] + 2 * k) + blen
    return t


def cycles(rows: int, d_in: int, num_pe: int = 8, lanes: int = 32, mem_latency: int = 32,
           act_latency: int = 1, go_delay: int = 0, prefetch_beats: int = PREFETCH_BEATS) -> int:
    """Expected cycles (start to done) of one matrix with an unstalled memory and output; go_i
    `go_delay` cycles after start_i (0: together)."""
    if go_delay < 0:
        raise ValueError("go_delay must be >= 0")
    b = beats_per_port(rows, d_in, num_pe, lanes)
    fp = first_pop(mem_latency, go_delay)
    late = fp - first_pop(mem_latency, 0)
    if b > prefetch_beats:  # the refill requested after go arrives after the buffered beats are used
        late += max(0, go_delay + 3 + mem_latency - fp - prefetch_beats)
    return b + FILL_BASE + mem_latency + act_latency + late


def weight_bytes(rows: int, d_in: int) -> int:
    """Bytes of real weights (what the bandwidth fraction counts; no padding, no parameters)."""
    return rows * d_in


def bandwidth_fraction(rows: int, d_in: int, num_pe: int, lanes: int, cycles_taken: int
                       ) -> tuple[int, int]:
    """Achieved weight bandwidth over the peak num_pe * lanes bytes/cycle, as (numerator, denominator).

    Returned as an exact fraction so the integer reference stays float-free; callers divide to print.
    """
    return weight_bytes(rows, d_in), cycles_taken * num_pe * lanes
