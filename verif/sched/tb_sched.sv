// Test wrapper of the scheduler: ll_ctrl_regs (AXI4-Lite, flat s_axil_* names for cocotbext-axi) +
// ll_scheduler + the simulated program memory (ll_axi_mem_sim). The unit launch ports are flat so
// that cocotb stub units drive them; the fetch AR/R handshakes are visible for monitoring.
module tb_sched #(
  parameter int unsigned NumUnits   = 8,
  parameter int unsigned FetchDepth = 8,
  parameter int unsigned FetchBurst = 4,
  parameter int unsigned CntBits    = 4,
  parameter int unsigned MemKiB     = 3145728  // 3 GiB, sparse: program bases up to 0xBFFF_FFE0
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  // AXI4-Lite host port
  input  logic [11:0]                 s_axil_awaddr,
  input  logic [2:0]                  s_axil_awprot,
  input  logic                        s_axil_awvalid,
  output logic                        s_axil_awready,
  input  logic [31:0]                 s_axil_wdata,
  input  logic [3:0]                  s_axil_wstrb,
  input  logic                        s_axil_wvalid,
  output logic                        s_axil_wready,
  output logic [1:0]                  s_axil_bresp,
  output logic                        s_axil_bvalid,
  input  logic                        s_axil_bready,
  input  logic [11:0]                 s_axil_araddr,
  input  logic [2:0]                  s_axil_arprot,
  input  logic                        s_axil_arvalid,
  output logic                        s_axil_arready,
  output logic [31:0]                 s_axil_rdata,
  output logic [1:0]                  s_axil_rresp,
  output logic                        s_axil_rvalid,
  input  logic                        s_axil_rready,
  // node straps and result (driven by the test)
  input  logic [7:0]                  node_id_i,
  input  logic [7:0]                  num_nodes_i,
  input  logic [31:0]                 token_out_i,
  input  logic [31:0]                 token_logit_i,
  // unit stubs
  output logic [NumUnits-1:0]         launch_valid_o,
  input  logic [NumUnits-1:0]         launch_ready_i,
  output logic [255:0]                launch_instr_o,
  output logic [NumUnits-1:0]         data_ready_o,
  input  logic [NumUnits-1:0]         done_i,
  input  logic [NumUnits-1:0]         error_i,
  input  logic [NumUnits*8-1:0]       error_code_i,
  // observation
  output logic                        start_o,
  output logic                        clear_o,
  output logic                        busy_o,
  output logic                        done_o,
  output logic                        error_o,
  output logic                        ar_fire_o,
  output logic                        r_fire_o,
  output logic [31:0]                 token_in_o,
  output logic [31:0]                 position_o,
  // memory model control
  input  logic [15:0]                 cfg_read_latency,
  input  logic [7:0]                  cfg_stall_prob,
  input  logic [31:0]                 cfg_seed,
  input  logic                        cfg_err_en,
  input  logic [31:0]                 cfg_err_addr,
  input  logic                        dbg_we,
  input  logic [31:0]                 dbg_addr,
  input  logic [255:0]                dbg_wdata
);
  localparam int unsigned AddrBits = 32;

  logic [AddrBits-1:0] prog_base, err_pc;
  logic [31:0] watchdog, cycles, instrs;
  logic [3:0]  err_src;
  logic [7:0]  err_cause;
  logic [NumUnits-1:0][31:0] unit_busy;
  logic [NumUnits-1:0][7:0]  error_code;

  logic [3:0]   arid, rid;
  logic [31:0]  araddr;
  logic [7:0]   arlen;
  logic [2:0]   arsize;
  logic [1:0]   arburst, rresp;
  logic         arvalid, arready, rlast, rvalid, rready;
  logic [255:0] rdata;

  assign error_code = error_code_i;

  ll_ctrl_regs #(
    .NumUnits (NumUnits),
    .AddrBits (AddrBits)
  ) u_regs (
    .clk_i, .rst_ni,
    .s_axil_awaddr_i (s_axil_awaddr), .s_axil_awprot_i (s_axil_awprot),
    .s_axil_awvalid_i(s_axil_awvalid), .s_axil_awready_o(s_axil_awready),
    .s_axil_wdata_i  (s_axil_wdata), .s_axil_wstrb_i(s_axil_wstrb),
    .s_axil_wvalid_i (s_axil_wvalid), .s_axil_wready_o(s_axil_wready),
    .s_axil_bresp_o  (s_axil_bresp), .s_axil_bvalid_o(s_axil_bvalid),
    .s_axil_bready_i (s_axil_bready),
    .s_axil_araddr_i (s_axil_araddr), .s_axil_arprot_i(s_axil_arprot),
    .s_axil_arvalid_i(s_axil_arvalid), .s_axil_arready_o(s_axil_arready),
    .s_axil_rdata_o  (s_axil_rdata), .s_axil_rresp_o(s_axil_rresp),
    .s_axil_rvalid_o (s_axil_rvalid), .s_axil_rready_i(s_axil_rready),
    .node_id_i,
    .num_nodes_i,
    .start_o, .clear_o,
    .token_in_o, .position_o,
    .prog_base_o     (prog_base),
    .watchdog_o      (watchdog),
    .busy_i          (busy_o),
    .done_i          (done_o),
    .error_i         (error_o),
    .err_src_i       (err_src),
    .err_cause_i     (err_cause),
    .err_pc_i        (err_pc),
    .token_out_i, .token_logit_i,
    .cycles_i        (cycles),
    .instrs_i        (instrs),
    .unit_busy_i     (unit_busy)
  );

  ll_scheduler #(
    .NumUnits   (NumUnits),
    .AddrBits   (AddrBits),
    .FetchDepth (FetchDepth),
    .FetchBurst (FetchBurst),
    .CntBits    (CntBits)
  ) u_sched (
    .clk_i, .rst_ni,
    .start_i (start_o), .clear_i (clear_o),
    .prog_base_i (prog_base), .watchdog_i (watchdog),
    .busy_o, .done_o, .error_o,
    .err_src_o (err_src), .err_cause_o (err_cause), .err_pc_o (err_pc),
    .cycles_o (cycles), .instrs_o (instrs), .unit_busy_o (unit_busy),
    .m_axi_arid_o (arid), .m_axi_araddr_o (araddr), .m_axi_arlen_o (arlen),
    .m_axi_arsize_o (arsize), .m_axi_arburst_o (arburst), .m_axi_arvalid_o (arvalid),
    .m_axi_arready_i (arready),
    .m_axi_rid_i (rid), .m_axi_rdata_i (rdata), .m_axi_rresp_i (rresp), .m_axi_rlast_i (rlast),
    .m_axi_rvalid_i (rvalid), .m_axi_rready_o (rready),
    .launch_valid_o, .launch_ready_i, .launch_instr_o, .data_ready_o,
    .done_i, .error_i, .error_code_i (error_code)
  );

  assign ar_fire_o = arvalid && arready;
  assign r_fire_o  = rvalid && rready;

  ll_axi_mem_sim #(
    .Name     ("prog"),
    .DataBits (256),
    .AddrBits (AddrBits),
    .IdBits   (4),
    .MemBytes (64'(MemKiB) * 64'd1024)
  ) u_mem (
    .clk_i, .rst_ni,
    .axi_awid_i ('0), .axi_awaddr_i ('0), .axi_awlen_i ('0), .axi_awsize_i ('0),
    .axi_awburst_i ('0), .axi_awvalid_i (1'b0), .axi_awready_o (),
    .axi_wdata_i ('0), .axi_wstrb_i ('0), .axi_wlast_i (1'b0), .axi_wvalid_i (1'b0),
    .axi_wready_o (),
    .axi_bid_o (), .axi_bresp_o (), .axi_bvalid_o (), .axi_bready_i (1'b1),
    .axi_arid_i (arid), .axi_araddr_i (araddr), .axi_arlen_i (arlen), .axi_arsize_i (arsize),
    .axi_arburst_i (arburst), .axi_arvalid_i (arvalid), .axi_arready_o (arready),
    .axi_rid_o (rid), .axi_rdata_o (rdata), .axi_rresp_o (rresp), .axi_rlast_o (rlast),
    .axi_rvalid_o (rvalid), .axi_rready_i (rready),
    .cfg_read_latency_i (cfg_read_latency), .cfg_stall_prob_i (cfg_stall_prob),
    .cfg_seed_i (cfg_seed), .cfg_err_en_i (cfg_err_en), .cfg_err_addr_i (cfg_err_addr),
    .load_req_i (1'b0), .dump_req_i (1'b0), .dump_addr_i ('0), .dump_bytes_i ('0),
    .dbg_we_i (dbg_we), .dbg_addr_i (dbg_addr), .dbg_wdata_i (dbg_wdata), .dbg_wstrb_i ('1),
    .dbg_rdata_o ()
  );
endmodule
