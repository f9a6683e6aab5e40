// dvc_tlb: a fully associative translation cache for one side (fetch or data), ENTRIES entries,
// 4 KiB pages and the Sv39/Sv48 superpages (level 1: 2 MiB, 2: 1 GiB, 3: 512 GiB).
//
// An entry holds the leaf PTE's permission bits (R W X U A D) rather than a verdict, so the
// permission check is made on every lookup against the current privilege, SUM and MXR
// (dvc_mmu) and nothing needs flushing when those change. Only translations that passed the
// check for the access that walked them are filled, as in dvsim. satp writes and SFENCE.VMA
// flush everything (no ASIDs are kept). Replacement is round-robin.
//
// A V=1 entry (`virt`) maps a guest virtual page to the host page (4 KiB) and holds a verdict:
// `flags` = {the G stage's X W R, the VS stage's X W R} for the effective privilege, SUM and MXR
// it was filled with (`key`, part of the match), and the guest physical page (for htval).
module dvc_tlb #(
  parameter int ENTRIES = 16
) (
  input  logic        clk,
  input  logic        rst,
  input  logic        flush,
  // lookup (combinational), when `lookup`
  input  logic        lookup,
  input  logic        lvirt,          // a V=1 translation ...
  input  logic [3:0]  lkey,           // ... for this {privilege S, SUM, MXR of VS, MXR of M}
  input  logic [35:0] vpn,            // VA[47:12]
  output logic        hit,
  output logic [43:0] ppn,            // physical page of the VA (superpage bits filled in)
  output logic [5:0]  flags,          // {D, A, U, X, W, R} of the leaf PTE (V=1: see above)
  output logic [43:0] gppn,           // V=1: the guest physical page
  // fill
  input  logic        fill,
  input  logic [35:0] fill_vpn,
  input  logic [43:0] fill_ppn,
  input  logic [1:0]  fill_level,
  input  logic [5:0]  fill_flags,
  input  logic        fill_virt,
  input  logic [3:0]  fill_key,
  input  logic [43:0] fill_gppn
);
  localparam int IW = ENTRIES > 1 ? $clog2(ENTRIES) : 1;

  logic [ENTRIES-1:0] valid;
  logic [35:0] e_vpn   [ENTRIES];
  logic [43:0] e_ppn   [ENTRIES];
  logic [1:0]  e_level [ENTRIES];
  logic [5:0]  e_flags [ENTRIES];
  logic        e_virt  [ENTRIES];
  logic [3:0]  e_key   [ENTRIES];
  logic [43:0] e_gppn  [ENTRIES];
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
      e_virt[victim] <= fill_virt;
      e_key[victim] <= fill_key;
      e_gppn[victim] <= fill_gppn;
      victim <= victim == IW'(ENTRIES - 1) ? '0 : victim + 1'b1;
    end
  end

  always_comb begin
    logic [35:0] care;
    care = '0;
    hit = 1'b0;
    ppn = 44'd0;
    flags = 6'd0;
    gppn = 44'd0;
    if (lookup) for (int i = 0; i < ENTRIES; i++) begin
      // The VPN fields a page of this level translates: 9 bits per level below it are offset.
      unique case (e_level[i])
        2'd0: care = {36{1'b1}};
        2'd1: care = {{27{1'b1}}, 9'd0};
        2'd2: care = {{18{1'b1}}, 18'd0};
        default: care = {{9{1'b1}}, 27'd0};
      endcase
      if (valid[i] && ((vpn ^ e_vpn[i]) & care) == 36'd0 && e_virt[i] == lvirt && (!lvirt || e_key[i] == lkey)) begin
        hit = 1'b1;
        ppn = (e_ppn[i] & {8'hff, care}) | ({8'd0, vpn} & ~{8'hff, care});
        flags = e_flags[i];
        gppn = e_gppn[i];
      end
    end
  end
endmodule
