// dvc_pmp_entries: the 16 PMP entries (pmpcfg A field, pmpaddr) decoded into address ranges for
// dvc_pmp: TOR bounds [pmpaddr(i-1), pmpaddr(i)) x 4, or an NA4/NAPOT base and mask. NAPOT's
// size comes from the trailing ones of pmpaddr; all 54 ones give [0, 2^57), as dvsim computes.
//
// The ranges are registers, decoded in the cycle after a PMP CSR write (`update`); the hart
// fetches nothing in that cycle (its pipeline is empty after the write's flush), so no check
// ever sees a stale range, and the decode costs nothing while PMP does not change.
module dvc_pmp_entries (
  input  logic             clk,
  input  logic             rst,
  input  logic             update,
  input  logic [16*8-1:0]  cfg,
  input  logic [16*54-1:0] addr,
  output logic [16*2-1:0]  mode,
  output logic [16*64-1:0] lo,
  output logic [16*64-1:0] hi,
  output logic [16*64-1:0] mask
);
  always_ff @(posedge clk) begin
    if (rst || update) begin
      for (int i = 0; i < 16; i++) begin
        logic [54:0] a, ones;
        logic [63:0] h, m;
        a = {1'b0, addr[54*i +: 54]};
        ones = a ^ (a + 55'd1);              // trailing ones of pmpaddr and the next bit
        h = {8'd0, a[53:0], 2'b00};
        m = cfg[8*i+3 +: 2] == 2'd2 ? 64'd3 : {7'd0, ones, 2'b11};
        mode[2*i +: 2] <= cfg[8*i+3 +: 2];
        hi[64*i +: 64] <= h;
        mask[64*i +: 64] <= m;
        if (cfg[8*i+3 +: 2] == 2'd1) lo[64*i +: 64] <= i == 0 ? 64'd0 : {8'd0, addr[54*(i-1) +: 54], 2'b00};
        else lo[64*i +: 64] <= h & ~m;
      end
    end
  end
endmodule
