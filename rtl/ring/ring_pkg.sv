// Ring router package: widths, beat sideband, operation and error encodings.
//
// Every ring beat is {data (256 bits), last, side}. The sideband carries what a receiver needs to
// place the beat and to detect protocol faults (docs/ring.md):
//   src    node that produced the beat (its slice owner)
//   tag    operation tag: the number of commands the routers have accepted since reset (mod 16)
//   op     operation kind (all-gather data beat or argmax pair)
//   seq    per-source sequence number within the operation (0, 1, 2, ...)
//   addr   beat address of the beat in the full vector (0 for argmax pairs)
//   parity 8 interleaved parity bits over data, last and every other sideband field
//          (bit k is the XOR of all covered bits whose position is k mod 8): any odd number of
//          flipped bits within one of the 8 bit classes, in particular any single flipped bit, is
//          detected.
// Package constants: each user (router, link model, testbench top) needs only some of them.
/* verilator lint_off UNUSEDPARAM */
package ring_pkg;

  localparam int unsigned DataWidth   = 256;  // one ring beat (matches the 256-bit memory beat)
  localparam int unsigned NodeIdWidth = 3;    // up to 8 nodes
  localparam int unsigned MaxNodes    = 1 << NodeIdWidth;
  localparam int unsigned TagWidth    = 4;
  localparam int unsigned IdxWidth    = 16;   // vector length up to 65535 beats
  localparam int unsigned ParWidth    = 8;
  localparam int unsigned BlkLog2Width = 4;   // block of 2^0 .. 2^15 beats
  localparam int unsigned ValueWidth  = 32;   // argmax value (signed) and index (unsigned)
  localparam int unsigned TimeoutWidth = 16;

  typedef enum logic [0:0] {
    OpGather = 1'b0,  // all-gather of a distributed vector
    OpArgmax = 1'b1   // argmax reduction of one (value, index) pair per node
  } ring_op_e;

  typedef enum logic [0:0] {
    LayoutContig  = 1'b0,  // this node owns beats [start, start + len)
    LayoutStrided = 1'b1   // blocks of 2^block_log2 beats dealt round-robin: block b -> node b mod N
  } ring_layout_e;

  // Sticky error codes (docs/ring.md has the table and when each one fires).
  typedef enum logic [3:0] {
    ErrNone        = 4'd0,
    ErrBadCmd      = 4'd1,   // illegal command (length 0, slice outside the vector, ...)
    ErrParity      = 4'd2,   // corrupted beat (parity mismatch)
    ErrBadSrc      = 4'd3,   // source id out of range, or the beat came full circle
    ErrBadOp       = 4'd4,   // beat of another operation (tag or kind mismatch)
    ErrSeqGap      = 4'd5,   // sequence number ahead of the expected one: a beat was lost
    ErrSeqDup      = 4'd6,   // sequence number behind the expected one: a beat was duplicated
    ErrAfterLast   = 4'd7,   // beat from a source after that source's tlast (unexpected tlast)
    ErrMissingLast = 4'd8,   // a source's stream ended without tlast
    ErrRxOverflow  = 4'd9,   // more beats received than the operation needs
    ErrBadAddr     = 4'd10,  // beat address outside the vector
    ErrLocalLast   = 4'd11,  // local producer's tlast does not match this node's slice length
    ErrIdleBeat    = 4'd12,  // a ring beat waited with no operation active for timeout_i cycles
    ErrTimeout     = 4'd13   // operation made no progress for timeout_i cycles
  } ring_err_e;

  typedef struct packed {
    logic [ParWidth-1:0]    parity;
    logic [NodeIdWidth-1:0] src;
    logic [TagWidth-1:0]    tag;
    ring_op_e               op;
    logic [IdxWidth-1:0]    seq;
    logic [IdxWidth-1:0]    addr;
  } ring_side_t;

  localparam int unsigned SideWidth = $bits(ring_side_t);
  localparam int unsigned CoveredWidth = DataWidth + 1 + SideWidth - ParWidth;

  // Interleaved parity over {data, last, side without parity}.
  // The parity field of side is the value being computed or checked, so it is not read.
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [ParWidth-1:0] ring_parity(logic [DataWidth-1:0] data, logic last,
                                                      ring_side_t side);
  /* verilator lint_on UNUSEDSIGNAL */
    logic [CoveredWidth-1:0] covered;
    logic [ParWidth-1:0]     p;
    covered = {side.src, side.tag, side.op, side.seq, side.addr, last, data};
    p = '0;
    for (int unsigned i = 0; i < CoveredWidth; i++) begin
      p[i % ParWidth] ^= covered[i];
    end
    return p;
  endfunction

endpackage
/* verilator lint_on UNUSEDPARAM */
