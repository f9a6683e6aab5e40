// dvc_tlb: a fully associative translation cache for one side (fetch or data), ENTRIES entries,
// 4 KiB pages and the Sv39/Sv48 superpages (level 1: 2 MiB, 2: 1 GiB, 3: 512 GiB).
//
// An entry holds the leaf PTE's permission bits (R W X U A D) rather than a verdict, so the
// permission check is made on every lookup against the current privilege, SUM and MXR
// (dvc_mmu) and nothing needs flushing when those change. Only translations that passed the
// check for the access that walked them are filled, as in dvsim. satp writes and SFENCE.VMA
// flush everything (no ASIDs are kept). Replacement is round-robin.
module dvc_tlb #(
  parameter int ENTRIES = 16
) (
  input  logic        clk,
  input  logic        rst,
  input  logic        flush,
  // lookup (combinational), when `lookup`
  input  logic        lookup,
  input  logic [35:0] vpn,            // VA[47:12]
  output logic        hit,
  output logic [43:0] ppn,            // physical page of the VA (superpage bits filled in)
  output logic [5:0]  flags,          // {D, A, U, X, W, R} of the leaf PTE
  // fill
  input  logic        fill,
  input  logic [35:0] fill_vpn,
  input  logic [43:0] fill_ppn,
  input  logic [1:0]  fill_level,
  input  logic [5:0]  fill_flags
);
  localparam int IW = ENTRIES > 1 ? $clog2(ENTRIES) : 1;

  logic [ENTRIES-1:0] valid;
  logic [35:0] e_vpn   [ENTRIES];
  logic [43:0] e_ppn   [ENTRIES];
  logic [1:0]  e_level [ENTRIES];
  logic [5:0]  e_flags [ENTRIES];
  logic [IW-1:0] victim;

  always_ff @(posedge clk) begin
    if (rst || flush) begin
      valid <= '0;
      victim <= '0;
    end else if (fill) begin
      valid[victim] <= 1'b1;
      e_vpn[victim] <= fill_vpn;
      e_ppn[victim] <= fill_ppn;
      e_level[victim] <= fill_level;
      e_flags[victim] <= fill_flags;
      victim <= victim == IW'(ENTRIES - 1) ? '0 : victim + 1'b1;
    end
  end

  always_comb begin
    logic [35:0] care;
    care = '0;
    hit = 1'b0;
    ppn = 44'd0;
    flags = 6'd0;
    if (lookup) for (int i = 0; i < ENTRIES; i++) begin
      // The VPN fields a page of this level translates: 9 bits per level below it are offset.
      unique case (e_level[i])
        2'd0: care = {36{1'b1}};
        2'd1: care = {{27{1'b1}}, 9'd0};
        2'd2: care = {{18{1'b1}}, 18'd0};
        default: care = {{9{1'b1}}, 27'd0};
      endcase
      if (valid[i] && ((vpn ^ e_vpn[i]) & care) == 36'd0) begin
        hit = 1'b1;
        ppn = (e_ppn[i] & {8'hff, care}) | ({8'd0, vpn} & ~{8'hff, care});
        flags = e_flags[i];
      end
    end
  end
endmodule
