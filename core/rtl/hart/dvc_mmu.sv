// dvc_mmu: address translation and protection for the fetch and data sides of one hart:
// separate instruction and data TLBs (dvc_tlb), one page-table walker (dvc_ptw) shared by
// both, and PMP (dvc_pmp) on every physical access, the walker's PTE reads included
// (priv spec 1.12 sections 3.7, 4.3, 4.4; Svade). With HYP, the H extension's two-stage
// translation for V=1 accesses and HLV/HSV (H spec 8.5), with DV-Ext's G-stage root and vPMP
// (dvext.md §5) through the generated `dvext_stage2_check`.
//
// Each side asks for the translation of one address and is told, combinationally, whether it
// is ready: with the physical address, or with a page, guest-page or access fault. Bare
// accesses (M-mode, satp.MODE = Bare, V=0) and TLB hits are ready at once; a miss starts a walk
// (the data side first when both miss) and is ready once the walk has filled the TLB or failed.
// A walk's fault is kept for the page and access kind that caused it, so the waiting
// instruction sees it. Data accesses translate with the effective privilege and V of MPRV
// (priv spec 3.1.6.3, H spec 8.2 "mstatus"); an HLV/HSV with V=1 and hstatus.SPVP (hustatus.UPVP
// from HU), through hgatp from HS/M and the DV-Ext world's root from HU (dvext.md §5.1). HLV/HSV
// never use or fill the TLBs (as dvsim): their walk's result is kept for the waiting
// instruction, like a fault.
//
// V=1 TLB entries hold the VS-stage and G-stage verdicts for the whole page (dvc_tlb). vPMP, like
// PMP, is checked on every access against the physical address, so a TLB entry never stands
// for a vPMP decision (a sub-page vPMP entry inside a cached page is honoured, issue 9).
module dvc_mmu #(
  parameter bit HYP = 1,
  parameter int ITLB_ENTRIES = 16,
  parameter int DTLB_ENTRIES = 16
) (
  input  logic        clk,
  input  logic        rst,
  // state
  input  logic [1:0]  prv,
  input  logic        virt,
  input  logic        mprv,
  input  logic [1:0]  mpp,
  input  logic        mpv,
  input  logic        sum,
  input  logic        mxr,
  input  logic [63:0] satp,
  input  logic [63:0] vsatp,
  input  logic        vs_sum,
  input  logic        vs_mxr,
  input  logic [63:0] hgatp,
  input  logic [63:0] g_gatp,         // the G-stage root of V=1 (the DV-Ext world's when hstatus.HU)
  input  logic        hu,             // hstatus.HU
  input  logic        hyp_spvp,
  input  logic [63:0] vpmpcfg,
  input  logic [8*64-1:0] vpmpaddr,
  input  logic [16*8-1:0]  pmpcfg,
  input  logic [16*54-1:0] pmpaddr,
  input  logic        pmp_update,     // PMP changed last cycle: decode the entries now
  input  logic        flush,          // a fence or a write changing translations
  // fetch side: the 4-byte block at i_va
  input  logic        i_req,
  input  logic [63:0] i_va,
  input  logic        i_cancel,
  output logic        i_ready,
  output logic [63:0] i_pa,
  output logic        i_fault_page,
  output logic        i_fault_gpage,
  output logic        i_fault_access,
  output logic        i_fault_implicit,
  output logic [63:0] i_gpa,
  // data side
  input  logic        d_req,
  input  logic [63:0] d_va,
  input  logic [1:0]  d_size,         // log2 bytes
  input  logic        d_read,         // needs R (loads, LR, AMOs)
  input  logic        d_write,        // needs W (stores, SC, AMOs)
  input  logic        d_hyp,          // an HLV/HLVX/HSV
  input  logic        d_lx,           // HLVX: needs X instead of R
  input  logic        d_cancel,
  output logic        d_ready,
  output logic [63:0] d_pa,
  output logic        d_fault_page,
  output logic        d_fault_gpage,
  output logic        d_fault_access,
  output logic        d_fault_implicit,
  output logic [63:0] d_gpa,
  output logic        d_virt,         // the access is translated with V=1 (GVA on a fault)
  // the walker's data-port client
  output logic        ptw_mem_req,
  output logic [63:0] ptw_mem_addr,
  input  logic        ptw_mem_gnt,
  input  logic        ptw_mem_err,
  input  logic [63:0] ptw_mem_rdata
);
  localparam logic [2:0] NEED_X = 3'b100;   // the need bits are {X, W, R}

  // Sv39: VA bits 63:39 equal bit 38; Sv48: bits 63:48 equal bit 47 (priv spec 4.4.1, 4.5.1).
  function automatic logic canonical(input logic [63:38] va, input logic sv48);
    canonical = sv48 ? va[63:47] == {17{va[47]}} : va[63:38] == {26{va[38]}};
  endfunction

  logic paging;
  assign paging = satp[63:60] != 4'd0;

  // ---- the translation context of each side ---------------------------------------------------
  logic [1:0] d_prv;
  logic       d_v, d_vpmp, i_vpmp, from_hu, i_bare, d_bare;
  logic [63:0] d_gatp;
  logic [3:0]  i_key, d_key;
  logic [2:0]  d_need;
  assign from_hu = prv == dvc_pkg::PRV_U && !virt && hu;
  always_comb begin
    if (HYP && d_hyp) begin
      d_prv = hyp_spvp ? dvc_pkg::PRV_S : dvc_pkg::PRV_U;
      d_v = 1'b1;
    end else if (prv == dvc_pkg::PRV_M && mprv) begin
      d_prv = mpp;
      d_v = HYP && mpp != dvc_pkg::PRV_M && mpv;
    end else begin
      d_prv = prv;
      d_v = HYP && virt;
    end
  end
  assign d_virt = d_v;
  assign d_gatp = d_hyp && !from_hu ? hgatp : g_gatp;
  // vPMP applies to a guest of the DV-Ext world, and to HLV/HSV from HU (dvext-model vpmp_active).
  assign d_vpmp = d_hyp ? from_hu : (d_v && hu && d_prv != dvc_pkg::PRV_M);
  assign i_vpmp = virt && hu;
  assign i_key = {prv == dvc_pkg::PRV_S, vs_sum, vs_mxr || mxr, mxr};
  assign d_key = {d_prv == dvc_pkg::PRV_S, vs_sum, vs_mxr || mxr, mxr};
  assign d_need = d_lx ? NEED_X : {1'b0, d_write, d_read};
  assign i_bare = !virt && (prv == dvc_pkg::PRV_M || !paging);
  assign d_bare = !d_v && (d_prv == dvc_pkg::PRV_M || !paging);

  // The first stage's root: vsatp for V=1, satp otherwise; its canonical-address rule.
  logic        i_first, d_first, i_sv48, d_sv48;
  assign i_first = virt ? vsatp[63:60] != 4'd0 : 1'b1;
  assign d_first = d_v ? vsatp[63:60] != 4'd0 : 1'b1;
  assign i_sv48 = virt ? vsatp[63:60] == 4'd9 : satp[63:60] == 4'd9;
  assign d_sv48 = d_v ? vsatp[63:60] == 4'd9 : satp[63:60] == 4'd9;
  // With vsatp Bare the VA is the GPA (up to 50 bits): the TLBs hold VA[47:12], so such an
  // access above 2^48 always walks.
  logic i_untagged, d_untagged;
  assign i_untagged = virt && !i_first && i_va[63:48] != 16'd0;
  assign d_untagged = d_v && !d_first && d_va[63:48] != 16'd0;

  // ---- PMP: fetch, data and walk checks over the same decoded entries --------------------------
  logic [63:0] pte_addr;
  logic [2:0]  pmp_i, pmp_d, pmp_w;
  logic [16*2-1:0]  pmp_mode;
  logic [16*64-1:0] pmp_lo, pmp_hi, pmp_mask;
  dvc_pmp_entries pmp_entries (.clk, .rst, .update(pmp_update), .cfg(pmpcfg), .addr(pmpaddr),
                               .mode(pmp_mode), .lo(pmp_lo), .hi(pmp_hi), .mask(pmp_mask));
  dvc_pmp pmp_fetch (.en(i_req), .cfg(pmpcfg), .mode(pmp_mode), .lo(pmp_lo), .hi(pmp_hi), .mask(pmp_mask),
                     .pa(i_pa), .size(2'd2), .prv, .perm(pmp_i));
  dvc_pmp pmp_data (.en(d_req), .cfg(pmpcfg), .mode(pmp_mode), .lo(pmp_lo), .hi(pmp_hi), .mask(pmp_mask),
                    .pa(d_pa), .size(d_size), .prv(d_prv), .perm(pmp_d));
  dvc_pmp pmp_walk (.en(ptw_busy), .cfg(pmpcfg), .mode(pmp_mode), .lo(pmp_lo), .hi(pmp_hi), .mask(pmp_mask),
                    .pa(pte_addr), .size(2'd3), .prv(dvc_pkg::PRV_S), .perm(pmp_w));

  // ---- vPMP on every access of the DV-Ext world (generated stage-2 checker, dvc_vpmp) -----------
  logic i_vpmp_fault, d_vpmp_fault;
  if (HYP) begin : g_vpmp
    dvc_vpmp vpmp_fetch (.active(i_vpmp), .pa(i_pa), .size(2'd2), .access(2'd0), .cfg(vpmpcfg),
                         .addr(vpmpaddr), .fault(i_vpmp_fault));
    dvc_vpmp vpmp_data (.active(d_vpmp), .pa(d_pa), .size(d_size), .access(d_lx ? 2'd3 : (d_write ? 2'd2 : 2'd1)),
                        .cfg(vpmpcfg), .addr(vpmpaddr), .fault(d_vpmp_fault));
  end else begin : g_no_vpmp
    assign {i_vpmp_fault, d_vpmp_fault} = '0;
  end

  // ---- TLBs -----------------------------------------------------------------------------------
  logic        itlb_hit, dtlb_hit, itlb_fill, dtlb_fill;
  logic [43:0] itlb_ppn, dtlb_ppn, itlb_gppn, dtlb_gppn;
  logic [5:0]  itlb_flags, dtlb_flags;
  logic        ptw_done, ptw_fault_page, ptw_fault_gpage, ptw_fault_access, ptw_fault_implicit, ptw_busy;
  logic [63:0] ptw_gpa;
  logic [43:0] leaf_ppn;
  logic [1:0]  leaf_level;
  logic [5:0]  leaf_flags, fill_flags;
  logic [2:0]  leaf_gperm;
  logic [47:12] walk_vpn;
  logic [63:0] walk_va;
  logic        walk_d, walk_v, walk_hyp, walk_vsbare, walk_keep;
  logic [3:0]  walk_key;
  logic [43:0] walk_gppn;
  assign walk_vpn = walk_va[47:12];
  assign walk_gppn = ptw_gpa[55:12];

  dvc_tlb #(.ENTRIES(ITLB_ENTRIES)) itlb (
    .clk, .rst, .flush,
    .lookup(i_req && !i_bare && !i_untagged), .lvirt(virt), .lkey(i_key), .vpn(i_va[47:12]),
    .hit(itlb_hit), .ppn(itlb_ppn), .flags(itlb_flags), .gppn(itlb_gppn),
    .fill(itlb_fill), .fill_vpn(walk_vpn), .fill_ppn(leaf_ppn), .fill_level(leaf_level), .fill_flags,
    .fill_virt(walk_v), .fill_key(walk_key), .fill_gppn(walk_gppn)
  );
  dvc_tlb #(.ENTRIES(DTLB_ENTRIES)) dtlb (
    .clk, .rst, .flush,
    .lookup(d_req && !d_bare && !d_hyp && !d_untagged), .lvirt(d_v), .lkey(d_key), .vpn(d_va[47:12]),
    .hit(dtlb_hit), .ppn(dtlb_ppn), .flags(dtlb_flags), .gppn(dtlb_gppn),
    .fill(dtlb_fill), .fill_vpn(walk_vpn), .fill_ppn(leaf_ppn), .fill_level(leaf_level), .fill_flags,
    .fill_virt(walk_v), .fill_key(walk_key), .fill_gppn(walk_gppn)
  );

  // ---- what a walk left for the waiting instruction: a fault, or an HLV/HSV's address ----------
  // kind: 0 page fault, 1 guest-page fault, 2 access fault, 3 translated (HLV/HSV only).
  logic        i_fq_valid, i_fq_implicit, d_fq_valid, d_fq_implicit, d_fq_hyp;
  logic [1:0]  i_fq_kind, d_fq_kind;
  logic [63:12] i_fq_vpn, d_fq_vpn;
  logic [63:0] i_fq_gpa, d_fq_gpa;
  logic [43:0] d_fq_ppn, i_fq_ppn;
  logic [2:0]  d_fq_need;

  // ---- fetch side -----------------------------------------------------------------------------
  logic i_miss, i_fault_walk;
  always_comb begin
    i_ready = 1'b0;
    i_pa = i_va;
    i_fault_page = 1'b0;
    i_fault_gpage = 1'b0;
    i_fault_walk = 1'b0;
    i_fault_implicit = 1'b0;
    i_gpa = 64'd0;
    i_miss = 1'b0;
    if (i_bare) begin
      i_ready = 1'b1;
    end else if (i_first && !canonical(i_va[63:38], i_sv48)) begin
      i_ready = 1'b1;
      i_fault_page = 1'b1;
    end else if (itlb_hit) begin
      i_ready = 1'b1;
      i_pa = {8'd0, itlb_ppn, i_va[11:0]};
      if (virt) begin
        i_fault_page = !itlb_flags[2];
        i_fault_gpage = itlb_flags[2] && !itlb_flags[5];
        i_gpa = {8'd0, itlb_gppn, i_va[11:0]};
      end else begin
        i_fault_page = !dvc_pkg::perm_ok(itlb_flags, prv, sum, mxr, NEED_X);
      end
    end else if (i_fq_valid && i_fq_vpn == i_va[63:12]) begin
      i_ready = 1'b1;
      i_pa = {8'd0, i_fq_ppn, i_va[11:0]};
      i_fault_page = i_fq_kind == 2'd0;
      i_fault_gpage = i_fq_kind == 2'd1;
      i_fault_walk = i_fq_kind == 2'd2;
      i_fault_implicit = i_fq_implicit;
      i_gpa = i_fq_gpa;
    end else begin
      i_miss = i_req;
    end
  end
  assign i_fault_access = i_fault_walk
    || (i_ready && !i_fault_page && !i_fault_gpage && (!pmp_i[2] || i_vpmp_fault));

  // ---- data side ------------------------------------------------------------------------------
  logic d_miss, d_fault_walk, d_need_ok;
  always_comb begin
    d_ready = 1'b0;
    d_pa = d_va;
    d_fault_page = 1'b0;
    d_fault_gpage = 1'b0;
    d_fault_walk = 1'b0;
    d_fault_implicit = 1'b0;
    d_gpa = 64'd0;
    d_miss = 1'b0;
    if (d_bare) begin
      d_ready = 1'b1;
    end else if (d_first && !canonical(d_va[63:38], d_sv48)) begin
      d_ready = 1'b1;
      d_fault_page = 1'b1;
    end else if (dtlb_hit) begin
      d_ready = 1'b1;
      d_pa = {8'd0, dtlb_ppn, d_va[11:0]};
      if (d_v) begin
        d_fault_page = (d_need & ~dtlb_flags[2:0]) != 3'd0;
        d_fault_gpage = !d_fault_page && (d_need & ~dtlb_flags[5:3]) != 3'd0;
        d_gpa = {8'd0, dtlb_gppn, d_va[11:0]};
      end else begin
        d_fault_page = !dvc_pkg::perm_ok(dtlb_flags, d_prv, sum, mxr, d_need);
      end
    end else if (d_fq_valid && d_fq_vpn == d_va[63:12] && d_fq_need == d_need && d_fq_hyp == d_hyp) begin
      d_ready = 1'b1;
      d_pa = {8'd0, d_fq_ppn, d_va[11:0]};
      d_fault_page = d_fq_kind == 2'd0;
      d_fault_gpage = d_fq_kind == 2'd1;
      d_fault_walk = d_fq_kind == 2'd2;
      d_fault_implicit = d_fq_implicit;
      d_gpa = d_fq_gpa;
    end else begin
      d_miss = d_req;
    end
  end
  // PMP checks the final address with the effective privilege (X for HLVX).
  assign d_need_ok = d_lx ? pmp_d[2] : ((!d_read || pmp_d[0]) && (!d_write || pmp_d[1]));
  assign d_fault_access = d_fault_walk
    || (d_ready && !d_fault_page && !d_fault_gpage && (!d_need_ok || d_vpmp_fault));

  // ---- the walker -----------------------------------------------------------------------------
  // A side whose request is withdrawn this cycle starts nothing (its instruction is flushed, and
  // the walk's result would be filled under its key with another instruction's context).
  logic start, cancel, d_go, i_go;
  assign d_go = d_miss && !d_cancel;
  assign i_go = i_miss && !i_cancel;
  assign start = !ptw_busy && (d_go || i_go);
  assign cancel = flush || (ptw_busy && (walk_d ? d_cancel : i_cancel));

  always_ff @(posedge clk) begin
    if (start) begin
      walk_d <= d_go;
      walk_v <= d_go ? d_v : virt;
      walk_hyp <= d_go && d_hyp;
      // A result the TLBs cannot hold is kept for the waiting instruction instead.
      walk_keep <= d_go ? d_hyp || d_untagged : i_untagged;
      walk_vsbare <= (d_go ? d_v : virt) && vsatp[63:60] == 4'd0;
      walk_key <= d_go ? d_key : i_key;
      walk_va <= d_go ? d_va : i_va;
    end
  end

  // The context of the side being walked (stable while it waits: a change redirects and cancels).
  logic        w_two, w_vs_bare, w_vpmp, w_sv48;
  logic [63:0] w_gatp, w_atp;
  logic [1:0]  w_acc, w_prv;
  logic [2:0]  w_need;
  logic        w_d;
  // (Before a walk starts only its start inputs matter: they follow `d_go`; the rest follow the
  // side that missed, which keeps the walker's inputs free of the flush logic.)
  logic s_two;
  assign w_d = ptw_busy ? walk_d : d_miss;
  assign w_two = w_d ? d_v : virt;
  assign s_two = d_go ? d_v : virt;
  assign w_atp = (ptw_busy ? w_two : s_two) ? vsatp : satp;
  assign w_sv48 = w_atp[63:60] == 4'd9;
  assign w_vs_bare = vsatp[63:60] == 4'd0;
  assign w_gatp = w_d ? d_gatp : g_gatp;
  assign w_vpmp = w_d ? d_vpmp : i_vpmp;
  assign w_acc = w_d ? (d_lx ? 2'd3 : (d_write ? 2'd2 : 2'd1)) : 2'd0;
  assign w_need = w_d ? d_need : NEED_X;
  assign w_prv = w_d ? d_prv : prv;

  dvc_ptw #(.HYP(HYP)) ptw (
    .clk, .rst,
    .satp_sv48(w_sv48), .satp_ppn(w_atp[43:0]),
    .req(start), .va(d_go ? d_va : i_va), .two(s_two), .vs_bare(w_vs_bare), .gatp(w_gatp), .acc(w_acc),
    .need(w_need), .vs_prv(w_prv), .vs_sum, .vs_mxr(vs_mxr || mxr), .g_mxr(mxr),
    .vpmp_active(w_vpmp), .vpmpcfg, .vpmpaddr, .cancel,
    .busy(ptw_busy), .done(ptw_done), .fault_page(ptw_fault_page), .fault_gpage(ptw_fault_gpage),
    .fault_access(ptw_fault_access), .fault_implicit(ptw_fault_implicit), .fault_gpa(ptw_gpa),
    .leaf_ppn, .leaf_level, .leaf_flags, .g_perm(leaf_gperm),
    .pte_addr, .pte_pmp_ok(pmp_w[0]),
    .mem_req(ptw_mem_req), .mem_gnt(ptw_mem_gnt), .mem_err(ptw_mem_err), .mem_rdata(ptw_mem_rdata)
  );
  assign ptw_mem_addr = pte_addr;

  // A finished walk fills its TLB only if it grants the access that asked (as dvsim); a V=1 walk
  // has checked that itself and fills the verdicts (VS stage for the key's privilege, SUM, MXR).
  logic walk_ok, walk_granted;
  logic [2:0] vs_perm;
  assign walk_ok = ptw_done && !ptw_fault_page && !ptw_fault_gpage && !ptw_fault_access;
  assign walk_granted = walk_v ? 1'b1
                      : walk_d ? dvc_pkg::perm_ok(leaf_flags, d_prv, sum, mxr, d_need)
                               : dvc_pkg::perm_ok(leaf_flags, prv, sum, mxr, NEED_X);
  // (A Bare VS stage grants everything: only the G stage and (v)PMP decide.)
  // The verdict is computed for the key it is filled under ({privilege S, SUM, MXR of VS, ...}).
  logic [1:0] key_prv;
  assign key_prv = walk_key[3] ? dvc_pkg::PRV_S : dvc_pkg::PRV_U;
  assign vs_perm = walk_vsbare ? 3'b111 : {dvc_pkg::perm_ok(leaf_flags, key_prv, walk_key[2], walk_key[1], 3'b100),
                    dvc_pkg::perm_ok(leaf_flags, key_prv, walk_key[2], walk_key[1], 3'b010),
                    dvc_pkg::perm_ok(leaf_flags, key_prv, walk_key[2], walk_key[1], 3'b001)};
  assign fill_flags = walk_v ? {leaf_gperm, vs_perm} : leaf_flags;
  assign itlb_fill = walk_ok && !walk_d && walk_granted && !walk_keep;
  assign dtlb_fill = walk_ok && walk_d && walk_granted && !walk_keep;

  // A kept result lasts while its instruction waits; any redirect (a trap, an xRET, a CSR write
  // changing privilege, MPRV, SUM or MXR) may change the verdict, so it drops them.
  always_ff @(posedge clk) begin
    if (rst || flush || i_cancel) i_fq_valid <= 1'b0;
    if (rst || flush || d_cancel) d_fq_valid <= 1'b0;
    if (!rst && !flush && ptw_done && (walk_keep || !(walk_ok && walk_granted))) begin
      if (walk_d && !d_cancel) begin
        d_fq_valid <= 1'b1;
        d_fq_vpn <= walk_va[63:12];
        d_fq_need <= d_need;
        d_fq_hyp <= walk_hyp;
        d_fq_kind <= walk_ok && walk_granted ? 2'd3 : ptw_fault_access ? 2'd2 : ptw_fault_gpage ? 2'd1 : 2'd0;
        d_fq_implicit <= ptw_fault_implicit;
        d_fq_gpa <= ptw_gpa;
        d_fq_ppn <= leaf_ppn;
      end else if (!walk_d && !i_cancel) begin
        i_fq_valid <= 1'b1;
        i_fq_vpn <= walk_va[63:12];
        i_fq_kind <= walk_ok && walk_granted ? 2'd3 : ptw_fault_access ? 2'd2 : ptw_fault_gpage ? 2'd1 : 2'd0;
        i_fq_ppn <= leaf_ppn;
        i_fq_implicit <= ptw_fault_implicit;
        i_fq_gpa <= ptw_gpa;
      end
    end
  end

  logic unused_mmu;
  assign unused_mmu = ^{satp[59:44], vsatp[59:44], w_atp[59:44], pmp_w[2:1], pmp_i[1:0], walk_va[11:0], ptw_gpa[63:56], ptw_gpa[11:0]};
endmodule
