// dvc_csr: the CSRs, privilege and V, trap entry, xRET and interrupt selection of one hart
// (priv spec 1.12 ch. 2-4; with HYP, the H extension 1.0 of ch. 8 and DV-Ext, dvext.md §1-§4).
//
// The register set, the WARL rules and the access checks are dvsim's (sim/src/hart/csr.rs,
// hcsr.rs `csr_check`, exec/system.rs), since dvsim is the oracle the core runs in lockstep with.
//
// The H extension and DV-Ext are one contiguous block, gated by HYP (as Rocket's
// `usingHypervisor`): the H and VS registers, V, the VS substitution of the S-level numbers, the
// virtual-instruction cases, and the two generated DV-Ext modules of the trap unit (stitched as
// docs/integration/ says):
//   * `dvext_csr_file` answers every DV-Ext CSR number first (own registers, the huvs*/huvip
//     aliases the core then performs on its VS registers, the vipi words it forwards to the
//     SoC's bitmap), holds the HU trap state, and selects the DV-Ext world's G-stage root,
//     time offset, counter enables and VTSR/VTW/VTVM;
//   * `dvext_trap_redirect` routes every trap (M, HS, VS or HU), selects the interrupt to take,
//     decides the legality of huret/hufence/HLV/HSV, and computes the HU entry and huret.
// With HYP = 0 the block is absent (synthesis removes its constant registers): a hart without H.
//
// Everything is read combinationally; writes, trap entry and xRET take effect at the clock
// edge of the cycle their `*_commit` input is high (the hart's commit point, dvc_hart's M
// stage). A write to a DV-Ext register or vipi word takes two cycles at the commit point: the
// write in the first, the read-back for the commit trace (through the same generated read
// port, as M-mode) in the second (`csr_wait`, `csr_second`). Read port 1 serves the commit
// trace: the hart reads back a core CSR after its write, with the interrupt lines of the
// instruction's commit cycle.
module dvc_csr #(
  parameter bit HYP = 1
) (
  input  logic        clk,
  input  logic        rst,
  input  logic [63:0] hartid,
  // platform interrupt lines and time
  input  logic        msip,
  input  logic        mtip,
  input  logic        meip,
  input  logic        seip,
  input  logic [63:0] mtime,
  input  logic        skip,            // idle skip: the clock ran skip_cycles with nothing to do
  input  logic [63:0] skip_cycles,
  // a CSR instruction at the commit point
  input  logic        csr_en,          // there is one (the read port and checks work only then)
  input  logic [11:0] csr_addr,
  input  logic [1:0]  csr_op,          // dvc_pkg::csrop_e: funct3[1:0] of the instruction
  input  logic [63:0] csr_operand,
  input  logic        csr_writes,      // CSRRW(I), or CSRRS/C(I) with a nonzero rs1/uimm
  input  logic        csr_commit,      // it is decided this cycle and does not trap: write now
  input  logic        csr_second,      // its second cycle at the commit point (a DV-Ext write)
  output logic        csr_wait,        // it needs a second cycle (write a DV-Ext register now)
  output logic [63:0] csr_rdata,
  output logic        csr_illegal,
  output logic        csr_virtual,
  output logic        csr_flush,       // its write may change what younger instructions did
  output logic        csr_dv,          // it accesses a DV-Ext register or vipi word (read back here)
  output logic [11:0] csr_tr_addr,     // the core CSR the trace reads back (an alias's target)
  // system instructions at the commit point: their privilege checks (priv spec 3.3, 4.2.1;
  // H spec 8.6.1; dvext.md §4)
  input  dvc_pkg::sys_e sys_op,
  input  logic        sys_en,          // a FU_SYS instruction
  input  logic        hyp_en,          // an HLV/HLVX/HSV
  output logic        sys_illegal,
  output logic        sys_virtual,
  output logic [4:0]  ecall_cause,
  // trap entry
  input  logic        trap_commit,
  input  logic        trap_irq,        // an interrupt (mcause bit 63)
  input  logic [5:0]  trap_cause,
  input  logic [63:0] trap_pc,
  input  logic [63:0] trap_tval,
  input  logic [63:0] trap_gpa,        // guest physical address of a guest-page fault
  input  logic [63:0] trap_tinst,      // htinst/mtinst/hutinst value (H spec 8.6.3)
  input  logic        trap_hyp,        // the faulting access was an HLV/HSV or made with V=1 (GVA)
  output logic [1:0]  trap_to,         // where a trap with these inputs goes: 0 M, 1 HS, 2 HU, 3 VS
  output logic [63:0] trap_vector,
  // xRET, huret
  input  logic        mret_commit,
  input  logic        sret_commit,
  input  logic        huret_commit,
  output logic [63:0] xret_pc,         // where the xRET at the commit point returns to
  // an instruction retires this cycle (minstret)
  input  logic        retire,
  // state the pipeline needs
  output logic [1:0]  prv,
  output logic        virt,
  output logic        mstatus_mprv,
  output logic [1:0]  mstatus_mpp,
  output logic        mstatus_mpv,
  output logic        mstatus_sum,
  output logic        mstatus_mxr,
  output logic [63:0] satp,
  output logic [63:0] vsatp,
  output logic        vsstatus_sum,
  output logic        vsstatus_mxr,
  output logic [63:0] hgatp,
  output logic [63:0] g_gatp,          // the G-stage root of a V=1 access (dvext.md §5.1)
  output logic        hstatus_hu,
  output logic        hyp_spvp,        // effective privilege of HLV/HSV: hustatus.UPVP in HU, else hstatus.SPVP
  output logic [63:0] vpmpcfg,
  output logic [8*64-1:0] vpmpaddr,
  output logic        tlb_flush,       // a write that changes translations: flush the TLBs
  output logic        pmp_write,       // a PMP register written this cycle
  output logic [16*8-1:0]  pmpcfg,
  output logic [16*54-1:0] pmpaddr,
  output logic [63:0] mstatus,
  output logic [63:0] mcycle,
  // the machine's vIPI bitmap (dvext_vipi in the SoC)
  output logic        vipi_en,
  output logic [1:0]  vipi_word,
  output logic [1:0]  vipi_op,
  output logic [63:0] vipi_operand,
  output logic        vipi_writes,
  output logic [7:0]  vcpuid,
  input  logic [63:0] vipi_rdata,
  input  logic        vipi_usip,
  // the CLINT mirror of vtimecmp/vtimectl/vcpuid (dvext.md §6.3): the generated file's own port
  input  logic        mir_en,
  input  logic [1:0]  mir_reg,
  input  logic [63:0] mir_wdata,
  output logic [63:0] mir_rdata,
  // interrupts
  output logic        irq_pending,     // an interrupt must be taken before the next instruction
  output logic [5:0]  irq_cause,
  output logic        wake,            // mip & mie != 0: WFI resumes (priv spec 3.3.3)
  // commit-trace read-back and the trap state the trace shows
  input  logic        tr_en,           // the trace wants a read-back this cycle
  input  logic [11:0] tr_addr,
  input  logic [3:0]  tr_lines,        // {seip, meip, mtip, msip} of the traced instruction
  input  logic        tr_dv,           // ... of a DV-Ext register: the value read in its second cycle
  output logic [63:0] tr_rdata,
  output logic [63:0] tr_hstatus,
  output logic [63:0] tr_vsstatus,
  output logic [63:0] tr_hustatus,
  output logic [63:0] tr_tval2,        // htval / mtval2 / hutval of the last trap's target ...
  output logic [63:0] tr_tinst         // ... and htinst / mtinst / hutinst (trap_to of that trap)
);
  // ---- state --------------------------------------------------------------------------------
  logic        st_sie, st_mie, st_spie, st_mpie, st_spp, st_mprv, st_sum, st_mxr, st_tvm, st_tw, st_tsr;
  logic        st_gva, st_mpv;
  logic [1:0]  st_mpp;
  logic [23:0] medeleg;                 // causes up to 23 (the H extension's 20-23)
  logic [63:0] medeleg_r;
  logic [63:0] mideleg, mie_r, mip_sw;
  logic [63:0] mtvec, stvec, mscratch, sscratch, mepc_r, sepc_r, mcause, scause, mtval, stval;
  logic [31:0] mcounteren, scounteren;
  logic [2:0]  mcountinhibit;           // bits 0 (CY) and 2 (IR); bit 1 reads 0
  logic [63:0] satp_r, mcycle_r, minstret;
  // PMP registers, kept in the packed form dvc_mmu takes (entry i's cfg at [8i+7:8i], its
  // address at [54i+53:54i]).
  logic [16*8-1:0]  pmp_cfg;
  logic [16*54-1:0] pmp_addr;
  logic [1:0]  prv_r;
  logic        virt_r;
  // The H extension (H spec 8.2; dvsim hcsr.rs HCsrs): legal values only.
  logic [63:0] hstatus_r, hedeleg, hideleg, hvip, htval, htinst, htimedelta, hgatp_r;
  logic [31:0] hcounteren;
  logic [63:0] vsstatus_r, vstvec, vsscratch, vsepc, vscause, vstval, vsatp_r, mtval2, mtinst;
  logic [1:0]  last_trap_to;            // target of the last trap (for the trace's tval2/tinst)
  logic [63:0] hu_tval2, hu_tinst;       // hutval/hutinst the last HU trap wrote (for the trace)

  assign prv = prv_r;
  assign virt = HYP && virt_r;
  assign medeleg_r = {40'd0, medeleg};

  always_comb begin
    mstatus = dvc_pkg::MSTATUS_XL;
    mstatus[dvc_pkg::MS_SIE] = st_sie;
    mstatus[dvc_pkg::MS_MIE] = st_mie;
    mstatus[dvc_pkg::MS_SPIE] = st_spie;
    mstatus[dvc_pkg::MS_MPIE] = st_mpie;
    mstatus[dvc_pkg::MS_SPP] = st_spp;
    mstatus[dvc_pkg::MS_MPP +: 2] = st_mpp;
    mstatus[dvc_pkg::MS_MPRV] = st_mprv;
    mstatus[dvc_pkg::MS_SUM] = st_sum;
    mstatus[dvc_pkg::MS_MXR] = st_mxr;
    mstatus[dvc_pkg::MS_TVM] = st_tvm;
    mstatus[dvc_pkg::MS_TW] = st_tw;
    mstatus[dvc_pkg::MS_TSR] = st_tsr;
    mstatus[dvc_pkg::MS_GVA] = HYP && st_gva;
    mstatus[dvc_pkg::MS_MPV] = HYP && st_mpv;
  end
  assign mstatus_mprv = st_mprv;
  assign mstatus_mpp = st_mpp;
  assign mstatus_mpv = HYP && st_mpv;
  assign mstatus_sum = st_sum;
  assign mstatus_mxr = st_mxr;
  assign satp = satp_r;
  assign vsatp = HYP ? vsatp_r : 64'd0;
  assign hgatp = HYP ? hgatp_r : 64'd0;
  assign vsstatus_sum = HYP && vsstatus_r[dvc_pkg::MS_SUM];
  assign vsstatus_mxr = HYP && vsstatus_r[dvc_pkg::MS_MXR];
  assign hstatus_hu = HYP && hstatus_r[dvc_pkg::HS_HU];
  assign mcycle = mcycle_r;
  assign pmpcfg = pmp_cfg;
  assign pmpaddr = pmp_addr;

  // ---- mip, mie --------------------------------------------------------------------------------
  // The core's own mip (software bits, platform lines, hvip); DV-Ext adds the bits it drives.
  function automatic logic [63:0] mip_of(input logic [63:0] sw, input logic [63:0] vip, input logic [3:0] lines);
    mip_of = sw | (vip & dvc_pkg::VS_INTS);
    mip_of[dvc_pkg::IRQ_MSI] = lines[0];
    mip_of[dvc_pkg::IRQ_MTI] = lines[1];
    mip_of[dvc_pkg::IRQ_MEI] = lines[2];
    mip_of[dvc_pkg::IRQ_SEI] = sw[dvc_pkg::IRQ_SEI] | lines[3];
  endfunction

  logic [3:0]  lines;
  logic [63:0] mip_core, mip, mie, mip_dv, mie_dv;
  assign lines = {seip, meip, mtip, msip};
  assign mip_core = mip_of(mip_sw, HYP ? hvip : 64'd0, lines);
  assign mip = mip_core | mip_dv;
  assign mie = mie_r | mie_dv;
  assign wake = (mip & mie) != 64'd0;

  // ---- the DV-Ext block's outputs (zero without HYP) -------------------------------------------
  logic        dv_hit, dv_illegal, dv_virtual, dv_alias, dv_vipi;
  logic [11:0] dv_alias_addr;
  logic [1:0]  dv_vipi_word;
  logic [63:0] dv_rdata, dv_utvec, dv_uepc, dv_hustatus, dv_sedeleg, dv_sideleg, dv_hugatp;
  logic [63:0] dv_g_timedelta, dv_g_counteren;
  logic        dv_g_vtsr, dv_g_vtw, dv_g_vtvm;
  logic [1:0]  rt_target, rt_irq_target, rt_huret_priv;
  logic [63:0] rt_hu_pc, rt_hu_hustatus, rt_hu_ucause, rt_hu_uepc, rt_hu_utval, rt_hu_hutval, rt_hu_hutinst;
  logic [63:0] rt_huret_pc, rt_huret_hustatus;
  logic        rt_irq_valid, rt_insn_illegal, rt_insn_virtual, rt_huret_virt;
  logic [5:0]  rt_irq_cause;
  logic [2:0]  rt_insn;

  // ---- interrupts ----------------------------------------------------------------------------
  // Without H: priv spec 3.1.9. With H the generated trap redirect selects (all targets).
  logic [63:0] pend, m_cand, s_cand, cand;
  logic        m_en, s_en;
  assign pend = mip & mie;
  assign m_en = prv_r != dvc_pkg::PRV_M || st_mie;
  assign s_en = prv_r == dvc_pkg::PRV_U || (prv_r == dvc_pkg::PRV_S && st_sie);
  assign m_cand = m_en ? pend & ~mideleg : 64'd0;
  assign s_cand = s_en ? pend & mideleg : 64'd0;
  assign cand = m_cand != 64'd0 ? m_cand : s_cand;
  always_comb begin
    if (HYP) begin
      irq_pending = rt_irq_valid;
      irq_cause = rt_irq_cause;
    end else begin
      // Priority (priv spec 3.1.9): MEI, MSI, MTI, SEI, SSI, STI.
      irq_pending = cand != 64'd0;
      irq_cause = 6'd0;
      if (cand[dvc_pkg::IRQ_STI]) irq_cause = 6'(dvc_pkg::IRQ_STI);
      if (cand[dvc_pkg::IRQ_SSI]) irq_cause = 6'(dvc_pkg::IRQ_SSI);
      if (cand[dvc_pkg::IRQ_SEI]) irq_cause = 6'(dvc_pkg::IRQ_SEI);
      if (cand[dvc_pkg::IRQ_MTI]) irq_cause = 6'(dvc_pkg::IRQ_MTI);
      if (cand[dvc_pkg::IRQ_MSI]) irq_cause = 6'(dvc_pkg::IRQ_MSI);
      if (cand[dvc_pkg::IRQ_MEI]) irq_cause = 6'(dvc_pkg::IRQ_MEI);
    end
  end

  // ---- trap target and vector ------------------------------------------------------------------
  logic [63:0] deleg, tvec;
  logic [5:0]  vs_code;  // VS interrupts are reported with the S numbers (H spec 8.6.4)
  assign deleg = trap_irq ? mideleg : medeleg_r;
  assign trap_to = HYP ? rt_target : {1'b0, prv_r != dvc_pkg::PRV_M && deleg[trap_cause]};
  assign vs_code = trap_irq && (trap_cause == 6'd2 || trap_cause == 6'd6 || trap_cause == 6'd10)
                 ? trap_cause - 6'd1 : trap_cause;
  always_comb begin
    unique case (trap_to)
      2'd1: tvec = stvec;
      2'd3: tvec = vstvec;
      default: tvec = mtvec;
    endcase
  end
  // Vectored mode adds 4 x cause for interrupts (priv spec 3.1.7); HU's from the trap redirect.
  logic [5:0] vec_code;
  assign vec_code = trap_to == 2'd3 ? vs_code : trap_cause;
  assign trap_vector = trap_to == 2'd2 ? rt_hu_pc
                     : {tvec[63:2], 2'b00} + (trap_irq && tvec[0] ? {56'd0, vec_code, 2'b00} : 64'd0);
  logic unused_tvec_bit1;  // always 0 (WARL)
  assign unused_tvec_bit1 = tvec[1];

  // ---- the number a CSR instruction accesses ----------------------------------------------------
  // V=1 redirects the S-level numbers to their VS counterparts (H spec 8.2.1); a DV-Ext alias
  // (huvs*, huvip) names the core register itself.
  logic        vs_sub;
  logic [11:0] eff_addr;
  assign vs_sub = virt && (csr_addr == dvc_pkg::CSR_SSTATUS || csr_addr == dvc_pkg::CSR_SIE
    || csr_addr == dvc_pkg::CSR_STVEC || (csr_addr >= dvc_pkg::CSR_SSCRATCH && csr_addr <= dvc_pkg::CSR_SIP)
    || csr_addr == dvc_pkg::CSR_SATP);
  assign eff_addr = dv_alias ? dv_alias_addr : (vs_sub ? csr_addr + 12'h100 : csr_addr);
  assign csr_tr_addr = dv_alias ? dv_alias_addr : csr_addr;

  // ---- reads (two ports: the instruction, the trace) -----------------------------------------
  logic [11:0] raddr  [2];
  logic [63:0] rmip   [2];
  logic [63:0] rdata  [2];
  logic        rexist [2];
  logic [11:0] rorig  [2];
  assign raddr[0] = eff_addr;
  assign raddr[1] = tr_addr;
  assign rorig[0] = csr_addr;
  assign rorig[1] = tr_addr;
  assign rmip[0] = mip;
  assign rmip[1] = mip_of(mip_sw, HYP ? hvip : 64'd0, tr_lines) | mip_dv;

  logic [1:0] ren;
  assign ren = {tr_en, csr_en};
  logic [63:0] hid;
  assign hid = hideleg & dvc_pkg::VS_INTS;
  for (genvar p = 0; p < 2; p++) begin : g_read
    always_comb begin
      logic [11:0] a;
      a = raddr[p];
      rexist[p] = 1'b1;
      rdata[p] = 64'd0;
      if (ren[p]) unique case (a)
        dvc_pkg::CSR_SSTATUS:    rdata[p] = mstatus & dvc_pkg::SSTATUS_MASK;
        dvc_pkg::CSR_SIE:        rdata[p] = mie & mideleg & dvc_pkg::S_INTS;
        dvc_pkg::CSR_STVEC:      rdata[p] = stvec;
        dvc_pkg::CSR_SCOUNTEREN: rdata[p] = {32'd0, scounteren};
        dvc_pkg::CSR_SENVCFG:    rdata[p] = 64'd0;
        dvc_pkg::CSR_SSCRATCH:   rdata[p] = sscratch;
        dvc_pkg::CSR_SEPC:       rdata[p] = sepc_r;
        dvc_pkg::CSR_SCAUSE:     rdata[p] = scause;
        dvc_pkg::CSR_STVAL:      rdata[p] = stval;
        dvc_pkg::CSR_SIP:        rdata[p] = rmip[p] & mideleg & dvc_pkg::S_INTS;
        dvc_pkg::CSR_SATP:       rdata[p] = satp_r;
        dvc_pkg::CSR_MSTATUS:    rdata[p] = mstatus;
        dvc_pkg::CSR_MISA:       rdata[p] = HYP ? dvc_pkg::MISA_VALUE_H : dvc_pkg::MISA_VALUE;
        dvc_pkg::CSR_MEDELEG:    rdata[p] = medeleg_r;
        dvc_pkg::CSR_MIDELEG:    rdata[p] = HYP ? mideleg | dvc_pkg::VS_INTS | dvc_pkg::U_INTS : mideleg;
        dvc_pkg::CSR_MIE:        rdata[p] = mie;
        dvc_pkg::CSR_MTVEC:      rdata[p] = mtvec;
        dvc_pkg::CSR_MCOUNTEREN: rdata[p] = {32'd0, mcounteren};
        dvc_pkg::CSR_MENVCFG:    rdata[p] = 64'd0;
        dvc_pkg::CSR_MCOUNTINHIBIT: rdata[p] = {61'd0, mcountinhibit};
        dvc_pkg::CSR_MSCRATCH:   rdata[p] = mscratch;
        dvc_pkg::CSR_MEPC:       rdata[p] = mepc_r;
        dvc_pkg::CSR_MCAUSE:     rdata[p] = mcause;
        dvc_pkg::CSR_MTVAL:      rdata[p] = mtval;
        dvc_pkg::CSR_MIP:        rdata[p] = rmip[p];
        dvc_pkg::CSR_MCYCLE, dvc_pkg::CSR_CYCLE:     rdata[p] = mcycle_r;
        dvc_pkg::CSR_MINSTRET, dvc_pkg::CSR_INSTRET: rdata[p] = minstret;
        // The guest's time is offset by the world's htimedelta / hutimedelta (dvext.md §1).
        dvc_pkg::CSR_TIME:       rdata[p] = mtime + (virt ? dv_g_timedelta : 64'd0);
        dvc_pkg::CSR_MVENDORID, dvc_pkg::CSR_MARCHID, dvc_pkg::CSR_MIMPID, dvc_pkg::CSR_MCONFIGPTR:
          rdata[p] = 64'd0;
        dvc_pkg::CSR_MHARTID:    rdata[p] = hartid;
        default: begin
          if (a[11:4] == 8'h3a) begin
            // pmpcfg0..15: the even ones exist on RV64; 0 and 2 hold the 16 entries.
            rexist[p] = !a[0];
            if (a[3:0] == 4'd0) rdata[p] = pmp_cfg[63:0];
            if (a[3:0] == 4'd2) rdata[p] = pmp_cfg[127:64];
          end else if (a >= 12'h3b0 && a <= 12'h3ef) begin
            // pmpaddr0..63: 0..15 implemented, the rest read-only zero.
            if (a[11:4] == 8'h3b) rdata[p] = {10'd0, pmp_addr[54*a[3:0] +: 54]};
          end else if ((a >= 12'h323 && a <= 12'h33f) || (a >= 12'hb03 && a <= 12'hb1f)
                       || (a >= 12'hc03 && a <= 12'hc1f)) begin
            rdata[p] = 64'd0;  // hpm events and counters: hardwired zero
          end else if (HYP) begin
            unique case (a)
              dvc_pkg::CSR_HSTATUS:    rdata[p] = hstatus_r | dvc_pkg::HSTATUS_VSXL;
              dvc_pkg::CSR_HEDELEG:    rdata[p] = hedeleg;
              dvc_pkg::CSR_HIDELEG:    rdata[p] = hideleg;
              dvc_pkg::CSR_HIE:        rdata[p] = mie & dvc_pkg::VS_INTS;
              dvc_pkg::CSR_HIP:        rdata[p] = rmip[p] & dvc_pkg::VS_INTS;
              dvc_pkg::CSR_HVIP:       rdata[p] = hvip;
              dvc_pkg::CSR_HTIMEDELTA: rdata[p] = htimedelta;
              dvc_pkg::CSR_HCOUNTEREN: rdata[p] = {32'd0, hcounteren};
              dvc_pkg::CSR_HGEIE, dvc_pkg::CSR_HGEIP, dvc_pkg::CSR_HENVCFG: rdata[p] = 64'd0;
              dvc_pkg::CSR_HTVAL:      rdata[p] = htval;
              dvc_pkg::CSR_HTINST:     rdata[p] = htinst;
              dvc_pkg::CSR_HGATP:      rdata[p] = hgatp_r;
              dvc_pkg::CSR_VSSTATUS:   rdata[p] = vsstatus_r | dvc_pkg::VSSTATUS_UXL;
              dvc_pkg::CSR_VSIE:       rdata[p] = (mie & hid) >> 1;
              dvc_pkg::CSR_VSIP:       rdata[p] = (rmip[p] & hid) >> 1;
              dvc_pkg::CSR_VSTVEC:     rdata[p] = vstvec;
              dvc_pkg::CSR_VSSCRATCH:  rdata[p] = vsscratch;
              dvc_pkg::CSR_VSEPC:      rdata[p] = vsepc;
              dvc_pkg::CSR_VSCAUSE:    rdata[p] = vscause;
              dvc_pkg::CSR_VSTVAL:     rdata[p] = vstval;
              dvc_pkg::CSR_VSATP:      rdata[p] = vsatp_r;
              dvc_pkg::CSR_MTVAL2:     rdata[p] = mtval2;
              dvc_pkg::CSR_MTINST:     rdata[p] = mtinst;
              default:                 rexist[p] = 1'b0;
            endcase
          end else begin
            rexist[p] = 1'b0;
          end
        end
      endcase
    end
  end
  logic unused_rorig;
  assign unused_rorig = ^{rorig[1]};

  // ---- access check (dvsim Hart::csr_check; H spec 8.6.1 for virtual instruction) -------------
  // The number must exist (checked before substitution), then privilege from the number,
  // read-only writes, the counter enables, TVM/VTVM for satp/hgatp.
  logic        exist_orig, core_illegal, core_virtual;
  logic [31:0] counteren_v;
  assign counteren_v = dv_g_counteren[31:0];
  // Whether the number as encoded exists (the S-level numbers all do, so substitution never
  // turns a missing number into an existing one).
  assign exist_orig = rexist[0];
  always_comb begin
    logic [31:0] bit_c;
    logic [1:0]  level;
    bit_c = 32'd1 << csr_addr[4:0];
    level = csr_addr[9:8];
    core_illegal = 1'b0;
    core_virtual = 1'b0;
    if ((csr_writes && csr_addr[11:10] == 2'b11) || !exist_orig) begin
      core_illegal = 1'b1;
    end else if (prv_r != dvc_pkg::PRV_M) begin
      if (level == 2'd3) core_illegal = 1'b1;
      else if (!virt && prv_r == dvc_pkg::PRV_U && level != 2'd0) core_illegal = 1'b1;
      else if (virt && prv_r == dvc_pkg::PRV_S && level == 2'd2) core_virtual = 1'b1;
      else if (virt && prv_r == dvc_pkg::PRV_U && level != 2'd0) core_virtual = 1'b1;
      else if (csr_addr[11:5] == 7'b1100000) begin  // 0xc00..0xc1f
        if ((mcounteren & bit_c) == 32'd0) core_illegal = 1'b1;
        else if (virt && (counteren_v & bit_c) == 32'd0) core_virtual = 1'b1;
        else if (prv_r == dvc_pkg::PRV_U && (scounteren & bit_c) == 32'd0) begin
          if (virt) core_virtual = 1'b1;
          else core_illegal = 1'b1;
        end
      end
      if (!core_illegal && !core_virtual) begin
        if (prv_r == dvc_pkg::PRV_S && !virt && st_tvm && (csr_addr == dvc_pkg::CSR_SATP || (HYP && csr_addr == dvc_pkg::CSR_HGATP)))
          core_illegal = 1'b1;
        if (virt && prv_r == dvc_pkg::PRV_S && csr_addr == dvc_pkg::CSR_SATP && dv_g_vtvm)
          core_virtual = 1'b1;
      end
    end
  end
  // DV-Ext numbers are the generated CSR file's; an alias is performed here without the core's
  // own check (DV-Ext already checked HU's access).
  assign csr_illegal = dv_hit ? dv_illegal : core_illegal;
  assign csr_virtual = dv_hit ? dv_virtual : core_virtual;
  logic csr_core;  // the access is to a core register (its own number or an alias's target)
  assign csr_core = !dv_hit || dv_alias;
  assign csr_dv = dv_hit && !dv_alias && !dv_illegal && !dv_virtual;

  // ---- the value a CSR instruction writes ---------------------------------------------------
  logic [63:0] base, wval, csr_core_rdata;
  logic        do_write, core_write;
  assign csr_core_rdata = rdata[0];
  // mip read-modify-write acts on the software SEIP bit, not on its OR with the line (3.1.9),
  // and on VSSIP (an alias of hvip's).
  assign base = eff_addr == dvc_pkg::CSR_MIP ? mip_sw | (rdata[0] & ~64'h200) : rdata[0];
  always_comb begin
    unique case (csr_op)
      dvc_pkg::CSR_RS: wval = base | csr_operand;
      dvc_pkg::CSR_RC: wval = base & ~csr_operand;
      default:         wval = csr_operand;
    endcase
  end
  assign do_write = csr_commit && csr_writes && !csr_illegal && !csr_virtual;
  assign core_write = do_write && csr_core;
  assign pmp_write = core_write && (eff_addr == 12'h3a0 || eff_addr == 12'h3a2 || eff_addr[11:4] == 8'h3b);
  logic satp_write, vsatp_write, hgatp_write, hstatus_write;
  assign satp_write = core_write && eff_addr == dvc_pkg::CSR_SATP && (wval[63:60] == 4'd0 || wval[63:60] == 4'd8 || wval[63:60] == 4'd9);
  assign vsatp_write = HYP && core_write && eff_addr == dvc_pkg::CSR_VSATP && (wval[63:60] == 4'd0 || wval[63:60] == 4'd8 || wval[63:60] == 4'd9);
  assign hgatp_write = HYP && core_write && eff_addr == dvc_pkg::CSR_HGATP;
  assign hstatus_write = HYP && core_write && eff_addr == dvc_pkg::CSR_HSTATUS;
  // satp, vsatp, hgatp and hstatus (HU picks the G-stage root) writes flush, and so do writes of
  // hugatp and the vPMP registers (vPMP checked the page-table reads of cached translations).
  // dvsim flushes on every DV-Ext write; the VM plane writes uscratch and uepc on every exit,
  // which must not cost it its TLBs here.
  logic dv_xlate;
  assign dv_xlate = csr_addr == 12'h880 || (csr_addr >= 12'h6c0 && csr_addr <= 12'h6cf);
  assign tlb_flush = satp_write || vsatp_write || hgatp_write || hstatus_write || (do_write && csr_dv && dv_xlate);
  // Writes that cannot change anything younger instructions did or will do need no flush
  // (as Rocket: scratch, exception PC, cause and value registers).
  // The same holds for the VS ones and for DV-Ext's HU trap registers (uscratch, uepc, ucause,
  // utval, hutval, hutinst): the VM plane writes them on every exit (dvext.md §8).
  logic quiet_core, quiet_dv;
  assign quiet_core = eff_addr == dvc_pkg::CSR_MSCRATCH || eff_addr == dvc_pkg::CSR_SSCRATCH
    || eff_addr == dvc_pkg::CSR_MEPC || eff_addr == dvc_pkg::CSR_SEPC || eff_addr == dvc_pkg::CSR_MCAUSE
    || eff_addr == dvc_pkg::CSR_SCAUSE || eff_addr == dvc_pkg::CSR_MTVAL || eff_addr == dvc_pkg::CSR_STVAL
    || eff_addr == dvc_pkg::CSR_VSSCRATCH || eff_addr == dvc_pkg::CSR_VSEPC || eff_addr == dvc_pkg::CSR_VSCAUSE
    || eff_addr == dvc_pkg::CSR_VSTVAL;
  assign quiet_dv = csr_addr == 12'h040 || csr_addr == 12'h041 || csr_addr == 12'h042 || csr_addr == 12'h043
    || csr_addr == 12'h843 || csr_addr == 12'h84a;
  assign csr_flush = csr_writes && !(csr_core ? quiet_core : (csr_dv && quiet_dv));

  // A DV-Ext register write: the write now, the read-back (as M) in the second cycle.
  // (A vipi word is shared: its trace value is what this hart's own read-modify-write left, as
  // the model logs it, not a later read that other harts' writes may have changed.)
  assign csr_wait = csr_commit && csr_writes && csr_dv && !dv_vipi;
  logic [63:0] dv_old;     // the value read in the first cycle (rd)
  logic [63:0] dv_rb;      // the value read back in the second (the trace)
  assign csr_rdata = csr_second ? dv_old : (csr_core ? csr_core_rdata : dv_rdata);

  // ---- system instructions -----------------------------------------------------------------------
  // The DV-Ext instruction (or HLV/HSV) presented to the trap redirect (its `insn` code).
  always_comb begin
    rt_insn = 3'd0;
    if (sys_en) unique case (sys_op)
      dvc_pkg::SYS_HURET:    rt_insn = 3'd1;
      dvc_pkg::SYS_HUFENCEV: rt_insn = 3'd2;
      dvc_pkg::SYS_HUFENCEG: rt_insn = 3'd3;
      default: ;
    endcase
    if (hyp_en) rt_insn = 3'd4;
  end
  always_comb begin
    sys_illegal = 1'b0;
    sys_virtual = 1'b0;
    if (sys_en) begin
      unique case (sys_op)
        dvc_pkg::SYS_MRET: begin
          sys_illegal = prv_r != dvc_pkg::PRV_M && !virt;
          sys_virtual = prv_r != dvc_pkg::PRV_M && virt;
        end
        dvc_pkg::SYS_SRET: begin
          sys_illegal = !virt && (prv_r == dvc_pkg::PRV_U || (prv_r == dvc_pkg::PRV_S && st_tsr));
          sys_virtual = virt && (prv_r == dvc_pkg::PRV_U || dv_g_vtsr);
        end
        dvc_pkg::SYS_WFI: begin
          sys_illegal = prv_r != dvc_pkg::PRV_M && (st_tw || (!virt && prv_r == dvc_pkg::PRV_U));
          sys_virtual = !sys_illegal && virt && (prv_r == dvc_pkg::PRV_U || dv_g_vtw);
        end
        dvc_pkg::SYS_SFENCE: begin
          sys_illegal = !virt && (prv_r == dvc_pkg::PRV_U || (prv_r == dvc_pkg::PRV_S && st_tvm));
          sys_virtual = virt && (prv_r == dvc_pkg::PRV_U || dv_g_vtvm);
        end
        dvc_pkg::SYS_HFENCEV, dvc_pkg::SYS_HFENCEG: begin
          // H spec 8.3.2: virtual instruction when V=1; illegal in U (HU too: it has hufence),
          // GVMA illegal in HS with TVM.
          sys_virtual = virt;
          sys_illegal = !virt && (prv_r == dvc_pkg::PRV_U
                        || (sys_op == dvc_pkg::SYS_HFENCEG && prv_r == dvc_pkg::PRV_S && st_tvm));
        end
        default: ;
      endcase
    end
    if (rt_insn != 3'd0) begin
      sys_illegal = rt_insn_illegal;
      sys_virtual = rt_insn_virtual;
    end
  end
  assign ecall_cause = prv_r == dvc_pkg::PRV_M ? dvc_pkg::EXC_ECALL_M
                     : prv_r == dvc_pkg::PRV_U ? dvc_pkg::EXC_ECALL_U
                     : virt ? dvc_pkg::EXC_ECALL_VS : dvc_pkg::EXC_ECALL_S;

  assign xret_pc = huret_commit ? rt_huret_pc : (mret_commit ? mepc_r : (virt ? vsepc : sepc_r));
  assign hyp_spvp = prv_r == dvc_pkg::PRV_U ? dv_hustatus[dvc_pkg::HUS_UPVP] : hstatus_r[dvc_pkg::HS_SPVP];

  // ---- the trap's H values ------------------------------------------------------------------
  logic        gva, gpf;
  logic [63:0] gpa2, tinst, tval;
  // GVA: the exception's tval is a guest virtual address (dvext-model cause::carries_address).
  assign gva = !trap_irq && (virt || trap_hyp) && (trap_cause == 6'd0 || trap_cause == 6'd1 || trap_cause == 6'd3
    || trap_cause == 6'd4 || trap_cause == 6'd5 || trap_cause == 6'd6 || trap_cause == 6'd7
    || trap_cause == 6'd12 || trap_cause == 6'd13 || trap_cause == 6'd15 || trap_cause == 6'd20
    || trap_cause == 6'd21 || trap_cause == 6'd23);
  assign gpf = !trap_irq && (trap_cause == 6'd20 || trap_cause == 6'd21 || trap_cause == 6'd23);
  assign gpa2 = gpf ? trap_gpa >> 2 : 64'd0;
  assign tinst = trap_irq ? 64'd0 : trap_tinst;
  assign tval = trap_irq ? 64'd0 : trap_tval;

  // ---- state update ---------------------------------------------------------------------------
  logic [2:0] inhibit_next;
  logic       minstret_written, mcycle_written;
  assign inhibit_next = core_write && eff_addr == dvc_pkg::CSR_MCOUNTINHIBIT ? {wval[2], 1'b0, wval[0]} : mcountinhibit;
  assign minstret_written = core_write && eff_addr == dvc_pkg::CSR_MINSTRET;
  assign mcycle_written = core_write && eff_addr == dvc_pkg::CSR_MCYCLE;

  always_ff @(posedge clk) begin
    if (rst) begin
      prv_r <= dvc_pkg::PRV_M;
      virt_r <= 1'b0;
      {st_sie, st_mie, st_spie, st_mpie, st_spp, st_mprv, st_sum, st_mxr, st_tvm, st_tw, st_tsr} <= '0;
      {st_gva, st_mpv} <= '0;
      st_mpp <= dvc_pkg::PRV_U;
      medeleg <= '0;
      mideleg <= '0;
      mie_r <= '0;
      mip_sw <= '0;
      mtvec <= '0;
      stvec <= '0;
      mscratch <= '0;
      sscratch <= '0;
      mepc_r <= '0;
      sepc_r <= '0;
      mcause <= '0;
      scause <= '0;
      mtval <= '0;
      stval <= '0;
      mcounteren <= '0;
      scounteren <= '0;
      mcountinhibit <= '0;
      satp_r <= '0;
      mcycle_r <= '0;
      minstret <= '0;
      pmp_cfg <= '0;
      pmp_addr <= '0;
      {hstatus_r, hedeleg, hideleg, hvip, htval, htinst, htimedelta, hgatp_r} <= '0;
      hcounteren <= '0;
      {vsstatus_r, vstvec, vsscratch, vsepc, vscause, vstval, vsatp_r, mtval2, mtinst} <= '0;
      last_trap_to <= 2'd0;
    end else begin
      // Counters (mcountinhibit applies; a write of the counter wins over the increment, and
      // the instruction that writes minstret does not count itself).
      if (mcycle_written) mcycle_r <= wval;
      else if (!mcountinhibit[0]) mcycle_r <= mcycle_r + (skip ? skip_cycles : 64'd1);
      if (minstret_written) minstret <= wval;
      else if (retire && !inhibit_next[2]) minstret <= minstret + 64'd1;

      if (core_write) begin
        unique case (eff_addr)
          dvc_pkg::CSR_SSTATUS: begin
            st_sie <= wval[dvc_pkg::MS_SIE];
            st_spie <= wval[dvc_pkg::MS_SPIE];
            st_spp <= wval[dvc_pkg::MS_SPP];
            st_sum <= wval[dvc_pkg::MS_SUM];
            st_mxr <= wval[dvc_pkg::MS_MXR];
          end
          dvc_pkg::CSR_SIE: mie_r <= (mie_r & ~(mideleg & dvc_pkg::S_INTS)) | (wval & mideleg & dvc_pkg::S_INTS);
          dvc_pkg::CSR_STVEC: stvec <= {wval[63:2], 1'b0, wval[0]};
          dvc_pkg::CSR_SCOUNTEREN: scounteren <= wval[31:0];
          dvc_pkg::CSR_SSCRATCH: sscratch <= wval;
          dvc_pkg::CSR_SEPC: sepc_r <= {wval[63:1], 1'b0};
          dvc_pkg::CSR_SCAUSE: scause <= wval;
          dvc_pkg::CSR_STVAL: stval <= wval;
          // Only SSIP is writable through sip, and only when delegated (priv spec 4.1.3).
          dvc_pkg::CSR_SIP: mip_sw[dvc_pkg::IRQ_SSI] <= mideleg[dvc_pkg::IRQ_SSI] ? wval[dvc_pkg::IRQ_SSI] : mip_sw[dvc_pkg::IRQ_SSI];
          // Bare, Sv39 and Sv48; other MODE values leave satp unchanged (priv spec 4.1.11).
          dvc_pkg::CSR_SATP: if (satp_write) satp_r <= wval;
          dvc_pkg::CSR_MSTATUS: begin
            st_sie <= wval[dvc_pkg::MS_SIE];
            st_mie <= wval[dvc_pkg::MS_MIE];
            st_spie <= wval[dvc_pkg::MS_SPIE];
            st_mpie <= wval[dvc_pkg::MS_MPIE];
            st_spp <= wval[dvc_pkg::MS_SPP];
            if (wval[dvc_pkg::MS_MPP +: 2] != 2'b10) st_mpp <= wval[dvc_pkg::MS_MPP +: 2];  // MPP = 2 is reserved
            st_mprv <= wval[dvc_pkg::MS_MPRV];
            st_sum <= wval[dvc_pkg::MS_SUM];
            st_mxr <= wval[dvc_pkg::MS_MXR];
            st_tvm <= wval[dvc_pkg::MS_TVM];
            st_tw <= wval[dvc_pkg::MS_TW];
            st_tsr <= wval[dvc_pkg::MS_TSR];
            st_gva <= HYP && wval[dvc_pkg::MS_GVA];
            st_mpv <= HYP && wval[dvc_pkg::MS_MPV];
          end
          dvc_pkg::CSR_MEDELEG: medeleg <= wval[23:0] & (HYP ? dvc_pkg::MEDELEG_MASK_H[23:0] : dvc_pkg::MEDELEG_MASK[23:0]);
          dvc_pkg::CSR_MIDELEG: mideleg <= wval & dvc_pkg::S_INTS;
          dvc_pkg::CSR_MIE: mie_r <= wval & (HYP ? dvc_pkg::MIE_MASK | dvc_pkg::VS_INTS : dvc_pkg::MIE_MASK);
          dvc_pkg::CSR_MTVEC: mtvec <= {wval[63:2], 1'b0, wval[0]};
          dvc_pkg::CSR_MCOUNTEREN: mcounteren <= wval[31:0];
          dvc_pkg::CSR_MCOUNTINHIBIT: mcountinhibit <= inhibit_next;
          dvc_pkg::CSR_MSCRATCH: mscratch <= wval;
          dvc_pkg::CSR_MEPC: mepc_r <= {wval[63:1], 1'b0};
          dvc_pkg::CSR_MCAUSE: mcause <= wval;
          dvc_pkg::CSR_MTVAL: mtval <= wval;
          dvc_pkg::CSR_MIP: begin
            // VSSIP is an alias of hvip.VSSIP; the U-level bits belong to DV-Ext (read-only here).
            mip_sw <= wval & dvc_pkg::S_INTS;
            if (HYP) hvip[2] <= wval[2];
          end
          dvc_pkg::CSR_HSTATUS: hstatus_r <= wval & dvc_pkg::HSTATUS_MASK;
          dvc_pkg::CSR_HEDELEG: hedeleg <= wval & dvc_pkg::HEDELEG_MASK;
          dvc_pkg::CSR_HIDELEG: hideleg <= wval & dvc_pkg::VS_INTS;
          dvc_pkg::CSR_HIE: mie_r <= (mie_r & ~dvc_pkg::VS_INTS) | (wval & dvc_pkg::VS_INTS);
          dvc_pkg::CSR_HIP: hvip[2] <= wval[2];
          dvc_pkg::CSR_HVIP: hvip <= wval & dvc_pkg::VS_INTS;
          dvc_pkg::CSR_HTIMEDELTA: htimedelta <= wval;
          dvc_pkg::CSR_HCOUNTEREN: hcounteren <= wval[31:0];
          dvc_pkg::CSR_HTVAL: htval <= wval;
          dvc_pkg::CSR_HTINST: htinst <= wval;
          // hgatp WARL (H spec 8.2.10): an unsupported MODE keeps the old one; VMID 14 bits,
          // PPN bits 1:0 zero (16 KiB root).
          dvc_pkg::CSR_HGATP: hgatp_r <= {(wval[63:60] == 4'd0 || wval[63:60] == 4'd8 || wval[63:60] == 4'd9) ? wval[63:60] : hgatp_r[63:60],
                                          2'b00, wval[57:44], wval[43:2], 2'b00};
          dvc_pkg::CSR_VSSTATUS: vsstatus_r <= wval & dvc_pkg::VSSTATUS_MASK;
          dvc_pkg::CSR_VSIE: mie_r <= (mie_r & ~hid) | ((wval << 1) & hid);
          dvc_pkg::CSR_VSIP: hvip <= (hvip & ~(hid & 64'h4)) | ((wval << 1) & hid & 64'h4);
          dvc_pkg::CSR_VSTVEC: vstvec <= {wval[63:2], 1'b0, wval[0]};
          dvc_pkg::CSR_VSSCRATCH: vsscratch <= wval;
          dvc_pkg::CSR_VSEPC: vsepc <= {wval[63:1], 1'b0};
          dvc_pkg::CSR_VSCAUSE: vscause <= wval;
          dvc_pkg::CSR_VSTVAL: vstval <= wval;
          dvc_pkg::CSR_VSATP: if (vsatp_write) vsatp_r <= wval;
          dvc_pkg::CSR_MTVAL2: mtval2 <= wval;
          dvc_pkg::CSR_MTINST: mtinst <= wval;
          default: begin
            // PMP (dvsim Pmp::write): locked entries ignore writes, as does pmpaddr(i) when
            // entry i+1 is locked TOR; R=0/W=1 is reserved and legalized to W=0.
            if (eff_addr == 12'h3a0 || eff_addr == 12'h3a2) begin
              for (int i = 0; i < 8; i++) begin
                logic [7:0] b;
                logic [3:0] e;
                e = {eff_addr[1], 3'(i)};
                b = wval[8*i +: 8] & 8'h9f;
                if (b[1:0] == 2'b10) b[1] = 1'b0;
                if (!pmp_cfg[8*e+7]) pmp_cfg[8*e +: 8] <= b;
              end
            end
            for (int i = 0; i < 16; i++) begin
              if (eff_addr == 12'h3b0 + 12'(i) && !pmp_cfg[8*i+7]
                  && !(i < 15 && pmp_cfg[8*((i + 1) % 16)+7] && pmp_cfg[8*((i + 1) % 16)+3 +: 2] == 2'b01)) begin
                pmp_addr[54*i +: 54] <= wval[53:0];
              end
            end
            // misa, menvcfg, senvcfg, hgeie, henvcfg, the hpm events and counters: writes are
            // ignored (WARL).
          end
        endcase
      end

      if (trap_commit) begin
        last_trap_to <= trap_to;
        hu_tval2 <= rt_hu_hutval;
        hu_tinst <= rt_hu_hutinst;
        unique case (trap_to)
          2'd1: begin  // HS
            sepc_r <= trap_pc;
            scause <= {trap_irq, 57'd0, trap_cause};
            stval <= tval;
            st_spie <= st_sie;
            st_sie <= 1'b0;
            st_spp <= prv_r == dvc_pkg::PRV_S;
            if (HYP) begin
              htval <= gpa2;
              htinst <= tinst;
              hstatus_r[dvc_pkg::HS_SPV] <= virt;
              hstatus_r[dvc_pkg::HS_GVA] <= gva;
              if (virt) hstatus_r[dvc_pkg::HS_SPVP] <= prv_r == dvc_pkg::PRV_S;
            end
            prv_r <= dvc_pkg::PRV_S;
            virt_r <= 1'b0;
          end
          2'd2: begin  // HU (the generated CSR file takes the HU trap state)
            prv_r <= dvc_pkg::PRV_U;
            virt_r <= 1'b0;
          end
          2'd3: begin  // VS
            vsepc <= trap_pc;
            vscause <= {trap_irq, 57'd0, vs_code};
            vstval <= tval;
            vsstatus_r[dvc_pkg::MS_SPIE] <= vsstatus_r[dvc_pkg::MS_SIE];
            vsstatus_r[dvc_pkg::MS_SIE] <= 1'b0;
            vsstatus_r[dvc_pkg::MS_SPP] <= prv_r == dvc_pkg::PRV_S;
            prv_r <= dvc_pkg::PRV_S;
            virt_r <= 1'b1;
          end
          default: begin  // M
            mepc_r <= trap_pc;
            mcause <= {trap_irq, 57'd0, trap_cause};
            mtval <= tval;
            st_mpie <= st_mie;
            st_mie <= 1'b0;
            st_mpp <= prv_r;
            if (HYP) begin
              mtval2 <= gpa2;
              mtinst <= tinst;
              st_mpv <= virt;
              st_gva <= gva;
            end
            prv_r <= dvc_pkg::PRV_M;
            virt_r <= 1'b0;
          end
        endcase
      end else if (mret_commit) begin
        // priv spec 3.3.2, H 8.2: priv <- MPP, V <- MPV (unless MPP = M), MPV <- 0, MIE <- MPIE,
        // MPIE <- 1, MPP <- U; MPRV cleared below M.
        prv_r <= st_mpp;
        virt_r <= HYP && st_mpp != dvc_pkg::PRV_M && st_mpv;
        st_mpv <= 1'b0;
        st_mie <= st_mpie;
        st_mpie <= 1'b1;
        st_mpp <= dvc_pkg::PRV_U;
        if (st_mpp != dvc_pkg::PRV_M) st_mprv <= 1'b0;
      end else if (sret_commit && virt) begin
        // In VS: through vsstatus and vsepc, staying in V=1 (H spec 8.6.4).
        prv_r <= vsstatus_r[dvc_pkg::MS_SPP] ? dvc_pkg::PRV_S : dvc_pkg::PRV_U;
        vsstatus_r[dvc_pkg::MS_SIE] <= vsstatus_r[dvc_pkg::MS_SPIE];
        vsstatus_r[dvc_pkg::MS_SPIE] <= 1'b1;
        vsstatus_r[dvc_pkg::MS_SPP] <= 1'b0;
      end else if (sret_commit) begin
        prv_r <= st_spp ? dvc_pkg::PRV_S : dvc_pkg::PRV_U;
        virt_r <= HYP && hstatus_r[dvc_pkg::HS_SPV];
        hstatus_r[dvc_pkg::HS_SPV] <= 1'b0;
        st_sie <= st_spie;
        st_spie <= 1'b1;
        st_spp <= 1'b0;
        st_mprv <= 1'b0;
      end else if (huret_commit) begin
        prv_r <= rt_huret_priv;
        virt_r <= rt_huret_virt;
      end
    end
  end

  // ---- the DV-Ext block -------------------------------------------------------------------------
  logic [63:0] g_gatp_w, vpmpcfg_w;
  logic [8*64-1:0] vpmpaddr_w;
  logic [7:0]  vcpuid_w;
  logic        dv_vipi_en;
  if (HYP) begin : g_dvext
    // The generated CSR file's port serves the instruction, and in its second cycle the
    // trace's read-back of what it wrote (as M-mode, writing nothing).
    logic [1:0] port_prv;
    logic       port_virt, port_en;
    logic [1:0] port_op;
    assign port_prv = csr_second ? dvc_pkg::PRV_M : prv_r;
    assign port_virt = csr_second ? 1'b0 : virt;
    assign port_op = csr_second ? 2'd0 : csr_op;
    assign port_en = csr_commit && !csr_illegal && !csr_virtual;

    dvext_csr_file csr_file (
      .clock(clk), .reset(rst),
      .csr_en(port_en), .csr_addr, .csr_op(port_op), .csr_operand, .csr_writes(csr_writes && !csr_second),
      .priv_lvl(port_prv), .virt(port_virt), .hstatus_hu(hstatus_r[dvc_pkg::HS_HU]),
      .mip_core, .mtime, .usip_in(vipi_usip), .vipi_rdata,
      .hu_trap(trap_commit && trap_to == 2'd2),
      .hu_trap_hustatus(rt_hu_hustatus), .hu_trap_ucause(rt_hu_ucause), .hu_trap_uepc(rt_hu_uepc),
      .hu_trap_utval(rt_hu_utval), .hu_trap_hutval(rt_hu_hutval), .hu_trap_hutinst(rt_hu_hutinst),
      .huret(huret_commit), .huret_hustatus(rt_huret_hustatus),
      .hgatp(hgatp_r), .htimedelta, .hcounteren({32'd0, hcounteren}), .hstatus(hstatus_r),
      .mir_en, .mir_reg, .mir_wdata, .mir_rdata,
      .csr_hit(dv_hit), .csr_illegal(dv_illegal), .csr_virtual(dv_virtual), .csr_alias(dv_alias),
      .csr_alias_addr(dv_alias_addr), .csr_vipi(dv_vipi), .csr_vipi_word(dv_vipi_word), .csr_rdata(dv_rdata),
      .utvec(dv_utvec), .uepc(dv_uepc), .hustatus(dv_hustatus), .sedeleg(dv_sedeleg), .sideleg(dv_sideleg),
      .hugatp(dv_hugatp), .hutimedelta(dv_hutimedelta), .hucounteren(dv_hucounteren),
      .hvpmpcfg0(vpmpcfg_w),
      .hvpmpaddr0(vpmpaddr_w[0*64 +: 64]), .hvpmpaddr1(vpmpaddr_w[1*64 +: 64]),
      .hvpmpaddr2(vpmpaddr_w[2*64 +: 64]), .hvpmpaddr3(vpmpaddr_w[3*64 +: 64]),
      .hvpmpaddr4(vpmpaddr_w[4*64 +: 64]), .hvpmpaddr5(vpmpaddr_w[5*64 +: 64]),
      .hvpmpaddr6(vpmpaddr_w[6*64 +: 64]), .hvpmpaddr7(vpmpaddr_w[7*64 +: 64]),
      .vcpuid(vcpuid_w), .mip_dv, .mie_dv,
      .g_gatp(g_gatp_w), .g_timedelta(dv_g_timedelta), .g_counteren(dv_g_counteren),
      .g_vtsr(dv_g_vtsr), .g_vtw(dv_g_vtw), .g_vtvm(dv_g_vtvm)
    );

    // mideleg's VS bits are read-only one with H (H spec 8.2.5); the U bits the block forces.
    dvext_trap_redirect trap_redirect (
      .priv_lvl(prv_r), .virt, .hstatus_hu(hstatus_r[dvc_pkg::HS_HU]),
      .medeleg(medeleg_r), .mideleg(mideleg | dvc_pkg::VS_INTS), .hedeleg, .hideleg, .sedeleg(dv_sedeleg), .sideleg(dv_sideleg),
      .trap_cause, .trap_intr(trap_irq), .trap_pc, .trap_tval(tval), .trap_gpa, .trap_tinst(tinst),
      .trap_hyp_access(trap_hyp),
      .hustatus(dv_hustatus), .utvec(dv_utvec), .uepc(dv_uepc),
      .mip, .mie, .mstatus_mie(st_mie), .mstatus_sie(st_sie), .vsstatus_sie(vsstatus_r[dvc_pkg::MS_SIE]),
      .mstatus_tvm(st_tvm), .insn(rt_insn),
      .trap_target(rt_target), .hu_pc(rt_hu_pc), .hu_hustatus(rt_hu_hustatus), .hu_ucause(rt_hu_ucause),
      .hu_uepc(rt_hu_uepc), .hu_utval(rt_hu_utval), .hu_hutval(rt_hu_hutval), .hu_hutinst(rt_hu_hutinst),
      .irq_valid(rt_irq_valid), .irq_cause(rt_irq_cause), .irq_target(rt_irq_target),
      .insn_illegal(rt_insn_illegal), .insn_virtual(rt_insn_virtual),
      .huret_pc(rt_huret_pc), .huret_virt(rt_huret_virt), .huret_priv(rt_huret_priv),
      .huret_hustatus(rt_huret_hustatus)
    );
    assign dv_vipi_en = port_en && dv_vipi && !csr_second;

    logic [63:0] vipi_new;
    always_comb begin
      unique case (csr_op)
        dvc_pkg::CSR_RS: vipi_new = vipi_rdata | csr_operand;
        dvc_pkg::CSR_RC: vipi_new = vipi_rdata & ~csr_operand;
        default:         vipi_new = csr_operand;
      endcase
    end
    always_ff @(posedge clk) begin
      if (csr_wait) dv_old <= dv_rdata;
      if (csr_second) dv_rb <= dv_alias ? 64'd0 : dv_rdata;
      else if (dv_vipi_en) dv_rb <= vipi_new;
    end
    logic [63:0] dv_hutimedelta, dv_hucounteren;
    logic unused_dv;
    assign unused_dv = ^{rt_irq_target, dv_hugatp, dv_hutimedelta, dv_hucounteren, dv_g_counteren[63:32]};
  end else begin : g_no_dvext
    assign {dv_hit, dv_illegal, dv_virtual, dv_alias, dv_vipi} = '0;
    assign dv_alias_addr = '0;
    assign dv_vipi_word = '0;
    assign {dv_rdata, dv_utvec, dv_uepc, dv_hustatus, dv_sedeleg, dv_sideleg, dv_hugatp} = '0;
    assign {dv_g_timedelta, dv_g_counteren} = '0;
    assign {dv_g_vtsr, dv_g_vtw, dv_g_vtvm} = '0;
    assign {rt_target, rt_irq_target, rt_huret_priv} = '0;
    assign {rt_hu_pc, rt_hu_hustatus, rt_hu_ucause, rt_hu_uepc, rt_hu_utval, rt_hu_hutval, rt_hu_hutinst} = '0;
    assign {rt_huret_pc, rt_huret_hustatus} = '0;
    assign {rt_irq_valid, rt_insn_illegal, rt_insn_virtual, rt_huret_virt} = '0;
    assign rt_irq_cause = '0;
    assign {mip_dv, mie_dv} = '0;
    assign {g_gatp_w, vpmpcfg_w, vpmpaddr_w} = '0;
    assign vcpuid_w = '0;
    assign dv_vipi_en = 1'b0;
    assign dv_old = '0;
    assign dv_rb = '0;
    assign mir_rdata = '0;
    logic unused_no_dv;
    assign unused_no_dv = ^{mir_en, mir_reg, mir_wdata, vipi_rdata, vipi_usip, trap_gpa, csr_second, dv_vipi, dv_utvec, dv_uepc,
                            dv_sedeleg, dv_sideleg, dv_hugatp, dv_g_counteren, rt_irq_target, rt_hu_hustatus,
                            rt_hu_ucause, rt_hu_uepc, rt_hu_utval, rt_huret_hustatus};
  end
  assign g_gatp = g_gatp_w;
  assign vpmpcfg = vpmpcfg_w;
  assign vpmpaddr = vpmpaddr_w;
  assign vcpuid = vcpuid_w;
  assign vipi_en = dv_vipi_en;
  assign vipi_word = dv_vipi_word;
  assign vipi_op = csr_op;
  assign vipi_operand = csr_operand;
  assign vipi_writes = csr_writes;

  // ---- the trace --------------------------------------------------------------------------------
  assign tr_rdata = tr_dv ? dv_rb : rdata[1];
  assign tr_hstatus = hstatus_r | dvc_pkg::HSTATUS_VSXL;
  assign tr_vsstatus = vsstatus_r | dvc_pkg::VSSTATUS_UXL;
  assign tr_hustatus = dv_hustatus | dvc_pkg::HSTATUS_VSXL;  // hustatus.VSXL reads 2 (dvext.md §2)
  always_comb begin
    tr_tval2 = 64'd0;
    tr_tinst = 64'd0;
    unique case (last_trap_to)
      2'd0: begin tr_tval2 = mtval2; tr_tinst = mtinst; end
      2'd1: begin tr_tval2 = htval; tr_tinst = htinst; end
      2'd2: begin tr_tval2 = hu_tval2; tr_tinst = hu_tinst; end
      default: ;
    endcase
  end
endmodule
