// Simulation-only debug monitor of one node's activation-buffer write stream (docs/node.md, "Debug
// dump"). Every intermediate vector of a token step passes through the activation buffer, so a record
// of every buffer write is a dump of every intermediate vector.
//
// With the plusarg +dump=<path> it writes one text line per accepted buffer write to <path>.n<Node>:
//   <step> <position> <cycle> <unit> <pc> <beat address> <beat>
// all decimal except pc and beat (hexadecimal; the beat is 64 digits, bit 255 first). step counts the
// scheduler starts seen since reset (0 for the first token), position is the POSITION register,
// cycle the scheduler's CYCLES of the step, unit the ISA unit slot of the writer (0 EMBED, 1 LNR,
// 2 MP, 3 MHA, 4 RING) and pc the byte address of the instruction that unit was launched with (a
// unit takes its next instruction only once its previous one is done, outputs drained). Without the
// plusarg the monitor never opens a file and writes nothing.
module ll_abuf_mon #(
  parameter int unsigned Node     = 0,
  parameter int unsigned NumWr    = 5,
  parameter int unsigned NumUnits = 6,
  parameter int unsigned AbufBits = 9,
  parameter int unsigned AddrBits = 32,
  parameter int unsigned DataBits = 256,
  // ISA unit slot of each writer of the buffer's write arbiter (writer 0 in bits 3..0)
  parameter logic [NumWr-1:0][3:0] WrUnit = {4'd0, 4'd1, 4'd3, 4'd2, 4'd4}
) (
  input logic                                clk_i,
  input logic                                rst_ni,
  input logic                                start_i,        // the scheduler starts a token step
  input logic [31:0]                         position_i,
  input logic [31:0]                         cycles_i,
  input logic [NumUnits-1:0]                 launch_fire_i,  // launch handshake per unit
  input logic [AddrBits-1:0]                 ir_pc_i,        // address of the launched instruction
  input logic [NumWr-1:0]                    w_valid_i,
  input logic [NumWr-1:0]                    w_ready_i,
  input logic [NumWr-1:0][AbufBits-1:0]      w_addr_i,
  input logic [NumWr-1:0][DataBits-1:0]      w_data_i
);
  int    fd = 0;
  int    step_q;
  string path;
  logic [NumUnits-1:0][AddrBits-1:0] pc_q;

  initial begin
    if ($value$plusargs("dump=%s", path)) begin
      fd = $fopen($sformatf("%s.n%0d", path, Node), "w");
      if (fd == 0) $error("ll_abuf_mon: cannot open %s.n%0d", path, Node);
    end
  end

  always @(posedge clk_i) begin
    if (fd != 0) begin
      if (!rst_ni) begin
        step_q <= -1;
      end else begin
        if (start_i) step_q <= step_q + 1;
        for (int u = 0; u < NumUnits; u++) begin
          if (launch_fire_i[u]) pc_q[u] <= ir_pc_i;
        end
        for (int w = 0; w < NumWr; w++) begin
          if (w_valid_i[w] && w_ready_i[w]) begin
            $fwrite(fd, "%0d %0d %0d %0d %h %0d %h\n", step_q, position_i, cycles_i, WrUnit[w],
                    pc_q[WrUnit[w]], w_addr_i[w], w_data_i[w]);
          end
        end
      end
    end
  end

  final begin
    if (fd != 0) $fclose(fd);
  end
endmodule
