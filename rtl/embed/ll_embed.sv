// Embedding unit: reads the wte row of the token and the wpe row of the position over one AXI4 read
// port (256-bit, INCR bursts split at 4 KiB boundaries) and streams the first residual vector
// (refmodel/intops.py embed, bit-exact):
//   res[i] = sat24(rshift_round(wte[tok, i] * m_t, s_t) + rshift_round(wpe[pos, i] * m_p, s_p)).
// Memory layout of a table (docs/lnr.md): rows of d int8 at base + row * d, then one 32-bit
// requantisation word per row (ll_pkg::rq_word_t, {s, m}) at base + rows * d + row * 4.
// Reads, in order: the two requantisation words (one beat each), the wte row (into a d-byte buffer),
// the wpe row (combined beat by beat with the buffer). Output: Lanes int24 values (sign-extended to
// 32 bits) per beat, out_last_o on the last. rready depends combinationally on out_ready_i
// (ready-to-ready only). Errors (err_o, with done_o): bad d, index out of range, unaligned base,
// an AXI error response (all requested beats are still drained, no output is produced).
module ll_embed #(
  parameter int unsigned Lanes    = 8,
  parameter int unsigned MaxD     = 4096,
  parameter int unsigned AddrBits = 32
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  // command
  input  logic                      cmd_valid_i,
  output logic                      cmd_ready_o,
  input  logic [31:0]               cmd_tok_i,
  input  logic [31:0]               cmd_pos_i,
  input  logic [$clog2(MaxD+1)-1:0] cmd_d_i,
  input  logic [AddrBits-1:0]       cmd_wte_base_i,
  input  logic [31:0]               cmd_wte_rows_i,
  input  logic [AddrBits-1:0]       cmd_wpe_base_i,
  input  logic [31:0]               cmd_wpe_rows_i,
  output logic                      busy_o,
  output logic                      done_o,
  output logic [2:0]                err_o,
  // AXI4 read master
  output logic [AddrBits-1:0]       m_axi_araddr_o,
  output logic [7:0]                m_axi_arlen_o,
  output logic [2:0]                m_axi_arsize_o,
  output logic [1:0]                m_axi_arburst_o,
  output logic                      m_axi_arvalid_o,
  input  logic                      m_axi_arready_i,
  input  logic [255:0]              m_axi_rdata_i,
  input  logic [1:0]                m_axi_rresp_i,
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic                      m_axi_rlast_i,  // beats are counted per request; rlast is redundant
  /* verilator lint_on UNUSEDSIGNAL */
  input  logic                      m_axi_rvalid_i,
  output logic                      m_axi_rready_o,
  // residual stream
  output logic                      out_valid_o,
  input  logic                      out_ready_i,
  output logic [Lanes*32-1:0]       out_data_o,
  output logic                      out_last_o
);
  localparam int unsigned BeatBytes = 32;
  localparam int unsigned DBits     = $clog2(MaxD + 1);
  localparam int unsigned Depth     = MaxD / BeatBytes;
  localparam int unsigned BufBits   = $clog2(Depth);
  localparam int unsigned BeatCnt   = $clog2(2 * Depth + 3);
  localparam int unsigned Groups    = BeatBytes / Lanes;  // output beats per input beat
  localparam int unsigned GrpBits   = (Groups > 1) ? $clog2(Groups) : 1;

  localparam logic [2:0] ErrNone = 3'd0, ErrDim = 3'd1, ErrIndex = 3'd2, ErrAlign = 3'd3,
                         ErrResp = 3'd4;

  if (BeatBytes % Lanes != 0 || MaxD % BeatBytes != 0) begin : g_param_check
    $error("ll_embed: Lanes must divide 32 and MaxD must be a multiple of 32");
  end

  typedef enum logic [2:0] {SIdle, SAddr, SRun, SDone} state_e;
  state_e state_q;

  logic [31:0]          tok_q, pos_q, wte_rows_q, wpe_rows_q;
  logic [DBits-1:0]     d_q;
  logic [AddrBits-1:0]  wte_base_q, wpe_base_q;
  logic [2:0]           err_q;
  logic                 done_q;
  logic [BufBits:0]     dbeats_q;  // d / 32

  logic cmd_fire;
  assign cmd_fire    = cmd_valid_i && cmd_ready_o;
  assign cmd_ready_o = state_q == SIdle;

  // ---- request list: 0 wte rq word, 1 wpe rq word, 2 wte row, 3 wpe row
  logic [AddrBits-1:0] req_addr_q [4];
  logic [BufBits:0]    req_beats_q [4];
  logic [2:0]          req_q;      // request being split into bursts
  logic [AddrBits-1:0] cur_addr_q;
  logic [BufBits:0]    cur_rem_q;

  logic [8:0] to_4k, blen;  // beats to the next 4 KiB boundary, this burst's beats
  always_comb begin
    to_4k = 9'd128 - 9'(cur_addr_q[11:5]);
    blen  = (9'(cur_rem_q) < to_4k) ? 9'(cur_rem_q) : to_4k;
  end

  assign m_axi_araddr_o  = cur_addr_q;
  assign m_axi_arlen_o   = 8'(blen - 9'd1);
  assign m_axi_arsize_o  = 3'd5;
  assign m_axi_arburst_o = 2'b01;
  assign m_axi_arvalid_o = state_q == SRun && req_q != 3'd4;
  logic ar_fire;
  assign ar_fire = m_axi_arvalid_o && m_axi_arready_i;

  // ---- R consumer
  logic [BeatCnt-1:0] rcnt_q, rtotal;
  logic               r_fire, in_row2, r_err_q;
  logic [14:0]        mt_q, mp_q;
  logic [5:0]         st_q, sp_q;
  logic               hold_q;
  logic [255:0]       hold_data_q, wte_q;
  logic [GrpBits-1:0] sub_q;
  logic               hold_last_q;
  logic               out_valid_q, out_last_q;
  logic [Lanes*32-1:0] out_data_q;
  logic               en_out, emit;

  assign rtotal  = BeatCnt'(2) + BeatCnt'(dbeats_q) + BeatCnt'(dbeats_q);
  assign in_row2 = rcnt_q >= BeatCnt'(2) + BeatCnt'(dbeats_q);
  assign en_out  = !out_valid_q || out_ready_i;
  assign emit    = hold_q && en_out;
  always_comb begin
    if (state_q != SRun || rcnt_q == rtotal) m_axi_rready_o = 1'b0;
    else if (!in_row2 || r_err_q)            m_axi_rready_o = 1'b1;
    else m_axi_rready_o = !hold_q || (emit && sub_q == GrpBits'(Groups - 1));
  end
  assign r_fire = m_axi_rvalid_i && m_axi_rready_o;

  // ---- wte row buffer (simple dual port, synchronous read)
  logic [255:0]       buf_q [Depth];
  logic [BufBits-1:0] buf_waddr, buf_raddr;
  assign buf_waddr = BufBits'(rcnt_q - BeatCnt'(2));
  assign buf_raddr = BufBits'(rcnt_q - BeatCnt'(2) - BeatCnt'(dbeats_q));
  always_ff @(posedge clk_i) begin
    if (r_fire && rcnt_q >= BeatCnt'(2) && !in_row2) buf_q[buf_waddr] <= m_axi_rdata_i;
    if (r_fire && in_row2) wte_q <= buf_q[buf_raddr];
  end

  // ---- control
  logic bad_d, bad_idx, bad_align;
  always_comb begin
    bad_d     = cmd_d_i == '0 || cmd_d_i > DBits'(MaxD) || cmd_d_i[4:0] != '0;
    bad_idx   = cmd_tok_i >= cmd_wte_rows_i || cmd_pos_i >= cmd_wpe_rows_i;
    bad_align = cmd_wte_base_i[4:0] != '0 || cmd_wpe_base_i[4:0] != '0;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q     <= SIdle;
      err_q       <= ErrNone;
      done_q      <= 1'b0;
      req_q       <= '0;
      rcnt_q      <= '0;
      r_err_q     <= 1'b0;
      hold_q      <= 1'b0;
      out_valid_q <= 1'b0;
    end else begin
      done_q <= 1'b0;
      unique case (state_q)
        SIdle: if (cmd_fire) begin
          if (bad_d)          begin err_q <= ErrDim;   state_q <= SDone; end
          else if (bad_idx)   begin err_q <= ErrIndex; state_q <= SDone; end
          else if (bad_align) begin err_q <= ErrAlign; state_q <= SDone; end
          else                begin err_q <= ErrNone;  state_q <= SAddr; end
          req_q   <= '0;
          rcnt_q  <= '0;
          r_err_q <= 1'b0;
        end
        SAddr: state_q <= SRun;
        SRun: begin
          if (ar_fire && 9'(cur_rem_q) == blen) req_q <= req_q + 1'b1;
          if (r_fire) begin
            rcnt_q <= rcnt_q + 1'b1;
            if (m_axi_rresp_i != 2'b00) begin
              r_err_q <= 1'b1;
              err_q   <= ErrResp;
            end
          end
          if (rcnt_q == rtotal && req_q == 3'd4 && !hold_q && !out_valid_q) state_q <= SDone;
        end
        SDone: begin
          done_q  <= 1'b1;
          state_q <= SIdle;
        end
        default: state_q <= SIdle;
      endcase
      // combine stage
      if (emit && sub_q == GrpBits'(Groups - 1)) hold_q <= 1'b0;
      if (r_fire && in_row2 && !r_err_q && m_axi_rresp_i == 2'b00) hold_q <= 1'b1;
      if (en_out) out_valid_q <= emit;
    end
  end

  // request addresses (SAddr) and the burst splitter
  always_ff @(posedge clk_i) begin
    if (cmd_fire) begin
      tok_q      <= cmd_tok_i;
      pos_q      <= cmd_pos_i;
      d_q        <= cmd_d_i;
      wte_base_q <= cmd_wte_base_i;
      wpe_base_q <= cmd_wpe_base_i;
      wte_rows_q <= cmd_wte_rows_i;
      wpe_rows_q <= cmd_wpe_rows_i;
      dbeats_q   <= (BufBits + 1)'(cmd_d_i >> 5);
    end
    if (state_q == SAddr) begin
      /* verilator lint_off UNUSEDSIGNAL */
      logic [AddrBits-1:0] qt, qp;  // byte addresses of the words; the beat address drops [4:0]
      /* verilator lint_on UNUSEDSIGNAL */
      qt = wte_base_q + AddrBits'(wte_rows_q) * AddrBits'(d_q) + AddrBits'(tok_q) * AddrBits'(4);
      qp = wpe_base_q + AddrBits'(wpe_rows_q) * AddrBits'(d_q) + AddrBits'(pos_q) * AddrBits'(4);
      req_addr_q[0]  <= {qt[AddrBits-1:5], 5'b0};
      req_addr_q[1]  <= {qp[AddrBits-1:5], 5'b0};
      req_addr_q[2]  <= wte_base_q + AddrBits'(tok_q) * AddrBits'(d_q);
      req_addr_q[3]  <= wpe_base_q + AddrBits'(pos_q) * AddrBits'(d_q);
      req_beats_q[0] <= (BufBits + 1)'(1);
      req_beats_q[1] <= (BufBits + 1)'(1);
      req_beats_q[2] <= dbeats_q;
      req_beats_q[3] <= dbeats_q;
      cur_addr_q     <= {qt[AddrBits-1:5], 5'b0};
      cur_rem_q      <= (BufBits + 1)'(1);
    end else if (ar_fire) begin
      if (9'(cur_rem_q) == blen) begin
        if (req_q != 3'd3) begin
          cur_addr_q <= req_addr_q[req_q[1:0] + 2'd1];
          cur_rem_q  <= req_beats_q[req_q[1:0] + 2'd1];
        end
      end else begin
        cur_addr_q <= cur_addr_q + AddrBits'({blen, 5'b0});
        cur_rem_q  <= cur_rem_q - (BufBits + 1)'(blen);
      end
    end
  end

  // requantisation words and the combine stage
  function automatic logic [14:0] rq_m(input logic [255:0] beat, input logic [2:0] w);
    return beat[32*w +: 15];
  endfunction
  function automatic logic [5:0] rq_s(input logic [255:0] beat, input logic [2:0] w);
    return beat[32*w + 16 +: 6];
  endfunction
  // rshift_round(x * m, s) of an int8 x: |x*m| < 2**22, so for s >= 24 the result is 0
  // ((x*m + 2**(s-1)) lies in (0, 2**s)); below that 26 bits hold every intermediate.
  function automatic logic signed [23:0] scale8(input logic signed [7:0] x, input logic [14:0] m,
                                                input logic [5:0] s);
    logic signed [25:0] p;
    p = 26'(x) * $signed({11'b0, m});
    if (s == '0) return p[23:0];
    if (s >= 6'd24) return '0;
    p = (p + (26'sd1 <<< (s - 1'b1))) >>> s;
    return p[23:0];
  endfunction

  always_ff @(posedge clk_i) begin
    if (r_fire && rcnt_q == BeatCnt'(0)) begin
      mt_q <= rq_m(m_axi_rdata_i, tok_q[2:0]);
      st_q <= rq_s(m_axi_rdata_i, tok_q[2:0]);
    end
    if (r_fire && rcnt_q == BeatCnt'(1)) begin
      mp_q <= rq_m(m_axi_rdata_i, pos_q[2:0]);
      sp_q <= rq_s(m_axi_rdata_i, pos_q[2:0]);
    end
    if (r_fire && in_row2) begin
      hold_data_q <= m_axi_rdata_i;
      hold_last_q <= rcnt_q == rtotal - 1'b1;
      sub_q       <= '0;
    end else if (emit) begin
      sub_q <= sub_q + 1'b1;
    end
    if (emit) begin
      for (int unsigned k = 0; k < Lanes; k++) begin
        logic signed [7:0]  a, b;
        logic signed [24:0] sum;
        a   = wte_q[8 * (Lanes * sub_q + k) +: 8];
        b   = hold_data_q[8 * (Lanes * sub_q + k) +: 8];
        // sat24 of the reference never clips here: |scale8| <= 128 * 32767 < 2**22, so
        // |sum| <= 8388352 < 2**23 (the saturation would be dead logic)
        sum = 25'(scale8(a, mt_q, st_q)) + 25'(scale8(b, mp_q, sp_q));
        out_data_q[32*k +: 32] <= 32'(sum);
      end
      out_last_q <= hold_last_q && sub_q == GrpBits'(Groups - 1);
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_data_o  = out_data_q;
  assign out_last_o  = out_last_q;
  assign busy_o      = state_q != SIdle;
  assign done_o      = done_q;
  assign err_o       = err_q;

`ifndef SYNTHESIS
  a_ar_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_arvalid_o && !m_axi_arready_i |=> m_axi_arvalid_o && $stable(m_axi_araddr_o)
                                              && $stable(m_axi_arlen_o));
  a_no_4k_cross: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_arvalid_o |-> 13'(m_axi_araddr_o[11:0]) + 13'({m_axi_arlen_o, 5'b0}) < 13'h1000);
  a_out_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      out_valid_o && !out_ready_i |=> out_valid_o && $stable(out_data_o) && $stable(out_last_o));
`endif
endmodule
