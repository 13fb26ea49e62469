"""Testbench skeleton for stream DUTs whose output stream equals their input stream.

(FIFOs, skid buffers, ring links, clock-domain or width-preserving pipes.) The decomposition is the
house one: source -> DUT -> sink, an input monitor feeding the expected side of an in-order
scoreboard (so what the DUT really accepted is what is checked), an output monitor feeding the
received side, both monitors checking the AXI-Stream rules.

Example::

    tb = PassthroughTb(dut.clk_i, dut.rst_ni,
                       (dut.in_valid_i, dut.in_ready_o, dut.in_data_i),
                       (dut.out_valid_o, dut.out_ready_i, dut.out_data_o), name="fifo")
    await tb.reset()
    tb.set_patterns(idle=make_pattern("every_other"), backpressure=random_pattern(rng, 0.3))
    await tb.transfer([rng.getrandbits(8) for _ in range(100)])
    tb.scoreboard.check_done()
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import cocotb
from cocotb.triggers import ClockCycles, First, RisingEdge

from verif.lib.reset import reset as do_reset
from verif.lib.scoreboard import Scoreboard
from verif.lib.streams import StreamMonitor, StreamSink, StreamSource


class PassthroughTb:
    """Source, sink, two monitors and a scoreboard around a pass-through stream DUT.

    Args:
        clk, rst_n: clock and active-low reset handles.
        in_bus, out_bus: ``(valid, ready, data)`` handles; ``data`` may be a dict of handles.
        name: used in messages.
    """

    def __init__(self, clk, rst_n, in_bus, out_bus, name: str = "dut") -> None:
        self.clk = clk
        self.rst_n = rst_n
        self.scoreboard = Scoreboard(name)
        self.source = StreamSource(clk, *in_bus, rst_n=rst_n, name=f"{name}.in")
        self.sink = StreamSink(clk, *out_bus, callback=lambda item: None, rst_n=rst_n,
                               name=f"{name}.out")
        self.in_mon = StreamMonitor(clk, *in_bus, callback=self.scoreboard.expect, rst_n=rst_n,
                                    name=f"{name}.in")
        self.out_mon = StreamMonitor(clk, *out_bus, callback=self.scoreboard.got, rst_n=rst_n,
                                     name=f"{name}.out")

    def set_patterns(self, idle: Iterator[bool] | None = None,
                     backpressure: Iterator[bool] | None = None) -> None:
        """Idle-insertion pattern of the source and back-pressure pattern of the sink."""
        self.source.idle = idle
        self.sink.backpressure = backpressure

    async def reset(self, cycles: int = 4) -> None:
        """Reset the DUT; everything in flight is dropped (source queue, scoreboard)."""
        await RisingEdge(self.clk)
        self.rst_n.value = 0
        # drop what is in flight only once reset is asserted: a stalled beat must not be retracted
        # while the DUT is still running (the monitors would rightly flag it)
        self.source.clear()
        self.scoreboard.flush()
        await ClockCycles(self.clk, cycles)
        self.rst_n.value = 1
        await RisingEdge(self.clk)

    async def transfer(self, items: Iterable, timeout_cycles: int = 100_000) -> None:
        """Send ``items`` and wait until the sink has received as many beats (or time out)."""
        items = list(items)
        target = self.out_mon.count + len(items)
        self.source.send(items)

        async def _wait():
            await self.source.wait_done()
            while self.out_mon.count < target:
                await RisingEdge(self.clk)

        await wait_cycles_bounded(
            _wait(), self.clk, timeout_cycles,
            f"{self.scoreboard.name}: {len(items)} beats not through in {timeout_cycles} cycles "
            f"({self.scoreboard.summary()})")

    async def check_full_rate(self, items: list, latency: int = 1) -> None:
        """Never stalled: ``items`` go through at one beat per cycle on both sides, with ``latency``
        cycles from the first input beat to the first output beat and no stall cycle."""
        n = len(items)
        self.set_patterns(None, None)
        await self.transfer(items)
        self.scoreboard.check_done(min_matched=n)
        i, o = self.in_mon, self.out_mon
        assert i.last_beat_cycle - i.first_beat_cycle == n - 1, \
            f"input side took {i.last_beat_cycle - i.first_beat_cycle + 1} cycles for {n} beats"
        assert o.last_beat_cycle - o.first_beat_cycle == n - 1, \
            f"output side took {o.last_beat_cycle - o.first_beat_cycle + 1} cycles for {n} beats"
        assert o.first_beat_cycle - i.first_beat_cycle == latency, \
            f"latency {o.first_beat_cycle - i.first_beat_cycle} cycles, expected {latency}"
        assert o.stall_cycles == 0 and i.stall_cycles == 0


async def wait_cycles_bounded(coro, clk, cycles: int, msg: str) -> None:
    """Await ``coro`` but fail with ``msg`` if it takes more than ``cycles`` clock edges."""
    task = cocotb.start_soon(coro)
    await First(task.complete, ClockCycles(clk, cycles))
    if not task.done():
        task.cancel()
        raise AssertionError(msg)
    task.result()


async def check_no_comb_paths(clk, inputs: dict, outputs: dict, rng, cycles: int = 200,
                              streams=()) -> None:
    """Black-box check that no output depends combinationally on any input.

    Every cycle: drive random input values right after the rising edge, let them settle, sample
    ``outputs``; drive other random values within the same cycle, settle, check every output is
    unchanged (an output may only change at a clock edge); then drive the cycle's final, protocol-legal
    values and check again. ``inputs``/``outputs`` map names to handles; the inputs are driven
    directly, so run this with no BFM attached.

    ``streams`` lists ``(valid_in, ready_out, data_in)`` name triples of input streams: when the
    previous edge saw ``valid && !ready``, the final values keep ``valid`` high and ``data`` stable
    (the DUT's own protocol assertions would fire otherwise).
    Raises ``AssertionError`` naming the output and the input change that moved it.
    """
    from cocotb.triggers import Timer

    widths = {k: len(h) for k, h in inputs.items()}
    held: dict[str, int] = {}
    for cyc in range(cycles):
        await RisingEdge(clk)
        values = [{k: rng.getrandbits(w) for k, w in widths.items()} for _ in range(3)]
        values[2].update(held)
        before = None
        for step, vals in enumerate(values):
            for k, v in vals.items():
                inputs[k].value = v
            await Timer(1, unit="ns")
            now = {k: h.value for k, h in outputs.items()}
            if before is not None:
                for k in outputs:
                    if now[k] != before[k]:
                        raise AssertionError(
                            f"combinational path: output {k} changed from {before[k]} to {now[k]} "
                            f"within cycle {cyc} when the inputs changed from {values[step - 1]} "
                            f"to {vals}")
            before = now
        held = {}
        for valid, ready, data in streams:
            if values[2][valid] & 1 and not outputs[ready].value:
                held[valid] = 1
                held[data] = values[2][data]
