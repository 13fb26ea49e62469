// Fused epilogue of one MP processing element (refmodel/intops.py mp_epilogue), fixed latency
// Latency = 8 cycles, always enabled:
//   h = sat24(rshift_round(acc * m, s))                 ll_requant, 2 stages
//   g = gelu_q10(h)                                      ll_mp_gelu, 3 stages
//   y = sat8(rshift_round(g * gm, gs))                   ll_requant, 2 stages
//   out = INT8: sat8(h) (== sat8(rshift_round(acc*m,s)) since sat8(sat24(v)) == sat8(v)),
//         WIDE: h, GELU: y; sign-extended to 32 bits    1 stage
// Every mode goes through the same stages, so results leave in order with one latency.
module ll_mp_epilogue (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic [1:0]                 mode_i,     // ll_pkg::mp_mode_e, static during a matrix
  input  logic [ll_pkg::MBits-1:0]   gelu_m_i,
  input  logic [ll_pkg::SBits-1:0]   gelu_s_i,
  input  logic signed [31:0]         acc_i,
  input  logic [ll_pkg::MBits-1:0]   m_i,
  input  logic [ll_pkg::SBits-1:0]   s_i,
  output logic signed [31:0]         y_o
);

  logic signed [23:0] h;
  logic signed [24:0] g;
  logic signed [7:0]  y8;
  logic               v1, v2;

  ll_requant #(.InBits(32), .OutBits(24)) u_rq_acc (
    .clk_i, .rst_ni, .en_i(1'b1), .valid_i(1'b1),
    .x_i(acc_i), .m_i(m_i), .s_i(s_i), .valid_o(v1), .y_o(h)
  );

  ll_mp_gelu u_gelu (.clk_i, .h_i(h), .g_o(g));

  ll_requant #(.InBits(25), .OutBits(8)) u_rq_gelu (
    .clk_i, .rst_ni, .en_i(1'b1), .valid_i(1'b1),
    .x_i(g), .m_i(gelu_m_i), .s_i(gelu_s_i), .valid_o(v2), .y_o(y8)
  );

  // h waits 5 cycles for the GELU path
  logic signed [23:0] h_dly_q [5];
  always_ff @(posedge clk_i) begin
    h_dly_q[0] <= h;
    for (int i = 1; i < 5; i++) h_dly_q[i] <= h_dly_q[i-1];
  end

  logic signed [23:0] hd;
  logic signed [7:0]  h8;
  assign hd = h_dly_q[4];
  assign h8 = (hd > 24'sd127) ? 8'sd127 : (hd < -24'sd128) ? -8'sd128 : hd[7:0];

  always_ff @(posedge clk_i) begin
    unique case (mode_i)
      2'd0:    y_o <= 32'(h8);
      2'd1:    y_o <= 32'(hd);
      default: y_o <= 32'(y8);
    endcase
  end

  logic unused;
  assign unused = ^{v1, v2};

endmodule
