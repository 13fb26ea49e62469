// Testbench wrapper: an activation buffer (written from cocotb through its write stream) read by
// ll_abuf_reader, whose output stream cocotb consumes.
module tb_abuf_reader #(
  parameter int unsigned Depth = 64
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     wr_valid_i,
  input  logic [$clog2(Depth)-1:0] wr_addr_i,
  input  logic [255:0]             wr_data_i,
  input  logic                     start_i,
  input  logic [$clog2(Depth)-1:0] addr_i,
  input  logic [15:0]              beats_i,
  output logic                     busy_o,
  output logic                     done_o,
  output logic                     out_valid_o,
  input  logic                     out_ready_i,
  output logic [255:0]             out_data_o,
  output logic                     out_last_o
);
  localparam int unsigned AB = $clog2(Depth);
  logic          rd_req, rd_valid, wr_ready;
  logic [AB-1:0] rd_addr;
  logic [255:0]  rd_data;

  ll_abuf #(.Depth(Depth), .NumReadPorts(1)) u_abuf (
    .clk_i, .rst_ni,
    .wr_valid_i, .wr_ready_o(wr_ready), .wr_addr_i, .wr_data_i,
    .rd_req_i(rd_req), .rd_addr_i(rd_addr), .rd_valid_o(rd_valid), .rd_data_o(rd_data)
  );
  ll_abuf_reader #(.AddrBits(AB), .LenBits(16)) u_dut (
    .clk_i, .rst_ni, .start_i, .addr_i, .beats_i, .busy_o, .done_o,
    .rd_req_o(rd_req), .rd_addr_o(rd_addr), .rd_data_i(rd_data),
    .out_valid_o, .out_ready_i, .out_data_o, .out_last_o
  );
  /* verilator lint_off UNUSEDSIGNAL */
  logic unused;
  assign unused = rd_valid ^ wr_ready;
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
