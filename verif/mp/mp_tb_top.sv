// MP testbench top: the kernel, one memory model per read port, the activation buffer and a cycle
// counter, with flat ports for cocotb.
//   SharedMem = 1: the project's ll_axi_mem_sim (rtl/sim/, docs/memory_model.md), images loaded from
//                  binary files named by the +mp_mem<p>_load plusargs; fixed latency per AR
//                  (cfg_latency_i, which cocotb may change at run time), one stall probability for
//                  AR and R (max of cfg_gap_pct_i, cfg_arstall_pct_i), SLVERR for the burst that
//                  covers beat cfg_err_beat_i[p] (all ones: off), DECERR past MemBeats.
//   SharedMem = 0: mp_axi_rd_mem_sim (verif/mp/), hex images, per-burst latency jitter, separate
//                  R-gap and AR-stall probabilities, SLVERR from beat cfg_err_beat_i[p] upwards.
// load_i (one cycle) reloads the images of every port in both cases.
// cfg_alias_i (0: off) mirrors each port's memory (MemBeats beats from address 0) at a second window
// starting at cfg_alias_i (a multiple of the memory size): the kernel can be run at high addresses.
module mp_tb_top #(
  parameter int unsigned NumPe      = 8,
  parameter int unsigned Lanes      = 32,
  parameter int unsigned ActLatency = 1,
  parameter int unsigned FifoDepth  = 128,
  parameter int unsigned BurstLen   = 16,
  parameter int unsigned PrefetchBeats = 2 * BurstLen,
  parameter int unsigned MemBeats   = 1 << 15,
  parameter bit          SharedMem  = 1'b1,
  localparam int unsigned DataBits  = Lanes * 8,
  localparam int unsigned AddrBits  = 32,
  localparam int unsigned ActAddrBits = 10,
  localparam int unsigned RowBits   = 16
) (
  input  logic                           clk_i,
  input  logic                           rst_ni,
  input  logic                           load_i,
  // memory knobs
  input  logic [15:0]                    cfg_latency_i,
  input  logic [15:0]                    cfg_jitter_i,
  input  logic [7:0]                     cfg_gap_pct_i,
  input  logic [7:0]                     cfg_arstall_pct_i,
  input  logic [NumPe-1:0][31:0]         cfg_err_beat_i,
  input  logic [AddrBits-1:0]            cfg_alias_i,
  // command
  input  logic                           start_i,
  input  logic                           go_i,         // activations complete (tie high: one phase)
  input  logic                           abort_i,
  input  logic [NumPe-1:0][AddrBits-1:0] base_i,
  input  logic [RowBits-1:0]             rows_i,
  input  logic [12:0]                    din_beats_i,
  input  logic [1:0]                     mode_i,
  input  logic [14:0]                    gelu_m_i,
  input  logic [5:0]                     gelu_s_i,
  input  logic [ActAddrBits-1:0]         act_base_i,
  output logic                           busy_o,
  output logic                           done_o,
  output logic [1:0]                     err_o,
  // results
  output logic                           out_valid_o,
  input  logic                           out_ready_i,
  output logic [RowBits-1:0]             out_row_o,
  output logic [NumPe-1:0][31:0]         out_data_o,
  output logic [NumPe-1:0]               out_mask_o,
  output logic                           out_last_o,
  // observation
  output logic [NumPe:0]                 out_info_o,   // {out_last_o, out_mask_o}: one handle
  output logic [31:0]                    cycle_o,
  output logic [31:0]                    rbeats_o,     // R beats accepted on all ports
  output logic [31:0]                    arbursts_o,   // AR handshakes on all ports
  output logic [31:0]                    actreads_o    // activation buffer reads
);

  logic [NumPe-1:0][AddrBits-1:0] araddr;
  logic [NumPe-1:0][7:0]          arlen;
  logic [NumPe-1:0][2:0]          arsize;
  logic [NumPe-1:0][1:0]          arburst;
  logic [NumPe-1:0]               arvalid, arready;
  logic [NumPe-1:0][DataBits-1:0] rdata;
  logic [NumPe-1:0][1:0]          rresp;
  logic [NumPe-1:0]               rlast, rvalid, rready;
  logic                           act_req;
  logic [ActAddrBits-1:0]         act_addr;
  logic [DataBits-1:0]            act_data;

  ll_mp #(
    .NumPe(NumPe), .Lanes(Lanes), .AddrBits(AddrBits), .BurstLen(BurstLen),
    .FifoDepth(FifoDepth), .PrefetchBeats(PrefetchBeats), .OutDepth(32), .ActLatency(ActLatency), .ActAddrBits(ActAddrBits),
    .RowBits(RowBits)
  ) u_dut (
    .clk_i, .rst_ni,
    .start_i, .go_i, .abort_i, .base_i, .rows_i, .din_beats_i, .mode_i, .gelu_m_i, .gelu_s_i, .act_base_i,
    .busy_o, .done_o, .err_o,
    .act_req_o(act_req), .act_addr_o(act_addr), .act_data_i(act_data),
    .araddr_o(araddr), .arlen_o(arlen), .arsize_o(arsize), .arburst_o(arburst),
    .arvalid_o(arvalid), .arready_i(arready),
    .rdata_i(rdata), .rresp_i(rresp), .rlast_i(rlast), .rvalid_i(rvalid), .rready_o(rready),
    .out_valid_o, .out_ready_i, .out_row_o, .out_data_o, .out_mask_o, .out_last_o
  );

  localparam int unsigned BeatBytes = DataBits / 8;
  localparam longint unsigned WinBytes = 64'(MemBeats) * 64'(BeatBytes);

  // the alias window: addresses in [cfg_alias_i, cfg_alias_i + WinBytes) reach the memory at 0
  logic [NumPe-1:0][AddrBits-1:0] mem_araddr;
  for (genvar p = 0; p < NumPe; p++) begin : g_alias
    always_comb begin
      mem_araddr[p] = araddr[p];
      if (cfg_alias_i != '0 && 64'(araddr[p]) >= 64'(cfg_alias_i)
          && 64'(araddr[p]) - 64'(cfg_alias_i) < WinBytes) begin
        mem_araddr[p] = araddr[p] - cfg_alias_i;
      end
    end
  end

  logic [7:0] stall_prob;
  always_comb begin
    automatic int unsigned pct = (cfg_gap_pct_i > cfg_arstall_pct_i) ? 32'(cfg_gap_pct_i)
                                                                      : 32'(cfg_arstall_pct_i);
    stall_prob = (pct >= 100) ? 8'd255 : 8'((pct * 256) / 100);
  end

  for (genvar p = 0; p < NumPe; p++) begin : g_mem
    if (SharedMem) begin : g_shared
      logic unused_mem;
      ll_axi_mem_sim #(
        .Name($sformatf("mp_mem%0d", p)), .DataBits(DataBits), .AddrBits(AddrBits), .IdBits(1),
        .MemBytes(64'(MemBeats) * 64'(BeatBytes))
      ) u_mem (
        .clk_i, .rst_ni,
        .axi_awid_i('0), .axi_awaddr_i('0), .axi_awlen_i('0), .axi_awsize_i('0),
        .axi_awburst_i('0), .axi_awvalid_i(1'b0), .axi_awready_o(),
        .axi_wdata_i('0), .axi_wstrb_i('0), .axi_wlast_i(1'b0), .axi_wvalid_i(1'b0),
        .axi_wready_o(),
        .axi_bid_o(), .axi_bresp_o(), .axi_bvalid_o(), .axi_bready_i(1'b1),
        .axi_arid_i(1'b0), .axi_araddr_i(mem_araddr[p]), .axi_arlen_i(arlen[p]),
        .axi_arsize_i(arsize[p]), .axi_arburst_i(arburst[p]), .axi_arvalid_i(arvalid[p]),
        .axi_arready_o(arready[p]),
        .axi_rid_o(), .axi_rdata_o(rdata[p]), .axi_rresp_o(rresp[p]), .axi_rlast_o(rlast[p]),
        .axi_rvalid_o(rvalid[p]), .axi_rready_i(rready[p]),
        .cfg_read_latency_i(cfg_latency_i), .cfg_stall_prob_i(stall_prob),
        .cfg_seed_i(32'h9e37_79b9 * (p + 1)),
        .cfg_err_en_i(cfg_err_beat_i[p] != '1),
        .cfg_err_addr_i(AddrBits'(cfg_err_beat_i[p]) * AddrBits'(BeatBytes)),
        .load_req_i(load_i), .dump_req_i(1'b0), .dump_addr_i('0), .dump_bytes_i('0),
        .dbg_we_i(1'b0), .dbg_addr_i('0), .dbg_wdata_i('0), .dbg_wstrb_i('0), .dbg_rdata_o()
      );
    end else begin : g_own
      mp_axi_rd_mem_sim #(
        .Idx(p), .AddrBits(AddrBits), .DataBits(DataBits), .DepthBeats(MemBeats)
      ) u_mem (
        .clk_i, .rst_ni, .load_i,
        .cfg_latency_i, .cfg_jitter_i, .cfg_gap_pct_i, .cfg_arstall_pct_i,
        .cfg_err_beat_i(cfg_err_beat_i[p]),
        .araddr_i(mem_araddr[p]), .arlen_i(arlen[p]), .arsize_i(arsize[p]), .arburst_i(arburst[p]),
        .arvalid_i(arvalid[p]), .arready_o(arready[p]),
        .rdata_o(rdata[p]), .rresp_o(rresp[p]), .rlast_o(rlast[p]), .rvalid_o(rvalid[p]),
        .rready_i(rready[p])
      );
    end
  end

  mp_act_buf_sim #(.DataBits(DataBits), .AddrBits(ActAddrBits), .Latency(ActLatency)) u_act (
    .clk_i, .load_i, .req_i(act_req), .addr_i(act_addr), .data_o(act_data)
  );

  assign out_info_o = {out_last_o, out_mask_o};

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      cycle_o    <= '0;
      rbeats_o   <= '0;
      arbursts_o <= '0;
      actreads_o <= '0;
    end else begin
      cycle_o    <= cycle_o + 1;
      rbeats_o   <= rbeats_o + 32'($countones(rvalid & rready));
      arbursts_o <= arbursts_o + 32'($countones(arvalid & arready));
      actreads_o <= actreads_o + 32'(act_req);
    end
  end

endmodule
