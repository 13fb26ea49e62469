"""Analytical model of the ring router (rtl/ring/ring_router.sv): slice layouts, link traffic and
cycle counts of an all-gather and of an argmax reduction. Pure Python; docs/ring.md derives every
number.

Cycle convention: a handshake "at cycle t" is the clock edge at the end of cycle t (valid && ready
sampled in cycle t). All latencies below are differences of such cycle indices.

Pipeline of one hop (router i to router i+1), unstalled:
  out register of router i valid in cycle x
  -> link register (ring_link_sim, LINK_CYCLES = 1) presents it in cycle x+1, accepted by router i+1
  -> in register (checks) in cycle x+2: loaded into the local write register (write handshake in
     cycle x+3) and, if the beat goes on, straight into the out register (forward FIFO empty)
  -> out register of router i+1 valid in cycle x+3.
So HOP_CYCLES = LINK_CYCLES + ROUTER_CYCLES = 1 + 2 = 3; a received beat is written
LINK_CYCLES + 2 cycles after the previous router's out register showed it; an own beat accepted
from the producer in cycle t is in the out register (and the write register) in cycle t+1.
"""

from __future__ import annotations

from dataclasses import dataclass

LINK_CYCLES = 1     # ring_link_sim: one register stage
ROUTER_CYCLES = 2   # in register, out register (the forward FIFO is bypassed when empty)
HOP_CYCLES = LINK_CYCLES + ROUTER_CYCLES
OWN_TO_OUT = 1      # producer handshake -> out register (and write register)

#: the router accepts at most this many nodes (node id width 3)
MAX_NODES = 8
#: vector length limit (beat index width 16)
MAX_VEC_BEATS = (1 << 16) - 1

CONTIG = "contig"
STRIDED = "strided"


@dataclass(frozen=True)
class Layout:
    """How a vector of ``vec_beats`` beats is distributed over ``n_nodes`` nodes.

    contig:  node i owns beats [starts[i], starts[i] + lens[i]) (any order, slices must tile the
             vector exactly once, empty slices allowed);
    strided: blocks of 2**block_log2 beats dealt round-robin, block b owned by node b mod n_nodes.
    """

    n_nodes: int
    vec_beats: int
    kind: str = CONTIG
    starts: tuple[int, ...] = ()
    lens: tuple[int, ...] = ()
    block_log2: int = 3

    def addresses(self, node: int) -> list[int]:
        """Beat addresses owned by ``node``, in the order its producer delivers them."""
        if self.kind == CONTIG:
            return list(range(self.starts[node], self.starts[node] + self.lens[node]))
        if self.kind == STRIDED:
            blk = 1 << self.block_log2
            n_blocks = -(-self.vec_beats // blk)
            return [a for b in range(node, n_blocks, self.n_nodes)
                    for a in range(b * blk, min((b + 1) * blk, self.vec_beats))]
        raise ValueError(f"unknown layout kind {self.kind!r}")

    def own_len(self, node: int) -> int:
        return len(self.addresses(node))

    def check(self) -> None:
        """Raise ValueError unless every beat of the vector is owned by exactly one node."""
        if self.n_nodes not in (1, 2, 4, 8):
            raise ValueError(f"n_nodes must be 1, 2, 4 or 8, got {self.n_nodes}")
        if not 1 <= self.vec_beats <= MAX_VEC_BEATS:
            raise ValueError(f"vec_beats must be in [1, {MAX_VEC_BEATS}], got {self.vec_beats}")
        if not 0 <= self.block_log2 <= 15:
            raise ValueError(f"block_log2 must be in [0, 15], got {self.block_log2}")
        owned = sorted(a for i in range(self.n_nodes) for a in self.addresses(i))
        if owned != list(range(self.vec_beats)):
            raise ValueError("slices do not tile the vector exactly once")


def contiguous(n_nodes: int, lens: list[int], order: list[int] | None = None) -> Layout:
    """Contiguous layout: node ``order[k]`` owns the k-th slice (lengths ``lens`` per node)."""
    order = list(range(n_nodes)) if order is None else list(order)
    starts = [0] * n_nodes
    pos = 0
    for node in order:
        starts[node] = pos
        pos += lens[node]
    return Layout(n_nodes, pos, CONTIG, tuple(starts), tuple(lens))


def strided(n_nodes: int, vec_beats: int, block_log2: int) -> Layout:
    return Layout(n_nodes, vec_beats, STRIDED, block_log2=block_log2)


def link_beats_gather(layout: Layout, link: int) -> int:
    """Beats carried by link ``link`` (router link -> router link+1) in one all-gather: every beat
    except those owned by the receiving router (a beat stops one router before its source)."""
    if layout.n_nodes == 1:
        return 0
    return layout.vec_beats - layout.own_len((link + 1) % layout.n_nodes)


def link_beats_argmax(n_nodes: int) -> int:
    """Pairs carried by every link in one argmax reduction."""
    return n_nodes - 1


def allgather_tail_cycles(n_nodes: int, hop: int = HOP_CYCLES, link: int = LINK_CYCLES) -> int:
    """Cycles from the last local-producer handshake (over all nodes) to the last local-buffer
    write handshake (over all nodes), with no stall on links or write ports.

    The last beat is in its router's out register 1 cycle after its handshake, in the out register
    of the router n-2 hops further after hop * (n - 2) more, and written by the next (farthest)
    router link + 2 cycles later: 1 + hop * (n - 2) + link + 2 (= 3n - 2 with the default
    3-cycle hop). On one node the beat is written the next cycle. Producers' rates do not matter:
    once accepted, a beat is never delayed when nothing stalls (forwarded beats have priority; own
    beats wait before their handshake, not after).
    """
    if n_nodes < 1:
        raise ValueError("n_nodes must be >= 1")
    if n_nodes == 1:
        return 1
    return OWN_TO_OUT + hop * (n_nodes - 2) + link + 2


#: cycles from a node's last write handshake to its done pulse
DONE_AFTER_LAST_WRITE = 2


def allgather_done_tail_cycles(n_nodes: int, hop: int = HOP_CYCLES) -> int:
    """Cycles from the last local-producer handshake to the last done pulse (all nodes)."""
    return allgather_tail_cycles(n_nodes, hop) + DONE_AFTER_LAST_WRITE


def argmax_tail_cycles(n_nodes: int, hop: int = HOP_CYCLES, link: int = LINK_CYCLES) -> int:
    """Cycles from the last pair handshake (over all nodes) to the last done pulse (all nodes),
    unstalled. The pair reaches the in register of the farthest router at
    1 + hop * (n - 2) + link + 1 and is merged there; done is registered from the counters one
    cycle later and pulses the cycle after: 1 + hop * (n - 2) + link + 3 (= 3n - 1). One node:
    merged at the handshake, done 2 cycles later."""
    if n_nodes < 1:
        raise ValueError("n_nodes must be >= 1")
    if n_nodes == 1:
        return 2
    return OWN_TO_OUT + hop * (n_nodes - 2) + link + 3


def allgather_cycles_overlapped(n_nodes: int, last_producer_cycle: int,
                                hop: int = HOP_CYCLES) -> int:
    """Cycle at which every node holds the whole vector, given when the producers finish: the
    all-gather adds only the tail, not a whole vector's transfer (LoopLynx block-wise overlap,
    here beat-wise)."""
    return last_producer_cycle + allgather_tail_cycles(n_nodes, hop)


def store_and_forward_tail_cycles(n_nodes: int, block_beats: int, hop: int = HOP_CYCLES,
                                  link: int = LINK_CYCLES) -> int:
    """For comparison (docs/ring.md): the tail if every router forwarded whole blocks
    (store-and-forward: a block leaves a router only after its last beat arrived, so each hop
    adds block_beats - 1 cycles)."""
    if n_nodes == 1:
        return 1
    return allgather_tail_cycles(n_nodes, hop, link) + (block_beats - 1) * (n_nodes - 1)


def allgather_burst_cycles(n_nodes: int, vec_beats: int, hop: int = HOP_CYCLES,
                           link: int = LINK_CYCLES) -> int:
    """All-gather with equal contiguous slices whose producers have every beat ready at once
    (burst), nothing stalling: cycles from the command handshake (all nodes together) to the last
    write handshake.

    Every node's write port is the bottleneck (vec_beats writes, one per cycle, the first in the
    cycle after the first producer handshake). Received beats have priority, so a node accepts its
    own beats in the cycles its write port has no received beat, and all nodes finish their slices
    together; after that only the last wave is left: one beat from each of the n-1 other sources.
    So the last producer handshake is vec_beats - (n - 1) cycles after the command, and the last
    write comes one tail later: vec_beats - (n - 1) + allgather_tail_cycles(n) (= V + 2n - 1).
    """
    if vec_beats % n_nodes:
        raise ValueError("the burst model is for equal slices (vec_beats a multiple of n_nodes)")
    return vec_beats - (n_nodes - 1) + allgather_tail_cycles(n_nodes, hop, link)
