// Skid buffer (register slice) for a valid/ready stream.
//
// - Full throughput: one beat per cycle while the output is never stalled.
// - Breaks every combinational path: in_ready_o is a register (the skid register is empty), and
//   out_valid_o / out_data_o are registers. Latency is one cycle.
// - When the output stalls while a beat arrives, that beat goes to the skid register and in_ready_o
//   drops in the next cycle; the skid entry drains first when the output frees up.
// - Assertions: the skid register never overflows, output stable while stalled, upstream obeys the
//   AXI-Stream rule.
module ll_skid #(
  parameter int unsigned Width = 8
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             in_valid_i,
  output logic             in_ready_o,
  input  logic [Width-1:0] in_data_i,
  output logic             out_valid_o,
  input  logic             out_ready_i,
  output logic [Width-1:0] out_data_o
);

  `include "ll_assert.svh"

  `LL_ASSERT_INIT(WidthNonZero, Width >= 1)

  logic             out_valid_q, out_valid_d;
  logic [Width-1:0] out_data_q, out_data_d;
  logic             skid_valid_q, skid_valid_d;
  logic [Width-1:0] skid_data_q, skid_data_d;
  logic             push, out_free;

  assign in_ready_o  = ~skid_valid_q;
  assign out_valid_o = out_valid_q;
  assign out_data_o  = out_data_q;

  assign push     = in_valid_i & in_ready_o;
  assign out_free = out_ready_i | ~out_valid_q;  // the output register is consumed or empty

  always_comb begin
    out_valid_d  = out_valid_q;
    out_data_d   = out_data_q;
    skid_valid_d = skid_valid_q;
    skid_data_d  = skid_data_q;
    if (out_free) begin
      if (skid_valid_q) begin
        // drain the skid entry first (no push can happen: in_ready_o is low)
        out_valid_d  = 1'b1;
        out_data_d   = skid_data_q;
        skid_valid_d = 1'b0;
      end else begin
        out_valid_d = push;
        if (push) begin
          out_data_d = in_data_i;
        end
      end
    end else if (push) begin
      // output stalled: park the incoming beat
      skid_valid_d = 1'b1;
      skid_data_d  = in_data_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      out_valid_q  <= 1'b0;
      skid_valid_q <= 1'b0;
    end else begin
      out_valid_q  <= out_valid_d;
      skid_valid_q <= skid_valid_d;
    end
  end

  // Data registers: no reset (datapath).
  always_ff @(posedge clk_i) begin
    out_data_q  <= out_data_d;
    skid_data_q <= skid_data_d;
  end

  `LL_ASSERT(NoSkidOverflow, !(push && skid_valid_q))
  `LL_ASSERT_IMPL(SkidOnlyWhenStalled, skid_valid_q, out_valid_q)
  `LL_ASSERT_STREAM(OutStable, out_valid_o, out_ready_i, out_data_o)
  `LL_ASSERT_STREAM(InProtocol, in_valid_i, in_ready_o, in_data_i)

endmodule
