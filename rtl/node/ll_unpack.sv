// Stream width converter (docs/node_glue.md): InBits-wide beats -> OutBits-wide beats, one of the
// two a whole multiple of the other; sub-words in little-endian order (the low part first).
//
// - Down-conversion (InBits = R * OutBits, R >= 1): each input beat becomes R output beats,
//   in_data_i[k*OutBits +: OutBits] in the k-th. out_last_o is set on the R-th output beat of an
//   input beat that had in_last_i. The input beat is held in a register; in_ready_o is high when
//   the register is empty or its final sub-word is leaving this cycle (ready -> ready path), so
//   the output runs at one beat per cycle with no bubble between input beats. Latency 1.
// - Up-conversion (OutBits = R * InBits, R > 1): R input beats form one output beat, the first in
//   the low bits. An input beat with in_last_i closes the output beat early: the rest is zero and
//   out_last_o is set. out_count_o = number of input beats in the output beat (R except possibly on
//   the last beat; always 1 for down-conversion). Input at one beat per cycle whenever the output
//   register is free or draining (in_ready_o = !out_valid_o || out_ready_i). Latency 1.
// - out_valid_o comes from a register in both directions.
module ll_unpack #(
  parameter int unsigned InBits  = 256,
  parameter int unsigned OutBits = 32,
  localparam int unsigned Ratio   = (InBits >= OutBits) ? InBits / OutBits : OutBits / InBits,
  localparam int unsigned CntBits = $clog2(Ratio + 1)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 in_valid_i,
  output logic                 in_ready_o,
  input  logic [InBits-1:0]    in_data_i,
  input  logic                 in_last_i,
  output logic                 out_valid_o,
  input  logic                 out_ready_i,
  output logic [OutBits-1:0]   out_data_o,
  output logic                 out_last_o,
  output logic [CntBits-1:0]   out_count_o
);

  `include "ll_assert.svh"
  `include "ll_registers.svh"

  localparam int unsigned IdxBits = (Ratio > 1) ? $clog2(Ratio) : 1;

  `LL_ASSERT_INIT(WholeRatio, (InBits >= OutBits) ? (InBits % OutBits == 0)
                                                  : (OutBits % InBits == 0))

  logic in_hs;
  assign in_hs = in_valid_i & in_ready_o;

  if (InBits >= OutBits) begin : g_down
    logic [InBits-1:0]  buf_q, buf_d;
    logic               buf_valid_q, buf_valid_d;
    logic               buf_last_q, buf_last_d;
    logic [IdxBits-1:0] idx_q, idx_d;
    logic               final_sub;
    logic               out_hs;

    assign final_sub  = (32'(idx_q) == Ratio - 1);
    assign in_ready_o = ~buf_valid_q | (out_ready_i & final_sub);
    assign out_hs     = out_valid_o & out_ready_i;

    always_comb begin
      buf_d       = buf_q;
      buf_valid_d = buf_valid_q;
      buf_last_d  = buf_last_q;
      idx_d       = idx_q;
      if (out_hs) begin
        if (final_sub) begin
          buf_valid_d = 1'b0;
          idx_d       = '0;
        end else begin
          idx_d = idx_q + 1'b1;
        end
      end
      if (in_hs) begin
        buf_d       = in_data_i;
        buf_valid_d = 1'b1;
        buf_last_d  = in_last_i;
        idx_d       = '0;
      end
    end

    `LL_FF(buf_valid_q, buf_valid_d, 1'b0)
    `LL_FF(buf_last_q, buf_last_d, 1'b0)
    `LL_FF(idx_q, idx_d, '0)
    `LL_FFNR(buf_q, buf_d)

    assign out_valid_o = buf_valid_q;
    assign out_data_o  = buf_q[32'(idx_q) * OutBits +: OutBits];
    assign out_last_o  = buf_last_q & final_sub;
    assign out_count_o = CntBits'(1);
  end else begin : g_up
    logic [OutBits-1:0] acc_q, acc_d, merged;
    logic [IdxBits-1:0] idx_q, idx_d;
    logic [OutBits-1:0] out_q, out_d;
    logic               out_valid_q, out_valid_d;
    logic               out_last_q, out_last_d;
    logic [CntBits-1:0] out_cnt_q, out_cnt_d;
    logic               final_sub;

    assign final_sub  = (32'(idx_q) == Ratio - 1);
    assign in_ready_o = ~out_valid_q | out_ready_i;

    always_comb begin
      merged = acc_q;
      merged[32'(idx_q) * InBits +: InBits] = in_data_i;
    end

    always_comb begin
      acc_d       = acc_q;
      idx_d       = idx_q;
      out_d       = out_q;
      out_last_d  = out_last_q;
      out_cnt_d   = out_cnt_q;
      out_valid_d = out_valid_q & ~out_ready_i;
      if (in_hs) begin
        if (final_sub || in_last_i) begin
          out_d       = merged;
          out_last_d  = in_last_i;
          out_cnt_d   = CntBits'(idx_q) + 1'b1;
          out_valid_d = 1'b1;
          acc_d       = '0;
          idx_d       = '0;
        end else begin
          acc_d = merged;
          idx_d = idx_q + 1'b1;
        end
      end
    end

    `LL_FF(acc_q, acc_d, '0)
    `LL_FF(idx_q, idx_d, '0)
    `LL_FF(out_valid_q, out_valid_d, 1'b0)
    `LL_FF(out_last_q, out_last_d, 1'b0)
    `LL_FF(out_cnt_q, out_cnt_d, '0)
    `LL_FFNR(out_q, out_d)

    assign out_valid_o = out_valid_q;
    assign out_data_o  = out_q;
    assign out_last_o  = out_last_q;
    assign out_count_o = out_cnt_q;
  end

  `LL_ASSERT_STREAM(InStable, in_valid_i, in_ready_o, {in_data_i, in_last_i})
  `LL_ASSERT_STREAM(OutStable, out_valid_o, out_ready_i, {out_data_o, out_last_o, out_count_o})

endmodule
