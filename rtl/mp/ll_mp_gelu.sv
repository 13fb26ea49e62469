// Integer GELU on Q.10 inputs, bit-exact with refmodel/intops.py gelu_q10 (I-BERT erf polynomial):
//   t   = min(|h|, GeluC);  dq = t - GeluC                      (-2562..0)
//   erf = sign(h) * (2**20 - rshift_round(dq*dq*GeluA, 15))     (2**-20 units)
//   g   = rshift_round(h * (2**20 + erf), 21)
// Three pipeline stages, always enabled. h is signed 24-bit; |g| <= |h| + 1 so 25 bits hold g.
module ll_mp_gelu (
  input  logic               clk_i,
  input  logic signed [23:0] h_i,
  output logic signed [24:0] g_o
);

  localparam int unsigned C = ll_pkg::GeluC;
  localparam int unsigned A = ll_pkg::GeluA;
  localparam int unsigned F = ll_pkg::GeluErfFrac;

  // stage 1: |h| clamp and square
  logic [23:0]        habs;
  logic [12:0]        negdq;          // GeluC - t, 0..2562
  logic signed [23:0] h1_q;
  logic [23:0]        dq2_q;          // dq*dq <= 2562**2 < 2**23
  always_comb begin
    habs  = h_i[23] ? 24'(-h_i) : 24'(h_i);
    negdq = (habs >= 24'(C)) ? 13'd0 : 13'(C) - 13'(habs);
  end
  always_ff @(posedge clk_i) begin
    h1_q  <= h_i;
    dq2_q <= 24'(negdq) * 24'(negdq);
  end

  // stage 2: polynomial, rounding, sign
  logic [37:0]        pa;             // dq2 * GeluA < 2**36
  logic [20:0]        rnd;            // rshift_round(pa, 15) <= 947,900 < 2**20
  logic [21:0]        factor_d;       // 2**20 + erf, 0..2**21
  logic signed [23:0] h2_q;
  logic [21:0]        factor_q;
  always_comb begin
    pa  = 38'(dq2_q) * 38'(A);
    rnd = 21'((pa + 38'(1 << 14)) >> 15);
    if (h1_q == '0)       factor_d = 22'(1 << F);
    else if (h1_q[23])    factor_d = 22'(rnd);                        // 2**20 - (2**20 - rnd)
    else                  factor_d = 22'(2 << F) - 22'(rnd);          // 2**20 + (2**20 - rnd)
  end
  always_ff @(posedge clk_i) begin
    h2_q     <= h1_q;
    factor_q <= factor_d;
  end

  // stage 3: h * (1 + erf), round to Q.10
  logic signed [47:0] prod;
  logic signed [47:0] rounded;
  always_comb begin
    prod    = 48'(h2_q) * $signed({26'd0, factor_q});
    rounded = (prod + 48'(1 << (F))) >>> (F + 1);
  end
  always_ff @(posedge clk_i) g_o <= rounded[24:0];

  logic unused;
  assign unused = ^rounded[47:25];  // |g| < 2**24: the upper bits are sign copies

endmodule
