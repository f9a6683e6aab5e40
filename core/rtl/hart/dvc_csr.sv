// dvc_csr: the machine and supervisor CSRs (priv spec 1.12 ch. 2-4), privilege, trap entry and
// xRET, interrupt selection, the counters and the PMP registers of one hart.
//
// The register set, the WARL rules and the access checks are dvsim's (sim/src/hart/csr.rs,
// hcsr.rs `csr_check`) for a hart without the H extension, since dvsim is the oracle the core
// runs in lockstep with. Hook for the H extension and DV-Ext (docs/core.md "Extensions"): CSR
// numbers this file does not implement come back as `illegal`; an extension block answers
// them first and takes over the V=1 substitutions and the trap targets VS and HU.
//
// Everything is read combinationally; writes, trap entry and xRET take effect at the clock
// edge of the cycle their `*_commit` input is high (the hart's commit point, dvc_hart's M
// stage). Read port 1 serves the commit trace: the hart reads back a CSR after its write, with
// the interrupt lines of the instruction's commit cycle.
module dvc_csr (
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
  input  logic        csr_commit,      // perform its write this cycle
  output logic [63:0] csr_rdata,
  output logic        csr_illegal,
  output logic        csr_flush,       // its write may change what younger instructions did
  // trap entry
  input  logic        trap_commit,
  input  logic        trap_irq,        // an interrupt (mcause bit 63)
  input  logic [5:0]  trap_cause,
  input  logic [63:0] trap_pc,
  input  logic [63:0] trap_tval,
  output logic        trap_to_s,       // where a trap with these inputs goes: HS (1) or M (0)
  output logic [63:0] trap_vector,
  // xRET
  input  logic        mret_commit,
  input  logic        sret_commit,
  output logic [63:0] mepc,
  output logic [63:0] sepc,
  // an instruction retires this cycle (minstret)
  input  logic        retire,
  // state the pipeline needs
  output logic [1:0]  prv,
  output logic        mstatus_mprv,
  output logic [1:0]  mstatus_mpp,
  output logic        mstatus_sum,
  output logic        mstatus_mxr,
  output logic        mstatus_tvm,
  output logic        mstatus_tw,
  output logic        mstatus_tsr,
  output logic [63:0] satp,
  output logic        satp_write,      // satp written this cycle: flush the TLBs
  output logic        pmp_write,       // a PMP register written this cycle
  output logic [16*8-1:0]  pmpcfg,
  output logic [16*54-1:0] pmpaddr,
  output logic [63:0] mstatus,
  output logic [63:0] mcycle,
  // interrupts
  output logic        irq_pending,     // an interrupt must be taken before the next instruction
  output logic [5:0]  irq_cause,
  output logic        wake,            // mip & mie != 0: WFI resumes (priv spec 3.3.3)
  // commit-trace read-back
  input  logic        tr_en,           // the trace wants a read-back this cycle
  input  logic [11:0] tr_addr,
  input  logic [3:0]  tr_lines,        // {seip, meip, mtip, msip} of the traced instruction
  output logic [63:0] tr_rdata
);
  // ---- state --------------------------------------------------------------------------------
  logic        st_sie, st_mie, st_spie, st_mpie, st_spp, st_mprv, st_sum, st_mxr, st_tvm, st_tw, st_tsr;
  logic [1:0]  st_mpp;
  logic [15:0] medeleg;
  logic [63:0] mideleg, mie_r, mip_sw;
  logic [63:0] mtvec, stvec, mscratch, sscratch, mepc_r, sepc_r, mcause, scause, mtval, stval;
  logic [31:0] mcounteren, scounteren;
  logic [2:0]  mcountinhibit;           // bits 0 (CY) and 2 (IR); bit 1 reads 0
  logic [63:0] satp_r, mcycle_r, minstret;
  // PMP registers, kept in the packed form dvc_mmu takes (entry i's cfg at [8i+7:8i], its
  // address at [54i+53:54i]).
  logic [16*8-1:0]  pmp_cfg;
  logic [16*54-1:0] pmp_addr;

  assign prv = prv_r;
  logic [1:0] prv_r;

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
  end
  assign mstatus_mprv = st_mprv;
  assign mstatus_mpp = st_mpp;
  assign mstatus_sum = st_sum;
  assign mstatus_mxr = st_mxr;
  assign mstatus_tvm = st_tvm;
  assign mstatus_tw = st_tw;
  assign mstatus_tsr = st_tsr;
  assign satp = satp_r;
  assign mepc = mepc_r;
  assign sepc = sepc_r;
  assign mcycle = mcycle_r;

  assign pmpcfg = pmp_cfg;
  assign pmpaddr = pmp_addr;

  // ---- mip, interrupts ---------------------------------------------------------------------
  function automatic logic [63:0] mip_of(input logic [63:0] sw, input logic [3:0] lines);
    mip_of = sw;
    mip_of[dvc_pkg::IRQ_MSI] = lines[0];
    mip_of[dvc_pkg::IRQ_MTI] = lines[1];
    mip_of[dvc_pkg::IRQ_MEI] = lines[2];
    mip_of[dvc_pkg::IRQ_SEI] = sw[dvc_pkg::IRQ_SEI] | lines[3];
  endfunction

  logic [3:0]  lines;
  logic [63:0] mip, pend, m_cand, s_cand, cand;
  logic        m_en, s_en;
  assign lines = {seip, meip, mtip, msip};
  assign mip = mip_of(mip_sw, lines);
  assign pend = mip & mie_r;
  assign wake = pend != 64'd0;
  // Global enables (priv spec 3.1.6.1): M-level interrupts when below M or MIE; S-level ones
  // (delegated) when below S or in S with SIE, never in M.
  assign m_en = prv_r != dvc_pkg::PRV_M || st_mie;
  assign s_en = prv_r == dvc_pkg::PRV_U || (prv_r == dvc_pkg::PRV_S && st_sie);
  assign m_cand = m_en ? pend & ~mideleg : 64'd0;
  assign s_cand = s_en ? pend & mideleg : 64'd0;
  assign cand = m_cand != 64'd0 ? m_cand : s_cand;

  // Priority (priv spec 3.1.9): MEI, MSI, MTI, SEI, SSI, STI.
  always_comb begin
    irq_pending = cand != 64'd0;
    irq_cause = 6'd0;
    if (cand[dvc_pkg::IRQ_STI]) irq_cause = 6'(dvc_pkg::IRQ_STI);
    if (cand[dvc_pkg::IRQ_SSI]) irq_cause = 6'(dvc_pkg::IRQ_SSI);
    if (cand[dvc_pkg::IRQ_SEI]) irq_cause = 6'(dvc_pkg::IRQ_SEI);
    if (cand[dvc_pkg::IRQ_MTI]) irq_cause = 6'(dvc_pkg::IRQ_MTI);
    if (cand[dvc_pkg::IRQ_MSI]) irq_cause = 6'(dvc_pkg::IRQ_MSI);
    if (cand[dvc_pkg::IRQ_MEI]) irq_cause = 6'(dvc_pkg::IRQ_MEI);
  end

  // ---- trap target ---------------------------------------------------------------------------
  logic [63:0] deleg, tvec;
  assign deleg = trap_irq ? mideleg : {48'd0, medeleg};
  assign trap_to_s = prv_r != dvc_pkg::PRV_M && deleg[trap_cause];
  assign tvec = trap_to_s ? stvec : mtvec;
  // Vectored mode adds 4 x cause for interrupts (priv spec 3.1.7).
  assign trap_vector = {tvec[63:2], 2'b00} + (trap_irq && tvec[0] ? {56'd0, trap_cause, 2'b00} : 64'd0);
  logic unused_tvec_bit1;  // always 0 (WARL)
  assign unused_tvec_bit1 = tvec[1];

  // ---- reads (two ports: the instruction, the trace) -----------------------------------------
  logic [11:0] raddr  [2];
  logic [63:0] rmip   [2];
  logic [63:0] rdata  [2];
  logic        rexist [2];
  assign raddr[0] = csr_addr;
  assign raddr[1] = tr_addr;
  assign rmip[0] = mip;
  assign rmip[1] = mip_of(mip_sw, tr_lines);

  logic [1:0] ren;
  assign ren = {tr_en, csr_en};
  for (genvar p = 0; p < 2; p++) begin : g_read
    always_comb begin
      logic [11:0] a;
      a = raddr[p];
      rexist[p] = 1'b1;
      rdata[p] = 64'd0;
      if (ren[p]) unique case (a)
        dvc_pkg::CSR_SSTATUS:    rdata[p] = mstatus & dvc_pkg::SSTATUS_MASK;
        dvc_pkg::CSR_SIE:        rdata[p] = mie_r & mideleg & dvc_pkg::S_INTS;
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
        dvc_pkg::CSR_MISA:       rdata[p] = dvc_pkg::MISA_VALUE;
        dvc_pkg::CSR_MEDELEG:    rdata[p] = {48'd0, medeleg};
        dvc_pkg::CSR_MIDELEG:    rdata[p] = mideleg;
        dvc_pkg::CSR_MIE:        rdata[p] = mie_r;
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
        dvc_pkg::CSR_TIME:       rdata[p] = mtime;
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
          end else begin
            rexist[p] = 1'b0;
          end
        end
      endcase
    end
  end
  assign csr_rdata = rdata[0];
  assign tr_rdata = rdata[1];

  // ---- access check (dvsim Hart::csr_check) ---------------------------------------------------
  logic counter_denied;
  always_comb begin
    logic [31:0] bit_c;
    bit_c = 32'd1 << csr_addr[4:0];
    counter_denied = 1'b0;
    if (csr_addr[11:5] == 7'b1100000) begin  // 0xc00..0xc1f
      if (prv_r != dvc_pkg::PRV_M && (mcounteren & bit_c) == 32'd0) counter_denied = 1'b1;
      if (prv_r == dvc_pkg::PRV_U && (scounteren & bit_c) == 32'd0) counter_denied = 1'b1;
    end
    csr_illegal = !rexist[0]
      || (csr_writes && csr_addr[11:10] == 2'b11)
      || (prv_r != dvc_pkg::PRV_M && csr_addr[9:8] == 2'b11)
      || (prv_r == dvc_pkg::PRV_U && csr_addr[9:8] != 2'b00)
      || counter_denied
      || (prv_r == dvc_pkg::PRV_S && st_tvm && csr_addr == dvc_pkg::CSR_SATP);
  end

  // ---- the value a CSR instruction writes ---------------------------------------------------
  logic [63:0] base, wval;
  logic        do_write;
  // mip read-modify-write acts on the software SEIP bit, not on its OR with the line (3.1.9).
  assign base = csr_addr == dvc_pkg::CSR_MIP ? mip_sw : rdata[0];
  always_comb begin
    unique case (csr_op)
      dvc_pkg::CSR_RS: wval = base | csr_operand;
      dvc_pkg::CSR_RC: wval = base & ~csr_operand;
      default:         wval = csr_operand;
    endcase
  end
  assign do_write = csr_commit && csr_writes && !csr_illegal;
  assign pmp_write = do_write && (csr_addr == 12'h3a0 || csr_addr == 12'h3a2 || csr_addr[11:4] == 8'h3b);
  assign satp_write = do_write && csr_addr == dvc_pkg::CSR_SATP && (wval[63:60] == 4'd0 || wval[63:60] == 4'd8 || wval[63:60] == 4'd9);
  // Writes that cannot change anything younger instructions did or will do need no flush
  // (as Rocket: scratch, exception PC, cause and value registers).
  assign csr_flush = csr_writes && !(csr_addr == dvc_pkg::CSR_MSCRATCH || csr_addr == dvc_pkg::CSR_SSCRATCH
    || csr_addr == dvc_pkg::CSR_MEPC || csr_addr == dvc_pkg::CSR_SEPC || csr_addr == dvc_pkg::CSR_MCAUSE
    || csr_addr == dvc_pkg::CSR_SCAUSE || csr_addr == dvc_pkg::CSR_MTVAL || csr_addr == dvc_pkg::CSR_STVAL);

  // ---- state update ---------------------------------------------------------------------------
  logic [2:0] inhibit_next;
  logic       minstret_written, mcycle_written;
  assign inhibit_next = do_write && csr_addr == dvc_pkg::CSR_MCOUNTINHIBIT ? {wval[2], 1'b0, wval[0]} : mcountinhibit;
  assign minstret_written = do_write && csr_addr == dvc_pkg::CSR_MINSTRET;
  assign mcycle_written = do_write && csr_addr == dvc_pkg::CSR_MCYCLE;

  always_ff @(posedge clk) begin
    if (rst) begin
      prv_r <= dvc_pkg::PRV_M;
      {st_sie, st_mie, st_spie, st_mpie, st_spp, st_mprv, st_sum, st_mxr, st_tvm, st_tw, st_tsr} <= '0;
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
    end else begin
      // Counters (mcountinhibit applies; a write of the counter wins over the increment, and
      // the instruction that writes minstret does not count itself).
      if (mcycle_written) mcycle_r <= wval;
      else if (!mcountinhibit[0]) mcycle_r <= mcycle_r + (skip ? skip_cycles : 64'd1);
      if (minstret_written) minstret <= wval;
      else if (retire && !inhibit_next[2]) minstret <= minstret + 64'd1;

      if (do_write) begin
        unique case (csr_addr)
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
          end
          dvc_pkg::CSR_MEDELEG: medeleg <= wval[15:0] & dvc_pkg::MEDELEG_MASK[15:0];
          dvc_pkg::CSR_MIDELEG: mideleg <= wval & dvc_pkg::S_INTS;
          dvc_pkg::CSR_MIE: mie_r <= wval & dvc_pkg::MIE_MASK;
          dvc_pkg::CSR_MTVEC: mtvec <= {wval[63:2], 1'b0, wval[0]};
          dvc_pkg::CSR_MCOUNTEREN: mcounteren <= wval[31:0];
          dvc_pkg::CSR_MCOUNTINHIBIT: mcountinhibit <= inhibit_next;
          dvc_pkg::CSR_MSCRATCH: mscratch <= wval;
          dvc_pkg::CSR_MEPC: mepc_r <= {wval[63:1], 1'b0};
          dvc_pkg::CSR_MCAUSE: mcause <= wval;
          dvc_pkg::CSR_MTVAL: mtval <= wval;
          dvc_pkg::CSR_MIP: mip_sw <= wval & dvc_pkg::S_INTS;
          default: begin
            // PMP (dvsim Pmp::write): locked entries ignore writes, as does pmpaddr(i) when
            // entry i+1 is locked TOR; R=0/W=1 is reserved and legalized to W=0.
            if (csr_addr == 12'h3a0 || csr_addr == 12'h3a2) begin
              for (int i = 0; i < 8; i++) begin
                logic [7:0] b;
                logic [3:0] e;
                e = {csr_addr[1], 3'(i)};
                b = wval[8*i +: 8] & 8'h9f;
                if (b[1:0] == 2'b10) b[1] = 1'b0;
                if (!pmp_cfg[8*e+7]) pmp_cfg[8*e +: 8] <= b;
              end
            end
            for (int i = 0; i < 16; i++) begin
              if (csr_addr == 12'h3b0 + 12'(i) && !pmp_cfg[8*i+7]
                  && !(i < 15 && pmp_cfg[8*((i + 1) % 16)+7] && pmp_cfg[8*((i + 1) % 16)+3 +: 2] == 2'b01)) begin
                pmp_addr[54*i +: 54] <= wval[53:0];
              end
            end
            // misa, menvcfg, senvcfg, the hpm events and counters: writes are ignored (WARL).
          end
        endcase
      end

      if (trap_commit) begin
        if (trap_to_s) begin
          sepc_r <= trap_pc;
          scause <= {trap_irq, 57'd0, trap_cause};
          stval <= trap_tval;
          st_spie <= st_sie;
          st_sie <= 1'b0;
          st_spp <= prv_r == dvc_pkg::PRV_S;
          prv_r <= dvc_pkg::PRV_S;
        end else begin
          mepc_r <= trap_pc;
          mcause <= {trap_irq, 57'd0, trap_cause};
          mtval <= trap_tval;
          st_mpie <= st_mie;
          st_mie <= 1'b0;
          st_mpp <= prv_r;
          prv_r <= dvc_pkg::PRV_M;
        end
      end else if (mret_commit) begin
        // priv spec 3.3.2: priv <- MPP, MIE <- MPIE, MPIE <- 1, MPP <- U; MPRV cleared below M.
        prv_r <= st_mpp;
        st_mie <= st_mpie;
        st_mpie <= 1'b1;
        st_mpp <= dvc_pkg::PRV_U;
        if (st_mpp != dvc_pkg::PRV_M) st_mprv <= 1'b0;
      end else if (sret_commit) begin
        prv_r <= st_spp ? dvc_pkg::PRV_S : dvc_pkg::PRV_U;
        st_sie <= st_spie;
        st_spie <= 1'b1;
        st_spp <= 1'b0;
        st_mprv <= 1'b0;
      end
    end
  end
endmodule
