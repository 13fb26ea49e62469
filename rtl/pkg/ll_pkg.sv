// Shared widths and constants of the accelerator. The numeric values mirror refmodel/intops.py,
// which is the bit-level specification (docs/numerics.md).
// Not every module uses every constant of the package.
/* verilator lint_off UNUSEDPARAM */
package ll_pkg;

  localparam int unsigned BeatBits   = 256;  // memory / ring beat
  localparam int unsigned BeatBytes  = BeatBits / 8;
  localparam int unsigned AccBits    = 32;   // matrix accumulator
  localparam int unsigned ResBits    = 24;   // residual stream and wide MP outputs
  localparam int unsigned MBits      = 15;   // requantisation multiplier, unsigned
  localparam int unsigned SBits      = 6;    // requantisation shift 0..63

  // GELU (I-BERT erf polynomial on Q.10 inputs)
  localparam int unsigned GeluInFrac  = 10;
  localparam int unsigned GeluC       = 2562;
  localparam int unsigned GeluA       = 4732;
  localparam int unsigned GeluErfFrac = 20;

  // Softmax
  localparam int unsigned ExpFrac        = 8;
  localparam int unsigned ExpOneBits     = 16;
  localparam int unsigned SoftmaxInvBits = 46;
  localparam int unsigned ProbBits       = 15;

  // LayerNorm
  localparam int unsigned LnK     = 48;
  localparam int unsigned LnF     = 16;
  localparam int unsigned LnGBits = 16;
  localparam int unsigned LnBBits = 48;

  // MP output modes
  typedef enum logic [1:0] {
    MpModeInt8 = 2'd0,
    MpModeWide = 2'd1,
    MpModeGelu = 2'd2
  } mp_mode_e;

  // A packed requantisation parameter word: {10'b0, s[5:0], 1'b0, m[14:0]}
  typedef struct packed {
    logic [9:0]       rsvd;
    logic [SBits-1:0] s;
    logic             rsvd_m;
    logic [MBits-1:0] m;
  } rq_word_t;

endpackage
/* verilator lint_on UNUSEDPARAM */
