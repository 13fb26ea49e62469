// Fused multi-head attention for one token with an int8 KV cache in memory (docs/mha.md).
//
// For the token at position pos and the Heads heads this node owns:
//   1. load:  accept q, k, v of every head from qkv_* (per head: Beats beats of q, then k, then v;
//             Beats = HeadDim / 32) into on-chip buffers;
//   2. write: write this token's K and V rows into the cache (AXI4 writes, all on port pos % Ports),
//             wait for every write response (so the reads below see the new rows);
//   3. run:   per head h, Q.K^T over K rows 0..pos (scores kept on chip, running max), the integer
//             softmax (ll_mha_softmax), P.V over V rows 0..pos, requantisation (ll_requant) to the
//             int8 context vector on ctx_* (one head, HeadDim bytes, per beat, heads in order).
//
// KV-cache layout (refmodel/kv_layout.py): row t of (head, kind) lives on port t % Ports at byte
// address kv_base + ((head * 2 + kind) * Rows + t / Ports) * HeadDim, Rows = MaxCtx / Ports. So
// every port reads its share of rows 0..pos as one contiguous run (INCR bursts, split at 4 KB), all
// ports in parallel.
//
// Head-wise pipelining: every port reads its jobs in the order K0, K1, K2, V0, K3, V1, ..., V(H-1)
// (K runs two heads ahead of V), so head h's softmax runs while the ports stream K(h+1), V(h-1) and
// K(h+2). Scores and exponentials live in three banks per port (head mod 3); the exponentials
// overwrite the scores in place. The per-port in-order read order is what makes the bank reuse safe
// (asserted): port p consumes V(h) (which needs softmax(h) done) before K(h+3) (which overwrites
// bank h mod 3).
//
// Errors (err_o, sticky until the next start): bit 0 pos >= MaxCtx (nothing is read or written,
// done_o fires the cycle after start), bit 1 read response not OKAY, bit 2 write response not OKAY.
// An error response never stops the kernel: it completes (with the data it got) and fires done_o.
module ll_mha #(
  parameter int unsigned HeadDim  = 64,    // power of two, >= 32
  parameter int unsigned Heads    = 4,     // heads of this node
  parameter int unsigned MaxCtx   = 256,   // maximum context (positions 0..MaxCtx-1)
  parameter int unsigned Ports    = 4,     // memory ports (power of two), MaxCtx % Ports == 0
  parameter int unsigned AddrBits = 32,
  localparam int unsigned DataBits = ll_pkg::BeatBits,
  localparam int unsigned HeadW    = (Heads > 1) ? $clog2(Heads) : 1
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  // launch
  input  logic                              start_i,
  input  logic [15:0]                       pos_i,
  input  logic [AddrBits-1:0]               kv_base_i,
  input  logic [ll_pkg::MBits-1:0]          sm_m_i,
  input  logic [ll_pkg::SBits-1:0]          sm_s_i,
  input  logic [ll_pkg::MBits-1:0]          out_m_i,
  input  logic [ll_pkg::SBits-1:0]          out_s_i,
  output logic                              busy_o,
  output logic                              done_o,
  output logic [2:0]                        err_o,
  // q, k, v of this token
  input  logic                              qkv_valid_i,
  output logic                              qkv_ready_o,
  input  logic [DataBits-1:0]               qkv_data_i,
  // context vectors, one head per beat
  output logic                              ctx_valid_o,
  input  logic                              ctx_ready_i,
  output logic [HeadDim*8-1:0]              ctx_data_o,
  output logic [HeadW-1:0]                  ctx_head_o,
  // AXI4 masters (one per port; 32-byte beats, INCR bursts, ID 0)
  output logic [Ports-1:0]                  m_axi_arvalid_o,
  input  logic [Ports-1:0]                  m_axi_arready_i,
  output logic [Ports-1:0][AddrBits-1:0]    m_axi_araddr_o,
  output logic [Ports-1:0][7:0]             m_axi_arlen_o,
  output logic [Ports-1:0][2:0]             m_axi_arsize_o,
  output logic [Ports-1:0][1:0]             m_axi_arburst_o,
  input  logic [Ports-1:0]                  m_axi_rvalid_i,
  output logic [Ports-1:0]                  m_axi_rready_o,
  input  logic [Ports-1:0][DataBits-1:0]    m_axi_rdata_i,
  input  logic [Ports-1:0][1:0]             m_axi_rresp_i,
  input  logic [Ports-1:0]                  m_axi_rlast_i,
  output logic [Ports-1:0]                  m_axi_awvalid_o,
  input  logic [Ports-1:0]                  m_axi_awready_i,
  output logic [Ports-1:0][AddrBits-1:0]    m_axi_awaddr_o,
  output logic [Ports-1:0][7:0]             m_axi_awlen_o,
  output logic [Ports-1:0][2:0]             m_axi_awsize_o,
  output logic [Ports-1:0][1:0]             m_axi_awburst_o,
  output logic [Ports-1:0]                  m_axi_wvalid_o,
  input  logic [Ports-1:0]                  m_axi_wready_i,
  output logic [Ports-1:0][DataBits-1:0]    m_axi_wdata_o,
  output logic [Ports-1:0][DataBits/8-1:0]  m_axi_wstrb_o,
  output logic [Ports-1:0]                  m_axi_wlast_o,
  input  logic [Ports-1:0]                  m_axi_bvalid_i,
  output logic [Ports-1:0]                  m_axi_bready_o,
  input  logic [Ports-1:0][1:0]             m_axi_bresp_i
);
`include "ll_assert.svh"

  // ---------------------------------------------------------------------------------------------
  // sizes
  localparam int unsigned BeatBytes = DataBits / 8;
  localparam int unsigned Beats     = HeadDim / BeatBytes;          // beats per row
  localparam int unsigned BeatW     = (Beats > 1) ? $clog2(Beats) : 1;
  localparam int unsigned Rows      = MaxCtx / Ports;               // rows per (head, kind, port)
  localparam int unsigned RowW      = $clog2(Rows + 1);             // row count 0..Rows
  localparam int unsigned RowIW     = (Rows > 1) ? $clog2(Rows) : 1; // row index
  localparam int unsigned PortW     = (Ports > 1) ? $clog2(Ports) : 1;
  localparam int unsigned PortShift = $clog2(Ports);
  localparam int unsigned JobW      = $clog2(2 * Heads + 1);
  localparam int unsigned CntW      = $clog2(Heads + 1);
  localparam int unsigned RowBytesW = $clog2(HeadDim);
  localparam int unsigned AccBits   = 32;   // P.V accumulator: |sum_t p[t] v[t,c]| < 2**23 (docs)
  localparam int unsigned BurstMax  = 4096 / BeatBytes;             // beats to a 4 KB boundary
  localparam int unsigned RemW      = $clog2(Rows * Beats + 1);
  localparam int unsigned Lookahead = 2;    // K jobs run this many heads ahead of V jobs
  localparam int unsigned Banks     = Lookahead + 1;                // score banks per port
  localparam int unsigned BankW     = $clog2(Banks);

  typedef logic [DataBits-1:0] beat_t;

  // ---------------------------------------------------------------------------------------------
  // top-level sequence
  typedef enum logic [1:0] {TIdle, TLoad, TWrite, TRun} top_state_e;
  top_state_e state_q;

  logic [15:0]                pos_q;
  logic [AddrBits-1:0]        base_q;
  logic [ll_pkg::MBits-1:0]   sm_m_q, out_m_q;
  logic [ll_pkg::SBits-1:0]   sm_s_q, out_s_q;
  logic [2:0]                 err_q;
  logic                       run_start_q;   // first cycle of TRun: engines load their first job

  logic [PortW-1:0]           wport;         // the port holding row pos
  logic [RowW-1:0]            wrow;          // its row index on that port
  assign wport = PortW'(pos_q & 16'(Ports - 1));
  assign wrow  = RowW'(pos_q >> PortShift);

  // rows 0..pos on each port
  logic [Ports-1:0][RowW-1:0] nrows;
  always_comb begin
    for (int p = 0; p < Ports; p++) begin
      nrows[p] = (pos_q >= 16'(p)) ? RowW'(((pos_q - 16'(p)) >> PortShift) + 16'd1) : '0;
    end
  end

  // byte address of row `row` of (head, kind) on any port
  function automatic logic [AddrBits-1:0] row_addr(input logic [AddrBits-1:0] base,
                                                    input logic [HeadW-1:0] head,
                                                    input logic kind,
                                                    input logic [RowW-1:0] row);
    logic [AddrBits-1:0] idx;
    idx = (AddrBits'(head) * 2 + AddrBits'(kind)) * AddrBits'(Rows) + AddrBits'(row);
    return base + (idx << RowBytesW);
  endfunction

  // ---------------------------------------------------------------------------------------------
  // load: q, k, v beats into buffers
  beat_t q_buf_q  [Heads][Beats];
  beat_t kv_buf_q [Heads][2][Beats];
  logic [HeadW-1:0] in_head_q;
  logic [1:0]       in_part_q;   // 0 q, 1 k, 2 v
  logic [BeatW-1:0] in_b_q;
  logic             in_fire;
  logic             in_last;

  assign qkv_ready_o = (state_q == TLoad);
  assign in_fire     = qkv_valid_i && qkv_ready_o;
  assign in_last     = (in_head_q == HeadW'(Heads - 1)) && (in_part_q == 2'd2) &&
                       (in_b_q == BeatW'(Beats - 1));

  always_ff @(posedge clk_i) begin
    if (in_fire) begin
      if (in_part_q == 2'd0) q_buf_q[in_head_q][in_b_q] <= qkv_data_i;
      else                   kv_buf_q[in_head_q][in_part_q == 2'd2][in_b_q] <= qkv_data_i;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // write: 2 * Heads rows of Beats beats on port wport
  localparam int unsigned WRowW = $clog2(2 * Heads + 1);
  logic [WRowW-1:0] aw_row_q, w_row_q, b_cnt_q;
  logic [BeatW-1:0] w_b_q;
  logic             aw_fire, w_fire, b_fire;
  logic             aw_valid, w_valid;
  logic [HeadW-1:0] aw_head, w_head;

  assign aw_head  = HeadW'(aw_row_q >> 1);
  assign w_head   = HeadW'(w_row_q >> 1);
  assign aw_valid = (state_q == TWrite) && (aw_row_q < WRowW'(2 * Heads));
  assign w_valid  = (state_q == TWrite) && (w_row_q < aw_row_q);
  assign aw_fire  = aw_valid && m_axi_awready_i[wport];
  assign w_fire   = w_valid && m_axi_wready_i[wport];
  assign b_fire   = (state_q == TWrite) && m_axi_bvalid_i[wport];

  always_comb begin
    for (int p = 0; p < Ports; p++) begin
      m_axi_awvalid_o[p] = aw_valid && (wport == PortW'(p));
      m_axi_awaddr_o[p]  = row_addr(base_q, aw_head, aw_row_q[0], wrow);
      m_axi_awlen_o[p]   = 8'(Beats - 1);
      m_axi_awsize_o[p]  = 3'($clog2(BeatBytes));
      m_axi_awburst_o[p] = 2'b01;
      m_axi_wvalid_o[p]  = w_valid && (wport == PortW'(p));
      m_axi_wdata_o[p]   = kv_buf_q[w_head][w_row_q[0]][w_b_q];
      m_axi_wstrb_o[p]   = '1;
      m_axi_wlast_o[p]   = (w_b_q == BeatW'(Beats - 1));
      m_axi_bready_o[p]  = (state_q == TWrite) && (wport == PortW'(p));
    end
  end

  // ---------------------------------------------------------------------------------------------
  // run: per-port read engines, Q.K^T and P.V lanes
  // score banks: one RAM per port and bank (head mod Banks), scores then exponentials in place
  logic [Ports-1:0][Banks-1:0][31:0] bank_rd_sm;  // read at the softmax feed index
  logic [Ports-1:0][Banks-1:0][31:0] bank_rd_pv;  // read at the P.V lane's row
  logic [Ports-1:0][RowIW-1:0]    pv_raddr;

  logic [Ports-1:0][CntW-1:0]  kdone_q, vdone_q;  // K / V jobs completed per port (head order)
  logic [Ports-1:0][Banks-1:0][31:0] lmax_q;      // running max per port and bank (signed)
  logic [CntW-1:0]  sm_head_q, sm_done_q, cap_q, out_cnt_q;
  logic [Banks-1:0][30:0] inv_q;

  // head -> score bank (head mod Banks)
  function automatic logic [BankW-1:0] bank_of(input logic [HeadW-1:0] head);
    return BankW'(32'(head) % Banks);
  endfunction

  // job order (Lookahead = 2): K0, K1, K2, V0, K3, V1, ..., K(H-1), V(H-3), V(H-2), V(H-1)
  // i.e. for each head i: K(i), then V(i - Lookahead) once i >= Lookahead; then the remaining V jobs
  function automatic logic [HeadW:0] next_job(input logic [HeadW-1:0] head, input logic kind);
    // returns {kind, head}
    logic [HeadW:0] r;
    if (!kind) begin
      if (32'(head) >= Lookahead)     r = {1'b1, HeadW'(32'(head) - Lookahead)};
      else if (32'(head) + 1 < Heads) r = {1'b0, head + 1'b1};
      else                            r = {1'b1, HeadW'(0)};
    end else begin
      if (32'(head) + Lookahead + 1 < Heads) r = {1'b0, HeadW'(32'(head) + Lookahead + 1)};
      else                                   r = {1'b1, head + 1'b1};
    end
    return r;
  endfunction

  // softmax core signals (driven below)
  logic                           sm_in_valid, sm_in_last;
  logic [Ports-1:0][31:0]         sm_in_score;
  logic [Ports-1:0]               sm_in_mask;
  logic [RowW-1:0]                sm_feed_q;
  logic                           sm_e_valid, sm_done;
  logic [Ports-1:0][16:0]         sm_e;
  logic [Ports-1:0]               sm_e_mask;
  logic [RowW-1:0]                sm_e_tag;
  logic [30:0]                    sm_inv;
  logic [31:0]                    sm_sum;
  logic                           sm_busy;

  // P.V accumulators
  logic signed [AccBits-1:0] acc_q [Ports][Beats][BeatBytes];
  logic                      capture;

  // score-bank write ports of the Q.K^T lanes
  logic [Ports-1:0]            qk_we;
  logic [Ports-1:0][BankW-1:0] qk_wpar;
  logic [Ports-1:0][RowW-1:0]  qk_wrow;
  logic [Ports-1:0][31:0]      qk_wdata;
  logic [BankW-1:0]            sm_par;   // bank of the head in the softmax
  assign sm_par = bank_of(HeadW'(sm_head_q));

  // one write port per bank: the Q.K^T lane (scores) or the softmax (exponentials), never both
  // (asserted below); two asynchronous read ports (LUT-RAM)
  for (genvar gp = 0; gp < Ports; gp++) begin : g_bank_port
    for (genvar gb = 0; gb < Banks; gb++) begin : g_bank
      logic [31:0]      mem_q [Rows];
      logic             we;
      logic [RowIW-1:0] wa;
      logic [31:0]      wd;
      always_comb begin
        we = 1'b0;
        wa = qk_wrow[gp][RowIW-1:0];
        wd = qk_wdata[gp];
        if (qk_we[gp] && qk_wpar[gp] == BankW'(gb)) begin
          we = 1'b1;
        end else if (sm_e_valid && sm_e_mask[gp] && sm_par == BankW'(gb)) begin
          we = 1'b1;
          wa = sm_e_tag[RowIW-1:0];
          wd = 32'(sm_e[gp]);
        end
      end
      always_ff @(posedge clk_i) begin
        if (we) mem_q[wa] <= wd;
      end
      assign bank_rd_sm[gp][gb] = mem_q[sm_feed_q[RowIW-1:0]];
      assign bank_rd_pv[gp][gb] = mem_q[pv_raddr[gp]];
    end
  end

  for (genvar gp = 0; gp < Ports; gp++) begin : g_port
    // ---- AR issue
    logic [HeadW-1:0]    ar_head_q;
    logic                ar_kind_q;
    logic [JobW-1:0]     ar_jobs_q;
    logic [RemW-1:0]     ar_rem_q;
    logic [AddrBits-1:0] ar_addr_q;
    logic [8:0]          to4k;     // beats to the next 4 KB boundary, 1..128
    logic [RemW-1:0]     burst;
    logic                ar_active, ar_fire;
    logic [HeadW:0]      ar_next;

    assign ar_active = (state_q == TRun) && !run_start_q && (ar_jobs_q < JobW'(2 * Heads));
    assign to4k  = 9'((13'd4096 - {1'b0, ar_addr_q[11:0]}) >> $clog2(BeatBytes));
    assign burst = (32'(ar_rem_q) < 32'(to4k)) ? ar_rem_q : RemW'(to4k);
    assign ar_next = next_job(ar_head_q, ar_kind_q);
    assign m_axi_arvalid_o[gp] = ar_active && (ar_rem_q != '0);
    assign m_axi_araddr_o[gp]  = ar_addr_q;
    assign m_axi_arlen_o[gp]   = 8'(burst - 1'b1);
    assign m_axi_arsize_o[gp]  = 3'($clog2(BeatBytes));
    assign m_axi_arburst_o[gp] = 2'b01;
    assign ar_fire = m_axi_arvalid_o[gp] && m_axi_arready_i[gp];

    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        ar_head_q <= '0;
        ar_kind_q <= 1'b0;
        ar_jobs_q <= '0;
        ar_rem_q  <= '0;
        ar_addr_q <= '0;
      end else if (run_start_q) begin
        ar_head_q <= '0;
        ar_kind_q <= 1'b0;
        ar_jobs_q <= '0;
        ar_rem_q  <= RemW'(nrows[gp] * Beats);
        ar_addr_q <= row_addr(base_q, '0, 1'b0, '0);
      end else if (ar_active) begin
        if (ar_rem_q == '0 || (ar_fire && burst == ar_rem_q)) begin
          // job finished (or empty): load the next one
          ar_jobs_q <= ar_jobs_q + 1'b1;
          ar_head_q <= ar_next[HeadW-1:0];
          ar_kind_q <= ar_next[HeadW];
          ar_rem_q  <= RemW'(nrows[gp] * Beats);
          ar_addr_q <= row_addr(base_q, ar_next[HeadW-1:0], ar_next[HeadW], '0);
        end else if (ar_fire) begin
          ar_rem_q  <= ar_rem_q - burst;
          ar_addr_q <= ar_addr_q + (AddrBits'(burst) << $clog2(BeatBytes));
        end
      end
    end

    // ---- R consume
    logic [HeadW-1:0] rc_head_q;
    logic             rc_kind_q;
    logic [JobW-1:0]  rc_jobs_q;
    logic [RowW-1:0]  rc_row_q;
    logic [BeatW-1:0] rc_b_q;
    logic             rc_active, rc_fire, rc_lastb, rc_lastrow;
    logic [HeadW:0]   rc_next;

    assign rc_active  = (state_q == TRun) && !run_start_q && (rc_jobs_q < JobW'(2 * Heads)) &&
                        (nrows[gp] != '0);
    assign rc_next    = next_job(rc_head_q, rc_kind_q);
    assign rc_lastb   = (rc_b_q == BeatW'(Beats - 1));
    assign rc_lastrow = (rc_row_q == nrows[gp] - 1'b1);
    always_comb begin
      m_axi_rready_o[gp] = 1'b0;
      if (rc_active) begin
        if (!rc_kind_q) m_axi_rready_o[gp] = 1'b1;
        else m_axi_rready_o[gp] = (sm_done_q > CntW'(rc_head_q)) && (cap_q >= CntW'(rc_head_q));
      end
    end
    assign rc_fire = m_axi_rvalid_i[gp] && m_axi_rready_o[gp];
    assign pv_raddr[gp] = rc_row_q[RowIW-1:0];

    always_ff @(posedge clk_i) begin
      if (!rst_ni || run_start_q) begin
        rc_head_q <= '0;
        rc_kind_q <= 1'b0;
        rc_jobs_q <= '0;
        rc_row_q  <= '0;
        rc_b_q    <= '0;
      end else if (rc_fire) begin
        rc_b_q <= rc_b_q + 1'b1;
        if (rc_lastb) begin
          rc_b_q   <= '0;
          rc_row_q <= rc_row_q + 1'b1;
          if (rc_lastrow) begin
            rc_row_q  <= '0;
            rc_jobs_q <= rc_jobs_q + 1'b1;
            rc_head_q <= rc_next[HeadW-1:0];
            rc_kind_q <= rc_next[HeadW];
          end
        end
      end
    end

    // ---- Q.K^T lane: stage 1 registers the beat, stage 2 dots, accumulates and writes the score
    logic             k1_valid_q, k1_lastb_q, k1_lastrow_q;
    beat_t            k1_data_q;
    logic [BeatW-1:0] k1_b_q;
    logic [HeadW-1:0] k1_head_q;
    logic [RowW-1:0]  k1_row_q;
    logic signed [31:0] kacc_q, kdot, kscore;

    always_ff @(posedge clk_i) begin
      if (!rst_ni) k1_valid_q <= 1'b0;
      else         k1_valid_q <= rc_fire && !rc_kind_q;
    end
    always_ff @(posedge clk_i) begin
      if (rc_fire) begin
        k1_data_q    <= m_axi_rdata_i[gp];
        k1_b_q       <= rc_b_q;
        k1_head_q    <= rc_head_q;
        k1_row_q     <= rc_row_q;
        k1_lastb_q   <= rc_lastb;
        k1_lastrow_q <= rc_lastrow;
      end
    end

    always_comb begin
      beat_t qb;
      qb   = q_buf_q[k1_head_q][k1_b_q];
      kdot = '0;
      for (int i = 0; i < BeatBytes; i++) begin
        kdot = kdot + 32'($signed(k1_data_q[8*i +: 8]) * $signed(qb[8*i +: 8]));
      end
      kscore = ((k1_b_q == '0) ? 32'sd0 : kacc_q) + kdot;
    end

    assign qk_we[gp]    = k1_valid_q && k1_lastb_q;
    assign qk_wpar[gp]  = bank_of(k1_head_q);
    assign qk_wrow[gp]  = k1_row_q;
    assign qk_wdata[gp] = kscore;

    always_ff @(posedge clk_i) begin
      if (k1_valid_q) kacc_q <= kscore;
      if (k1_valid_q && k1_lastb_q) begin
        if (k1_row_q == '0 || kscore > $signed(lmax_q[gp][bank_of(k1_head_q)])) begin
          lmax_q[gp][bank_of(k1_head_q)] <= kscore;
        end
      end
    end
    always_ff @(posedge clk_i) begin
      if (!rst_ni || run_start_q) kdone_q[gp] <= '0;
      else if (k1_valid_q && k1_lastb_q && k1_lastrow_q) kdone_q[gp] <= kdone_q[gp] + 1'b1;
    end

    // ---- P.V lane: v1 reads e, v2 forms p, v3 multiplies and accumulates
    logic             v1_valid_q, v1_lastb_q, v1_lastrow_q;
    logic [BankW-1:0] v1_par_q;
    beat_t            v1_data_q;
    logic [BeatW-1:0] v1_b_q;
    logic [16:0]      v1_e_q;
    logic             v2_valid_q, v2_last_q;
    beat_t            v2_data_q;
    logic [BeatW-1:0] v2_b_q;
    logic [16:0]      v2_p_q;
    logic [47:0]      v1_prod;
    logic             unused_prod;
    assign unused_prod = ^v1_prod[30:0];  // dropped by the >> 31 of p

    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        v1_valid_q <= 1'b0;
        v2_valid_q <= 1'b0;
        v2_last_q  <= 1'b0;
      end else begin
        v1_valid_q <= rc_fire && rc_kind_q;
        v2_valid_q <= v1_valid_q;
        v2_last_q  <= v1_valid_q && v1_lastb_q && v1_lastrow_q;
      end
    end
    always_ff @(posedge clk_i) begin
      if (rc_fire) begin
        v1_data_q    <= m_axi_rdata_i[gp];
        v1_b_q       <= rc_b_q;
        v1_lastb_q   <= rc_lastb;
        v1_lastrow_q <= rc_lastrow;
        v1_par_q     <= bank_of(rc_head_q);
        v1_e_q       <= 17'(bank_rd_pv[gp][bank_of(rc_head_q)]);
      end
    end
    assign v1_prod = 48'(v1_e_q) * 48'(inv_q[v1_par_q]) + (48'd1 << 30);
    always_ff @(posedge clk_i) begin
      if (v1_valid_q) begin
        v2_data_q <= v1_data_q;
        v2_b_q    <= v1_b_q;
        v2_p_q    <= v1_prod[47:31];
      end
    end

    always_ff @(posedge clk_i) begin
      if (capture || run_start_q) begin  // (run start: a reset may have left partial sums)
        for (int b = 0; b < Beats; b++)
          for (int i = 0; i < BeatBytes; i++) acc_q[gp][b][i] <= '0;
      end else if (v2_valid_q) begin
        for (int i = 0; i < BeatBytes; i++) begin
          acc_q[gp][v2_b_q][i] <= acc_q[gp][v2_b_q][i] +
              AccBits'($signed({1'b0, v2_p_q}) * $signed(v2_data_q[8*i +: 8]));
        end
      end
    end
    always_ff @(posedge clk_i) begin
      if (!rst_ni || run_start_q) vdone_q[gp] <= '0;
      else if (v2_last_q) vdone_q[gp] <= vdone_q[gp] + 1'b1;
    end

    // a score bank has one writer at a time
    `LL_ASSERT(BankOneWriter, !(qk_we[gp] && sm_e_valid && sm_e_mask[gp] && qk_wpar[gp] == sm_par))
    `LL_ASSERT(NoCaptureDuringPv, !(capture && v2_valid_q))
    // probabilities are UQ1.15 (<= 2**15)
    `LL_ASSERT(ProbInRange, !(v2_valid_q && v2_p_q > 17'd32768))
  end

  // ---------------------------------------------------------------------------------------------
  // softmax sequencing: head sm_head_q starts once every port finished K(sm_head_q)
  typedef enum logic [1:0] {ScWait, ScFeed, ScDiv} sc_state_e;
  sc_state_e sc_state_q;
  logic      sm_ready;   // all ports have the scores of head sm_head_q
  logic signed [31:0] head_max;
  logic      sm_start;

  always_comb begin
    sm_ready = (state_q == TRun) && !run_start_q && (sm_head_q < CntW'(Heads));
    head_max = 32'sh8000_0000;
    for (int p = 0; p < Ports; p++) begin
      if (nrows[p] != '0) begin
        if (kdone_q[p] <= sm_head_q) sm_ready = 1'b0;
        if ($signed(lmax_q[p][sm_par]) > head_max) head_max = $signed(lmax_q[p][sm_par]);
      end
    end
  end
  assign sm_start = (sc_state_q == ScWait) && sm_ready;

  always_comb begin
    for (int p = 0; p < Ports; p++) begin
      sm_in_score[p] = bank_rd_sm[p][sm_par];
      sm_in_mask[p]  = (sm_feed_q < nrows[p]);
    end
  end
  assign sm_in_valid = (sc_state_q == ScFeed);
  assign sm_in_last  = (sm_feed_q == nrows[0] - 1'b1);

  always_ff @(posedge clk_i) begin
    if (!rst_ni || run_start_q) begin
      sc_state_q <= ScWait;
      sm_head_q  <= '0;
      sm_done_q  <= '0;
      sm_feed_q  <= '0;
    end else begin
      unique case (sc_state_q)
        ScWait: if (sm_ready) begin
          sc_state_q <= ScFeed;
          sm_feed_q  <= '0;
        end
        ScFeed: begin
          sm_feed_q <= sm_feed_q + 1'b1;
          if (sm_in_last) sc_state_q <= ScDiv;
        end
        ScDiv: if (sm_done) begin
          sc_state_q <= ScWait;
          sm_head_q  <= sm_head_q + 1'b1;
          sm_done_q  <= sm_done_q + 1'b1;
        end
        default: sc_state_q <= ScWait;
      endcase
    end
  end
  always_ff @(posedge clk_i) begin
    if (sc_state_q == ScDiv && sm_done) inv_q[sm_par] <= sm_inv;
  end

  ll_mha_softmax #(
    .Lanes  (Ports),
    .TagBits(RowW),
    .SumBits(32)
  ) u_softmax (
    .clk_i,
    .rst_ni,
    .start_i   (sm_start),
    .mx_i      (head_max),
    .m_i       (sm_m_q),
    .s_i       (sm_s_q),
    .busy_o    (sm_busy),
    .in_valid_i(sm_in_valid),
    .in_score_i(sm_in_score),
    .in_mask_i (sm_in_mask),
    .in_tag_i  (sm_feed_q),
    .in_last_i (sm_in_last),
    .e_valid_o (sm_e_valid),
    .e_o       (sm_e),
    .e_mask_o  (sm_e_mask),
    .e_tag_o   (sm_e_tag),
    .done_o    (sm_done),
    .sum_o     (sm_sum),
    .inv_o     (sm_inv)
  );

  // ---------------------------------------------------------------------------------------------
  // finish: sum the ports' accumulators, requantise, hold on ctx_*
  logic       vready;
  logic [1:0] rq_fly_q;
  logic       ctx_valid_q;
  logic [HeadW-1:0] ctx_head_q, rq_head_q;
  logic [HeadDim-1:0][AccBits-1:0] head_acc;   // signed lanes
  logic [HeadDim-1:0]   rq_valid;
  logic [HeadDim*8-1:0] rq_y;

  always_comb begin
    vready = (state_q == TRun) && !run_start_q && (cap_q < CntW'(Heads));
    for (int p = 0; p < Ports; p++) begin
      if (nrows[p] != '0 && vdone_q[p] <= cap_q) vready = 1'b0;
    end
    for (int c = 0; c < HeadDim; c++) begin
      head_acc[c] = '0;
      for (int p = 0; p < Ports; p++) head_acc[c] = head_acc[c] + acc_q[p][c / BeatBytes][c % BeatBytes];
    end
  end
  assign capture = vready && !ctx_valid_q && (rq_fly_q == '0);

  for (genvar gc = 0; gc < HeadDim; gc++) begin : g_rq
    ll_requant #(.InBits(AccBits), .OutBits(8)) u_rq (
      .clk_i,
      .rst_ni,
      .en_i   (1'b1),
      .valid_i(capture),
      .x_i    ($signed(head_acc[gc])),
      .m_i    (out_m_q),
      .s_i    (out_s_q),
      .valid_o(rq_valid[gc]),
      .y_o    (rq_y[8*gc +: 8])
    );
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      rq_fly_q    <= '0;
      ctx_valid_q <= 1'b0;
      cap_q       <= '0;
      out_cnt_q   <= '0;
      ctx_head_q  <= '0;
      rq_head_q   <= '0;
    end else begin
      rq_fly_q <= {rq_fly_q[0], capture};
      if (run_start_q) begin
        cap_q     <= '0;
        out_cnt_q <= '0;
      end
      if (capture) begin
        cap_q     <= cap_q + 1'b1;
        rq_head_q <= HeadW'(cap_q);
      end
      if (rq_valid[0]) begin
        ctx_valid_q <= 1'b1;
        ctx_head_q  <= rq_head_q;
      end else if (ctx_valid_q && ctx_ready_i) begin
        ctx_valid_q <= 1'b0;
        out_cnt_q   <= out_cnt_q + 1'b1;
      end
    end
  end
  always_ff @(posedge clk_i) begin
    if (rq_valid[0]) ctx_data_o <= rq_y;
  end
  assign ctx_valid_o = ctx_valid_q;
  assign ctx_head_o  = ctx_head_q;

  // ---------------------------------------------------------------------------------------------
  // top-level state
  logic r_err, b_err;
  always_comb begin
    r_err = 1'b0;
    for (int p = 0; p < Ports; p++) begin
      if (m_axi_rvalid_i[p] && m_axi_rready_o[p] && m_axi_rresp_i[p] != 2'b00) r_err = 1'b1;
    end
  end
  assign b_err = b_fire && (m_axi_bresp_i[wport] != 2'b00);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q     <= TIdle;
      done_o      <= 1'b0;
      err_q       <= '0;
      run_start_q <= 1'b0;
      pos_q       <= '0;
      base_q      <= '0;
      sm_m_q      <= '0;
      sm_s_q      <= '0;
      out_m_q     <= '0;
      out_s_q     <= '0;
      in_head_q   <= '0;
      in_part_q   <= '0;
      in_b_q      <= '0;
      aw_row_q    <= '0;
      w_row_q     <= '0;
      w_b_q       <= '0;
      b_cnt_q     <= '0;
    end else begin
      done_o      <= 1'b0;
      run_start_q <= 1'b0;
      if (r_err) err_q[1] <= 1'b1;
      if (b_err) err_q[2] <= 1'b1;
      unique case (state_q)
        TIdle: if (start_i) begin
          err_q <= '0;
          if (pos_i >= 16'(MaxCtx)) begin
            err_q[0] <= 1'b1;
            done_o   <= 1'b1;
          end else begin
            state_q   <= TLoad;
            pos_q     <= pos_i;
            base_q    <= kv_base_i;
            sm_m_q    <= sm_m_i;
            sm_s_q    <= sm_s_i;
            out_m_q   <= out_m_i;
            out_s_q   <= out_s_i;
            in_head_q <= '0;
            in_part_q <= '0;
            in_b_q    <= '0;
          end
        end
        TLoad: if (in_fire) begin
          in_b_q <= in_b_q + 1'b1;
          if (in_b_q == BeatW'(Beats - 1)) begin
            in_b_q    <= '0;
            in_part_q <= in_part_q + 1'b1;
            if (in_part_q == 2'd2) begin
              in_part_q <= '0;
              in_head_q <= in_head_q + 1'b1;
            end
          end
          if (in_last) begin
            state_q  <= TWrite;
            aw_row_q <= '0;
            w_row_q  <= '0;
            w_b_q    <= '0;
            b_cnt_q  <= '0;
          end
        end
        TWrite: begin
          if (aw_fire) aw_row_q <= aw_row_q + 1'b1;
          if (w_fire) begin
            w_b_q <= w_b_q + 1'b1;
            if (w_b_q == BeatW'(Beats - 1)) begin
              w_b_q   <= '0;
              w_row_q <= w_row_q + 1'b1;
            end
          end
          if (b_fire) begin
            b_cnt_q <= b_cnt_q + 1'b1;
            if (b_cnt_q == WRowW'(2 * Heads - 1)) begin
              state_q     <= TRun;
              run_start_q <= 1'b1;
            end
          end
        end
        TRun: if (!run_start_q && out_cnt_q == CntW'(Heads)) begin
          state_q <= TIdle;
          done_o  <= 1'b1;
        end
        default: state_q <= TIdle;
      endcase
    end
  end

  assign busy_o = (state_q != TIdle);
  assign err_o  = err_q;

  // ---------------------------------------------------------------------------------------------
  // checks
  `LL_ASSERT_INIT(HeadDimPow2, (HeadDim >= BeatBytes) && ((HeadDim & (HeadDim - 1)) == 0))
  `LL_ASSERT_INIT(PortsPow2, (Ports >= 1) && ((Ports & (Ports - 1)) == 0))
  `LL_ASSERT_INIT(CtxMultiple, (MaxCtx % Ports) == 0 && MaxCtx <= 32768)
  `LL_ASSERT_INIT(BurstFits, BurstMax <= 256)
  `LL_ASSERT(NoStartWhenBusy, !(start_i && state_q != TIdle))
  `LL_ASSERT_STREAM(CtxStable, ctx_valid_o, ctx_ready_i, {ctx_head_o, ctx_data_o})
  `LL_ASSERT(NoBWithoutAw, !(b_fire && b_cnt_q >= aw_row_q))
  `LL_ASSERT(RqOnlyWhenFree, !(rq_valid[0] && ctx_valid_q))

  // not needed: the sum (only inv is), busy of the core (sequenced by sc_state_q), rlast (beats are
  // counted), the top bit of row tags (row indices < Rows), p's low product bits (dropped by >> 31),
  // the other requantisers' valid (all equal to lane 0's)
  logic unused;
  assign unused = ^{sm_sum, sm_busy, m_axi_rlast_i, sm_e_tag, rq_valid};

endmodule
