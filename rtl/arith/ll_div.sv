// Sequential unsigned restoring divider: q_o = floor(a_i / b_i), r_o = a_i mod b_i.
// One quotient bit per cycle: the result is valid ABits cycles after the clock edge that accepts the
// operands, and held until taken; the next operands are accepted the cycle after the result is taken.
// Division by zero (b_i == 0) is defined: q_o = all ones, r_o = 0, div_zero_o = 1 (no iteration is
// skipped, so the latency does not depend on the operands).
module ll_div #(
  parameter int unsigned ABits = 49,  // dividend width
  parameter int unsigned BBits = 36   // divisor width
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             in_valid_i,
  output logic             in_ready_o,
  input  logic [ABits-1:0] a_i,
  input  logic [BBits-1:0] b_i,
  output logic             out_valid_o,
  input  logic             out_ready_i,
  output logic [ABits-1:0] q_o,
  output logic [BBits-1:0] r_o,
  output logic             div_zero_o
);
  localparam int unsigned RemBits = BBits + 1;
  localparam int unsigned CntBits = $clog2(ABits + 1);

  typedef enum logic [1:0] {Idle, Run, Done} state_e;
  state_e             state_q;
  logic [ABits-1:0]   q_q;
  logic [RemBits-1:0] rem_q;
  logic [BBits-1:0]   b_q;
  logic [CntBits-1:0] cnt_q;

  logic [RemBits-1:0] rem_shift;
  logic               fits;
  always_comb begin
    rem_shift = {rem_q[RemBits-2:0], q_q[ABits-1]};
    fits      = rem_shift >= RemBits'(b_q);
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= Idle;
      cnt_q   <= '0;
    end else begin
      unique case (state_q)  // no default: the fourth encoding is unreachable (unique is asserted)
        Idle: if (in_valid_i) begin
          state_q <= Run;
          cnt_q   <= CntBits'(ABits);
        end
        Run: begin
          cnt_q <= cnt_q - 1'b1;
          if (cnt_q == CntBits'(1)) state_q <= Done;
        end
        Done: if (out_ready_i) state_q <= Idle;
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    if (state_q == Idle && in_valid_i) begin
      q_q   <= a_i;
      b_q   <= b_i;
      rem_q <= '0;
    end else if (state_q == Run) begin
      q_q   <= {q_q[ABits-2:0], fits};
      rem_q <= fits ? rem_shift - RemBits'(b_q) : rem_shift;
    end
  end

  assign in_ready_o  = state_q == Idle;
  assign out_valid_o = state_q == Done;
  assign div_zero_o  = b_q == '0;
  assign q_o         = div_zero_o ? '1 : q_q;
  assign r_o         = div_zero_o ? '0 : rem_q[BBits-1:0];

`ifndef SYNTHESIS
  a_rem_lt_divisor: assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == Done && b_q != '0 |-> rem_q < RemBits'(b_q));
  a_out_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      out_valid_o && !out_ready_i |=> out_valid_o && $stable(q_o) && $stable(r_o));
`endif
endmodule
