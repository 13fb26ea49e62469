// Integer softmax core of the MHA kernel (refmodel/intops.py softmax_int, bit exact).
//
// One softmax per start_i. The caller already knows the maximum score mx_i (pass 1, the Q.K^T pass,
// tracks it) and then streams every score once, Lanes scores per beat with a lane mask:
//   v = rshift_round((score - mx) * m, s)        (<= 0, base-2 exponent with 8 fraction bits)
//   e = EXP_LUT[(-v) & 255] >> min((-v) >> 8, 31) (2**16 == 1.0)
// Each beat comes back two cycles later on e_* (same tag and mask; masked lanes give 0), to be written
// into the caller's buffer; sum = sum(e) is accumulated. After the beat with in_last_i the core
// divides inv = floor(2**46 / sum) with a 31-step restoring divider (sum >= 2**16 because the
// maximum element contributes EXP_LUT[0] = 2**16, so the top 16 quotient bits are zero and the
// remainder enters the loop as 2**15), then pulses done_o; sum_o and inv_o hold until the next
// start_i. Probabilities p = (e * inv + 2**30) >> 31 are formed by the consumer (P.V lanes).
//
// The input has no ready: the core accepts one beat per cycle while busy_o (pipelined, II = 1).
// Latency: last beat in at cycle t -> done_o at t + 2 + 31 + 1.
module ll_mha_softmax #(
  parameter int unsigned Lanes   = 4,
  parameter int unsigned TagBits = 8,
  parameter int unsigned SumBits = 32   // >= 17 + log2(max number of scores)
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  // launch: parameters held for the whole softmax
  input  logic                              start_i,
  input  logic signed [31:0]                mx_i,
  input  logic [ll_pkg::MBits-1:0]          m_i,
  input  logic [ll_pkg::SBits-1:0]          s_i,
  output logic                              busy_o,
  // scores in (one beat per cycle, no back-pressure)
  input  logic                              in_valid_i,
  input  logic [Lanes-1:0][31:0]            in_score_i,   // signed lanes
  input  logic [Lanes-1:0]                  in_mask_i,
  input  logic [TagBits-1:0]                in_tag_i,
  input  logic                              in_last_i,
  // exponentials out
  output logic                              e_valid_o,
  output logic [Lanes-1:0][16:0]            e_o,
  output logic [Lanes-1:0]                  e_mask_o,
  output logic [TagBits-1:0]                e_tag_o,
  // result
  output logic                              done_o,
  output logic [SumBits-1:0]                sum_o,
  output logic [30:0]                       inv_o
);
`include "ll_assert.svh"
`include "ll_exp_lut.svh"

  localparam int unsigned ProdBits = 33 + ll_pkg::MBits + 1;  // (score - mx) * m, signed

  typedef enum logic [1:0] {SmIdle, SmRun, SmDiv} sm_state_e;
  sm_state_e state_q;

  logic signed [31:0]               mx_q;
  logic [ll_pkg::MBits-1:0]         m_q;
  logic [ll_pkg::SBits-1:0]         s_q;

  // ---- stage 1: difference times multiplier
  logic                             s1_valid_q, s1_last_q;
  logic [Lanes-1:0][ProdBits-1:0] s1_prod_q;  // signed lanes ($signed on use)
  logic [Lanes-1:0]                 s1_mask_q;
  logic [TagBits-1:0]               s1_tag_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s1_last_q  <= 1'b0;
    end else begin
      s1_valid_q <= in_valid_i && (state_q == SmRun);
      s1_last_q  <= in_valid_i && (state_q == SmRun) && in_last_i;
    end
  end

  always_ff @(posedge clk_i) begin
    for (int l = 0; l < Lanes; l++) begin
      s1_prod_q[l] <= ProdBits'(33'($signed(in_score_i[l])) - 33'(mx_q)) * $signed({1'b0, m_q});
    end
    s1_mask_q <= in_mask_i;
    s1_tag_q  <= in_tag_i;
  end

  // ---- stage 2: rounding shift, exp2 by table and shift
  logic [Lanes-1:0][16:0] e_d;
  always_comb begin
    for (int l = 0; l < Lanes; l++) begin
      logic signed [63:0] rounded;
      logic [63:0]        n;
      logic [4:0]         q;
      rounded = 64'($signed(s1_prod_q[l]));
      if (s_q != '0) rounded = rounded + (64'sd1 <<< (s_q - 1'b1));
      n = 64'(-(rounded >>> s_q));         // -v >= 0
      q = (n[63:8] > 56'd31) ? 5'd31 : n[12:8];
      e_d[l] = s1_mask_q[l] ? (ll_exp_lut(n[7:0]) >> q) : 17'd0;
    end
  end

  logic s2_last_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      e_valid_o <= 1'b0;
      s2_last_q <= 1'b0;
    end else begin
      e_valid_o <= s1_valid_q;
      s2_last_q <= s1_last_q;
    end
  end
  always_ff @(posedge clk_i) begin
    e_o      <= e_d;
    e_mask_o <= s1_mask_q;
    e_tag_o  <= s1_tag_q;
  end

  // ---- sum and division
  logic [SumBits-1:0] beat_sum;
  always_comb begin
    beat_sum = '0;
    for (int l = 0; l < Lanes; l++) beat_sum = beat_sum + SumBits'(e_o[l]);
  end

  logic [SumBits:0] rem_q;      // < sum, doubled once per step
  logic             unused_rem;
  assign unused_rem = rem_q[SumBits];  // rem_q < sum: its top bit is always 0
  logic [4:0]       step_q;
  logic [SumBits:0] rem_shift;
  assign rem_shift = {rem_q[SumBits-1:0], 1'b0};

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= SmIdle;
      done_o  <= 1'b0;
      sum_o   <= '0;
      inv_o   <= '0;
      rem_q   <= '0;
      step_q  <= '0;
      mx_q    <= '0;
      m_q     <= '0;
      s_q     <= '0;
    end else begin
      done_o <= 1'b0;
      unique case (state_q)
        SmIdle: begin
          if (start_i) begin
            state_q <= SmRun;
            mx_q    <= mx_i;
            m_q     <= m_i;
            s_q     <= s_i;
            sum_o   <= '0;
            inv_o   <= '0;
          end
        end
        SmRun: begin
          if (e_valid_o) sum_o <= sum_o + beat_sum;
          if (s2_last_q) begin
            state_q <= SmDiv;
            rem_q   <= (SumBits + 1)'(1) << 15;
            step_q  <= 5'd30;
          end
        end
        SmDiv: begin
          if (rem_shift >= {1'b0, sum_o}) begin
            rem_q <= rem_shift - {1'b0, sum_o};
            inv_o[step_q] <= 1'b1;
          end else begin
            rem_q <= rem_shift;
          end
          step_q <= step_q - 1'b1;
          if (step_q == '0) begin
            state_q <= SmIdle;
            done_o  <= 1'b1;
          end
        end
        default: state_q <= SmIdle;
      endcase
    end
  end

  assign busy_o = (state_q != SmIdle);

  // ---- checks
  `LL_ASSERT_INIT(SumBitsEnough, SumBits >= 18)
  `LL_ASSERT(NoInputWhenIdle, !(in_valid_i && state_q != SmRun))
  `LL_ASSERT(NoStartWhenBusy, !(start_i && state_q != SmIdle))
  // pass 1 delivered the true maximum: no score above it
  for (genvar l = 0; l < Lanes; l++) begin : g_chk
    `LL_ASSERT(ScoreNotAboveMax, !(in_valid_i && in_mask_i[l] && ($signed(in_score_i[l]) > mx_q)))
  end
  // the maximum element contributes 2**16, so the divider's first 16 quotient bits are zero
  `LL_ASSERT(SumAtLeastOne, !(state_q == SmDiv && sum_o < (SumBits'(1) << 16)))

endmodule
