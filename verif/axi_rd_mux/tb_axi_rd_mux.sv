// Test wrapper: ll_axi_rd_mux with its slave side on the ll_axi_mem_sim memory model. The masters'
// AR/R ports are flat packed vectors driven by the cocotb testbench; the memory is preloaded from an
// image file (+mem_load=<file>).
module tb_axi_rd_mux #(
  parameter int unsigned NumMasters     = 2,
  parameter int unsigned MaxOutstanding = 8,
  parameter int unsigned AddrBits       = 20
) (
  input  logic                                 clk_i,
  input  logic                                 rst_ni,
  input  logic [NumMasters-1:0][AddrBits-1:0]  m_araddr_i,
  input  logic [NumMasters-1:0][7:0]           m_arlen_i,
  input  logic [NumMasters-1:0]                m_arvalid_i,
  output logic [NumMasters-1:0]                m_arready_o,
  output logic [255:0]                         m_rdata_o,
  output logic [1:0]                           m_rresp_o,
  output logic                                 m_rlast_o,
  output logic [NumMasters-1:0]                m_rvalid_o,
  input  logic [NumMasters-1:0]                m_rready_i,
  // slave side, visible for the bandwidth monitor
  output logic                                 s_rvalid_o,
  output logic                                 s_rready_o,
  output logic [$clog2(MaxOutstanding+1)-1:0]  outstanding_o,
  input  logic [15:0]                          cfg_read_latency_i,
  input  logic [7:0]                           cfg_stall_prob_i,
  input  logic [31:0]                          cfg_seed_i,
  input  logic                                 cfg_err_en_i,    // SLVERR on the burst covering
  input  logic [AddrBits-1:0]                  cfg_err_addr_i   // this byte address
);
  logic [AddrBits-1:0] s_araddr;
  logic [7:0]          s_arlen;
  logic [2:0]          s_arsize;
  logic [1:0]          s_arburst;
  logic                s_arvalid, s_arready;
  logic [255:0]        s_rdata;
  logic [1:0]          s_rresp;
  logic                s_rlast, s_rvalid, s_rready;
  logic [NumMasters-1:0][2:0] m_arsize;
  logic [NumMasters-1:0][1:0] m_arburst;

  for (genvar i = 0; i < NumMasters; i++) begin : g_m
    assign m_arsize[i]  = 3'd5;   // 32-byte beats
    assign m_arburst[i] = 2'b01;  // INCR
  end

  ll_axi_rd_mux #(
    .NumMasters    (NumMasters),
    .AddrBits      (AddrBits),
    .DataBits      (256),
    .MaxOutstanding(MaxOutstanding)
  ) u_dut (
    .clk_i, .rst_ni,
    .m_araddr_i, .m_arlen_i, .m_arsize_i(m_arsize), .m_arburst_i(m_arburst), .m_arvalid_i,
    .m_arready_o, .m_rdata_o, .m_rresp_o, .m_rlast_o, .m_rvalid_o, .m_rready_i,
    .s_araddr_o(s_araddr), .s_arlen_o(s_arlen), .s_arsize_o(s_arsize), .s_arburst_o(s_arburst),
    .s_arvalid_o(s_arvalid), .s_arready_i(s_arready), .s_rdata_i(s_rdata), .s_rresp_i(s_rresp),
    .s_rlast_i(s_rlast), .s_rvalid_i(s_rvalid), .s_rready_o(s_rready),
    .outstanding_o
  );

  assign s_rvalid_o = s_rvalid;
  assign s_rready_o = s_rready;

  ll_axi_mem_sim #(
    .Name    ("mem"),
    .DataBits(256),
    .AddrBits(AddrBits),
    .IdBits  (1),
    .MemBytes(64'd1 << AddrBits)
  ) u_mem (
    .clk_i, .rst_ni,
    .axi_awid_i('0), .axi_awaddr_i('0), .axi_awlen_i('0), .axi_awsize_i(3'd5),
    .axi_awburst_i(2'b01), .axi_awvalid_i(1'b0), .axi_awready_o(),
    .axi_wdata_i('0), .axi_wstrb_i('0), .axi_wlast_i(1'b0), .axi_wvalid_i(1'b0), .axi_wready_o(),
    .axi_bid_o(), .axi_bresp_o(), .axi_bvalid_o(), .axi_bready_i(1'b1),
    .axi_arid_i('0), .axi_araddr_i(s_araddr), .axi_arlen_i(s_arlen), .axi_arsize_i(s_arsize),
    .axi_arburst_i(s_arburst), .axi_arvalid_i(s_arvalid), .axi_arready_o(s_arready),
    .axi_rid_o(), .axi_rdata_o(s_rdata), .axi_rresp_o(s_rresp), .axi_rlast_o(s_rlast),
    .axi_rvalid_o(s_rvalid), .axi_rready_i(s_rready),
    .cfg_read_latency_i, .cfg_stall_prob_i, .cfg_seed_i,
    .cfg_err_en_i, .cfg_err_addr_i,
    .load_req_i(1'b0), .dump_req_i(1'b0), .dump_addr_i('0), .dump_bytes_i('0),
    .dbg_we_i(1'b0), .dbg_addr_i('0), .dbg_wdata_i('0), .dbg_wstrb_i('0), .dbg_rdata_o()
  );
endmodule
