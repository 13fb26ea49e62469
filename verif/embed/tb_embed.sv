// Testbench wrapper: ll_embed on the simulation memory model (docs/memory_model.md). The test writes
// the tables through the model's debug poke port and sets its latency, stalls and error injection.
module tb_embed #(
  parameter int unsigned Lanes = 8,
  parameter int unsigned MaxD  = 4096
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      cmd_valid_i,
  output logic                      cmd_ready_o,
  input  logic [31:0]               cmd_tok_i,
  input  logic [31:0]               cmd_pos_i,
  input  logic [$clog2(MaxD+1)-1:0] cmd_d_i,
  input  logic [31:0]               cmd_wte_base_i,
  input  logic [31:0]               cmd_wte_rows_i,
  input  logic [31:0]               cmd_wpe_base_i,
  input  logic [31:0]               cmd_wpe_rows_i,
  output logic                      busy_o,
  output logic                      done_o,
  output logic [2:0]                err_o,
  output logic                      out_valid_o,
  input  logic                      out_ready_i,
  output logic [Lanes*32-1:0]       out_data_o,
  output logic                      out_last_o,
  output logic                      ar_fire_o,
  output logic                      r_fire_o,
  input  logic [15:0]               cfg_read_latency_i,
  input  logic [7:0]                cfg_stall_prob_i,
  input  logic [31:0]               cfg_seed_i,
  input  logic                      cfg_err_en_i,
  input  logic [31:0]               cfg_err_addr_i,
  input  logic                      dbg_we_i,
  input  logic [31:0]               dbg_addr_i,
  input  logic [255:0]              dbg_wdata_i
);
  logic [31:0]  araddr;
  logic [7:0]   arlen;
  logic [2:0]   arsize;
  logic [1:0]   arburst, rresp;
  logic         arvalid, arready, rvalid, rready, rlast;
  logic [255:0] rdata;

  ll_embed #(.Lanes(Lanes), .MaxD(MaxD), .AddrBits(32)) u_dut (
    .clk_i, .rst_ni,
    .cmd_valid_i, .cmd_ready_o, .cmd_tok_i, .cmd_pos_i, .cmd_d_i, .cmd_wte_base_i, .cmd_wte_rows_i,
    .cmd_wpe_base_i, .cmd_wpe_rows_i, .busy_o, .done_o, .err_o,
    .m_axi_araddr_o(araddr), .m_axi_arlen_o(arlen), .m_axi_arsize_o(arsize),
    .m_axi_arburst_o(arburst), .m_axi_arvalid_o(arvalid), .m_axi_arready_i(arready),
    .m_axi_rdata_i(rdata), .m_axi_rresp_i(rresp), .m_axi_rlast_i(rlast),
    .m_axi_rvalid_i(rvalid), .m_axi_rready_o(rready),
    .out_valid_o, .out_ready_i, .out_data_o, .out_last_o
  );

  assign ar_fire_o = arvalid && arready;
  assign r_fire_o  = rvalid && rready;

  // the write channel and the debug read-back of the model are unused here
  /* verilator lint_off PINCONNECTEMPTY */
  ll_axi_mem_sim #(.Name("embed_mem"), .DataBits(256), .AddrBits(32), .IdBits(1),
                   .MemBytes(64'd1 << 32)) u_mem (
    .clk_i, .rst_ni,
    .axi_awid_i('0), .axi_awaddr_i('0), .axi_awlen_i('0), .axi_awsize_i(3'd5),
    .axi_awburst_i(2'b01), .axi_awvalid_i(1'b0), .axi_awready_o(),
    .axi_wdata_i('0), .axi_wstrb_i('0), .axi_wlast_i(1'b0), .axi_wvalid_i(1'b0), .axi_wready_o(),
    .axi_bid_o(), .axi_bresp_o(), .axi_bvalid_o(), .axi_bready_i(1'b1),
    .axi_arid_i('0), .axi_araddr_i(araddr), .axi_arlen_i(arlen), .axi_arsize_i(arsize),
    .axi_arburst_i(arburst), .axi_arvalid_i(arvalid), .axi_arready_o(arready),
    .axi_rid_o(), .axi_rdata_o(rdata), .axi_rresp_o(rresp), .axi_rlast_o(rlast),
    .axi_rvalid_o(rvalid), .axi_rready_i(rready),
    .cfg_read_latency_i, .cfg_stall_prob_i, .cfg_seed_i, .cfg_err_en_i, .cfg_err_addr_i,
    .load_req_i(1'b0), .dump_req_i(1'b0), .dump_addr_i('0), .dump_bytes_i('0),
    .dbg_we_i, .dbg_addr_i, .dbg_wdata_i, .dbg_wstrb_i('1), .dbg_rdata_o()
  );
  /* verilator lint_on PINCONNECTEMPTY */
endmodule
