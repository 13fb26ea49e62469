// Activation buffer: Depth beats of DataBits, one write port, NumReadPorts read ports
// (docs/node_glue.md).
//
// - Write port: a valid/ready stream of (beat address, full beat). wr_ready_o is always high: one
//   write per cycle, never stalls (kept as a stream so writers need no special case).
// - Read ports: fixed latency 1. A request (rd_req_i[p], rd_addr_i[p]) in cycle t gives
//   rd_data_o[p] in cycle t+1; rd_data_o[p] then holds that value until the port's next request
//   (the BRAM output register has a read enable). rd_valid_o[p] is rd_req_i[p] delayed by one cycle.
// - Read-during-write of the same address in the same cycle returns the old beat (read-first); the
//   new beat is visible to requests from the next cycle on.
// - Implementation: one simple dual-port RAM (1 write, 1 read) per read port, all written together
//   (replication), so each maps onto block RAM ((* ram_style = "block" *)). No reset on the arrays.
// - Assertions: addresses in range, write stream rules.
module ll_abuf #(
  parameter int unsigned Depth        = 512,
  parameter int unsigned NumReadPorts = 3,
  parameter int unsigned DataBits     = 256,
  localparam int unsigned AddrBits = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic                                    clk_i,
  input  logic                                    rst_ni,
  // write stream
  input  logic                                    wr_valid_i,
  output logic                                    wr_ready_o,
  input  logic [AddrBits-1:0]                     wr_addr_i,
  input  logic [DataBits-1:0]                     wr_data_i,
  // read ports, latency 1
  input  logic [NumReadPorts-1:0]                 rd_req_i,
  input  logic [NumReadPorts-1:0][AddrBits-1:0]   rd_addr_i,
  output logic [NumReadPorts-1:0]                 rd_valid_o,
  output logic [NumReadPorts-1:0][DataBits-1:0]   rd_data_o
);

  `include "ll_assert.svh"
  `include "ll_registers.svh"

  `LL_ASSERT_INIT(DepthAtLeastTwo, Depth >= 2)
  `LL_ASSERT_INIT(AtLeastOneReadPort, NumReadPorts >= 1)

  logic we;

  assign wr_ready_o = 1'b1;
  assign we         = wr_valid_i;

  for (genvar p = 0; p < NumReadPorts; p++) begin : g_port
    (* ram_style = "block" *) logic [DataBits-1:0] mem_q [Depth];
    logic [DataBits-1:0] rdata_q;

    always_ff @(posedge clk_i) begin
      if (we) begin
        mem_q[wr_addr_i] <= wr_data_i;
      end
    end

    always_ff @(posedge clk_i) begin
      if (rd_req_i[p]) begin
        rdata_q <= mem_q[rd_addr_i[p]];
      end
    end

    assign rd_data_o[p] = rdata_q;

    `LL_ASSERT_IMPL(RdAddrInRange, rd_req_i[p], 32'(rd_addr_i[p]) < Depth)
  end

  `LL_FF(rd_valid_o, rd_req_i, '0)

  `LL_ASSERT_IMPL(WrAddrInRange, wr_valid_i, 32'(wr_addr_i) < Depth)
  `LL_ASSERT_STREAM(WrStable, wr_valid_i, wr_ready_o, {wr_addr_i, wr_data_i})

endmodule
