"""Cycle model of the scheduler's fetch -> decode -> issue pipeline (rtl/sched/ll_scheduler.sv).

Timing rules (docs/scheduler.md, "Timing"); cycle s is the cycle in which ``start_i`` is high:

* The scheduler runs from s+1. An AR is requested (``arvalid`` goes high) in the cycle after the
  fetch engine sees room for a whole burst: ``fifo entries + beats in flight + burst <= FetchDepth``,
  evaluated on registered counts, with no AR pending. So the first AR handshakes at s+2 (an always
  ready AR channel), and two ARs are at least 2 cycles apart.
* A burst of n beats (n = FetchBurst, shorter at a 4 KiB boundary) handshaked at cycle A delivers its
  beats at A+L, A+L+1, ... (L = the memory's read latency; no stalls), never two in one cycle.
* A beat that arrives in cycle R can enter the instruction register at the end of cycle R+1 at the
  earliest (FIFO register), and only in a cycle in which the IR is empty or retires its instruction.
* The instruction in the IR issues (launch handshake, or NOP/SYNC retire) in the first cycle after it
  was loaded in which its waits are satisfied and its unit is ready. ``inflight`` and ``pend`` are
  registers: a done pulse in cycle d releases a wait from cycle d+1.
* END retires in the first cycle (after it is loaded) in which no unit has an op in flight; the
  cycle counter then reads ``F - s`` where F is that cycle. Fetching stops while END is in the IR.

:func:`issue_cycles` applies these rules to a program whose units are always ready and whose
instructions never wait (a stream of independent launches/NOPs ending in END): it is the issue
latency of the pipeline itself, which the RTL test asserts exactly. :func:`replay` applies them to
any program given what the memory and the units did (R beat cycles, launch_ready and done masks per
cycle); the RTL tests replay every run and demand the same launch, data-release and END cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

BEAT_BYTES = 32
PAGE_BYTES = 4096


@dataclass(frozen=True)
class SchedParams:
    fetch_depth: int = 8
    fetch_burst: int = 4
    read_latency: int = 1


def issue_cycles(n_instr: int, p: SchedParams = SchedParams(), prog_base: int = 0,
                 start: int = 0, last_done: int = -1) -> tuple[list[int], int]:
    """Issue cycles of instructions 0..n_instr-2 (never waiting, units always ready) and the cycle F
    in which the final END (instruction n_instr-1) retires. ``start`` is the cycle of the start
    pulse; ``last_done`` the cycle of the last done pulse of any unit (END waits for it)."""
    if n_instr < 1:
        raise ValueError("a program has at least END")
    if prog_base % BEAT_BYTES:
        raise ValueError("the program base is 32-byte aligned")
    D, B, L = p.fetch_depth, p.fetch_burst, p.read_latency
    arrive: list[int] = []       # R cycle of beat i
    load: list[int] = []         # cycle at whose end beat i enters the IR
    issue: list[int] = []        # issue cycle of instruction i
    fa = prog_base
    requested = 0
    t = start + 1                # first cycle the fetch engine looks for credit
    last_r = -1
    end_loaded_at: int | None = None

    def popped_before(cycle: int) -> int:
        return sum(1 for c in load if c < cycle)

    # Fetch requests and arrivals are generated lazily as the consumer needs beats.
    i = 0
    while i < n_instr:
        # issue ARs while credit allows, up to the time the next beat is needed
        while len(arrive) <= i:
            beats = min(B, (PAGE_BYTES - fa % PAGE_BYTES) // BEAT_BYTES)
            # find the first cycle >= t with credit: requested - popped_before(t) + beats <= D
            while requested - popped_before(t) + beats > D:
                t += 1
            a = t + 1                          # arvalid registered; AR always ready
            for k in range(beats):
                r = max(a + L + k, last_r + 1)
                arrive.append(r)
                last_r = r
            requested += beats
            fa += beats * BEAT_BYTES
            t = a + 1                          # the next AR can be requested after the handshake
            if len(arrive) > i:
                break
        ready_at = arrive[i] + 1
        prev_issue = issue[i - 1] if i > 0 else None
        ld = ready_at if prev_issue is None else max(ready_at, prev_issue)
        load.append(ld)
        if i == n_instr - 1:
            end_loaded_at = ld
            break
        issue.append(ld + 1)
        i += 1
    assert end_loaded_at is not None
    finish = max(end_loaded_at + 1, last_done + 1)
    return issue, finish


def first_issue_latency(p: SchedParams = SchedParams()) -> int:
    """Cycles from the start pulse to the first launch handshake of a program (always-ready unit)."""
    return 2 + p.read_latency + 2



@dataclass
class Replay:
    """Result of :func:`replay`: per launch (program order of launch instructions) the first cycle
    its launch_valid was high, its handshake cycle and its data release cycle; the END cycle."""

    first_valid: list[int]
    launch: list[int]
    release: list[int]
    finish: int


def replay(prog: list, arrivals: list[int], ready: dict[int, int], done: dict[int, int], start: int,
           num_units: int = 8, cnt_max: int = 15, horizon: int = 10**6) -> Replay:
    """Issue timing of ``prog`` (refmodel.isa instructions) for a given environment, by the rules in
    the module docstring: ``arrivals[i]`` is the R cycle of instruction i's beat, ``ready[c]`` /
    ``done[c]`` the launch_ready / done masks the units drive in cycle c (missing = 0), ``start`` the
    cycle of the start pulse. Every instruction is assumed legal."""
    from refmodel.isa import LAUNCH_OPS, Op

    inflight = [0] * num_units
    pend = [[0] * num_units for _ in range(num_units)]
    ir: int | None = None
    nxt = 0
    out = Replay([], [], [], -1)
    unreleased: dict[int, int] = {}      # unit -> index in out.release awaiting its release
    pending_first: int | None = None
    for c in range(start + 1, start + 1 + horizon):
        # data release: gate of u open at the start of c
        for u, k in list(unreleased.items()):
            if out.launch[k] < c and not any(pend[u]):
                out.release[k] = c
                del unreleased[u]
        retire = False
        fire: int | None = None
        finish = False
        if ir is not None:
            ins = prog[ir]
            wait_ok = all(inflight[v] == 0 for v in range(num_units) if ins.wait_issue >> v & 1)
            if ins.OP in LAUNCH_OPS:
                u = ins.unit
                if wait_ok and not any(pend[u]) and inflight[u] < cnt_max:
                    if pending_first is None:
                        pending_first = c
                    if ready.get(c, 0) >> u & 1:
                        fire, retire = u, True
            elif ins.OP is Op.NOP:
                retire = True
            elif ins.OP is Op.SYNC:
                retire = wait_ok
            elif ins.OP is Op.END:
                retire = finish = all(n == 0 for n in inflight)
        if finish:
            out.finish = c
            return out
        load = nxt < len(prog) and nxt < len(arrivals) and arrivals[nxt] + 1 <= c and (ir is None or retire)
        # registered updates at the end of cycle c
        d = done.get(c, 0)
        dec = [d >> v & 1 for v in range(num_units)]
        for u in range(num_units):
            if u == fire:
                w = prog[ir].wait_data
                pend[u] = [inflight[v] - dec[v] if w >> v & 1 else 0 for v in range(num_units)]
            else:
                pend[u] = [p - dec[v] if p > 0 else 0 for v, p in enumerate(pend[u])]
        for v in range(num_units):
            inflight[v] += (1 if v == fire else 0) - dec[v]
        if fire is not None:
            out.first_valid.append(pending_first)
            out.launch.append(c)
            out.release.append(-1)
            unreleased[fire] = len(out.launch) - 1
            pending_first = None
        if load:
            ir, nxt = nxt, nxt + 1
        elif retire:
            ir = None
    raise RuntimeError("program did not finish within the horizon")
