// Testbench-only top: NumNodes ring routers joined in a ring through ring_link_sim link models
// (link i carries router i's ring_out to router (i+1) mod NumNodes). Every per-node port is a flat
// packed vector (node i in bits [i*W +: W]) so that the cocotb testbench drives each signal from
// one place.
module ring_tb_top
  import ring_pkg::*;
#(
  parameter int unsigned NumNodes = 4,
  parameter int unsigned FwdDepth = 4
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic [TimeoutWidth-1:0]          timeout_i,

  input  logic [NumNodes-1:0]              cmd_valid_i,
  output logic [NumNodes-1:0]              cmd_ready_o,
  input  logic                             cmd_op_i,
  input  logic                             cmd_layout_i,
  input  logic [IdxWidth-1:0]              cmd_vec_beats_i,
  input  logic [NumNodes*IdxWidth-1:0]     cmd_start_i,
  input  logic [NumNodes*IdxWidth-1:0]     cmd_len_i,
  input  logic [BlkLog2Width-1:0]          cmd_block_log2_i,
  output logic [NumNodes-1:0]              busy_o,
  output logic [NumNodes-1:0]              done_o,
  output logic [NumNodes*4-1:0]            error_o,
  input  logic [NumNodes-1:0]              clear_i,

  input  logic [NumNodes-1:0]              own_valid_i,
  output logic [NumNodes-1:0]              own_ready_o,
  input  logic [NumNodes*DataWidth-1:0]    own_data_i,
  input  logic [NumNodes-1:0]              own_last_i,

  input  logic [NumNodes-1:0]              pair_valid_i,
  output logic [NumNodes-1:0]              pair_ready_o,
  input  logic [NumNodes*ValueWidth-1:0]   pair_value_i,
  input  logic [NumNodes*ValueWidth-1:0]   pair_index_i,
  output logic [NumNodes-1:0]              red_valid_o,
  output logic [NumNodes*ValueWidth-1:0]   red_value_o,
  output logic [NumNodes*ValueWidth-1:0]   red_index_o,

  output logic [NumNodes-1:0]              wr_valid_o,
  input  logic [NumNodes-1:0]              wr_ready_i,
  output logic [NumNodes*IdxWidth-1:0]     wr_addr_o,
  output logic [NumNodes*DataWidth-1:0]    wr_data_o,

  // link i (router i -> router i+1) controls and observation
  input  logic [NumNodes-1:0]              link_stall_in_i,
  input  logic [NumNodes-1:0]              link_stall_out_i,
  input  logic [NumNodes*3-1:0]            fault_kind_i,
  input  logic [NumNodes*IdxWidth-1:0]     fault_beat_i,
  input  logic [NumNodes*9-1:0]            fault_bit_i,
  output logic [NumNodes-1:0]              fault_done_o,
  output logic [NumNodes*NodeIdWidth-1:0]  fault_src_o,
  output logic [NumNodes*IdxWidth-1:0]     fault_seq_o,
  output logic [NumNodes-1:0]              link_in_hs_o,    // beat accepted by link i
  output logic [NumNodes-1:0]              link_out_hs_o,   // beat delivered by link i
  output logic [NumNodes*TagWidth-1:0]     link_out_tag_o   // operation tag of that beat
);

  // ring_out of router i and ring_in of router i (fed by link i-1)
  logic                 ro_valid [NumNodes];
  logic                 ro_ready [NumNodes];
  logic [DataWidth-1:0] ro_data  [NumNodes];
  logic                 ro_last  [NumNodes];
  ring_side_t           ro_side  [NumNodes];
  logic                 ri_valid [NumNodes];
  logic                 ri_ready [NumNodes];
  logic [DataWidth-1:0] ri_data  [NumNodes];
  logic                 ri_last  [NumNodes];
  ring_side_t           ri_side  [NumNodes];

  for (genvar i = 0; i < NumNodes; i++) begin : g_node
    localparam int unsigned Next = (i + 1) % NumNodes;
    ring_err_e err;

    ring_router #(
      .NumNodes (NumNodes),
      .FwdDepth (FwdDepth)
    ) u_router (
      .clk_i,
      .rst_ni,
      .node_id_i        (NodeIdWidth'(i)),
      .timeout_i,
      .cmd_valid_i      (cmd_valid_i[i]),
      .cmd_ready_o      (cmd_ready_o[i]),
      .cmd_op_i         (ring_op_e'(cmd_op_i)),
      .cmd_layout_i     (ring_layout_e'(cmd_layout_i)),
      .cmd_vec_beats_i,
      .cmd_start_i      (cmd_start_i[i*IdxWidth +: IdxWidth]),
      .cmd_len_i        (cmd_len_i[i*IdxWidth +: IdxWidth]),
      .cmd_block_log2_i,
      .busy_o           (busy_o[i]),
      .done_o           (done_o[i]),
      .error_o          (err),
      .clear_i          (clear_i[i]),
      .own_valid_i      (own_valid_i[i]),
      .own_ready_o      (own_ready_o[i]),
      .own_data_i       (own_data_i[i*DataWidth +: DataWidth]),
      .own_last_i       (own_last_i[i]),
      .pair_valid_i     (pair_valid_i[i]),
      .pair_ready_o     (pair_ready_o[i]),
      .pair_value_i     (pair_value_i[i*ValueWidth +: ValueWidth]),
      .pair_index_i     (pair_index_i[i*ValueWidth +: ValueWidth]),
      .red_valid_o      (red_valid_o[i]),
      .red_value_o      (red_value_o[i*ValueWidth +: ValueWidth]),
      .red_index_o      (red_index_o[i*ValueWidth +: ValueWidth]),
      .wr_valid_o       (wr_valid_o[i]),
      .wr_ready_i       (wr_ready_i[i]),
      .wr_addr_o        (wr_addr_o[i*IdxWidth +: IdxWidth]),
      .wr_data_o        (wr_data_o[i*DataWidth +: DataWidth]),
      .ring_in_valid_i  (ri_valid[i]),
      .ring_in_ready_o  (ri_ready[i]),
      .ring_in_data_i   (ri_data[i]),
      .ring_in_last_i   (ri_last[i]),
      .ring_in_side_i   (ri_side[i]),
      .ring_out_valid_o (ro_valid[i]),
      .ring_out_ready_i (ro_ready[i]),
      .ring_out_data_o  (ro_data[i]),
      .ring_out_last_o  (ro_last[i]),
      .ring_out_side_o  (ro_side[i])
    );
    assign error_o[i*4 +: 4] = err;

    ring_link_sim u_link (
      .clk_i,
      .rst_ni,
      .in_valid_i   (ro_valid[i]),
      .in_ready_o   (ro_ready[i]),
      .in_data_i    (ro_data[i]),
      .in_last_i    (ro_last[i]),
      .in_side_i    (ro_side[i]),
      .out_valid_o  (ri_valid[Next]),
      .out_ready_i  (ri_ready[Next]),
      .out_data_o   (ri_data[Next]),
      .out_last_o   (ri_last[Next]),
      .out_side_o   (ri_side[Next]),
      .stall_in_i   (link_stall_in_i[i]),
      .stall_out_i  (link_stall_out_i[i]),
      .fault_kind_i (fault_kind_i[i*3 +: 3]),
      .fault_beat_i (fault_beat_i[i*IdxWidth +: IdxWidth]),
      .fault_bit_i  (fault_bit_i[i*9 +: 9]),
      .fault_done_o (fault_done_o[i]),
      .fault_src_o  (fault_src_o[i*NodeIdWidth +: NodeIdWidth]),
      .fault_seq_o  (fault_seq_o[i*IdxWidth +: IdxWidth])
    );
    assign link_in_hs_o[i]  = ro_valid[i] && ro_ready[i];
    assign link_out_hs_o[i] = ri_valid[Next] && ri_ready[Next];
    assign link_out_tag_o[i*TagWidth +: TagWidth] = ri_side[Next].tag;
  end

endmodule
