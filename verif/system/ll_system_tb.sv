// Testbench top of the full system (simulation only): NumNodes nodes on a one-way ring, NumPe
// simulated memory channels per node (ll_axi_mem_sim, named "n<i>c<p>", loaded from the compiler's
// channel images by plusargs: +n0c0_load0=<file>), and one AXI4-Lite port that reaches node i's
// control registers at address (i << 12) + offset. Node done/error flags are exported so the test
// awaits them instead of polling.
module ll_system_tb #(
  parameter int unsigned NumNodes  = 1,
  parameter int unsigned NumPe     = 8,
  parameter int unsigned AbufDepth = 512,
  parameter int unsigned MhaHeads  = 2,
  parameter int unsigned MaxCtx    = 64
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // AXI4-Lite (node select in address bits 14..12)
  input  logic [15:0]         s_axil_awaddr,
  input  logic [2:0]          s_axil_awprot,
  input  logic                s_axil_awvalid,
  output logic                s_axil_awready,
  input  logic [31:0]         s_axil_wdata,
  input  logic [3:0]          s_axil_wstrb,
  input  logic                s_axil_wvalid,
  output logic                s_axil_wready,
  output logic [1:0]          s_axil_bresp,
  output logic                s_axil_bvalid,
  input  logic                s_axil_bready,
  input  logic [15:0]         s_axil_araddr,
  input  logic [2:0]          s_axil_arprot,
  input  logic                s_axil_arvalid,
  output logic                s_axil_arready,
  output logic [31:0]         s_axil_rdata,
  output logic [1:0]          s_axil_rresp,
  output logic                s_axil_rvalid,
  input  logic                s_axil_rready,
  // memory model controls, shared by every channel
  input  logic [15:0]         mem_latency_i,
  input  logic [7:0]          mem_stall_prob_i,
  input  logic [31:0]         mem_seed_i,
  input  logic                mem_err_en_i,
  input  logic [31:0]         mem_err_addr_i,
  input  logic [7:0]          mem_err_node_i,
  // ring link fault injection (ring_link_tap on every link; kind 0 = plain wires, docs/node.md)
  input  logic [1:0]          link_fault_kind_i,   // 0 none, 1 corrupt, 2 drop, 3 duplicate
  input  logic [2:0]          link_fault_link_i,   // link i: node i -> node (i + 1) mod N
  input  logic [31:0]         link_fault_beat_i,   // beat index on that link since reset
  input  logic [8:0]          link_fault_bit_i,    // corrupt: bit of {side, last, data}
  output logic [NumNodes-1:0] link_fault_done_o,
  output logic [NumNodes-1:0][ring_pkg::NodeIdWidth-1:0] link_fault_src_o,
  output logic [NumNodes-1:0][ring_pkg::IdxWidth-1:0]    link_fault_seq_o,
  output logic [NumNodes-1:0][31:0]                      link_beats_o,
  // status
  output logic [NumNodes-1:0] done_o,
  output logic [NumNodes-1:0] error_o,
  output logic [NumNodes-1:0] busy_o
);
  localparam int unsigned DataBits = 256;
  localparam int unsigned AddrBits = 32;

  // ---- AXI4-Lite demux
  logic [2:0] aw_sel_q, ar_sel_q, aw_sel, ar_sel;
  assign aw_sel = s_axil_awvalid ? s_axil_awaddr[14:12] : aw_sel_q;
  assign ar_sel = s_axil_arvalid ? s_axil_araddr[14:12] : ar_sel_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      aw_sel_q <= '0;
      ar_sel_q <= '0;
    end else begin
      if (s_axil_awvalid && s_axil_awready) aw_sel_q <= s_axil_awaddr[14:12];
      if (s_axil_arvalid && s_axil_arready) ar_sel_q <= s_axil_araddr[14:12];
    end
  end

  logic [NumNodes-1:0] n_awready, n_wready, n_bvalid, n_arready, n_rvalid;
  logic [NumNodes-1:0][1:0]  n_bresp, n_rresp;
  logic [NumNodes-1:0][31:0] n_rdata;
  always_comb begin
    s_axil_awready = 1'b0; s_axil_wready = 1'b0; s_axil_bvalid = 1'b0; s_axil_bresp = 2'b10;
    s_axil_arready = 1'b0; s_axil_rvalid = 1'b0; s_axil_rresp = 2'b10; s_axil_rdata = '0;
    for (int i = 0; i < NumNodes; i++) begin
      if (aw_sel == 3'(i)) begin
        s_axil_awready = n_awready[i];
        s_axil_wready  = n_wready[i];
      end
      if (aw_sel_q == 3'(i) && !s_axil_awvalid) begin
        s_axil_bvalid = n_bvalid[i];
        s_axil_bresp  = n_bresp[i];
      end
      if (ar_sel == 3'(i)) s_axil_arready = n_arready[i];
      if (ar_sel_q == 3'(i) && !s_axil_arvalid) begin
        s_axil_rvalid = n_rvalid[i];
        s_axil_rresp  = n_rresp[i];
        s_axil_rdata  = n_rdata[i];
      end
    end
  end

  // ---- ring links: node i -> (r_*[i]) -> ring_link_tap -> (l_*[i]) -> node (i + 1) mod N
  logic [NumNodes-1:0]                 r_valid, r_ready, r_last, l_valid, l_ready, l_last;
  logic [NumNodes-1:0][DataBits-1:0]   r_data, l_data;
  ring_pkg::ring_side_t [NumNodes-1:0] r_side, l_side;

  function automatic string digit(int unsigned d);
    case (d)
      0: return "0"; 1: return "1"; 2: return "2"; 3: return "3";
      4: return "4"; 5: return "5"; 6: return "6"; default: return "7";
    endcase
  endfunction

  for (genvar i = 0; i < NumNodes; i++) begin : g_node
    localparam int unsigned Prev = (i + NumNodes - 1) % NumNodes;
    logic [NumPe-1:0][AddrBits-1:0]   araddr, awaddr;
    logic [NumPe-1:0][7:0]            arlen, awlen;
    logic [NumPe-1:0][2:0]            arsize, awsize;
    logic [NumPe-1:0][1:0]            arburst, awburst, rresp, bresp;
    logic [NumPe-1:0]                 arvalid, arready, rlast, rvalid, rready, awvalid, awready;
    logic [NumPe-1:0]                 wlast, wvalid, wready, bvalid, bready;
    logic [NumPe-1:0][DataBits-1:0]   rdata, wdata;
    logic [NumPe-1:0][DataBits/8-1:0] wstrb;

    ll_node #(.NumPe(NumPe), .NumNodes(NumNodes), .AbufDepth(AbufDepth), .MhaHeads(MhaHeads),
              .MaxCtx(MaxCtx)) u_node (
      .clk_i, .rst_ni,
      .node_id_i        (ring_pkg::NodeIdWidth'(i)),
      .s_axil_awaddr_i  (s_axil_awaddr[11:0]),
      .s_axil_awprot_i  (s_axil_awprot),
      .s_axil_awvalid_i (s_axil_awvalid && aw_sel == 3'(i)),
      .s_axil_awready_o (n_awready[i]),
      .s_axil_wdata_i   (s_axil_wdata),
      .s_axil_wstrb_i   (s_axil_wstrb),
      .s_axil_wvalid_i  (s_axil_wvalid && aw_sel == 3'(i)),
      .s_axil_wready_o  (n_wready[i]),
      .s_axil_bresp_o   (n_bresp[i]),
      .s_axil_bvalid_o  (n_bvalid[i]),
      .s_axil_bready_i  (s_axil_bready && aw_sel_q == 3'(i)),
      .s_axil_araddr_i  (s_axil_araddr[11:0]),
      .s_axil_arprot_i  (s_axil_arprot),
      .s_axil_arvalid_i (s_axil_arvalid && ar_sel == 3'(i)),
      .s_axil_arready_o (n_arready[i]),
      .s_axil_rdata_o   (n_rdata[i]),
      .s_axil_rresp_o   (n_rresp[i]),
      .s_axil_rvalid_o  (n_rvalid[i]),
      .s_axil_rready_i  (s_axil_rready && ar_sel_q == 3'(i)),
      .m_axi_araddr_o (araddr), .m_axi_arlen_o (arlen), .m_axi_arsize_o (arsize),
      .m_axi_arburst_o (arburst), .m_axi_arvalid_o (arvalid), .m_axi_arready_i (arready),
      .m_axi_rdata_i (rdata), .m_axi_rresp_i (rresp), .m_axi_rlast_i (rlast),
      .m_axi_rvalid_i (rvalid), .m_axi_rready_o (rready),
      .m_axi_awaddr_o (awaddr), .m_axi_awlen_o (awlen), .m_axi_awsize_o (awsize),
      .m_axi_awburst_o (awburst), .m_axi_awvalid_o (awvalid), .m_axi_awready_i (awready),
      .m_axi_wdata_o (wdata), .m_axi_wstrb_o (wstrb), .m_axi_wlast_o (wlast),
      .m_axi_wvalid_o (wvalid), .m_axi_wready_i (wready),
      .m_axi_bresp_i (bresp), .m_axi_bvalid_i (bvalid), .m_axi_bready_o (bready),
      .ring_in_valid_i  (l_valid[Prev]),
      .ring_in_ready_o  (l_ready[Prev]),
      .ring_in_data_i   (l_data[Prev]),
      .ring_in_last_i   (l_last[Prev]),
      .ring_in_side_i   (l_side[Prev]),
      .ring_out_valid_o (r_valid[i]),
      .ring_out_ready_i (r_ready[i]),
      .ring_out_data_o  (r_data[i]),
      .ring_out_last_o  (r_last[i]),
      .ring_out_side_o  (r_side[i])
    );
    // link i (this node's ring_out): pure wires unless a fault is armed on it
    ring_link_tap u_link (
      .clk_i, .rst_ni,
      .in_valid_i  (r_valid[i]), .in_ready_o  (r_ready[i]), .in_data_i  (r_data[i]),
      .in_last_i   (r_last[i]),  .in_side_i   (r_side[i]),
      .out_valid_o (l_valid[i]), .out_ready_i (l_ready[i]), .out_data_o (l_data[i]),
      .out_last_o  (l_last[i]),  .out_side_o  (l_side[i]),
      .fault_kind_i (link_fault_link_i == 3'(i) ? link_fault_kind_i : 2'd0),
      .fault_beat_i (link_fault_beat_i),
      .fault_bit_i  (link_fault_bit_i),
      .fault_done_o (link_fault_done_o[i]),
      .fault_src_o  (link_fault_src_o[i]),
      .fault_seq_o  (link_fault_seq_o[i]),
      .beats_o      (link_beats_o[i])
    );
    assign done_o[i]  = u_node.sched_done;
    assign error_o[i] = u_node.sched_error;
    assign busy_o[i]  = u_node.sched_busy;

    // debug dump of every activation-buffer write (+dump=<path>; nothing without it), docs/node.md
    ll_abuf_mon #(.Node(i), .AbufBits($clog2(AbufDepth))) u_abuf_mon (
      .clk_i, .rst_ni,
      .start_i       (u_node.sched_start),
      .position_i    (u_node.position),
      .cycles_i      (u_node.cycles),
      .launch_fire_i (u_node.launch_valid & u_node.launch_ready),
      .ir_pc_i       (u_node.u_sched.ir_pc_q),
      .w_valid_i     (u_node.w_valid),
      .w_ready_i     (u_node.w_ready),
      .w_addr_i      (u_node.w_addr),
      .w_data_i      (u_node.w_data)
    );

    for (genvar p = 0; p < NumPe; p++) begin : g_mem
      ll_axi_mem_sim #(.Name({"n", digit(i), "c", digit(p)}), .MemBytes(64'd1 << 31)) u_mem (
        .clk_i, .rst_ni,
        .axi_awid_i ('0), .axi_awaddr_i (awaddr[p]), .axi_awlen_i (awlen[p]), .axi_awsize_i (awsize[p]),
        .axi_awburst_i (awburst[p]), .axi_awvalid_i (awvalid[p]), .axi_awready_o (awready[p]),
        .axi_wdata_i (wdata[p]), .axi_wstrb_i (wstrb[p]), .axi_wlast_i (wlast[p]),
        .axi_wvalid_i (wvalid[p]), .axi_wready_o (wready[p]),
        .axi_bid_o (), .axi_bresp_o (bresp[p]), .axi_bvalid_o (bvalid[p]), .axi_bready_i (bready[p]),
        .axi_arid_i ('0), .axi_araddr_i (araddr[p]), .axi_arlen_i (arlen[p]), .axi_arsize_i (arsize[p]),
        .axi_arburst_i (arburst[p]), .axi_arvalid_i (arvalid[p]), .axi_arready_o (arready[p]),
        .axi_rid_o (), .axi_rdata_o (rdata[p]), .axi_rresp_o (rresp[p]), .axi_rlast_o (rlast[p]),
        .axi_rvalid_o (rvalid[p]), .axi_rready_i (rready[p]),
        .cfg_read_latency_i (mem_latency_i),
        .cfg_stall_prob_i   (mem_stall_prob_i),
        .cfg_seed_i         (mem_seed_i + 32'(i * NumPe + p)),
        .cfg_err_en_i       (mem_err_en_i && mem_err_node_i == 8'(i)),
        .cfg_err_addr_i     (mem_err_addr_i),
        .load_req_i (1'b0), .dump_req_i (1'b0), .dump_addr_i ('0), .dump_bytes_i ('0),
        .dbg_we_i (1'b0), .dbg_addr_i ('0), .dbg_wdata_i ('0), .dbg_wstrb_i ('0), .dbg_rdata_o ()
      );
    end
  end
endmodule
