// LANES-wide int8 x int8 dot product, three pipeline stages, always enabled (valid travels beside).
//   stage 1: LANES registered 16-bit products (one small multiplier each: maps to a DSP with its
//            M register, or to LUTs if the tool prefers)
//   stage 2: partial sums of groups of up to 8 products (3 adder levels)
//   stage 3: sum of the partial sums
// The result needs 16 + clog2(LANES) bits; it is returned sign-extended to 32 bits.
module ll_mp_dot #(
  parameter int unsigned Lanes = 32
) (
  input  logic                  clk_i,
  input  logic [Lanes-1:0][7:0] w_i,
  input  logic [Lanes-1:0][7:0] x_i,
  output logic signed [31:0]    dot_o
);

  localparam int unsigned Group   = (Lanes < 8) ? Lanes : 8;
  localparam int unsigned NGroups = Lanes / Group;

  logic signed [15:0] prod_q [Lanes];
  logic signed [18:0] part_d [NGroups];
  logic signed [18:0] part_q [NGroups];
  logic signed [31:0] sum_d;

  always_ff @(posedge clk_i) begin
    for (int l = 0; l < Lanes; l++) begin
      prod_q[l] <= $signed(w_i[l]) * $signed(x_i[l]);
    end
  end

  always_comb begin
    for (int g = 0; g < NGroups; g++) begin
      part_d[g] = '0;
      for (int l = 0; l < Group; l++) begin
        part_d[g] = part_d[g] + 19'(prod_q[g * Group + l]);
      end
    end
  end

  always_ff @(posedge clk_i) begin
    for (int g = 0; g < NGroups; g++) part_q[g] <= part_d[g];
  end

  always_comb begin
    sum_d = '0;
    for (int g = 0; g < NGroups; g++) sum_d = sum_d + 32'(part_q[g]);
  end

  always_ff @(posedge clk_i) dot_o <= sum_d;

endmodule
