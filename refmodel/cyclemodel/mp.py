"""Analytical cycle model of the MP kernel (rtl/mp/ll_mp.sv, docs/mp.md "Timing").

The PEs run in lockstep and pop one beat from every port per cycle when every prefetch FIFO has one.
With a memory that returns one beat per port per cycle after a fixed latency, and enough bursts in
flight (FifoDepth >= latency + BurstLen + 4), the stream never starves after the first beat, so

    cycles = beats_per_port + fill
    beats_per_port = ceil(rows_pp / g) + rows_pp * din_beats     (g = lanes / 8 rows per param beat)
    fill = FILL_BASE + mem_latency + act_latency

where the fill is the time from start to the first beat popped (launch, address issue, memory
latency, FIFO write) plus the time from the last pop to done (activation read, 3 dot-product stages,
accumulate, 8 epilogue stages, output FIFO, done register). Measured cycles run from the cycle in
which start_i is high to the cycle in which done_o is high; the test asserts them against this model
within TOLERANCE_CYCLES (unstalled memory, no back-pressure).

Ideal memory here means the testbench model verif/mp/mp_axi_rd_mem_sim.sv: an address accepted in
cycle c has its first data beat in cycle c + mem_latency (mem_latency >= 2), and bursts follow each
other without a gap.
"""

from __future__ import annotations

#: cycles of the kernel's own pipeline around the memory latency, counted in docs/mp.md
#: start->launch 1, address register 1, FIFO write 1, pop 0 | act read (act_latency) + dot 3 + acc 1 +
#: epilogue 8 + output FIFO 1 + done register 1  (see FILL_BREAKDOWN)
FILL_BREAKDOWN = {
    "launch (start sampled, ports loaded)": 1,
    "AR register (arvalid the cycle after the issue decision)": 1,
    "R beat -> prefetch FIFO output": 1,
    "dot product (3 stages)": 3,
    "accumulate": 1,
    "epilogue (2 requant + 3 GELU + 2 requant + 1 select)": 8,
    "output FIFO": 1,
    "drain check -> done_o register": 1,
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
