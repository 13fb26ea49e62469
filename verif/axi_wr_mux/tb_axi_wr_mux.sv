// Test wrapper: ll_axi_wr_mux with its slave side on the ll_axi_mem_sim memory model. The masters'
// AW/W/B ports are flat packed vectors driven by the cocotb testbench; the memory is read back
// through the model's registered debug peek port.
module tb_axi_wr_mux #(
  parameter int unsigned NumMasters     = 2,
  parameter int unsigned MaxOutstanding = 8,
  parameter int unsigned AddrBits       = 20
) (
  input  logic                                 clk_i,
  input  logic                                 rst_ni,
  input  logic [NumMasters-1:0][AddrBits-1:0]  m_awaddr_i,
  input  logic [NumMasters-1:0][7:0]           m_awlen_i,
  input  logic [NumMasters-1:0]                m_awvalid_i,
  output logic [NumMasters-1:0]                m_awready_o,
  input  logic [NumMasters-1:0][255:0]         m_wdata_i,
  input  logic [NumMasters-1:0][31:0]          m_wstrb_i,
  input  logic [NumMasters-1:0]                m_wlast_i,
  input  logic [NumMasters-1:0]                m_wvalid_i,
  output logic [NumMasters-1:0]                m_wready_o,
  output logic [1:0]                           m_bresp_o,
  output logic [NumMasters-1:0]                m_bvalid_o,
  input  logic [NumMasters-1:0]                m_bready_i,
  // slave side, visible for the bandwidth monitor
  output logic                                 s_wvalid_o,
  output logic                                 s_wready_o,
  output logic [$clog2(MaxOutstanding+1)-1:0]  w_pending_o,
  output logic [$clog2(MaxOutstanding+1)-1:0]  b_pending_o,
  input  logic [15:0]                          cfg_read_latency_i,
  input  logic [7:0]                           cfg_stall_prob_i,
  input  logic [31:0]                          cfg_seed_i,
  input  logic                                 cfg_err_en_i,    // SLVERR (write discarded) for the
  input  logic [AddrBits-1:0]                  cfg_err_addr_i,  // burst covering this byte address
  input  logic [AddrBits-1:0]                  dbg_addr_i,
  output logic [255:0]                         dbg_rdata_o
);
  logic [AddrBits-1:0] s_awaddr;
  logic [7:0]          s_awlen;
  logic [2:0]          s_awsize;
  logic [1:0]          s_awburst;
  logic                s_awvalid, s_awready;
  logic [255:0]        s_wdata;
  logic [31:0]         s_wstrb;
  logic                s_wlast, s_wvalid, s_wready;
  logic [1:0]          s_bresp;
  logic                s_bvalid, s_bready;
  logic [NumMasters-1:0][2:0] m_awsize;
  logic [NumMasters-1:0][1:0] m_awburst;

  for (genvar i = 0; i < NumMasters; i++) begin : g_m
    assign m_awsize[i]  = 3'd5;   // 32-byte beats
    assign m_awburst[i] = 2'b01;  // INCR
  end

  ll_axi_wr_mux #(
    .NumMasters    (NumMasters),
    .AddrBits      (AddrBits),
    .DataBits      (256),
    .MaxOutstanding(MaxOutstanding)
  ) u_dut (
    .clk_i, .rst_ni,
    .m_awaddr_i, .m_awlen_i, .m_awsize_i(m_awsize), .m_awburst_i(m_awburst), .m_awvalid_i,
    .m_awready_o, .m_wdata_i, .m_wstrb_i, .m_wlast_i, .m_wvalid_i, .m_wready_o,
    .m_bresp_o, .m_bvalid_o, .m_bready_i,
    .s_awaddr_o(s_awaddr), .s_awlen_o(s_awlen), .s_awsize_o(s_awsize), .s_awburst_o(s_awburst),
    .s_awvalid_o(s_awvalid), .s_awready_i(s_awready),
    .s_wdata_o(s_wdata), .s_wstrb_o(s_wstrb), .s_wlast_o(s_wlast), .s_wvalid_o(s_wvalid),
    .s_wready_i(s_wready), .s_bresp_i(s_bresp), .s_bvalid_i(s_bvalid), .s_bready_o(s_bready),
    .w_pending_o, .b_pending_o
  );

  assign s_wvalid_o = s_wvalid;
  assign s_wready_o = s_wready;

  ll_axi_mem_sim #(
    .Name    ("mem"),
    .DataBits(256),
    .AddrBits(AddrBits),
    .IdBits  (1),
    .MemBytes(64'd1 << AddrBits)
  ) u_mem (
    .clk_i, .rst_ni,
    .axi_awid_i('0), .axi_awaddr_i(s_awaddr), .axi_awlen_i(s_awlen), .axi_awsize_i(s_awsize),
    .axi_awburst_i(s_awburst), .axi_awvalid_i(s_awvalid), .axi_awready_o(s_awready),
    .axi_wdata_i(s_wdata), .axi_wstrb_i(s_wstrb), .axi_wlast_i(s_wlast), .axi_wvalid_i(s_wvalid),
    .axi_wready_o(s_wready),
    .axi_bid_o(), .axi_bresp_o(s_bresp), .axi_bvalid_o(s_bvalid), .axi_bready_i(s_bready),
    .axi_arid_i('0), .axi_araddr_i('0), .axi_arlen_i('0), .axi_arsize_i(3'd5),
    .axi_arburst_i(2'b01), .axi_arvalid_i(1'b0), .axi_arready_o(),
    .axi_rid_o(), .axi_rdata_o(), .axi_rresp_o(), .axi_rlast_o(), .axi_rvalid_o(),
    .axi_rready_i(1'b1),
    .cfg_read_latency_i, .cfg_stall_prob_i, .cfg_seed_i,
    .cfg_err_en_i, .cfg_err_addr_i,
    .load_req_i(1'b0), .dump_req_i(1'b0), .dump_addr_i('0), .dump_bytes_i('0),
    .dbg_we_i(1'b0), .dbg_addr_i, .dbg_wdata_i('0), .dbg_wstrb_i('0), .dbg_rdata_o
  );
endmodule
