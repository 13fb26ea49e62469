"""In-order, exact scoreboard.

Feed :meth:`Scoreboard.expect` from the reference model (itself fed by the *input monitor*, i.e. what
the DUT really accepted) and :meth:`Scoreboard.got` from the output monitor. Transactions are ints,
dicts of ints, or numpy arrays; they must match exactly (same shape, same values). There is no
tolerance, on purpose: the reference model is bit-exact.

On a mismatch a :class:`ScoreboardError` names the transaction index and, for arrays, the first
differing element index with both values. :meth:`check_done` fails if anything is still outstanding
(expected but never received, or received with nothing expected).

Example::

    sb = Scoreboard("fifo")
    StreamMonitor(clk, in_valid, in_ready, in_data, callback=sb.expect)
    StreamMonitor(clk, out_valid, out_ready, out_data, callback=sb.got)
    ...
    sb.check_done()
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np


class ScoreboardError(AssertionError):
    """A DUT output differs from the expected one (or is missing / extra)."""


def _describe_diff(exp: Any, got: Any) -> str | None:
    """None if equal, else a description of the first difference."""
    if isinstance(exp, dict) or isinstance(got, dict):
        if not (isinstance(exp, dict) and isinstance(got, dict)):
            return f"type differs: expected {type(exp).__name__}, got {type(got).__name__}"
        if set(exp) != set(got):
            return f"fields differ: expected {sorted(exp)}, got {sorted(got)}"
        for k in exp:
            d = _describe_diff(exp[k], got[k])
            if d is not None:
                return f"field {k!r}: {d}"
        return None
    if isinstance(exp, np.ndarray) or isinstance(got, np.ndarray):
        e = np.asarray(exp)
        g = np.asarray(got)
        if e.shape != g.shape:
            return f"shape differs: expected {e.shape}, got {g.shape}"
        if e.dtype.kind in "fc" or g.dtype.kind in "fc":
            return f"floating-point data in an exact scoreboard (dtypes {e.dtype}, {g.dtype})"
        neq = np.argwhere(e.astype(np.int64) != g.astype(np.int64)) if e.size else np.empty((0, 1))
        if len(neq) == 0:
            return None
        idx = tuple(int(i) for i in neq[0])
        idx_s = idx[0] if len(idx) == 1 else idx
        return (f"{len(neq)} of {e.size} elements differ; first at index {idx_s}: "
                f"expected {int(e[idx])}, got {int(g[idx])}")
    if isinstance(exp, (float, np.floating)) or isinstance(got, (float, np.floating)):
        return f"floating-point value in an exact scoreboard ({exp!r}, {got!r})"
    if int(exp) != int(got):
        e, g = int(exp), int(got)
        return f"expected {e} ({e:#x}), got {g} ({g:#x})"
    return None


class Scoreboard:
    """In-order exact comparison of expected and received transactions.

    Args:
        name: used in messages.
        fail_fast: raise on the first mismatch (default). With ``False`` mismatches are collected and
            :meth:`check_done` raises listing them all.
    """

    def __init__(self, name: str = "scoreboard", fail_fast: bool = True) -> None:
        self.name = name
        self.fail_fast = fail_fast
        self._expected: deque[tuple[int, Any]] = deque()
        self._got: deque[tuple[int, Any]] = deque()
        self.n_expected = 0
        self.n_got = 0
        self.matched = 0
        self.mismatches: list[str] = []

    # counters the brief asks for
    @property
    def lost(self) -> int:
        """Expected transactions not (yet) received."""
        return len(self._expected)

    @property
    def extra(self) -> int:
        """Received transactions with nothing expected (yet)."""
        return len(self._got)

    def expect(self, txn: Any) -> None:
        """Add the next expected transaction."""
        self._expected.append((self.n_expected, _snapshot(txn)))
        self.n_expected += 1
        self._match()

    def got(self, txn: Any) -> None:
        """Add the next transaction the DUT produced."""
        self._got.append((self.n_got, _snapshot(txn)))
        self.n_got += 1
        self._match()

    def _match(self) -> None:
        while self._expected and self._got:
            i, exp = self._expected.popleft()
            _, got = self._got.popleft()
            diff = _describe_diff(exp, got)
            if diff is None:
                self.matched += 1
                continue
            msg = f"{self.name}: transaction {i} mismatch: {diff}"
            self.mismatches.append(msg)
            if self.fail_fast:
                raise ScoreboardError(msg)

    def flush(self) -> None:
        """Forget outstanding transactions (e.g. after a reset that legally drops them)."""
        self._expected.clear()
        self._got.clear()

    def summary(self) -> str:
        return (f"{self.name}: matched {self.matched}, mismatched {len(self.mismatches)}, "
                f"lost {self.lost}, extra {self.extra}")

    def check_done(self, min_matched: int = 1) -> None:
        """Raise unless every transaction matched and at least ``min_matched`` were compared."""
        problems = list(self.mismatches[:20])
        if len(self.mismatches) > 20:
            problems.append(f"... and {len(self.mismatches) - 20} more mismatches")
        if self.lost:
            problems.append(f"{self.lost} expected transaction(s) never received "
                            f"(first is transaction {self._expected[0][0]})")
        if self.extra:
            problems.append(f"{self.extra} extra transaction(s) received with nothing expected "
                            f"(first is output {self._got[0][0]})")
        if self.matched < min_matched:
            problems.append(f"only {self.matched} transaction(s) compared, at least {min_matched} "
                            f"required")
        if problems:
            raise ScoreboardError(self.summary() + "\n  " + "\n  ".join(problems))


def _snapshot(txn: Any) -> Any:
    if isinstance(txn, np.ndarray):
        return txn.copy()
    if isinstance(txn, dict):
        return {k: _snapshot(v) for k, v in txn.items()}
    return txn
