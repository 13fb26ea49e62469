// LNR kernel: residual add and integer LayerNorm, overlapped (docs/lnr.md, refmodel/intops.py
// residual_add / layernorm_int, bit-exact).
//
// The kernel owns the residual vector of the token (a simple dual-port buffer of MaxD/Lanes words of
// Lanes int24 values). One command runs up to three phases:
//   pass 1  one beat of Lanes elements per cycle: read the stored residual, add the delta beat (or load
//           it), write the new residual back and accumulate S1 = sum x and S2 = sum x*x on the fly;
//   stats   var_num = d*S2 - S1*S1 (72 bits), std_d = isqrt(var_num) (ll_isqrt, 36 cycles),
//           inv = std_d ? floor(2**48 / std_d) : 0 (ll_div, 49 cycles);
//   pass 2  one beat per cycle: c = d*x - S1, n = sat24(rshift_round(c*inv, 32)),
//           y = sat8(rshift_round(n*g + b, s)) with per-channel (g, b) from the parameter stream.
// Streams (valid/ready, AXI-Stream rules): in_* delta beats (Lanes x int32), par_* parameter beats
// (Lanes x 64-bit {g[15:0], b[47:0]}), out_* result beats (Lanes x int8 in out_y_o; Lanes x int24
// sign-extended to 32 bits in out_res_o for LnrRead). Pass 1 never stalls its input; pass 2 is a
// stall-on-output pipeline: par_ready_o depends combinationally on out_ready_i (ready-to-ready only,
// there is no ready-to-valid path). An illegal command finishes at once with err_o set.
module ll_lnr
  import ll_lnr_pkg::*;
#(
  parameter int unsigned Lanes = 8,
  parameter int unsigned MaxD  = 4096
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  // command
  input  logic                       cmd_valid_i,
  output logic                       cmd_ready_o,
  input  logic [2:0]                 cmd_mode_i,
  input  logic [$clog2(MaxD+1)-1:0]  cmd_d_i,
  input  logic [ll_pkg::SBits-1:0]   cmd_s_i,
  output logic                       busy_o,
  output logic                       done_o,
  output logic [1:0]                 err_o,
  // delta / load stream
  input  logic                       in_valid_i,
  output logic                       in_ready_o,
  input  logic [Lanes*32-1:0]        in_data_i,
  // LayerNorm parameter stream
  input  logic                       par_valid_i,
  output logic                       par_ready_o,
  input  logic [Lanes*64-1:0]        par_data_i,
  // result stream
  output logic                       out_valid_o,
  input  logic                       out_ready_i,
  output logic [Lanes*8-1:0]         out_y_o,
  output logic [Lanes*32-1:0]        out_res_o
);
  localparam int unsigned ResBits  = ll_pkg::ResBits;        // 24
  localparam int unsigned DBits    = $clog2(MaxD + 1);       // 13 at 4096
  localparam int unsigned Depth    = MaxD / Lanes;
  localparam int unsigned AddrBits = $clog2(Depth);
  localparam int unsigned CntBits  = $clog2(Depth + 1);
  localparam int unsigned LaneBits = $clog2(Lanes);
  localparam int unsigned S1Bits   = ResBits + DBits;        // |S1| <= d * 2**23
  localparam int unsigned SqBits   = 2 * ResBits - 1;        // x*x <= 2**46
  localparam int unsigned BSqBits  = SqBits + LaneBits + 1;  // one beat of squares
  localparam int unsigned S2Bits   = SqBits + DBits;         // S2 <= d * 2**46
  localparam int unsigned VarBits  = 72;                     // var_num < 2**71
  localparam int unsigned StdBits  = VarBits / 2;
  localparam int unsigned InvBits  = ll_pkg::LnK + 1;        // inv <= 2**48
  localparam int unsigned CBits    = S1Bits + 1;             // c = d*x - S1
  localparam int unsigned PBits    = CBits + InvBits + 1;    // c * inv
  localparam int unsigned RshBits  = ll_pkg::LnK - ll_pkg::LnF;  // 32
  localparam int unsigned TBits    = ll_pkg::LnBBits + 2;    // n*g + b
  localparam int unsigned YWide    = 66;                     // t + 2**62 before the shift

  localparam logic signed [PBits-RshBits:0] NMax = (PBits - RshBits + 1)'((1 << (ResBits - 1)) - 1);
  localparam logic signed [PBits-RshBits:0] NMin = -(PBits - RshBits + 1)'(1 << (ResBits - 1));

  typedef logic signed [ResBits-1:0] res_t;
  typedef res_t [Lanes-1:0]          res_vec_t;

  // ------------------------------------------------------------------------------------------------
  // control
  typedef enum logic [3:0] {
    SIdle, SPass1, SDrain1, SVarMul, SSqrtGo, SSqrtWait, SDivGo, SDivWait, SPass2, SDrain2, SDone
  } state_e;

  state_e               state_q;
  lnr_mode_e            mode_q;
  logic [DBits-1:0]     d_q;
  logic [ll_pkg::SBits-1:0] s_q;
  logic [CntBits-1:0]   beats_q, cnt_q;
  logic [1:0]           err_q;
  logic                 done_q;

  logic mode_in, mode_add, mode_ln, mode_read;  // decoded mode_q
  always_comb begin
    mode_in   = mode_q inside {LnrAddLn, LnrAdd, LnrLoadLn, LnrLoad};
    mode_add  = mode_q inside {LnrAddLn, LnrAdd};
    mode_ln   = mode_q inside {LnrAddLn, LnrLoadLn, LnrLn};
    mode_read = mode_q == LnrRead;
  end

  logic cmd_fire, cmd_bad_d, cmd_bad_mode;
  always_comb begin
    cmd_fire     = cmd_valid_i && cmd_ready_o;
    cmd_bad_d    = cmd_d_i == '0 || cmd_d_i > DBits'(MaxD) || (cmd_d_i & DBits'(Lanes - 1)) != '0;
    cmd_bad_mode = cmd_mode_i > 3'(LnrRead);
  end

  // pass-1 pipeline valids: p1 = RAM data + delta, p2 = new value, p3 = beat sums
  logic v1_q, v2_q, v3_q;
  // pass-2 pipeline valids
  logic va_q, vb_q, vc_q, vd_q, ve_q, out_valid_q;
  logic en2;  // pass-2 pipeline advance
  assign en2 = !out_valid_q || out_ready_i;

  logic issue1, issue2, pipe1_empty, pipe2_empty;
  always_comb begin
    issue1      = state_q == SPass1 && cnt_q != beats_q && (!mode_in || in_valid_i);
    issue2      = state_q == SPass2 && cnt_q != beats_q && en2 && (mode_read || par_valid_i);
    pipe1_empty = !v1_q && !v2_q && !v3_q;
    pipe2_empty = !va_q && !vb_q && !vc_q && !vd_q && !ve_q && !out_valid_q;
  end

  logic sqrt_in_ready, sqrt_out_valid, div_in_ready, div_out_valid, div_zero;
  logic [StdBits-1:0] std_d;
  logic [InvBits-1:0] div_q;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [StdBits-1:0] div_r;  // the remainder of 2**48 / std_d is not needed
  /* verilator lint_on UNUSEDSIGNAL */
  logic [StdBits-1:0] std_q;
  logic [InvBits-1:0] inv_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= SIdle;
      cnt_q   <= '0;
      err_q   <= LnrErrNone;
      done_q  <= 1'b0;
    end else begin
      done_q <= 1'b0;
      unique case (state_q)
        SIdle: if (cmd_fire) begin
          cnt_q <= '0;
          if (cmd_bad_mode) begin
            err_q   <= LnrErrMode;
            state_q <= SDone;
          end else if (cmd_bad_d) begin
            err_q   <= LnrErrDim;
            state_q <= SDone;
          end else begin
            err_q   <= LnrErrNone;
            state_q <= (lnr_mode_e'(cmd_mode_i) == LnrRead) ? SPass2 : SPass1;
          end
        end
        SPass1: begin
          if (issue1) cnt_q <= cnt_q + 1'b1;
          if (cnt_q == beats_q) state_q <= SDrain1;
        end
        SDrain1: if (pipe1_empty) state_q <= mode_ln ? SVarMul : SDone;
        SVarMul:  state_q <= SSqrtGo;
        SSqrtGo:  if (sqrt_in_ready) state_q <= SSqrtWait;
        SSqrtWait: if (sqrt_out_valid) state_q <= SDivGo;
        SDivGo:   if (div_in_ready) state_q <= SDivWait;
        SDivWait: if (div_out_valid) begin
          state_q <= SPass2;
          cnt_q   <= '0;
        end
        SPass2: begin
          if (issue2) cnt_q <= cnt_q + 1'b1;
          if (cnt_q == beats_q) state_q <= SDrain2;
        end
        SDrain2: if (pipe2_empty) state_q <= SDone;
        SDone: begin
          done_q  <= 1'b1;
          state_q <= SIdle;
        end
        default: state_q <= SIdle;
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    if (cmd_fire) begin
      mode_q  <= lnr_mode_e'(cmd_mode_i);
      d_q     <= cmd_d_i;
      s_q     <= cmd_s_i;
      beats_q <= CntBits'(cmd_d_i >> LaneBits);
    end
  end

  assign cmd_ready_o = state_q == SIdle;
  assign busy_o      = state_q != SIdle;
  assign done_o      = done_q;
  assign err_o       = err_q;
  assign in_ready_o  = state_q == SPass1 && mode_in && cnt_q != beats_q;
  assign par_ready_o = state_q == SPass2 && !mode_read && cnt_q != beats_q && en2;

  // ------------------------------------------------------------------------------------------------
  // residual buffer: simple dual port, synchronous read
  res_vec_t           ram_q [Depth];
  res_vec_t           ram_rdata_q;
  logic               ram_we;
  logic [AddrBits-1:0] ram_waddr;
  res_vec_t           ram_wdata;
  logic               ram_re;
  logic [AddrBits-1:0] ram_raddr;

  assign ram_re    = issue1 || issue2;
  assign ram_raddr = cnt_q[AddrBits-1:0];

  always_ff @(posedge clk_i) begin
    if (ram_we) ram_q[ram_waddr] <= ram_wdata;
    if (ram_re) ram_rdata_q <= ram_q[ram_raddr];
  end

  // ------------------------------------------------------------------------------------------------
  // pass 1: add / load, write back, statistics
  logic [Lanes*32-1:0]  delta_q;
  logic [AddrBits-1:0]  addr1_q;
  res_vec_t             x2_q;
  logic signed [S1Bits-1:0] bsum3_q, s1_q;
  logic [BSqBits-1:0]   bsq3_q;
  logic [S2Bits-1:0]    s2_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
    end else begin
      v1_q <= issue1;
      v2_q <= v1_q;
      v3_q <= v2_q;
    end
  end

  res_vec_t new_res;
  always_comb begin
    for (int unsigned i = 0; i < Lanes; i++) begin
      logic signed [32:0] sum;
      sum = $signed({delta_q[32*i+31], delta_q[32*i +: 32]});
      if (mode_add) sum = sum + 33'(ram_rdata_q[i]);
      if (!mode_in) sum = 33'(ram_rdata_q[i]);
      if (sum > 33'sd8388607)       new_res[i] = res_t'(24'sh7fffff);
      else if (sum < -33'sd8388608) new_res[i] = res_t'(24'sh800000);
      else                          new_res[i] = sum[ResBits-1:0];
    end
    ram_we    = v1_q && mode_in;
    ram_waddr = addr1_q;
    ram_wdata = new_res;
  end

  logic signed [S1Bits-1:0] bsum;
  logic [BSqBits-1:0]       bsq;
  always_comb begin
    bsum = '0;
    bsq  = '0;
    for (int unsigned i = 0; i < Lanes; i++) begin
      /* verilator lint_off UNUSEDSIGNAL */
      logic signed [2*ResBits-1:0] sq;  // x*x <= 2**46: the top (sign) bit is always 0
      /* verilator lint_on UNUSEDSIGNAL */
      sq   = x2_q[i] * x2_q[i];
      bsum = bsum + S1Bits'(x2_q[i]);
      bsq  = bsq + BSqBits'(sq[SqBits-1:0]);
    end
  end

  always_ff @(posedge clk_i) begin
    if (issue1) begin
      delta_q <= in_data_i;
      addr1_q <= cnt_q[AddrBits-1:0];
    end
    if (v1_q) x2_q <= new_res;
    if (v2_q) begin
      bsum3_q <= bsum;
      bsq3_q  <= bsq;
    end
  end

  always_ff @(posedge clk_i) begin
    if (state_q == SIdle) begin
      s1_q <= '0;
      s2_q <= '0;
    end else if (v3_q) begin
      s1_q <= s1_q + bsum3_q;
      s2_q <= s2_q + S2Bits'(bsq3_q);
    end
  end

  // ------------------------------------------------------------------------------------------------
  // statistics: var_num, isqrt, reciprocal
  logic [VarBits-1:0] ds2_q, s1sq_q;
  always_ff @(posedge clk_i) begin
    if (state_q == SVarMul) begin
      ds2_q  <= VarBits'(d_q) * VarBits'(s2_q);
      s1sq_q <= VarBits'(s1_q * s1_q);
    end
  end

  ll_isqrt #(.InBits(VarBits)) u_isqrt (
    .clk_i,
    .rst_ni,
    .in_valid_i  (state_q == SSqrtGo),
    .in_ready_o  (sqrt_in_ready),
    .x_i         (ds2_q - s1sq_q),
    .out_valid_o (sqrt_out_valid),
    .out_ready_i (state_q == SSqrtWait),
    .root_o      (std_d)
  );

  ll_div #(.ABits(InvBits), .BBits(StdBits)) u_div (
    .clk_i,
    .rst_ni,
    .in_valid_i  (state_q == SDivGo),
    .in_ready_o  (div_in_ready),
    .a_i         (InvBits'(1) << ll_pkg::LnK),
    .b_i         (std_q),
    .out_valid_o (div_out_valid),
    .out_ready_i (state_q == SDivWait),
    .q_o         (div_q),
    .r_o         (div_r),
    .div_zero_o  (div_zero)
  );

  always_ff @(posedge clk_i) begin
    if (state_q == SSqrtWait && sqrt_out_valid) std_q <= std_d;
    if (state_q == SDivWait && div_out_valid)   inv_q <= div_zero ? '0 : div_q;  // inv = 0 if std_d == 0
  end

  // ------------------------------------------------------------------------------------------------
  // pass 2: normalise, gamma/beta, requantise (stall-on-output pipeline, advanced by en2)
  typedef logic signed [ll_pkg::LnGBits-1:0] g_t;
  typedef logic signed [ll_pkg::LnBBits-1:0] b_t;
  g_t [Lanes-1:0] ga_q, gb_q, gc_q, gd_q;
  b_t [Lanes-1:0] ba_q, bb_q, bc_q, bd_q;
  res_vec_t xb_q, xc_q, xd_q, xe_q;
  logic signed [CBits-1:0]   cb_q [Lanes];
  logic signed [PBits-1:0]   pc_q [Lanes];
  res_t                      nd_q [Lanes];
  logic signed [TBits-1:0]   te_q [Lanes];
  logic [Lanes*8-1:0]        y_q;
  logic [Lanes*32-1:0]       res_out_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      va_q <= 1'b0; vb_q <= 1'b0; vc_q <= 1'b0; vd_q <= 1'b0; ve_q <= 1'b0;
      out_valid_q <= 1'b0;
    end else if (en2) begin
      va_q <= issue2;
      vb_q <= va_q;
      vc_q <= vb_q;
      vd_q <= vc_q;
      ve_q <= vd_q;
      out_valid_q <= ve_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (en2) begin
      for (int unsigned i = 0; i < Lanes; i++) begin
        if (issue2) begin
          ba_q[i] <= par_data_i[64*i +: ll_pkg::LnBBits];
          ga_q[i] <= par_data_i[64*i + ll_pkg::LnBBits +: ll_pkg::LnGBits];
        end
        // a -> b: c = d*x - S1
        cb_q[i] <= CBits'($signed({1'b0, d_q}) * ram_rdata_q[i]) - CBits'(s1_q);
        // b -> c: c * inv
        pc_q[i] <= PBits'(cb_q[i]) * $signed({1'b0, inv_q});
        // c -> d: n = sat24(rshift_round(c*inv, 32))
        begin
          logic signed [PBits:0]         rnd;
          logic signed [PBits-RshBits:0] r;
          rnd = (PBits + 1)'(pc_q[i]) + ((PBits + 1)'(1) <<< (RshBits - 1));
          r   = (PBits - RshBits + 1)'(rnd >>> RshBits);
          if (r > NMax)      nd_q[i] <= res_t'(NMax);
          else if (r < NMin) nd_q[i] <= res_t'(NMin);
          else               nd_q[i] <= r[ResBits-1:0];
        end
        // d -> e: t = n*g + b
        te_q[i] <= TBits'(nd_q[i] * gd_q[i]) + TBits'(bd_q[i]);
        // e -> out: y = sat8(rshift_round(t, s))
        begin
          logic signed [YWide-1:0] w;
          w = YWide'(te_q[i]);
          if (s_q != '0) w = w + (YWide'(1) <<< (s_q - 1'b1));
          w = w >>> s_q;
          if (w > YWide'(127))       y_q[8*i +: 8] <= 8'sd127;
          else if (w < -YWide'(128)) y_q[8*i +: 8] <= -8'sd128;
          else                       y_q[8*i +: 8] <= w[7:0];
        end
        res_out_q[32*i +: 32] <= 32'(xe_q[i]);
      end
      gb_q <= ga_q; gc_q <= gb_q; gd_q <= gc_q;
      bb_q <= ba_q; bc_q <= bb_q; bd_q <= bc_q;
      xb_q <= ram_rdata_q; xc_q <= xb_q; xd_q <= xc_q; xe_q <= xd_q;
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_y_o     = y_q;
  assign out_res_o   = res_out_q;

`ifndef SYNTHESIS
  a_out_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      out_valid_o && !out_ready_i |=> out_valid_o && $stable(out_y_o) && $stable(out_res_o));
  a_no_out_outside_pass2: assert property (@(posedge clk_i) disable iff (!rst_ni)
      out_valid_o |-> state_q inside {SPass2, SDrain2});
  a_var_nonneg: assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == SSqrtGo |-> ds2_q >= s1sq_q);
  a_cnt_bound: assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q inside {SPass1, SPass2} |-> cnt_q <= beats_q);
`endif
endmodule
