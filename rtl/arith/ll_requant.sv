// Dyadic requantisation, the project's one rounding rule (docs/numerics.md, refmodel/intops.py):
//   y = sat_OutBits( (x * m + (s > 0 ? 2**(s-1) : 0)) >>> s )
// x signed InBits, m unsigned 15-bit, s 0..63. Two pipeline stages (multiply, round/shift/saturate),
// advanced by en_i; a valid bit travels with the data so callers can build stall-free pipelines.
module ll_requant #(
  parameter int unsigned InBits  = 32,
  parameter int unsigned OutBits = 8
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      en_i,
  input  logic                      valid_i,
  input  logic signed [InBits-1:0]  x_i,
  input  logic [ll_pkg::MBits-1:0]  m_i,
  input  logic [ll_pkg::SBits-1:0]  s_i,
  output logic                      valid_o,
  output logic signed [OutBits-1:0] y_o
);
  localparam int unsigned ProdBits = InBits + ll_pkg::MBits + 1;
  localparam int unsigned WideBits = ProdBits + 1;

  logic signed [ProdBits-1:0] prod_q;
  logic [ll_pkg::SBits-1:0]   s_q;
  logic                       valid_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      valid_q <= 1'b0;
      valid_o <= 1'b0;
    end else if (en_i) begin
      valid_q <= valid_i;
      valid_o <= valid_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (en_i) begin
      prod_q <= ProdBits'(x_i) * $signed({1'b0, m_i});
      s_q    <= s_i;
    end
  end

  logic signed [WideBits-1:0] rounded;
  logic signed [WideBits-1:0] shifted;
  localparam logic signed [OutBits-1:0] OutMax = {1'b0, {(OutBits-1){1'b1}}};
  localparam logic signed [OutBits-1:0] OutMin = {1'b1, {(OutBits-1){1'b0}}};

  // |x * m| < 2**(ProdBits-2), so for s >= ProdBits - 1 the exact result is 0 (the rounding
  // constant alone would not fit the adder).
  always_comb begin
    rounded = WideBits'(prod_q);
    if (s_q != '0) rounded = rounded + (WideBits'(1) <<< (s_q - 1'b1));
    shifted = rounded >>> s_q;
    if (32'(s_q) >= ProdBits - 1) shifted = '0;
  end

  always_ff @(posedge clk_i) begin
    if (en_i) begin
      if (shifted > WideBits'(OutMax))      y_o <= OutMax;
      else if (shifted < WideBits'(OutMin)) y_o <= OutMin;
      else                                  y_o <= shifted[OutBits-1:0];
    end
  end

endmodule
