"""Valid/ready (AXI-Stream rules) bus functional models for cocotb.

Timing model (same for every class here): drivers write right after ``RisingEdge(clk)``; every
model samples at ``ReadOnly()`` of the same cycle, when all combinational logic has settled. A beat is
transferred at the next rising edge when ``valid && ready`` at that ``ReadOnly``. Each model awaits
exactly one ``RisingEdge`` and one ``ReadOnly`` per cycle.

Items are ints (``data`` is one handle) or dicts ``{name: int}`` (``data`` is a dict of handles, e.g.
``{"data": dut.data_i, "last": dut.last_i}``). Values are raw unsigned bit patterns; use
:mod:`verif.lib.bits` to pack/unpack signed lanes.

* :class:`StreamSource` drives ``valid``/``data`` from a queue; an ``idle`` iterator of bools inserts
  idle cycles (``True`` = do not start a new beat this cycle). Once ``valid`` is high it stays high
  with stable data until the beat is accepted.
* :class:`StreamSink` drives ``ready`` from a ``backpressure`` iterator (``True`` = ready low this
  cycle) and collects accepted items.
* :class:`StreamMonitor` is passive: records every accepted beat (optionally calls ``callback``) and
  checks the protocol: while ``valid && !ready`` the next cycle must still have ``valid`` high and the
  same data. A violation raises :class:`ProtocolError` (fails the cocotb test).

Patterns: :func:`idle_patterns` / :func:`backpressure_patterns` return ``{name: factory}``, each
factory building a fresh ``itertools.cycle`` (every BFM needs its own iterator);
:func:`random_pattern` is a seeded random one; :func:`make_pattern` builds either by name
(``"burst_4_4"``, ``"random_30"``). Use them for both ``idle`` and ``backpressure``; the
attributes ``source.idle`` / ``sink.backpressure`` may be replaced at any time.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Union

import cocotb
from cocotb.triggers import Event, ReadOnly, RisingEdge

Item = Union[int, dict[str, int]]


class ProtocolError(AssertionError):
    """A valid/ready stream broke an AXI-Stream rule."""


# --------------------------------------------------------------------------------------------------
# patterns

def _cycle(bits: str) -> Iterator[bool]:
    return itertools.cycle([c == "1" for c in bits])


#: name -> pattern string ('1' = stall / idle cycle), cycled forever.
PATTERNS: dict[str, str] = {
    "none": "0",
    "every_other": "01",
    "one_in_four": "0001",
    "three_in_four": "0111",
    "burst_4_4": "00001111",
    "burst_8_2": "0000000011",
    "long_stall": "0" * 12 + "1" * 20,
}


def idle_patterns() -> dict[str, Callable[[], Iterator[bool]]]:
    """Named idle-insertion patterns (each value builds a fresh ``itertools.cycle``)."""
    return {name: (lambda b=bits: _cycle(b)) for name, bits in PATTERNS.items()}


def backpressure_patterns() -> dict[str, Callable[[], Iterator[bool]]]:
    """Named back-pressure patterns (``True`` = ready low this cycle)."""
    return idle_patterns()


def random_pattern(rng: random.Random, p: float) -> Iterator[bool]:
    """Endless iterator: ``True`` with probability ``p`` each cycle, drawn from ``rng``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {p}")
    while True:
        yield rng.random() < p


def make_pattern(name: str, rng: random.Random | None = None) -> Iterator[bool]:
    """Pattern by name: one of :data:`PATTERNS`, or ``random_<percent>`` (e.g. ``random_30``)."""
    if name in PATTERNS:
        return _cycle(PATTERNS[name])
    if name.startswith("random_"):
        if rng is None:
            raise ValueError("random patterns need an rng")
        return random_pattern(rng, int(name[len("random_"):]) / 100.0)
    raise ValueError(f"unknown pattern {name!r}; known: {sorted(PATTERNS)} or random_<percent>")


# --------------------------------------------------------------------------------------------------
# helpers

def _is_high(handle) -> bool:
    v = handle.value
    try:
        return bool(v)
    except ValueError:
        return False  # X/Z on a control line counts as low


def _unsigned(value) -> int:
    """An unsigned int from a cocotb value: a vector (LogicArray) or a single bit (Logic)."""
    conv = getattr(value, "to_unsigned", None)
    return conv() if conv is not None else int(value)


def _read(data, name: str) -> Item:
    try:
        if isinstance(data, Mapping):
            return {k: _unsigned(h.value) for k, h in data.items()}
        return _unsigned(data.value)
    except ValueError as exc:
        raise ProtocolError(f"{name}: data has X/Z bits while valid: {exc}") from None


def _raw(data):
    """The raw value objects (for the cheap stability comparison)."""
    if isinstance(data, Mapping):
        return tuple(h.value for h in data.values())
    return data.value


class _Stream:
    def __init__(self, clk, valid, ready, data, name: str | None, rst_n=None) -> None:
        self.clk = clk
        self.valid = valid
        self.ready = ready
        self.data = data
        self.rst_n = rst_n
        self.name = name or getattr(valid, "_name", "stream")
        self._edge = RisingEdge(clk)
        self._ro = ReadOnly()
        self._task = None

    def _in_reset(self) -> bool:
        return self.rst_n is not None and not _is_high(self.rst_n)

    def stop(self) -> None:
        """Kill the model's background task."""
        if self._task is not None:
            self._task.cancel()
            self._task = None


# --------------------------------------------------------------------------------------------------
# source

class StreamSource(_Stream):
    """Drives a valid/ready stream from a queue of items.

    Args:
        clk, valid, ready: handles. data: a handle, or a dict name -> handle.
        idle: iterator of bools; ``True`` means "do not start a beat this cycle" (``None``: never idle).
        rst_n: optional active-low reset; while low the source drives ``valid`` low and holds its queue.

    Use :meth:`send_nowait` / :meth:`send` to queue items and :meth:`wait_done` to wait until all are
    accepted. :meth:`clear` drops everything not yet accepted (for reset in the middle of traffic).
    """

    def __init__(self, clk, valid, ready, data, idle: Iterator[bool] | None = None,
                 rst_n=None, name: str | None = None) -> None:
        super().__init__(clk, valid, ready, data, name, rst_n)
        self.idle = idle
        self.queue: deque[Item] = deque()
        self.sent = 0  # beats accepted by the sink side
        # cycles ready was high but valid low although items were queued (an idle the pattern drew
        # and the receiver really saw), out of reset
        self.idle_cycles = 0
        self._current: Item | None = None
        self._done = Event()
        self._done.set()
        self.valid.value = 0
        self._task = cocotb.start_soon(self._run())

    def send_nowait(self, item: Item) -> None:
        """Queue one item."""
        if isinstance(self.data, Mapping):
            if not isinstance(item, Mapping) or set(item) != set(self.data):
                raise ValueError(f"{self.name}: item must be a dict with keys {sorted(self.data)}, "
                                 f"got {item!r}")
        elif not isinstance(item, int):
            raise ValueError(f"{self.name}: item must be an int, got {type(item).__name__}")
        self.queue.append(item)
        self._done.clear()

    def send(self, items) -> None:
        """Queue several items (an iterable of items)."""
        for item in items:
            self.send_nowait(item)

    async def wait_done(self) -> None:
        """Wait until every queued item has been accepted."""
        await self._done.wait()

    @property
    def idle_now(self) -> bool:
        return self._current is None and not self.queue

    def clear(self) -> None:
        """Drop the queue and the beat in flight; ``valid`` goes low at the next edge.

        Call it while reset is asserted (right after driving it low): outside reset, retracting a
        beat that is waiting for ``ready`` breaks the AXI-Stream rule."""
        self.queue.clear()
        self._current = None
        self._done.set()

    def _drive(self, item: Item) -> None:
        if isinstance(self.data, Mapping):
            for k, h in self.data.items():
                h.value = item[k]
        else:
            self.data.value = item

    async def _run(self) -> None:
        valid_driven = False
        accepted = False
        while True:
            await self._edge
            if accepted:
                self._current = None
                self.sent += 1
                if not self.queue:
                    self._done.set()
            if self._in_reset():
                if valid_driven:
                    self.valid.value = 0
                    valid_driven = False
            else:
                idle = self.idle
                stall = next(idle) if idle is not None else False
                if self._current is None and self.queue and not stall:
                    self._current = self.queue.popleft()
                    self._drive(self._current)
                if self._current is not None and not valid_driven:
                    self.valid.value = 1
                    valid_driven = True
                elif self._current is None and valid_driven:
                    self.valid.value = 0
                    valid_driven = False
            await self._ro
            in_reset = self._in_reset()
            accepted = valid_driven and _is_high(self.ready) and not in_reset
            if not valid_driven and self.queue and not in_reset and _is_high(self.ready):
                self.idle_cycles += 1


# --------------------------------------------------------------------------------------------------
# sink

class StreamSink(_Stream):
    """Drives ``ready`` from a back-pressure iterator and collects accepted items.

    Args:
        backpressure: iterator of bools; ``True`` = ``ready`` low this cycle (``None``: always ready).
        callback: called with each accepted item (else items are appended to :attr:`items`).
        rst_n: optional active-low reset; no beat is collected while it is low.
    """

    def __init__(self, clk, valid, ready, data, backpressure: Iterator[bool] | None = None,
                 callback: Callable[[Item], Any] | None = None, rst_n=None,
                 name: str | None = None) -> None:
        super().__init__(clk, valid, ready, data, name, rst_n)
        self.backpressure = backpressure
        self.callback = callback
        self.items: deque[Item] = deque()
        self.count = 0
        self._new = Event()
        self.ready.value = 0
        self._task = cocotb.start_soon(self._run())

    async def recv(self) -> Item:
        """Next collected item (waits for it)."""
        while not self.items:
            self._new.clear()
            await self._new.wait()
        return self.items.popleft()

    async def wait_count(self, n: int) -> None:
        """Wait until ``n`` beats in total have been accepted."""
        while self.count < n:
            self._new.clear()
            await self._new.wait()

    async def _run(self) -> None:
        ready_driven = None
        while True:
            await self._edge
            bp = self.backpressure
            r = not (next(bp) if bp is not None else False)
            if r != ready_driven:
                self.ready.value = int(r)
                ready_driven = r
            await self._ro
            if r and _is_high(self.valid) and not self._in_reset():
                item = _read(self.data, self.name)
                self.count += 1
                if self.callback is not None:
                    self.callback(item)
                else:
                    self.items.append(item)
                self._new.set()


# --------------------------------------------------------------------------------------------------
# monitor + protocol checker

class StreamMonitor(_Stream):
    """Passive monitor and AXI-Stream protocol checker.

    Records every accepted beat (``valid && ready`` at ``ReadOnly``) into :attr:`items` (or calls
    ``callback(item)``), counts cycles, and raises :class:`ProtocolError` when, after a cycle with
    ``valid && !ready``, ``valid`` drops or the data changes before the handshake.

    Args:
        rst_n: optional active-low reset; checks restart after reset.
        check: set ``False`` to record only (for streams that may legally retract valid).
    """

    def __init__(self, clk, valid, ready, data, callback: Callable[[Item], Any] | None = None,
                 rst_n=None, name: str | None = None, check: bool = True) -> None:
        super().__init__(clk, valid, ready, data, name, rst_n)
        self.callback = callback
        self.check = check
        self.items: list[Item] = []
        self.count = 0
        self.cycles = 0
        self.valid_cycles = 0
        self.stall_cycles = 0  # valid && !ready
        self.first_beat_cycle: int | None = None
        self.last_beat_cycle: int | None = None
        self.errors: list[str] = []
        self._task = cocotb.start_soon(self._run())

    def _fail(self, msg: str) -> None:
        self.errors.append(msg)
        raise ProtocolError(msg)

    async def _run(self) -> None:
        pending = None  # raw data of a beat offered but not accepted in the previous cycle
        while True:
            await self._edge
            await self._ro
            self.cycles += 1
            if self._in_reset():
                pending = None
                continue
            v = _is_high(self.valid)
            if self.check and pending is not None:
                if not v:
                    self._fail(f"{self.name}: valid dropped before the handshake "
                               f"(cycle {self.cycles}, AXI-Stream rule: valid must stay high "
                               f"until ready)")
                if _raw(self.data) != pending:
                    self._fail(f"{self.name}: data changed while valid && !ready "
                               f"(cycle {self.cycles}): was {pending!r}, now {_raw(self.data)!r}")
            if not v:
                pending = None
                continue
            self.valid_cycles += 1
            if _is_high(self.ready):
                pending = None
                item = _read(self.data, self.name)
                self.count += 1
                if self.first_beat_cycle is None:
                    self.first_beat_cycle = self.cycles
                self.last_beat_cycle = self.cycles
                if self.callback is not None:
                    self.callback(item)
                else:
                    self.items.append(item)
            else:
                self.stall_cycles += 1
                if self.check:
                    pending = _raw(self.data)
