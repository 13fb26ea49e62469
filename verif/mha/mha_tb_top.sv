// Testbench wrapper of ll_mha: the kernel plus one simulated AXI4 memory per port (ll_axi_mem_sim,
// instance names kv0, kv1, ...: the cache is loaded and read back with the model's binary file
// load/dump, plusargs +kv<p>_load=<file> and +kv<p>_dump=<file>), flat ports for cocotb, and a
// counter of R beats accepted by the kernel since the last start (for the bandwidth printout).
module mha_tb_top #(
  parameter int unsigned HeadDim  = 64,
  parameter int unsigned Heads    = 4,
  parameter int unsigned MaxCtx   = 256,
  parameter int unsigned Ports    = 4,
  localparam int unsigned AddrBits = 32,
  localparam int unsigned HeadW    = (Heads > 1) ? $clog2(Heads) : 1,
  // memory size of every port (sparse model): bytes 0xF000_0000 and up answer DECERR (test address_bits)
  localparam longint unsigned MemBytes = 64'hF000_0000
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     start_i,
  input  logic [15:0]              pos_i,
  input  logic [AddrBits-1:0]      kv_base_i,
  input  logic [14:0]              sm_m_i,
  input  logic [5:0]               sm_s_i,
  input  logic [14:0]              out_m_i,
  input  logic [5:0]               out_s_i,
  output logic                     busy_o,
  output logic                     done_o,
  output logic [2:0]               err_o,
  input  logic                     qkv_valid_i,
  output logic                     qkv_ready_o,
  input  logic [255:0]             qkv_data_i,
  output logic                     ctx_valid_o,
  input  logic                     ctx_ready_i,
  output logic [HeadDim*8-1:0]     ctx_data_o,
  output logic [HeadW-1:0]         ctx_head_o,
  // memory configuration (all ports)
  input  logic [15:0]              cfg_read_latency_i,
  input  logic [7:0]               cfg_stall_prob_i,
  input  logic [31:0]              cfg_seed_i,
  input  logic [Ports-1:0]         cfg_err_en_i,
  input  logic [AddrBits-1:0]      cfg_err_addr_i,
  input  logic                     load_req_i,
  input  logic                     dump_req_i,
  input  logic [AddrBits-1:0]      dump_addr_i,
  input  logic [31:0]              dump_bytes_i,
  // observation
  output logic [31:0]              rd_beats_o,
  output logic [31:0]              wr_beats_o
);
  logic [Ports-1:0]                arvalid, arready, rvalid, rready, rlast;
  logic [Ports-1:0][AddrBits-1:0]  araddr, awaddr;
  logic [Ports-1:0][7:0]           arlen, awlen;
  logic [Ports-1:0][2:0]           arsize, awsize;
  logic [Ports-1:0][1:0]           arburst, awburst, rresp, bresp;
  logic [Ports-1:0][255:0]         rdata, wdata;
  logic [Ports-1:0][31:0]          wstrb;
  logic [Ports-1:0]                awvalid, awready, wvalid, wready, wlast, bvalid, bready;

  ll_mha #(
    .HeadDim(HeadDim), .Heads(Heads), .MaxCtx(MaxCtx), .Ports(Ports), .AddrBits(AddrBits)
  ) u_dut (
    .clk_i, .rst_ni, .start_i, .pos_i, .kv_base_i, .sm_m_i, .sm_s_i, .out_m_i, .out_s_i,
    .busy_o, .done_o, .err_o, .qkv_valid_i, .qkv_ready_o, .qkv_data_i,
    .ctx_valid_o, .ctx_ready_i, .ctx_data_o, .ctx_head_o,
    .m_axi_arvalid_o(arvalid), .m_axi_arready_i(arready), .m_axi_araddr_o(araddr),
    .m_axi_arlen_o(arlen), .m_axi_arsize_o(arsize), .m_axi_arburst_o(arburst),
    .m_axi_rvalid_i(rvalid), .m_axi_rready_o(rready), .m_axi_rdata_i(rdata),
    .m_axi_rresp_i(rresp), .m_axi_rlast_i(rlast),
    .m_axi_awvalid_o(awvalid), .m_axi_awready_i(awready), .m_axi_awaddr_o(awaddr),
    .m_axi_awlen_o(awlen), .m_axi_awsize_o(awsize), .m_axi_awburst_o(awburst),
    .m_axi_wvalid_o(wvalid), .m_axi_wready_i(wready), .m_axi_wdata_o(wdata),
    .m_axi_wstrb_o(wstrb), .m_axi_wlast_o(wlast),
    .m_axi_bvalid_i(bvalid), .m_axi_bready_o(bready), .m_axi_bresp_i(bresp)
  );

  for (genvar gp = 0; gp < Ports; gp++) begin : g_mem
    localparam string MemName = $sformatf("kv%0d", gp);
    logic [3:0]   rid, bid;
    logic [255:0] dbg_rdata;
    ll_axi_mem_sim #(
      .Name(MemName), .DataBits(256), .AddrBits(AddrBits), .IdBits(4), .MemBytes(MemBytes)
    ) u_mem (
      .clk_i, .rst_ni,
      .axi_awid_i('0), .axi_awaddr_i(awaddr[gp]), .axi_awlen_i(awlen[gp]), .axi_awsize_i(awsize[gp]),
      .axi_awburst_i(awburst[gp]), .axi_awvalid_i(awvalid[gp]), .axi_awready_o(awready[gp]),
      .axi_wdata_i(wdata[gp]), .axi_wstrb_i(wstrb[gp]), .axi_wlast_i(wlast[gp]),
      .axi_wvalid_i(wvalid[gp]), .axi_wready_o(wready[gp]),
      .axi_bid_o(bid), .axi_bresp_o(bresp[gp]), .axi_bvalid_o(bvalid[gp]), .axi_bready_i(bready[gp]),
      .axi_arid_i('0), .axi_araddr_i(araddr[gp]), .axi_arlen_i(arlen[gp]), .axi_arsize_i(arsize[gp]),
      .axi_arburst_i(arburst[gp]), .axi_arvalid_i(arvalid[gp]), .axi_arready_o(arready[gp]),
      .axi_rid_o(rid), .axi_rdata_o(rdata[gp]), .axi_rresp_o(rresp[gp]), .axi_rlast_o(rlast[gp]),
      .axi_rvalid_o(rvalid[gp]), .axi_rready_i(rready[gp]),
      .cfg_read_latency_i, .cfg_stall_prob_i, .cfg_seed_i(cfg_seed_i + 32'(gp) * 32'h1234567),
      .cfg_err_en_i(cfg_err_en_i[gp]), .cfg_err_addr_i,
      .load_req_i, .dump_req_i, .dump_addr_i, .dump_bytes_i,
      .dbg_we_i(1'b0), .dbg_addr_i('0), .dbg_wdata_i('0), .dbg_wstrb_i('0), .dbg_rdata_o(dbg_rdata)
    );
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni || start_i) begin
      rd_beats_o <= '0;
      wr_beats_o <= '0;
    end else begin
      rd_beats_o <= rd_beats_o + 32'($countones(rvalid & rready));
      wr_beats_o <= wr_beats_o + 32'($countones(wvalid & wready));
    end
  end
endmodule
