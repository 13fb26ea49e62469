"""Clock and reset helpers.

* :func:`start_clock` starts a free-running clock (returns the Clock).
* :func:`reset` drives an active-low synchronous reset for ``cycles`` rising edges, then releases it
  right after an edge (so the first cycle out of reset is a full cycle).
* :func:`reset_in_traffic` asserts reset at a chosen cycle while stimulus keeps running; pass
  ``on_reset`` to call ``StreamSource.clear()`` and ``Scoreboard.flush()`` once reset is low.
"""

from __future__ import annotations

from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge


def start_clock(clk, period_ns: float = 10.0):
    """Start a clock on ``clk`` with the given period; returns the :class:`cocotb.clock.Clock`."""
    clock = Clock(clk, period_ns, unit="ns")
    clock.start(start_high=False)
    return clock


def _rst_handle(dut_or_rst):
    return getattr(dut_or_rst, "rst_ni", dut_or_rst)


async def reset(dut_or_rst, clk, cycles: int = 4) -> None:
    """Hold active-low reset (``dut.rst_ni`` or the handle given) low for ``cycles`` rising edges."""
    if cycles < 1:
        raise ValueError("reset needs at least one cycle")
    rst = _rst_handle(dut_or_rst)
    await RisingEdge(clk)
    rst.value = 0
    await ClockCycles(clk, cycles)
    rst.value = 1


async def reset_in_traffic(dut_or_rst, clk, after_cycles: int, cycles: int = 2,
                           on_reset=None) -> None:
    """Wait ``after_cycles`` edges, assert reset, call ``on_reset()`` (e.g. ``source.clear()`` and
    ``scoreboard.flush()``: only once reset is low may a stalled beat be dropped), hold reset for
    ``cycles`` edges and release it."""
    if cycles < 1:
        raise ValueError("reset needs at least one cycle")
    rst = _rst_handle(dut_or_rst)
    await ClockCycles(clk, after_cycles)
    rst.value = 0
    if on_reset is not None:
        on_reset()
    await ClockCycles(clk, cycles)
    rst.value = 1
