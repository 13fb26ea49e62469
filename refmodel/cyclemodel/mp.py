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


def cycles(rows: int, d_in: int, num_pe: int = 8, lanes: int = 32, mem_latency: int = 32,
           act_latency: int = 1) -> int:
    """Expected cycles (start to done) of one matrix with an unstalled memory and output."""
    return beats_per_port(rows, d_in, num_pe, lanes) + FILL_BASE + mem_latency + act_latency


def weight_bytes(rows: int, d_in: int) -> int:
    """Bytes of real weights (what the bandwidth fraction counts; no padding, no parameters)."""
    return rows * d_in


def bandwidth_fraction(rows: int, d_in: int, num_pe: int, lanes: int, cycles_taken: int
                       ) -> tuple[int, int]:
    """Achieved weight bandwidth over the peak num_pe * lanes bytes/cycle, as (numerator, denominator).

    Returned as an exact fraction so the integer reference stays float-free; callers divide to print.
    """
    return weight_bytes(rows, d_in), cycles_taken * num_pe * lanes
