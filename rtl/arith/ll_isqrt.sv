// Bit-serial restoring integer square root: root_o = floor(sqrt(x_i)) (refmodel/intops.py isqrt).
// One result bit per cycle: the result is valid ceil(InBits/2) cycles after the clock edge that accepts
// the operand, and held until taken; the next operand is accepted the cycle after the result is taken.
//   rem = (rem << 2) | next two operand bits; trial = (root << 2) | 1;
//   rem >= trial ? (rem -= trial, root = 2*root + 1) : (root = 2*root)
module ll_isqrt #(
  parameter int unsigned InBits = 72
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   in_valid_i,
  output logic                   in_ready_o,
  input  logic [InBits-1:0]      x_i,
  output logic                   out_valid_o,
  input  logic                   out_ready_i,
  output logic [(InBits+1)/2-1:0] root_o
);
  localparam int unsigned Steps   = (InBits + 1) / 2;  // result bits = iterations
  localparam int unsigned XBits   = 2 * Steps;         // operand padded to an even width
  localparam int unsigned RemBits = Steps + 2;
  localparam int unsigned CntBits = $clog2(Steps + 1);

  typedef enum logic [1:0] {Idle, Run, Done} state_e;
  state_e              state_q;
  logic [XBits-1:0]    x_q;
  logic [RemBits-1:0]  rem_q;
  logic [Steps-1:0]    root_q;
  logic [CntBits-1:0]  cnt_q;

  logic [RemBits-1:0]  rem_shift, trial;
  logic                fits;
  always_comb begin
    rem_shift = {rem_q[RemBits-3:0], x_q[XBits-1 -: 2]};
    trial     = {root_q, 2'b01};
    fits      = rem_shift >= trial;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= Idle;
      cnt_q   <= '0;
    end else begin
      unique case (state_q)  // no default: the fourth encoding is unreachable (unique is asserted)
        Idle: if (in_valid_i) begin
          state_q <= Run;
          cnt_q   <= CntBits'(Steps);
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
      x_q    <= XBits'(x_i);
      rem_q  <= '0;
      root_q <= '0;
    end else if (state_q == Run) begin
      x_q    <= x_q << 2;
      rem_q  <= fits ? rem_shift - trial : rem_shift;
      root_q <= {root_q[Steps-2:0], fits};
    end
  end

  assign in_ready_o  = state_q == Idle;
  assign out_valid_o = state_q == Done;
  assign root_o      = root_q;

`ifndef SYNTHESIS
  // Restoring invariant: the partial remainder never exceeds 2*root (it fits its register).
  a_rem_bound: assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == Done |-> rem_q <= RemBits'({root_q, 1'b0}));
  a_out_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      out_valid_o && !out_ready_i |=> out_valid_o && $stable(root_o));
`endif
endmodule
