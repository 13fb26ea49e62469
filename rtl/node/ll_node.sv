// One accelerator node (docs/node.md): the scheduler and its control registers, the kernels (embedding,
// LayerNorm/residual, matrix processing, attention, argmax), the ring router, the activation buffer,
// and the AXI4 interconnect that shares each of the NumPe memory channels between its masters.
//
// Unit slots (ll_isa_pkg): 0 EMBED, 1 LNR, 2 MP, 3 MHA, 4 RING, 5 ARGMAX. Every kernel launch goes
// through a launch latch: the instruction is taken at the launch handshake and the kernel is started
// once the scheduler raises data_ready for that unit (its wait_data dependencies are complete).
//
// Data movement (beat = 256 bits):
//   activation buffer read ports: 0 MP activations, 1 LNR delta reader, 2 MHA q/k/v reader;
//   activation buffer writers (fixed priority): ring, MP (local output), MHA (local output), LNR, EMBED;
//   MP results -> ll_pack (int8 / int32 elements) -> activation buffer, ring or argmax (out_sel);
//   MHA context (HeadDim bytes per head) -> 256-bit beats -> ring or activation buffer;
//   ring all-gather writes every beat of the gathered vector into the activation buffer;
//   argmax (value, index) -> ring reduction -> TOKEN_OUT.
// Memory channel p: read masters MP port p, MHA port p, and on channel 0 also the program fetch,
// the embedding unit and the LayerNorm parameter DMA; writes come only from MHA (the KV cache).
module ll_node
  import ll_isa_pkg::*;
#(
  parameter int unsigned NumPe     = 8,
  parameter int unsigned NumNodes  = 1,
  parameter int unsigned AbufDepth = 512,
  parameter int unsigned HeadDim   = 64,
  parameter int unsigned MhaHeads  = 2,
  parameter int unsigned MaxCtx    = 64,
  parameter int unsigned MaxD      = 4096,
  parameter int unsigned AddrBits  = 32,
  localparam int unsigned DataBits = 256,
  localparam int unsigned IdBits   = 4
) (
  input  logic                                 clk_i,
  input  logic                                 rst_ni,
  input  logic [ring_pkg::NodeIdWidth-1:0]     node_id_i,
  // AXI4-Lite control
  input  logic [11:0]                          s_axil_awaddr_i,
  input  logic [2:0]                           s_axil_awprot_i,
  input  logic                                 s_axil_awvalid_i,
  output logic                                 s_axil_awready_o,
  input  logic [31:0]                          s_axil_wdata_i,
  input  logic [3:0]                           s_axil_wstrb_i,
  input  logic                                 s_axil_wvalid_i,
  output logic                                 s_axil_wready_o,
  output logic [1:0]                           s_axil_bresp_o,
  output logic                                 s_axil_bvalid_o,
  input  logic                                 s_axil_bready_i,
  input  logic [11:0]                          s_axil_araddr_i,
  input  logic [2:0]                           s_axil_arprot_i,
  input  logic                                 s_axil_arvalid_i,
  output logic                                 s_axil_arready_o,
  output logic [31:0]                          s_axil_rdata_o,
  output logic [1:0]                           s_axil_rresp_o,
  output logic                                 s_axil_rvalid_o,
  input  logic                                 s_axil_rready_i,
  // AXI4 memory channels
  output logic [NumPe-1:0][AddrBits-1:0]       m_axi_araddr_o,
  output logic [NumPe-1:0][7:0]                m_axi_arlen_o,
  output logic [NumPe-1:0][2:0]                m_axi_arsize_o,
  output logic [NumPe-1:0][1:0]                m_axi_arburst_o,
  output logic [NumPe-1:0]                     m_axi_arvalid_o,
  input  logic [NumPe-1:0]                     m_axi_arready_i,
  input  logic [NumPe-1:0][DataBits-1:0]       m_axi_rdata_i,
  input  logic [NumPe-1:0][1:0]                m_axi_rresp_i,
  input  logic [NumPe-1:0]                     m_axi_rlast_i,
  input  logic [NumPe-1:0]                     m_axi_rvalid_i,
  output logic [NumPe-1:0]                     m_axi_rready_o,
  output logic [NumPe-1:0][AddrBits-1:0]       m_axi_awaddr_o,
  output logic [NumPe-1:0][7:0]                m_axi_awlen_o,
  output logic [NumPe-1:0][2:0]                m_axi_awsize_o,
  output logic [NumPe-1:0][1:0]                m_axi_awburst_o,
  output logic [NumPe-1:0]                     m_axi_awvalid_o,
  input  logic [NumPe-1:0]                     m_axi_awready_i,
  output logic [NumPe-1:0][DataBits-1:0]       m_axi_wdata_o,
  output logic [NumPe-1:0][DataBits/8-1:0]     m_axi_wstrb_o,
  output logic [NumPe-1:0]                     m_axi_wlast_o,
  output logic [NumPe-1:0]                     m_axi_wvalid_o,
  input  logic [NumPe-1:0]                     m_axi_wready_i,
  input  logic [NumPe-1:0][1:0]                m_axi_bresp_i,
  input  logic [NumPe-1:0]                     m_axi_bvalid_i,
  output logic [NumPe-1:0]                     m_axi_bready_o,
  // ring
  input  logic                                 ring_in_valid_i,
  output logic                                 ring_in_ready_o,
  input  logic [DataBits-1:0]                  ring_in_data_i,
  input  logic                                 ring_in_last_i,
  input  ring_pkg::ring_side_t                 ring_in_side_i,
  output logic                                 ring_out_valid_o,
  input  logic                                 ring_out_ready_i,
  output logic [DataBits-1:0]                  ring_out_data_o,
  output logic                                 ring_out_last_o,
  output ring_pkg::ring_side_t                 ring_out_side_o
);
  `include "ll_assert.svh"

  localparam int unsigned NumUnits  = 6;
  localparam int unsigned AbufBits  = $clog2(AbufDepth);
  localparam int unsigned DBits     = $clog2(MaxD + 1);
  localparam int unsigned HeadBeats = HeadDim * 8 / DataBits;
  localparam int unsigned UEmbed = 0, ULnr = 1, UMp = 2, UMha = 3, URing = 4, UArgmax = 5;
  localparam int unsigned OutSelBuf = 0, OutSelRing = 1, OutSelArgmax = 2;

  // ------------------------------------------------------------------------------------------------
  // Control registers and scheduler
  // ------------------------------------------------------------------------------------------------
  logic                 start, clear, sched_busy, sched_done, sched_error;
  logic [3:0]           err_src;
  logic [7:0]           err_cause;
  logic [AddrBits-1:0]  err_pc, prog_base;
  logic [31:0]          token_in, position, watchdog, cycles, instrs;
  logic [7:0][31:0]     unit_busy;
  logic [31:0]          token_out, token_logit;

  logic [NumUnits-1:0]        launch_valid, launch_ready, data_ready, unit_done, unit_error, unit_error_k;
  logic [InstrBits-1:0]       launch_instr;
  logic [NumUnits-1:0][7:0]   unit_err_code;
  logic [NumUnits-1:0][31:0]  unit_busy_s;

  ll_ctrl_regs #(.NumUnits(8), .AddrBits(AddrBits)) u_ctrl (
    .clk_i, .rst_ni,
    .s_axil_awaddr_i, .s_axil_awprot_i, .s_axil_awvalid_i, .s_axil_awready_o,
    .s_axil_wdata_i, .s_axil_wstrb_i, .s_axil_wvalid_i, .s_axil_wready_o,
    .s_axil_bresp_o, .s_axil_bvalid_o, .s_axil_bready_i,
    .s_axil_araddr_i, .s_axil_arprot_i, .s_axil_arvalid_i, .s_axil_arready_o,
    .s_axil_rdata_o, .s_axil_rresp_o, .s_axil_rvalid_o, .s_axil_rready_i,
    .node_id_i     (8'(node_id_i)),
    .num_nodes_i   (8'(NumNodes)),
    .start_o       (start),
    .clear_o       (clear),
    .token_in_o    (token_in),
    .position_o    (position),
    .prog_base_o   (prog_base),
    .watchdog_o    (watchdog),
    .busy_i        (sched_busy || abort_q || start_pend_q),
    .done_i        (sched_done),
    .error_i       (sched_error),
    .err_src_i     (err_src),
    .err_cause_i   (err_cause),
    .err_pc_i      (err_pc),
    .token_out_i   (token_out),
    .token_logit_i (token_logit),
    .cycles_i      (cycles),
    .instrs_i      (instrs),
    .unit_busy_i   (unit_busy)
  );
  always_comb begin
    unit_busy = '0;
    for (int u = 0; u < NumUnits; u++) unit_busy[u] = unit_busy_s[u];
  end

  // program fetch master (channel 0)
  logic [AddrBits-1:0] f_araddr;
  logic [7:0]          f_arlen;
  logic [2:0]          f_arsize;
  logic [1:0]          f_arburst;
  logic                f_arvalid, f_arready, f_rvalid, f_rready, f_rlast;
  logic [DataBits-1:0] f_rdata;
  logic [1:0]          f_rresp;
  logic [IdBits-1:0]   f_arid;

  ll_scheduler #(.NumUnits(NumUnits), .AddrBits(AddrBits), .IdBits(IdBits)) u_sched (
    .clk_i, .rst_ni,
    .start_i         (sched_start),
    .clear_i         (clear),
    .prog_base_i     (prog_base),
    .watchdog_i      (watchdog),
    .busy_o          (sched_busy),
    .done_o          (sched_done),
    .error_o         (sched_error),
    .err_src_o       (err_src),
    .err_cause_o     (err_cause),
    .err_pc_o        (err_pc),
    .cycles_o        (cycles),
    .instrs_o        (instrs),
    .unit_busy_o     (unit_busy_s),
    .m_axi_arid_o    (f_arid),
    .m_axi_araddr_o  (f_araddr),
    .m_axi_arlen_o   (f_arlen),
    .m_axi_arsize_o  (f_arsize),
    .m_axi_arburst_o (f_arburst),
    .m_axi_arvalid_o (f_arvalid),
    .m_axi_arready_i (f_arready),
    .m_axi_rid_i     ('0),
    .m_axi_rdata_i   (f_rdata),
    .m_axi_rresp_i   (f_rresp),
    .m_axi_rlast_i   (f_rlast),
    .m_axi_rvalid_i  (f_rvalid),
    .m_axi_rready_o  (f_rready),
    .launch_valid_o  (launch_valid),
    .launch_ready_i  (launch_ready),
    .launch_instr_o  (launch_instr),
    .data_ready_o    (data_ready),
    .done_i          (unit_done),
    .error_i         (unit_error),
    .error_code_i    (unit_err_code)
  );

  // ------------------------------------------------------------------------------------------------
  // Launch latches: take the instruction at the handshake, start the kernel on data_ready
  // ------------------------------------------------------------------------------------------------
  logic [NumUnits-1:0]                 pend_q;     // an instruction waits for data_ready / the kernel
  logic [NumUnits-1:0][InstrBits-1:0]  instr_q;
  logic [NumUnits-1:0]                 kick;       // start the kernel this cycle
  logic [NumUnits-1:0]                 kick_ok;    // the kernel accepts the start this cycle
  logic [NumUnits-1:0]                 active_q;   // started, done not yet seen
  logic [NumUnits-1:0]                 kdone;      // kernel done pulses

  for (genvar u = 0; u < NumUnits; u++) begin : g_latch
    assign launch_ready[u] = !pend_q[u] && !active_q[u];
    assign kick[u] = pend_q[u] && data_ready[u];
    always_ff @(posedge clk_i) begin
      if (!dp_rst_n || clear) begin
        pend_q[u]   <= 1'b0;
        active_q[u] <= 1'b0;
      end else begin
        if (launch_valid[u] && launch_ready[u]) begin
          pend_q[u]  <= 1'b1;
          instr_q[u] <= launch_instr;
        end else if (kick[u] && kick_ok[u]) begin
          pend_q[u]   <= 1'b0;
          active_q[u] <= 1'b1;
        end
        if (kdone[u]) active_q[u] <= 1'b0;
      end
    end
  end
  // CLEAR aborts the token: the scheduler stops at once; the datapath drains on its own (every
  // output is accepted and dropped, the ring is bypassed and incoming ring beats are sunk) until every
  // kernel is idle, no read burst is outstanding and at least AbortCycles have passed (so the other
  // nodes, cleared by the host around the same time, have stopped sending), then one cycle of reset
  // puts every datapath block (kernels, glue, ring router) back to its initial state. A START written
  // meanwhile is held until then. CLEAR is meant to be written to every node of the ring.
  localparam int unsigned AbortCycles = 256;
  logic       abort_q, abort_rst_q, start_pend_q, dp_rst_n, abort_idle, sched_start;
  logic [8:0] abort_cnt_q;
  logic [NumPe-1:0] ch_idle;
  assign dp_rst_n = rst_ni && !abort_rst_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      abort_q      <= 1'b0;
      abort_rst_q  <= 1'b0;
      abort_cnt_q  <= '0;
      start_pend_q <= 1'b0;
    end else begin
      abort_rst_q <= 1'b0;
      if (clear) begin
        abort_q     <= 1'b1;
        abort_cnt_q <= '0;
      end else if (abort_q) begin
        if (abort_cnt_q != 9'(AbortCycles)) abort_cnt_q <= abort_cnt_q + 1'b1;
        else if (abort_idle) begin
          abort_q     <= 1'b0;
          abort_rst_q <= 1'b1;
        end
      end
      if (start && (abort_q || abort_rst_q)) start_pend_q <= 1'b1;
      else if (sched_start) start_pend_q <= 1'b0;
    end
  end
  assign abort_idle  = !m_busy && !h_busy && !l_busy && !e_busy && !mk_valid && !hc_valid && !ly_valid &&
                       !a_out_valid && (ch_idle == '1);
  assign sched_start = (start && !abort_q && !abort_rst_q) || (start_pend_q && !abort_q && !abort_rst_q);
  assign unit_done   = abort_q ? '0 : kdone;
  assign unit_error  = abort_q ? '0 : unit_error_k;

  embed_t  i_embed;
  lnr_t    i_lnr;
  mp_t     i_mp;
  mha_t    i_mha;
  ring_t   i_ring;
  argmax_t i_argmax;
  assign i_embed  = embed_t'(instr_q[UEmbed]);
  assign i_lnr    = lnr_t'(instr_q[ULnr]);
  assign i_mp     = mp_t'(instr_q[UMp]);
  assign i_mha    = mha_t'(instr_q[UMha]);
  assign i_ring   = ring_t'(instr_q[URing]);
  assign i_argmax = argmax_t'(instr_q[UArgmax]);

  // ------------------------------------------------------------------------------------------------
  // Activation buffer: one write stream (fixed-priority arbiter), three read ports
  // ------------------------------------------------------------------------------------------------
  localparam int unsigned NumWr = 5;  // 0 ring, 1 MP, 2 MHA, 3 LNR, 4 EMBED
  logic [NumWr-1:0]                 w_valid, w_ready;
  logic [NumWr-1:0][AbufBits-1:0]   w_addr;
  logic [NumWr-1:0][DataBits-1:0]   w_data;
  logic                             ab_wvalid, ab_wready;
  logic [AbufBits-1:0]              ab_waddr;
  logic [DataBits-1:0]              ab_wdata;
  logic [2:0]                       ab_rreq;
  logic [2:0][AbufBits-1:0]         ab_raddr;
  logic [2:0][DataBits-1:0]         ab_rdata;
  logic [2:0]                       ab_rvalid;

  always_comb begin
    ab_wvalid = 1'b0;
    ab_waddr  = '0;
    ab_wdata  = '0;
    w_ready   = '0;
    for (int i = NumWr - 1; i >= 0; i--) begin
      if (w_valid[i]) begin
        ab_wvalid = 1'b1;
        ab_waddr  = w_addr[i];
        ab_wdata  = w_data[i];
        w_ready   = '0;
        w_ready[i] = ab_wready;
      end
    end
  end

  ll_abuf #(.Depth(AbufDepth), .NumReadPorts(3)) u_abuf (
    .clk_i, .rst_ni (dp_rst_n),
    .wr_valid_i (ab_wvalid),
    .wr_ready_o (ab_wready),
    .wr_addr_i  (ab_waddr),
    .wr_data_i  (ab_wdata),
    .rd_req_i   (ab_rreq),
    .rd_addr_i  (ab_raddr),
    .rd_valid_o (ab_rvalid),
    .rd_data_o  (ab_rdata)
  );

  // ------------------------------------------------------------------------------------------------
  // Memory channel read masters and interconnect
  // ------------------------------------------------------------------------------------------------
  // per channel: master 0 = MP, 1 = MHA; channel 0 adds 2 = fetch, 3 = EMBED, 4 = LNR parameters
  localparam int unsigned NumM0 = 5;
  typedef struct packed {
    logic [AddrBits-1:0] addr;
    logic [7:0]          len;
    logic [2:0]          size;
    logic [1:0]          burst;
    logic                valid;
  } ar_t;

  ar_t [NumPe-1:0]             mp_ar, mha_ar;
  logic [NumPe-1:0]            mp_arready, mha_arready, mp_rvalid, mha_rvalid, mp_rready, mha_rready;
  logic [NumPe-1:0][DataBits-1:0] ch_rdata;
  logic [NumPe-1:0][1:0]       ch_rresp;
  logic [NumPe-1:0]            ch_rlast;
  ar_t                         e_ar, p_ar;
  logic                        e_arready, p_arready, e_rvalid, p_rvalid, e_rready, p_rready;

  for (genvar p = 0; p < NumPe; p++) begin : g_ch
    localparam int unsigned NM = (p == 0) ? NumM0 : 2;
    logic [NM-1:0][AddrBits-1:0] a_addr;
    logic [NM-1:0][7:0]          a_len;
    logic [NM-1:0][2:0]          a_size;
    logic [NM-1:0][1:0]          a_burst;
    logic [NM-1:0]               a_valid, a_ready, r_valid, r_ready;
    always_comb begin
      a_addr[0] = mp_ar[p].addr;  a_len[0] = mp_ar[p].len;  a_size[0] = mp_ar[p].size;
      a_burst[0] = mp_ar[p].burst; a_valid[0] = mp_ar[p].valid; r_ready[0] = mp_rready[p];
      a_addr[1] = mha_ar[p].addr; a_len[1] = mha_ar[p].len; a_size[1] = mha_ar[p].size;
      a_burst[1] = mha_ar[p].burst; a_valid[1] = mha_ar[p].valid; r_ready[1] = mha_rready[p];
    end
    if (p == 0) begin : g_ch0
      always_comb begin
        a_addr[2] = f_araddr;  a_len[2] = f_arlen;  a_size[2] = f_arsize;  a_burst[2] = f_arburst;
        a_valid[2] = f_arvalid; r_ready[2] = f_rready;
        a_addr[3] = e_ar.addr; a_len[3] = e_ar.len; a_size[3] = e_ar.size; a_burst[3] = e_ar.burst;
        a_valid[3] = e_ar.valid; r_ready[3] = e_rready;
        a_addr[4] = p_ar.addr; a_len[4] = p_ar.len; a_size[4] = p_ar.size; a_burst[4] = p_ar.burst;
        a_valid[4] = p_ar.valid; r_ready[4] = p_rready;
      end
      assign f_arready = a_ready[2];
      assign f_rvalid  = r_valid[2];
      assign e_arready = a_ready[3];
      assign e_rvalid  = r_valid[3];
      assign p_arready = a_ready[4];
      assign p_rvalid  = r_valid[4];
    end
    assign mp_arready[p]  = a_ready[0];
    assign mp_rvalid[p]   = r_valid[0];
    assign mha_arready[p] = a_ready[1];
    assign mha_rvalid[p]  = r_valid[1];

    logic [$clog2(17)-1:0] outstanding;
    assign ch_idle[p] = (outstanding == '0);
    ll_axi_rd_mux #(.NumMasters(NM), .AddrBits(AddrBits), .MaxOutstanding(16)) u_rd_mux (
      .clk_i, .rst_ni (dp_rst_n),
      .m_araddr_i  (a_addr),
      .m_arlen_i   (a_len),
      .m_arsize_i  (a_size),
      .m_arburst_i (a_burst),
      .m_arvalid_i (a_valid),
      .m_arready_o (a_ready),
      .m_rdata_o   (ch_rdata[p]),
      .m_rresp_o   (ch_rresp[p]),
      .m_rlast_o   (ch_rlast[p]),
      .m_rvalid_o  (r_valid),
      .m_rready_i  (r_ready),
      .s_araddr_o  (m_axi_araddr_o[p]),
      .s_arlen_o   (m_axi_arlen_o[p]),
      .s_arsize_o  (m_axi_arsize_o[p]),
      .s_arburst_o (m_axi_arburst_o[p]),
      .s_arvalid_o (m_axi_arvalid_o[p]),
      .s_arready_i (m_axi_arready_i[p]),
      .s_rdata_i   (m_axi_rdata_i[p]),
      .s_rresp_i   (m_axi_rresp_i[p]),
      .s_rlast_i   (m_axi_rlast_i[p]),
      .s_rvalid_i  (m_axi_rvalid_i[p]),
      .s_rready_o  (m_axi_rready_o[p]),
      .outstanding_o (outstanding)
    );
  end
  assign f_rdata = ch_rdata[0];
  assign f_rresp = ch_rresp[0];
  assign f_rlast = ch_rlast[0];

  // ------------------------------------------------------------------------------------------------
  // EMBED (unit 0): wte[token] + wpe[pos] -> activation buffer (int32 beats)
  // ------------------------------------------------------------------------------------------------
  logic                e_out_valid, e_out_ready, e_out_last, e_busy, e_done, e_cmd_ready;
  logic [DataBits-1:0] e_out_data;
  logic [2:0]          e_err;
  logic [AbufBits-1:0] e_wptr_q;

  ll_embed #(.Lanes(8), .MaxD(MaxD), .AddrBits(AddrBits)) u_embed (
    .clk_i, .rst_ni (dp_rst_n),
    .cmd_valid_i     (kick[UEmbed]),
    .cmd_ready_o     (e_cmd_ready),
    .cmd_tok_i       (token_in),
    .cmd_pos_i       (position),
    .cmd_d_i         (DBits'(i_embed.d)),
    .cmd_wte_base_i  (i_embed.wte_base),
    .cmd_wte_rows_i  (i_embed.wte_rows),
    .cmd_wpe_base_i  (i_embed.wpe_base),
    .cmd_wpe_rows_i  (i_embed.wpe_rows),
    .busy_o          (e_busy),
    .done_o          (e_done),
    .err_o           (e_err),
    .m_axi_araddr_o  (e_ar.addr),
    .m_axi_arlen_o   (e_ar.len),
    .m_axi_arsize_o  (e_ar.size),
    .m_axi_arburst_o (e_ar.burst),
    .m_axi_arvalid_o (e_ar.valid),
    .m_axi_arready_i (e_arready),
    .m_axi_rdata_i   (ch_rdata[0]),
    .m_axi_rresp_i   (ch_rresp[0]),
    .m_axi_rlast_i   (ch_rlast[0]),
    .m_axi_rvalid_i  (e_rvalid),
    .m_axi_rready_o  (e_rready),
    .out_valid_o     (e_out_valid),
    .out_ready_i     (e_out_ready),
    .out_data_o      (e_out_data),
    .out_last_o      (e_out_last)
  );
  assign kick_ok[UEmbed]      = e_cmd_ready;
  assign kdone[UEmbed]        = e_done;
  assign unit_error_k[UEmbed]   = e_done && (e_err != '0);
  assign unit_err_code[UEmbed] = 8'(e_err);
  assign w_valid[4]  = e_out_valid;
  assign w_addr[4]   = e_wptr_q;
  assign w_data[4]   = e_out_data;
  assign e_out_ready = w_ready[4];
  always_ff @(posedge clk_i) begin
    if (kick[UEmbed] && kick_ok[UEmbed]) e_wptr_q <= AbufBits'(i_embed.out_addr);
    else if (e_out_valid && e_out_ready) e_wptr_q <= e_wptr_q + 1'b1;
  end

  // ------------------------------------------------------------------------------------------------
  // LNR (unit 1): delta from the buffer, parameters by DMA from channel 0, int8 result to the buffer
  // ------------------------------------------------------------------------------------------------
  logic                l_cmd_ready, l_busy, l_done;
  logic [1:0]          l_err;
  logic                l_in_valid, l_in_ready, l_in_last;
  logic [DataBits-1:0] l_in_data;
  logic                l_par_valid, l_par_ready;
  logic [511:0]        l_par_data;
  logic                l_out_valid, l_out_ready;
  logic [63:0]         l_out_y;
  logic [255:0]        l_out_res;
  logic                lp_valid, lp_ready, lp_last;
  logic [DataBits-1:0] lp_data;
  logic                ly_valid, ly_ready, ly_last;
  logic [DataBits-1:0] ly_data;
  logic [AbufBits-1:0] l_wptr_q;
  logic [15:0]         l_out_cnt_q;
  logic                l_uses_delta, l_uses_par, l_started;
  logic [1:0]          p_err;

  assign l_uses_delta = (i_lnr.mode <= 3'd3);
  assign l_uses_par   = (i_lnr.mode == 3'd0) || (i_lnr.mode == 3'd2) || (i_lnr.mode == 3'd4);
  assign l_started    = kick[ULnr] && kick_ok[ULnr];

  ll_lnr #(.Lanes(8), .MaxD(MaxD)) u_lnr (
    .clk_i, .rst_ni (dp_rst_n),
    .cmd_valid_i (kick[ULnr]),
    .cmd_ready_o (l_cmd_ready),
    .cmd_mode_i  (i_lnr.mode),
    .cmd_d_i     (DBits'(i_lnr.d)),
    .cmd_s_i     (i_lnr.shift),
    .busy_o      (l_busy),
    .done_o      (l_done),
    .err_o       (l_err),
    .in_valid_i  (l_in_valid),
    .in_ready_o  (l_in_ready),
    .in_data_i   (l_in_data),
    .par_valid_i (l_par_valid),
    .par_ready_o (l_par_ready),
    .par_data_i  (l_par_data),
    .out_valid_o (l_out_valid),
    .out_ready_i (l_out_ready),
    .out_y_o     (l_out_y),
    .out_res_o   (l_out_res)
  );
  logic l_fin_q, l_err_q;
  always_ff @(posedge clk_i) begin
    if (!dp_rst_n || clear) begin
      l_fin_q <= 1'b0;
      l_err_q <= 1'b0;
    end else if (l_done) begin
      l_fin_q <= 1'b1;
      l_err_q <= (l_err != '0);
    end else if (kdone[ULnr]) begin
      l_fin_q <= 1'b0;
    end
  end
  assign kick_ok[ULnr]       = l_cmd_ready && !l_fin_q;
  assign kdone[ULnr]         = l_fin_q && !ly_valid && !l_out_valid;
  assign unit_error_k[ULnr]    = (kdone[ULnr] && l_err_q) || (p_err != '0);
  assign unit_err_code[ULnr] = (p_err != '0) ? {6'h10, p_err} : 8'(l_err);

  ll_abuf_reader #(.AddrBits(AbufBits), .LenBits(16)) u_lnr_rd (
    .clk_i, .rst_ni (dp_rst_n),
    .start_i     (l_started && l_uses_delta),
    .addr_i      (AbufBits'(i_lnr.delta_addr)),
    .beats_i     (i_lnr.d >> 3),
    .busy_o      (nc_busy[0]),
    .done_o      (nc_done[0]),
    .rd_req_o    (ab_rreq[1]),
    .rd_addr_o   (ab_raddr[1]),
    .rd_data_i   (ab_rdata[1]),
    .out_valid_o (l_in_valid),
    .out_ready_i (l_in_ready),
    .out_data_o  (l_in_data),
    .out_last_o  (l_in_last)
  );

  // LayerNorm parameters (d words of 64 bits = d/4 beats) from channel 0, through the MP's read port
  // (credit-based: it never holds the shared R channel)
  logic       p_err_flag;
  logic [1:0] p_err_resp;
  ll_mp_rd_port #(.AddrBits(AddrBits), .BurstLen(16), .FifoDepth(32)) u_lnr_dma (
    .clk_i, .rst_ni (dp_rst_n),
    .start_i     (l_started && l_uses_par),
    .base_i      (i_lnr.param_base),
    .nbeats_i    (32'(i_lnr.d) >> 2),
    .flush_i     (1'b0),
    .hold_i      (1'b0),
    .idle_o      (nc_idle),
    .err_o       (p_err_flag),
    .err_resp_o  (p_err_resp),
    .araddr_o    (p_ar.addr),
    .arlen_o     (p_ar.len),
    .arsize_o    (p_ar.size),
    .arburst_o   (p_ar.burst),
    .arvalid_o   (p_ar.valid),
    .arready_i   (p_arready),
    .rdata_i     (ch_rdata[0]),
    .rresp_i     (ch_rresp[0]),
    .rlast_i     (ch_rlast[0]),
    .rvalid_i    (p_rvalid),
    .rready_o    (p_rready),
    .beat_valid_o(lp_valid),
    .beat_pop_i  (lp_valid && lp_ready),
    .beat_data_o (lp_data)
  );
  assign p_err   = p_err_flag ? p_err_resp : 2'b00;
  assign lp_last = 1'b0;  // d is a multiple of 8: the parameter beats always pair up

  // two 256-bit parameter beats form one 512-bit LNR parameter beat (8 elements x 64 bits)
  ll_unpack #(.InBits(256), .OutBits(512)) u_par_up (
    .clk_i, .rst_ni (dp_rst_n),
    .in_valid_i  (lp_valid),
    .in_ready_o  (lp_ready),
    .in_data_i   (lp_data),
    .in_last_i   (lp_last),
    .out_valid_o (l_par_valid),
    .out_ready_i (l_par_ready),
    .out_data_o  (l_par_data),
    .out_last_o  (nc_last[0]),
    .out_count_o (nc_cnt2)
  );

  // four 64-bit int8 result beats form one 256-bit buffer beat
  always_ff @(posedge clk_i) begin
    if (!dp_rst_n || l_started) l_out_cnt_q <= '0;
    else if (l_out_valid && l_out_ready) l_out_cnt_q <= l_out_cnt_q + 1'b1;
  end
  ll_unpack #(.InBits(64), .OutBits(256)) u_y_up (
    .clk_i, .rst_ni (dp_rst_n),
    .in_valid_i  (l_out_valid && (l_uses_par)),
    .in_ready_o  (ly_ready),
    .in_data_i   (l_out_y),
    .in_last_i   (l_out_cnt_q == (i_lnr.d >> 3) - 16'd1),
    .out_valid_o (ly_valid),
    .out_ready_i (w_ready[3]),
    .out_data_o  (ly_data),
    .out_last_o  (ly_last),
    .out_count_o (nc_cnt4)
  );
  assign l_out_ready = l_uses_par ? ly_ready : 1'b1;
  assign w_valid[3]  = ly_valid;
  assign w_addr[3]   = l_wptr_q;
  assign w_data[3]   = ly_data;
  always_ff @(posedge clk_i) begin
    if (l_started) l_wptr_q <= AbufBits'(i_lnr.out_addr);
    else if (ly_valid && w_ready[3]) l_wptr_q <= l_wptr_q + 1'b1;
  end

  // ------------------------------------------------------------------------------------------------
  // MP (unit 2)
  // ------------------------------------------------------------------------------------------------
  logic                        m_busy, m_done, m_out_valid, m_out_ready, m_out_last;
  logic [1:0]                  m_err;
  logic [15:0]                 m_out_row;
  logic [NumPe-1:0][31:0]      m_out_data;
  logic [NumPe-1:0]            m_out_mask;
  logic [1:0]                  m_sel_q;
  logic [NumPe-1:0][AddrBits-1:0] m_base;

  logic [NumPe-1:0][AddrBits-1:0] mp_ar_addr;
  logic [NumPe-1:0][7:0]          mp_ar_len;
  logic [NumPe-1:0][2:0]          mp_ar_size;
  logic [NumPe-1:0][1:0]          mp_ar_burst;
  logic [NumPe-1:0]               mp_ar_valid;
  always_comb begin
    for (int p = 0; p < NumPe; p++) m_base[p] = i_mp.w_base + AddrBits'(p) * i_mp.port_stride;
  end

  // Weight prefetch: the MP is started as soon as its instruction sits in the launch latch and the
  // kernel is idle, so the weight stream fills the prefetch FIFOs while the input vector is still
  // being gathered or normalised; the dot products start on data_ready (kick -> go_i). A matrix that
  // ends early (illegal descriptor, AXI error) holds its done until the kick, so the latch still goes
  // pend -> active -> done. CLEAR aborts a started matrix (abort_i: ports drained, results dropped).
  logic m_pre_q;   // the MP was started for the op waiting in the latch, data_ready not yet seen
  logic m_start;
  logic m_fin_q, m_err_q;   // the MP's done seen (and its error) until the op's done
  assign m_start = pend_q[UMp] && !m_pre_q && !m_busy && !m_fin_q && !abort_q;
  always_ff @(posedge clk_i) begin
    if (!dp_rst_n || clear) m_pre_q <= 1'b0;
    else if (kick[UMp] && kick_ok[UMp]) m_pre_q <= 1'b0;
    else if (m_start) m_pre_q <= 1'b1;
  end

  ll_mp #(.NumPe(NumPe), .Lanes(32), .AddrBits(AddrBits), .ActAddrBits(AbufBits)) u_mp (
    .clk_i, .rst_ni (dp_rst_n),
    .start_i      (m_start),
    .go_i         (kick[UMp] && kick_ok[UMp]),
    .abort_i      (abort_q),
    .base_i       (m_base),
    .rows_i       (i_mp.rows),
    .din_beats_i  (i_mp.din_beats),
    .mode_i       (i_mp.mode),
    .gelu_m_i     (i_mp.gelu_m),
    .gelu_s_i     (i_mp.gelu_s),
    .act_base_i   (AbufBits'(i_mp.act_addr)),
    .busy_o       (m_busy),
    .done_o       (m_done),
    .err_o        (m_err),
    .act_req_o    (ab_rreq[0]),
    .act_addr_o   (ab_raddr[0]),
    .act_data_i   (ab_rdata[0]),
    .araddr_o     (mp_ar_addr),
    .arlen_o      (mp_ar_len),
    .arsize_o     (mp_ar_size),
    .arburst_o    (mp_ar_burst),
    .arvalid_o    (mp_ar_valid),
    .arready_i    (mp_arready),
    .rdata_i      (ch_rdata),
    .rresp_i      (ch_rresp),
    .rlast_i      (ch_rlast),
    .rvalid_i     (mp_rvalid),
    .rready_o     (mp_rready),
    .out_valid_o  (m_out_valid),
    .out_ready_i  (m_out_ready),
    .out_row_o    (m_out_row),
    .out_data_o   (m_out_data),
    .out_mask_o   (m_out_mask),
    .out_last_o   (m_out_last)
  );
  always_comb begin
    for (int p = 0; p < NumPe; p++) begin
      mp_ar[p] = '{addr: mp_ar_addr[p], len: mp_ar_len[p], size: mp_ar_size[p], burst: mp_ar_burst[p],
                   valid: mp_ar_valid[p]};
    end
  end
  // the op is complete once the MP has finished and its last result has left the packer
  always_ff @(posedge clk_i) begin
    if (!dp_rst_n || clear) begin
      m_fin_q <= 1'b0;
      m_err_q <= 1'b0;
    end else if (m_done) begin
      m_fin_q <= 1'b1;
      m_err_q <= (m_err != '0);
    end else if (kdone[UMp]) begin
      m_fin_q <= 1'b0;
    end
  end
  assign kick_ok[UMp]       = m_pre_q || m_start;
  assign kdone[UMp]         = m_fin_q && active_q[UMp] && !mk_valid && !m_out_valid;
  assign unit_error_k[UMp]    = kdone[UMp] && m_err_q;
  assign unit_err_code[UMp] = 8'(m_err);
  always_ff @(posedge clk_i) begin
    if (kick[UMp] && kick_ok[UMp]) m_sel_q <= i_mp.out_sel;
  end

  // MP results: to the argmax unit as they are, or packed into beats for the buffer / the ring
  logic                mk_valid, mk_ready, mk_last, mk_ready_in;
  logic [DataBits-1:0] mk_data;
  logic [5:0]          mk_count;
  logic                a_in_valid, a_in_ready;
  logic [AbufBits-1:0] m_wptr_q;

  ll_pack #(.NumIn(NumPe)) u_pack (
    .clk_i, .rst_ni (dp_rst_n),
    .in_valid_i  (m_out_valid && (m_sel_q != 2'(OutSelArgmax))),
    .in_ready_o  (mk_ready_in),
    .in_data_i   (m_out_data),
    .in_mask_i   (m_out_mask),
    .in_last_i   (m_out_last),
    .in_mode_i   (i_mp.mode == 2'd1),
    .out_valid_o (mk_valid),
    .out_ready_i (mk_ready),
    .out_data_o  (mk_data),
    .out_last_o  (mk_last),
    .out_count_o (mk_count)
  );
  assign a_in_valid  = m_out_valid && (m_sel_q == 2'(OutSelArgmax));
  assign m_out_ready = (m_sel_q == 2'(OutSelArgmax)) ? a_in_ready : mk_ready_in;

  assign w_valid[1] = mk_valid && (m_sel_q == 2'(OutSelBuf));
  assign w_addr[1]  = m_wptr_q;
  assign w_data[1]  = mk_data;
  always_ff @(posedge clk_i) begin
    if (kick[UMp] && kick_ok[UMp]) m_wptr_q <= AbufBits'(i_mp.out_addr);
    else if (w_valid[1] && w_ready[1]) m_wptr_q <= m_wptr_q + 1'b1;
  end

  // ------------------------------------------------------------------------------------------------
  // MHA (unit 3)
  // ------------------------------------------------------------------------------------------------
  logic                   h_busy, h_done, h_qkv_valid, h_qkv_ready, h_qkv_last;
  logic [2:0]             h_err;
  logic [DataBits-1:0]    h_qkv_data;
  logic                   h_ctx_valid, h_ctx_ready;
  logic [HeadDim*8-1:0]   h_ctx_data;
  logic                   hc_valid, hc_ready, hc_last;
  logic [DataBits-1:0]    hc_data;
  logic [1:0]             h_sel_q;
  logic [7:0]             h_heads_q;
  logic [7:0]             h_cnt_q;
  logic [AbufBits-1:0]    h_wptr_q;
  logic                   h_started;
  logic [NumPe-1:0][AddrBits-1:0] mha_ar_addr;
  logic [NumPe-1:0][7:0]          mha_ar_len;
  logic [NumPe-1:0][2:0]          mha_ar_size;
  logic [NumPe-1:0][1:0]          mha_ar_burst;
  logic [NumPe-1:0]               mha_ar_valid;
  assign h_started = kick[UMha] && kick_ok[UMha];

  ll_abuf_reader #(.AddrBits(AbufBits), .LenBits(16)) u_mha_rd (
    .clk_i, .rst_ni (dp_rst_n),
    .start_i     (h_started),
    .addr_i      (AbufBits'(i_mha.qkv_addr)),
    .beats_i     (16'(3 * HeadBeats) * 16'(i_mha.heads)),
    .busy_o      (nc_busy[2]),
    .done_o      (nc_done[2]),
    .rd_req_o    (ab_rreq[2]),
    .rd_addr_o   (ab_raddr[2]),
    .rd_data_i   (ab_rdata[2]),
    .out_valid_o (h_qkv_valid),
    .out_ready_i (h_qkv_ready),
    .out_data_o  (h_qkv_data),
    .out_last_o  (h_qkv_last)
  );

  ll_mha #(.HeadDim(HeadDim), .Heads(MhaHeads), .MaxCtx(MaxCtx), .Ports(NumPe), .AddrBits(AddrBits)) u_mha (
    .clk_i, .rst_ni (dp_rst_n),
    .start_i         (kick[UMha]),
    .pos_i           (16'(position)),
    .kv_base_i       (i_mha.kv_base),
    .sm_m_i          (i_mha.sm_m),
    .sm_s_i          (i_mha.sm_s),
    .out_m_i         (i_mha.out_m),
    .out_s_i         (i_mha.out_s),
    .busy_o          (h_busy),
    .done_o          (h_done),
    .err_o           (h_err),
    .qkv_valid_i     (h_qkv_valid),
    .qkv_ready_o     (h_qkv_ready),
    .qkv_data_i      (h_qkv_data),
    .ctx_valid_o     (h_ctx_valid),
    .ctx_ready_i     (h_ctx_ready),
    .ctx_data_o      (h_ctx_data),
    .ctx_head_o      (nc_head),
    .m_axi_arvalid_o (mha_ar_valid),
    .m_axi_arready_i (mha_arready),
    .m_axi_araddr_o  (mha_ar_addr),
    .m_axi_arlen_o   (mha_ar_len),
    .m_axi_arsize_o  (mha_ar_size),
    .m_axi_arburst_o (mha_ar_burst),
    .m_axi_rvalid_i  (mha_rvalid),
    .m_axi_rready_o  (mha_rready),
    .m_axi_rdata_i   (ch_rdata),
    .m_axi_rresp_i   (ch_rresp),
    .m_axi_rlast_i   (ch_rlast),
    .m_axi_awvalid_o (m_axi_awvalid_o),
    .m_axi_awready_i (m_axi_awready_i),
    .m_axi_awaddr_o  (m_axi_awaddr_o),
    .m_axi_awlen_o   (m_axi_awlen_o),
    .m_axi_awsize_o  (m_axi_awsize_o),
    .m_axi_awburst_o (m_axi_awburst_o),
    .m_axi_wvalid_o  (m_axi_wvalid_o),
    .m_axi_wready_i  (m_axi_wready_i),
    .m_axi_wdata_o   (m_axi_wdata_o),
    .m_axi_wstrb_o   (m_axi_wstrb_o),
    .m_axi_wlast_o   (m_axi_wlast_o),
    .m_axi_bvalid_i  (m_axi_bvalid_i),
    .m_axi_bready_o  (m_axi_bready_o),
    .m_axi_bresp_i   (m_axi_bresp_i)
  );
  always_comb begin
    for (int p = 0; p < NumPe; p++) begin
      mha_ar[p] = '{addr: mha_ar_addr[p], len: mha_ar_len[p], size: mha_ar_size[p], burst: mha_ar_burst[p],
                    valid: mha_ar_valid[p]};
    end
  end
  logic h_fin_q, h_err_q;
  always_ff @(posedge clk_i) begin
    if (!dp_rst_n || clear) begin
      h_fin_q <= 1'b0;
      h_err_q <= 1'b0;
    end else if (h_done) begin
      h_fin_q <= 1'b1;
      h_err_q <= (h_err != '0);
    end else if (kdone[UMha]) begin
      h_fin_q <= 1'b0;
    end
  end
  assign kick_ok[UMha]       = !h_busy && !h_fin_q;
  assign kdone[UMha]         = h_fin_q && !hc_valid && !h_ctx_valid;
  assign unit_error_k[UMha]    = kdone[UMha] && h_err_q;
  assign unit_err_code[UMha] = 8'(h_err);

  // one head's context (HeadDim bytes) -> HeadBeats beats; last on the final head's final beat
  always_ff @(posedge clk_i) begin
    if (h_started) begin
      h_sel_q   <= i_mha.out_sel;
      h_heads_q <= i_mha.heads;
      h_cnt_q   <= '0;
      h_wptr_q  <= AbufBits'(i_mha.ctx_addr);
    end else begin
      if (h_ctx_valid && h_ctx_ready) h_cnt_q <= h_cnt_q + 1'b1;
      if (w_valid[2] && w_ready[2]) h_wptr_q <= h_wptr_q + 1'b1;
    end
  end
  ll_unpack #(.InBits(HeadDim * 8), .OutBits(DataBits)) u_ctx_down (
    .clk_i, .rst_ni (dp_rst_n),
    .in_valid_i  (h_ctx_valid),
    .in_ready_o  (h_ctx_ready),
    .in_data_i   (h_ctx_data),
    .in_last_i   (h_cnt_q == h_heads_q - 1'b1),
    .out_valid_o (hc_valid),
    .out_ready_i (hc_ready),
    .out_data_o  (hc_data),
    .out_last_o  (hc_last),
    .out_count_o (nc_cnt1)
  );
  assign w_valid[2] = hc_valid && (h_sel_q == 2'(OutSelBuf));
  assign w_addr[2]  = h_wptr_q;
  assign w_data[2]  = hc_data;

  // ------------------------------------------------------------------------------------------------
  // Ring (unit 4): own slice from MP or MHA (whichever produces for the ring), writes to the buffer
  // ------------------------------------------------------------------------------------------------
  logic                 r_cmd_ready, r_busy, r_done;
  ring_pkg::ring_err_e  r_err;
  logic                 own_valid, own_ready, own_last;
  logic [DataBits-1:0]  own_data;
  logic                 r_wr_valid;
  logic [15:0]          r_wr_addr;
  logic [DataBits-1:0]  r_wr_data;
  logic                 r_red_valid;
  logic [31:0]          r_red_value, r_red_index;
  logic                 pair_valid, pair_ready;
  logic                 own_ready_r, pair_ready_r, ring_in_ready_r, ring_out_valid_r;
  assign own_ready        = abort_q || own_ready_r;
  assign pair_ready       = abort_q || pair_ready_r;
  assign ring_in_ready_o  = abort_q || ring_in_ready_r;
  assign ring_out_valid_o = !abort_q && ring_out_valid_r;
  logic [31:0]          pair_value, pair_index;
  logic [15:0]          r_dst_q;
  logic                 mk_to_ring, hc_to_ring, own_lock_q, own_src_q;  // src 0 MP, 1 MHA

  assign mk_to_ring = mk_valid && (m_sel_q == 2'(OutSelRing));
  assign hc_to_ring = hc_valid && (h_sel_q == 2'(OutSelRing));
  logic own_src;
  assign own_src   = own_lock_q ? own_src_q : (!mk_to_ring && hc_to_ring);
  assign own_valid = own_src ? hc_to_ring : mk_to_ring;
  assign own_data  = own_src ? hc_data : mk_data;
  assign own_last  = own_src ? hc_last : mk_last;
  always_ff @(posedge clk_i) begin
    if (!dp_rst_n) begin
      own_lock_q <= 1'b0;
      own_src_q  <= 1'b0;
    end else if (own_valid && own_ready) begin
      own_lock_q <= !own_last;
      own_src_q  <= own_src;
    end
  end
  assign mk_ready = (m_sel_q == 2'(OutSelRing)) ? (own_ready && !own_src) : w_ready[1];
  assign hc_ready = (h_sel_q == 2'(OutSelRing)) ? (own_ready && own_src) : w_ready[2];

  ring_router #(.NumNodes(NumNodes)) u_ring (
    .clk_i, .rst_ni (dp_rst_n),
    .node_id_i        (node_id_i),
    .timeout_i        ('0),
    .cmd_valid_i      (kick[URing]),
    .cmd_ready_o      (r_cmd_ready),
    .cmd_op_i         (ring_pkg::ring_op_e'(i_ring.op[0])),
    .cmd_layout_i     (ring_pkg::ring_layout_e'(i_ring.layout)),
    .cmd_vec_beats_i  (i_ring.vec_beats),
    .cmd_start_i      (i_ring.start),
    .cmd_len_i        (i_ring.len),
    .cmd_block_log2_i (i_ring.block_log2),
    .busy_o           (r_busy),
    .done_o           (r_done),
    .error_o          (r_err),
    .clear_i          (clear),
    .own_valid_i      (own_valid && !abort_q),
    .own_ready_o      (own_ready_r),
    .own_data_i       (own_data),
    .own_last_i       (own_last),
    .pair_valid_i     (pair_valid && !abort_q),
    .pair_ready_o     (pair_ready_r),
    .pair_value_i     (pair_value),
    .pair_index_i     (pair_index),
    .red_valid_o      (r_red_valid),
    .red_value_o      (r_red_value),
    .red_index_o      (r_red_index),
    .wr_valid_o       (r_wr_valid),
    .wr_ready_i       (w_ready[0]),
    .wr_addr_o        (r_wr_addr),
    .wr_data_o        (r_wr_data),
    .ring_in_valid_i  (ring_in_valid_i && !abort_q),
    .ring_in_ready_o  (ring_in_ready_r),
    .ring_in_data_i, .ring_in_last_i, .ring_in_side_i,
    .ring_out_valid_o (ring_out_valid_r),
    .ring_out_ready_i (ring_out_ready_i && !abort_q),
    .ring_out_data_o, .ring_out_last_o, .ring_out_side_o
  );
  always_ff @(posedge clk_i) begin
    if (kick[URing] && kick_ok[URing]) r_dst_q <= i_ring.dst_addr;
  end
  assign kick_ok[URing]       = r_cmd_ready;
  assign kdone[URing]         = r_done;
  assign unit_error_k[URing]    = (r_err != ring_pkg::ErrNone);
  assign unit_err_code[URing] = 8'(r_err);
  assign w_valid[0] = r_wr_valid;
  assign w_addr[0]  = AbufBits'(r_dst_q + r_wr_addr);
  assign w_data[0]  = r_wr_data;

  logic red_seen_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni || start) begin
      token_out   <= '0;
      token_logit <= '0;
      red_seen_q  <= 1'b0;
    end else if (r_red_valid && !red_seen_q) begin
      token_out   <= r_red_index;
      token_logit <= r_red_value;
      red_seen_q  <= 1'b1;
    end else if (!r_red_valid) begin
      red_seen_q  <= 1'b0;
    end
  end

  // ------------------------------------------------------------------------------------------------
  // ARGMAX (unit 5): over the MP results routed to it, global index = index_base + row * NumPe + lane
  // ------------------------------------------------------------------------------------------------
  logic        a_out_valid, a_out_empty;
  logic [31:0] a_out_val, a_out_idx;
  logic [31:0] a_base_q;
  always_ff @(posedge clk_i) begin
    if (kick[UArgmax] && kick_ok[UArgmax]) a_base_q <= i_argmax.index_base;
  end
  ll_argmax #(.Lanes(NumPe), .ValBits(32), .IdxBits(32)) u_argmax (
    .clk_i, .rst_ni (dp_rst_n),
    .in_valid_i  (a_in_valid),
    .in_ready_o  (a_in_ready),
    .in_data_i   (m_out_data),
    .in_keep_i   (m_out_mask),
    .in_idx_i    (a_base_q + 32'(m_out_row) * 32'(NumPe)),
    .in_last_i   (m_out_last),
    .out_valid_o (a_out_valid),
    .out_ready_i (pair_ready),
    .out_val_o   (a_out_val),
    .out_idx_o   (a_out_idx),
    .out_empty_o (a_out_empty)
  );
  assign pair_valid = a_out_valid;
  assign pair_value = a_out_val;
  assign pair_index = a_out_idx;
  assign kick_ok[UArgmax]       = 1'b1;
  assign kdone[UArgmax]         = a_out_valid && pair_ready;
  assign unit_error_k[UArgmax]    = a_out_valid && pair_ready && a_out_empty;
  assign unit_err_code[UArgmax] = 8'h01;

  // Outputs and instruction bits this node does not use (status, reserved fields, last flags that
  // the counters already imply).
  /* verilator lint_off UNUSEDSIGNAL */
  logic [2:0] nc_busy, nc_done;
  logic       nc_idle;
  logic [0:0] nc_last;
  logic [1:0] nc_cnt2;
  logic [2:0] nc_cnt4;
  logic [$clog2(MhaHeads > 1 ? MhaHeads : 2)-1:0] nc_head;
  logic [1:0] nc_cnt1;
  logic unused;
  assign unused = ^{nc_busy[0], nc_busy[2], nc_done[0], nc_done[2], nc_idle, nc_last, nc_cnt2, nc_cnt4, nc_head, nc_cnt1, f_arid, ab_rvalid,
                    e_out_last, e_busy, l_busy, l_in_last, l_out_res, ly_last, mk_count, h_qkv_last, r_busy,
                    i_embed, i_lnr, i_mp, i_mha, i_ring, i_argmax};
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
