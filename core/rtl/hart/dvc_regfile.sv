// dvc_regfile: the 31 integer registers (x0 is hardwired to zero), two combinational read
// ports for decode and one write port for writeback. A read of the register being written in
// the same cycle returns the old value; the hart bypasses writeback into decode for that.
module dvc_regfile (
  input  logic        clk,
  input  logic [4:0]  ra,
  output logic [63:0] rdata_a,
  input  logic [4:0]  rb,
  output logic [63:0] rdata_b,
  input  logic        we,
  input  logic [4:0]  wa,
  input  logic [63:0] wdata
);
  logic [63:0] regs [1:31];

  always_ff @(posedge clk) begin
    if (we && wa != 5'd0) regs[wa] <= wdata;
  end

  assign rdata_a = ra == 5'd0 ? 64'd0 : regs[ra];
  assign rdata_b = rb == 5'd0 ? 64'd0 : regs[rb];
endmodule
