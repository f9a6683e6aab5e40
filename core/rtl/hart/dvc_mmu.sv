// dvc_mmu: address translation and protection for the fetch and data sides of one hart:
// separate instruction and data TLBs (dvc_tlb), one page-table walker (dvc_ptw) shared by
// both, and PMP (dvc_pmp) on every physical access, the walker's PTE reads included
// (priv spec 1.12 sections 3.7, 4.3, 4.4; Svade).
//
// Each side asks for the translation of one address and is told, combinationally, whether it
// is ready: with the physical address, or with a page or access fault. Bare accesses (M-mode,
// satp.MODE = Bare) and TLB hits are ready at once; a miss starts a walk (the data side first
// when both miss) and is ready once the walk has filled the TLB or failed. A walk's fault is
// kept for the page and access kind that caused it, so the waiting instruction sees it. Data
// accesses translate with the effective privilege of MPRV (priv spec 3.1.6.3).
//
// Hook for the H extension (docs/core.md "Extensions"): V=1 accesses go through a second stage
// (G stage, with DV-Ext's hugatp and vPMP); the walker gains the G-stage walk of each PTE
// address and the TLB entries the combined permission, as in dvsim's `translate_virt`.
module dvc_mmu #(
  parameter int ITLB_ENTRIES = 16,
  parameter int DTLB_ENTRIES = 16
) (
  input  logic        clk,
  input  logic        rst,
  // state
  input  logic [1:0]  prv,
  input  logic        mprv,
  input  logic [1:0]  mpp,
  input  logic        sum,
  input  logic        mxr,
  input  logic [63:0] satp,
  input  logic [16*8-1:0]  pmpcfg,
  input  logic [16*54-1:0] pmpaddr,
  input  logic        pmp_update,     // PMP changed last cycle: decode the entries now
  input  logic        flush,          // SFENCE.VMA or a satp write
  // fetch side: the 4-byte block at i_va
  input  logic        i_req,
  input  logic [63:0] i_va,
  input  logic        i_cancel,
  output logic        i_ready,
  output logic [63:0] i_pa,
  output logic        i_fault_page,
  output logic        i_fault_access,
  // data side
  input  logic        d_req,
  input  logic [63:0] d_va,
  input  logic [1:0]  d_size,         // log2 bytes
  input  logic        d_read,         // needs R (loads, LR, AMOs)
  input  logic        d_write,        // needs W (stores, SC, AMOs)
  input  logic        d_cancel,
  output logic        d_ready,
  output logic [63:0] d_pa,
  output logic        d_fault_page,
  output logic        d_fault_access,
  // the walker's data-port client
  output logic        ptw_mem_req,
  output logic [63:0] ptw_mem_addr,
  input  logic        ptw_mem_gnt,
  input  logic        ptw_mem_err,
  input  logic [63:0] ptw_mem_rdata
);
  localparam logic [2:0] NEED_X = 3'b100;   // the need bits are {X, W, R}

  // Whether a leaf with these bits grants `need` to privilege `p` (dvsim mmu.rs `walk`): U pages
  // only to U, and to S for data with SUM; S never executes U pages; A must be set; W needs D;
  // MXR makes executable pages readable.
  function automatic logic perm_ok(input logic [5:0] f, input logic [1:0] p, input logic s_um,
                                   input logic m_xr, input logic [2:0] need);
    logic user, priv_ok, r, w, x;
    user = f[3];
    priv_ok = p == dvc_pkg::PRV_U ? user : (p == dvc_pkg::PRV_S ? (!user || s_um) : 1'b1);
    r = priv_ok && f[4] && (f[0] || (m_xr && f[2]));
    w = priv_ok && f[4] && f[1] && f[5];
    x = priv_ok && f[4] && f[2] && !(p == dvc_pkg::PRV_S && user);
    perm_ok = (!need[0] || r) && (!need[1] || w) && (!need[2] || x);
  endfunction

  // Sv39: VA bits 63:39 equal bit 38; Sv48: bits 63:48 equal bit 47 (priv spec 4.4.1, 4.5.1).
  function automatic logic canonical(input logic [63:38] va, input logic sv48);
    canonical = sv48 ? va[63:47] == {17{va[47]}} : va[63:38] == {26{va[38]}};
  endfunction

  logic paging, sv48, i_bare, d_bare;
  assign paging = satp[63:60] != 4'd0;
  assign sv48 = satp[63:60] == 4'd9;

  // ---- PMP: fetch, data and walk checks over the same decoded entries --------------------------
  logic [1:0]  d_prv;
  logic [63:0] pte_addr;
  logic [2:0]  pmp_i, pmp_d, pmp_w;
  logic [16*2-1:0]  pmp_mode;
  logic [16*64-1:0] pmp_lo, pmp_hi, pmp_mask;
  assign d_prv = prv == dvc_pkg::PRV_M && mprv ? mpp : prv;
  dvc_pmp_entries pmp_entries (.clk, .rst, .update(pmp_update), .cfg(pmpcfg), .addr(pmpaddr),
                               .mode(pmp_mode), .lo(pmp_lo), .hi(pmp_hi), .mask(pmp_mask));
  dvc_pmp pmp_fetch (.en(i_req), .cfg(pmpcfg), .mode(pmp_mode), .lo(pmp_lo), .hi(pmp_hi), .mask(pmp_mask),
                     .pa(i_pa), .size(2'd2), .prv, .perm(pmp_i));
  dvc_pmp pmp_data (.en(d_req), .cfg(pmpcfg), .mode(pmp_mode), .lo(pmp_lo), .hi(pmp_hi), .mask(pmp_mask),
                    .pa(d_pa), .size(d_size), .prv(d_prv), .perm(pmp_d));
  dvc_pmp pmp_walk (.en(ptw_busy), .cfg(pmpcfg), .mode(pmp_mode), .lo(pmp_lo), .hi(pmp_hi), .mask(pmp_mask),
                    .pa(pte_addr), .size(2'd3), .prv(dvc_pkg::PRV_S), .perm(pmp_w));

  // ---- TLBs -----------------------------------------------------------------------------------
  logic        itlb_hit, dtlb_hit, itlb_fill, dtlb_fill;
  logic [43:0] itlb_ppn, dtlb_ppn;
  logic [5:0]  itlb_flags, dtlb_flags;
  logic        ptw_done, ptw_fault_page, ptw_fault_access, ptw_busy;
  logic [43:0] leaf_ppn;
  logic [1:0]  leaf_level;
  logic [5:0]  leaf_flags;
  logic [47:12] walk_vpn;

  dvc_tlb #(.ENTRIES(ITLB_ENTRIES)) itlb (
    .clk, .rst, .flush,
    .lookup(i_req && !i_bare), .vpn(i_va[47:12]), .hit(itlb_hit), .ppn(itlb_ppn), .flags(itlb_flags),
    .fill(itlb_fill), .fill_vpn(walk_vpn), .fill_ppn(leaf_ppn), .fill_level(leaf_level), .fill_flags(leaf_flags)
  );
  dvc_tlb #(.ENTRIES(DTLB_ENTRIES)) dtlb (
    .clk, .rst, .flush,
    .lookup(d_req && !d_bare), .vpn(d_va[47:12]), .hit(dtlb_hit), .ppn(dtlb_ppn), .flags(dtlb_flags),
    .fill(dtlb_fill), .fill_vpn(walk_vpn), .fill_ppn(leaf_ppn), .fill_level(leaf_level), .fill_flags(leaf_flags)
  );

  // ---- faults a walk left for a page and access kind --------------------------------------------
  logic        i_fq_valid, i_fq_page, d_fq_valid, d_fq_page;
  logic [47:12] i_fq_vpn, d_fq_vpn;
  logic [2:0]  d_fq_need;
  logic [2:0]  d_need;
  assign d_need = {1'b0, d_write, d_read};

  // ---- fetch side -----------------------------------------------------------------------------
  logic i_miss, i_fault_walk;
  assign i_bare = prv == dvc_pkg::PRV_M || !paging;
  always_comb begin
    i_ready = 1'b0;
    i_pa = i_va;
    i_fault_page = 1'b0;
    i_fault_walk = 1'b0;
    i_miss = 1'b0;
    if (i_bare) begin
      i_ready = 1'b1;
    end else if (!canonical(i_va[63:38], sv48)) begin
      i_ready = 1'b1;
      i_fault_page = 1'b1;
    end else if (itlb_hit) begin
      i_ready = 1'b1;
      i_pa = {8'd0, itlb_ppn, i_va[11:0]};
      i_fault_page = !perm_ok(itlb_flags, prv, sum, mxr, NEED_X);
    end else if (i_fq_valid && i_fq_vpn == i_va[47:12]) begin
      i_ready = 1'b1;
      i_fault_page = i_fq_page;
      i_fault_walk = !i_fq_page;
    end else begin
      i_miss = i_req;
    end
  end
  assign i_fault_access = i_fault_walk || (i_ready && !i_fault_page && !pmp_i[2]);

  // ---- data side ------------------------------------------------------------------------------
  logic d_miss, d_fault_walk;
  assign d_bare = d_prv == dvc_pkg::PRV_M || !paging;
  always_comb begin
    d_ready = 1'b0;
    d_pa = d_va;
    d_fault_page = 1'b0;
    d_fault_walk = 1'b0;
    d_miss = 1'b0;
    if (d_bare) begin
      d_ready = 1'b1;
    end else if (!canonical(d_va[63:38], sv48)) begin
      d_ready = 1'b1;
      d_fault_page = 1'b1;
    end else if (dtlb_hit) begin
      d_ready = 1'b1;
      d_pa = {8'd0, dtlb_ppn, d_va[11:0]};
      d_fault_page = !perm_ok(dtlb_flags, d_prv, sum, mxr, d_need);
    end else if (d_fq_valid && d_fq_vpn == d_va[47:12] && d_fq_need == d_need) begin
      d_ready = 1'b1;
      d_fault_page = d_fq_page;
      d_fault_walk = !d_fq_page;
    end else begin
      d_miss = d_req;
    end
  end
  assign d_fault_access = d_fault_walk
    || (d_ready && !d_fault_page && ((d_read && !pmp_d[0]) || (d_write && !pmp_d[1])));

  // ---- the walker -----------------------------------------------------------------------------
  logic walk_d, start, cancel;
  assign start = !ptw_busy && (d_miss || i_miss);
  assign cancel = flush || (ptw_busy && (walk_d ? d_cancel : i_cancel));

  always_ff @(posedge clk) begin
    if (start) begin
      walk_d <= d_miss;
      walk_vpn <= d_miss ? d_va[47:12] : i_va[47:12];
    end
  end

  dvc_ptw ptw (
    .clk, .rst,
    .satp_sv48(sv48), .satp_ppn(satp[43:0]),
    .req(start), .vpn(walk_vpn), .cancel,
    .busy(ptw_busy), .done(ptw_done), .fault_page(ptw_fault_page), .fault_access(ptw_fault_access),
    .leaf_ppn, .leaf_level, .leaf_flags,
    .pte_addr, .pte_pmp_ok(pmp_w[0]),
    .mem_req(ptw_mem_req), .mem_gnt(ptw_mem_gnt), .mem_err(ptw_mem_err), .mem_rdata(ptw_mem_rdata)
  );
  assign ptw_mem_addr = pte_addr;

  // A finished walk fills its TLB only if the leaf grants the access that asked (as dvsim).
  logic walk_ok, walk_granted;
  assign walk_ok = ptw_done && !ptw_fault_page && !ptw_fault_access;
  assign walk_granted = walk_d ? perm_ok(leaf_flags, d_prv, sum, mxr, d_need)
                               : perm_ok(leaf_flags, prv, sum, mxr, NEED_X);
  assign itlb_fill = walk_ok && !walk_d && walk_granted;
  assign dtlb_fill = walk_ok && walk_d && walk_granted;

  // A kept fault lasts while its instruction waits; any redirect (a trap, an xRET, a CSR write
  // changing privilege, MPRV, SUM or MXR) may change the verdict, so it drops them.
  always_ff @(posedge clk) begin
    if (rst || flush || i_cancel) i_fq_valid <= 1'b0;
    if (rst || flush || d_cancel) d_fq_valid <= 1'b0;
    if (!rst && !flush && ptw_done && !(walk_ok && walk_granted)) begin
      if (walk_d && !d_cancel) begin
        d_fq_valid <= 1'b1;
        d_fq_vpn <= walk_vpn;
        d_fq_need <= d_need;
        d_fq_page <= !ptw_fault_access;
      end else if (!walk_d && !i_cancel) begin
        i_fq_valid <= 1'b1;
        i_fq_vpn <= walk_vpn;
        i_fq_page <= !ptw_fault_access;
      end
    end
  end

  logic unused_mmu;
  assign unused_mmu = ^{satp[59:44], pmp_w[2:1], pmp_d[2], pmp_i[1:0]};
endmodule
