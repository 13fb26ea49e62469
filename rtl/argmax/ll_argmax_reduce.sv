// Combine two (value, index) candidates of an argmax (refmodel/intops.py argmax_reduce):
// the larger value wins, a tie goes to the lower index; an invalid candidate never wins.
// Purely combinational (ll_argmax_pkg::take_b), used by ll_argmax and by the ring reduction across
// nodes. ValBits and IdxBits up to 64.
module ll_argmax_reduce #(
  parameter int unsigned ValBits = 32,
  parameter int unsigned IdxBits = 32
) (
  input  logic                      a_valid_i,
  input  logic signed [ValBits-1:0] a_val_i,
  input  logic [IdxBits-1:0]        a_idx_i,
  input  logic                      b_valid_i,
  input  logic signed [ValBits-1:0] b_val_i,
  input  logic [IdxBits-1:0]        b_idx_i,
  output logic                      valid_o,
  output logic signed [ValBits-1:0] val_o,
  output logic [IdxBits-1:0]        idx_o
);
  logic take_b;
  always_comb begin
    take_b  = ll_argmax_pkg::take_b(a_valid_i, 64'(a_val_i), 64'(a_idx_i),
                                    b_valid_i, 64'(b_val_i), 64'(b_idx_i));
    valid_o = a_valid_i || b_valid_i;
    val_o   = take_b ? b_val_i : a_val_i;
    idx_o   = take_b ? b_idx_i : a_idx_i;
  end
endmodule
