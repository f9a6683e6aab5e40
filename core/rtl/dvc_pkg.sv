// dvc_pkg: constants and types shared by the dvcore hart and SoC (docs/core.md).
//
// Everything the ISA fixes (opcodes, CSR numbers, causes, mstatus fields) is named here once,
// from the RISC-V unprivileged spec 20191213 and privileged spec 1.12, and the values the
// platform fixes (docs/spec/platform.md: memory map, PLIC sources) next to them. The WARL
// masks are the ones the ISA model dvsim implements (sim/src/hart/csr.rs), since dvsim is the
// oracle the core runs in lockstep with.
//
// Written in the SystemVerilog subset that both Verilator 5 and yosys 0.23 read: no `import`,
// no `return`, no multi-dimensional packed ports.
package dvc_pkg;

  // ---------------------------------------------------------------------------------------
  // Privilege levels (priv spec 1.12, table 1.1).
  localparam logic [1:0] PRV_U = 2'd0;
  localparam logic [1:0] PRV_S = 2'd1;
  localparam logic [1:0] PRV_M = 2'd3;

  // ---------------------------------------------------------------------------------------
  // Major opcodes (unprivileged spec, table 24.1), bits [6:2].
  localparam logic [4:0] OPC_LOAD     = 5'b00000;
  localparam logic [4:0] OPC_MISC_MEM = 5'b00011;
  localparam logic [4:0] OPC_OP_IMM   = 5'b00100;
  localparam logic [4:0] OPC_AUIPC    = 5'b00101;
  localparam logic [4:0] OPC_OP_IMM32 = 5'b00110;
  localparam logic [4:0] OPC_STORE    = 5'b01000;
  localparam logic [4:0] OPC_AMO      = 5'b01011;
  localparam logic [4:0] OPC_OP       = 5'b01100;
  localparam logic [4:0] OPC_LUI      = 5'b01101;
  localparam logic [4:0] OPC_OP32     = 5'b01110;
  localparam logic [4:0] OPC_BRANCH   = 5'b11000;
  localparam logic [4:0] OPC_JALR     = 5'b11001;
  localparam logic [4:0] OPC_JAL      = 5'b11011;
  localparam logic [4:0] OPC_SYSTEM   = 5'b11100;

  // ---------------------------------------------------------------------------------------
  // Exception causes (priv spec table 3.6) and interrupt numbers.
  // (Instruction-address-misaligned, cause 0, never happens: with C, IALIGN = 16.)
  localparam logic [4:0] EXC_INSN_ACCESS     = 5'd1;
  localparam logic [4:0] EXC_ILLEGAL         = 5'd2;
  localparam logic [4:0] EXC_BREAKPOINT      = 5'd3;
  localparam logic [4:0] EXC_LOAD_MISALIGNED = 5'd4;
  localparam logic [4:0] EXC_LOAD_ACCESS     = 5'd5;
  localparam logic [4:0] EXC_STORE_MISALIGNED = 5'd6;
  localparam logic [4:0] EXC_STORE_ACCESS    = 5'd7;
  localparam logic [4:0] EXC_ECALL_U         = 5'd8;
  localparam logic [4:0] EXC_ECALL_S         = 5'd9;
  localparam logic [4:0] EXC_ECALL_M         = 5'd11;
  localparam logic [4:0] EXC_INSN_PAGE       = 5'd12;
  localparam logic [4:0] EXC_LOAD_PAGE       = 5'd13;
  localparam logic [4:0] EXC_STORE_PAGE      = 5'd15;
  // The H extension's (H spec 8.6.1).
  localparam logic [4:0] EXC_ECALL_VS        = 5'd10;
  localparam logic [4:0] EXC_INSN_GPAGE      = 5'd20;
  localparam logic [4:0] EXC_LOAD_GPAGE      = 5'd21;
  localparam logic [4:0] EXC_VIRTUAL         = 5'd22;
  localparam logic [4:0] EXC_STORE_GPAGE     = 5'd23;

  localparam int IRQ_SSI = 1;
  localparam int IRQ_MSI = 3;
  localparam int IRQ_STI = 5;
  localparam int IRQ_MTI = 7;
  localparam int IRQ_SEI = 9;
  localparam int IRQ_MEI = 11;

  // ---------------------------------------------------------------------------------------
  // CSR numbers (priv spec tables 2.2-2.5): the machine and supervisor set dvsim implements.
  localparam logic [11:0] CSR_SSTATUS    = 12'h100;
  localparam logic [11:0] CSR_SIE        = 12'h104;
  localparam logic [11:0] CSR_STVEC      = 12'h105;
  localparam logic [11:0] CSR_SCOUNTEREN = 12'h106;
  localparam logic [11:0] CSR_SENVCFG    = 12'h10a;
  localparam logic [11:0] CSR_SSCRATCH   = 12'h140;
  localparam logic [11:0] CSR_SEPC       = 12'h141;
  localparam logic [11:0] CSR_SCAUSE     = 12'h142;
  localparam logic [11:0] CSR_STVAL      = 12'h143;
  localparam logic [11:0] CSR_SIP        = 12'h144;
  localparam logic [11:0] CSR_SATP       = 12'h180;
  localparam logic [11:0] CSR_MSTATUS    = 12'h300;
  localparam logic [11:0] CSR_MISA       = 12'h301;
  localparam logic [11:0] CSR_MEDELEG    = 12'h302;
  localparam logic [11:0] CSR_MIDELEG    = 12'h303;
  localparam logic [11:0] CSR_MIE        = 12'h304;
  localparam logic [11:0] CSR_MTVEC      = 12'h305;
  localparam logic [11:0] CSR_MCOUNTEREN = 12'h306;
  localparam logic [11:0] CSR_MENVCFG    = 12'h30a;
  localparam logic [11:0] CSR_MCOUNTINHIBIT = 12'h320;
  localparam logic [11:0] CSR_MSCRATCH   = 12'h340;
  localparam logic [11:0] CSR_MEPC       = 12'h341;
  localparam logic [11:0] CSR_MCAUSE     = 12'h342;
  localparam logic [11:0] CSR_MTVAL      = 12'h343;
  localparam logic [11:0] CSR_MIP        = 12'h344;
  localparam logic [11:0] CSR_MCYCLE     = 12'hb00;
  localparam logic [11:0] CSR_MINSTRET   = 12'hb02;
  localparam logic [11:0] CSR_CYCLE      = 12'hc00;
  localparam logic [11:0] CSR_TIME       = 12'hc01;
  localparam logic [11:0] CSR_INSTRET    = 12'hc02;
  localparam logic [11:0] CSR_MVENDORID  = 12'hf11;
  localparam logic [11:0] CSR_MARCHID    = 12'hf12;
  localparam logic [11:0] CSR_MIMPID     = 12'hf13;
  localparam logic [11:0] CSR_MHARTID    = 12'hf14;
  localparam logic [11:0] CSR_MCONFIGPTR = 12'hf15;
  // The H extension's (H spec 8.2), and the two it adds to M.
  localparam logic [11:0] CSR_VSSTATUS   = 12'h200;
  localparam logic [11:0] CSR_VSIE       = 12'h204;
  localparam logic [11:0] CSR_VSTVEC     = 12'h205;
  localparam logic [11:0] CSR_VSSCRATCH  = 12'h240;
  localparam logic [11:0] CSR_VSEPC      = 12'h241;
  localparam logic [11:0] CSR_VSCAUSE    = 12'h242;
  localparam logic [11:0] CSR_VSTVAL     = 12'h243;
  localparam logic [11:0] CSR_VSIP       = 12'h244;
  localparam logic [11:0] CSR_VSATP      = 12'h280;
  localparam logic [11:0] CSR_MTINST     = 12'h34a;
  localparam logic [11:0] CSR_MTVAL2     = 12'h34b;
  localparam logic [11:0] CSR_HSTATUS    = 12'h600;
  localparam logic [11:0] CSR_HEDELEG    = 12'h602;
  localparam logic [11:0] CSR_HIDELEG    = 12'h603;
  localparam logic [11:0] CSR_HIE        = 12'h604;
  localparam logic [11:0] CSR_HTIMEDELTA = 12'h605;
  localparam logic [11:0] CSR_HCOUNTEREN = 12'h606;
  localparam logic [11:0] CSR_HGEIE      = 12'h607;
  localparam logic [11:0] CSR_HENVCFG    = 12'h60a;
  localparam logic [11:0] CSR_HTVAL      = 12'h643;
  localparam logic [11:0] CSR_HIP        = 12'h644;
  localparam logic [11:0] CSR_HVIP       = 12'h645;
  localparam logic [11:0] CSR_HTINST     = 12'h64a;
  localparam logic [11:0] CSR_HGATP      = 12'h680;
  localparam logic [11:0] CSR_HGEIP      = 12'he12;

  // mstatus fields (priv spec 3.1.6).
  localparam int MS_SIE  = 1;
  localparam int MS_MIE  = 3;
  localparam int MS_SPIE = 5;
  localparam int MS_MPIE = 7;
  localparam int MS_SPP  = 8;
  localparam int MS_MPP  = 11;  // [12:11]
  localparam int MS_MPRV = 17;
  localparam int MS_SUM  = 18;
  localparam int MS_MXR  = 19;
  localparam int MS_TVM  = 20;
  localparam int MS_TW   = 21;
  localparam int MS_TSR  = 22;
  localparam int MS_GVA  = 38;  // H
  localparam int MS_MPV  = 39;  // H
  /// UXL = SXL = 2 (XLEN 64), read-only.
  localparam logic [63:0] MSTATUS_XL = 64'h0000_000a_0000_0000;
  /// The sstatus view of mstatus (priv spec 4.1.1): SIE SPIE UBE SPP VS FS XS SUM MXR UXL SD.
  localparam logic [63:0] SSTATUS_MASK = 64'h8000_0003_000d_e762;

  /// misa without H: MXL = 2, A C I M S U (priv spec 3.1.1). Writes are ignored (WARL).
  localparam logic [63:0] MISA_VALUE = 64'h8000_0000_0014_1105;
  /// misa with the H extension and DV-Ext (bit 25, 'Z', dvext.md §2).
  localparam logic [63:0] MISA_VALUE_H = 64'h8000_0000_0214_1185;

  /// medeleg bits that can be set: every exception up to 15 except ECALL from M (11), the
  /// reserved 14 and, without H, ECALL from VS (10).
  localparam logic [63:0] MEDELEG_MASK = 64'h0000_0000_0000_b3ff;
  /// The S-level interrupt bits SSIP/STIP/SEIP: mideleg's writable bits, mip's software bits.
  localparam logic [63:0] S_INTS = 64'h0000_0000_0000_0222;
  /// mie's writable bits: the S and M software, timer and external interrupts.
  localparam logic [63:0] MIE_MASK = 64'h0000_0000_0000_0aaa;

  // The H extension (H spec 8.2; dvsim hcsr.rs) and DV-Ext (dvext.md §2, §3).
  /// medeleg with H: also ECALL from VS (10) and the guest-page and virtual-instruction faults.
  localparam logic [63:0] MEDELEG_MASK_H = 64'h0000_0000_00f0_b7ff;
  /// The VS-level interrupts VSSIP/VSTIP/VSEIP.
  localparam logic [63:0] VS_INTS = 64'h0000_0000_0000_0444;
  /// The U-level interrupts DV-Ext owns (USI, UTI, UEI, the vtimer's 16); read-only one in mideleg.
  localparam logic [63:0] U_INTS = 64'h0000_0000_0001_0111;
  /// hedeleg's delegable exceptions (dvext-model route::HEDELEG_DELEGABLE).
  localparam logic [63:0] HEDELEG_MASK = 64'h0000_0000_0000_b1ff;
  /// hstatus fields: GVA SPV SPVP HU VTVM VTW VTSR; VSXL = 2 reads as a constant.
  localparam logic [63:0] HSTATUS_MASK = 64'h0000_0000_0070_03c0;
  localparam logic [63:0] HSTATUS_VSXL = 64'h0000_0002_0000_0000;
  localparam int HS_GVA = 6;
  localparam int HS_SPV = 7;
  localparam int HS_SPVP = 8;
  localparam int HS_HU = 9;
  /// vsstatus fields: SIE SPIE SPP SUM MXR; UXL = 2 reads as a constant.
  localparam logic [63:0] VSSTATUS_MASK = 64'h0000_0000_000c_0122;
  localparam logic [63:0] VSSTATUS_UXL = 64'h0000_0002_0000_0000;
  /// htinst pseudoinstruction of an implicit VS-stage page-table read (H spec 8.6.3).
  localparam logic [63:0] PSEUDO_PTE_READ = 64'h0000_0000_0000_3000;
  /// hustatus.UPVP (dvext.md §2): the effective privilege of an HLV/HSV issued from HU.
  localparam int HUS_UPVP = 8;

  // ---------------------------------------------------------------------------------------
  // Platform (docs/spec/platform.md, "Memory map").
  localparam logic [63:0] RESET_PC   = 64'h0000_0000_0000_1000;
  localparam logic [63:0] BOOTROM_BASE  = 64'h0000_0000_0000_1000;
  localparam logic [63:0] BOOTROM_SIZE  = 64'h0000_0000_0000_1000;
  localparam logic [63:0] FINISHER_BASE = 64'h0000_0000_0010_0000;
  localparam logic [63:0] FINISHER_SIZE = 64'h0000_0000_0000_1000;
  localparam logic [63:0] CLINT_BASE    = 64'h0000_0000_0200_0000;
  localparam logic [63:0] CLINT_SIZE    = 64'h0000_0000_0002_0000;
  localparam logic [63:0] PLIC_BASE     = 64'h0000_0000_0c00_0000;
  localparam logic [63:0] PLIC_SIZE     = 64'h0000_0000_0400_0000;
  localparam logic [63:0] UART_BASE     = 64'h0000_0000_1000_0000;
  localparam logic [63:0] UART_SIZE     = 64'h0000_0000_0000_0100;
  localparam logic [63:0] RAM_BASE      = 64'h0000_0000_8000_0000;
  localparam int PLIC_NDEV = 31;

  // ---------------------------------------------------------------------------------------
  // Decoded instruction (dvc_decode): what the later stages need to execute it.

  /// The functional unit that executes an instruction.
  typedef enum logic [3:0] {
    FU_ALU   = 4'd0,   // register/immediate arithmetic, LUI, AUIPC
    FU_BRANCH = 4'd1,  // conditional branches
    FU_JAL   = 4'd2,
    FU_JALR  = 4'd3,
    FU_MEM   = 4'd4,   // loads, stores, LR/SC, AMOs
    FU_MUL   = 4'd5,
    FU_DIV   = 4'd6,
    FU_CSR   = 4'd7,
    FU_SYS   = 4'd8    // ECALL, EBREAK, xRET, WFI, FENCE, FENCE.I, SFENCE.VMA
  } fu_e;

  typedef enum logic [3:0] {
    ALU_ADD  = 4'd0,
    ALU_SUB  = 4'd1,
    ALU_SLL  = 4'd2,
    ALU_SLT  = 4'd3,
    ALU_SLTU = 4'd4,
    ALU_XOR  = 4'd5,
    ALU_SRL  = 4'd6,
    ALU_SRA  = 4'd7,
    ALU_OR   = 4'd8,
    ALU_AND  = 4'd9,
    ALU_B    = 4'd10   // pass operand B (LUI)
  } alu_e;

  /// Memory operations, as the LSU and the SoC's memory controller see them.
  typedef enum logic [2:0] {
    MEM_LOAD  = 3'd0,
    MEM_STORE = 3'd1,
    MEM_LR    = 3'd2,
    MEM_SC    = 3'd3,
    MEM_AMO   = 3'd4
  } mem_e;

  /// AMO functions (funct5 of the A extension, re-encoded).
  typedef enum logic [3:0] {
    AMO_SWAP = 4'd0,
    AMO_ADD  = 4'd1,
    AMO_XOR  = 4'd2,
    AMO_AND  = 4'd3,
    AMO_OR   = 4'd4,
    AMO_MIN  = 4'd5,
    AMO_MAX  = 4'd6,
    AMO_MINU = 4'd7,
    AMO_MAXU = 4'd8
  } amo_e;

  typedef enum logic [3:0] {
    SYS_ECALL   = 4'd0,
    SYS_EBREAK  = 4'd1,
    SYS_MRET    = 4'd2,
    SYS_SRET    = 4'd3,
    SYS_WFI     = 4'd4,
    SYS_FENCE   = 4'd5,
    SYS_FENCEI  = 4'd6,
    SYS_SFENCE  = 4'd7,
    SYS_HFENCEV = 4'd8,   // HFENCE.VVMA (H)
    SYS_HFENCEG = 4'd9,   // HFENCE.GVMA (H)
    SYS_HUFENCEV = 4'd10, // hufence.vvma (DV-Ext)
    SYS_HUFENCEG = 4'd11, // hufence.gvma (DV-Ext)
    SYS_HURET   = 4'd12   // huret (DV-Ext)
  } sys_e;

  /// CSR instruction operation: read-write, read-set, read-clear (Zicsr).
  typedef enum logic [1:0] {
    CSR_RW = 2'd1,
    CSR_RS = 2'd2,
    CSR_RC = 2'd3
  } csrop_e;

  typedef struct packed {
    logic        legal;
    fu_e         fu;
    alu_e        alu;        // ALU operation; for FU_BRANCH the comparison (funct3 in br)
    logic        w32;        // a W instruction: operate on 32 bits, sign-extend the result
    logic        a_pc;       // operand A is the pc (AUIPC)
    logic        b_imm;      // operand B is the immediate
    logic [63:0] imm;
    logic        rs1_en;
    logic        rs2_en;
    logic        rd_en;      // writes rd (never set for rd = x0)
    logic [4:0]  rs1;
    logic [4:0]  rs2;
    logic [4:0]  rd;
    logic [2:0]  funct3;     // branch condition, load width/sign, MUL/DIV variant, CSR op
    mem_e        mem;
    amo_e        amo;
    sys_e        sys;
    logic        hyp;        // HLV/HLVX/HSV (and hulv/husv): a load/store with the guest's translation
    logic        hlvx;       // HLVX: needs execute permission instead of read
  } ctrl_t;

  // ---------------------------------------------------------------------------------------
  // Memory ports between the hart and the SoC.

  /// Data-port operation (docs/core.md "Memory system"): plain reads and writes, the two halves
  /// of an AMO (the SoC keeps other harts off RAM between them), LR and SC (the SoC keeps the
  /// reservations). `DOP_WALK` is a page-table read (PMA: RAM and boot ROM only).
  typedef enum logic [2:0] {
    DOP_READ    = 3'd0,
    DOP_WRITE   = 3'd1,
    DOP_LR      = 3'd2,
    DOP_SC      = 3'd3,
    DOP_AMO_RD  = 3'd4,
    DOP_AMO_WR  = 3'd5,
    DOP_WALK    = 3'd6
  } dop_e;

  // ---------------------------------------------------------------------------------------
  // Small helpers.

  /// Whether a leaf PTE with flags {D, A, U, X, W, R} grants `need` ({X, W, R}) to privilege
  /// `p` (dvsim mmu.rs `walk`): U pages only to U, and to S for data with SUM; S never executes
  /// U pages; A must be set; W needs D; MXR makes executable pages readable.
  function automatic logic perm_ok(input logic [5:0] f, input logic [1:0] p, input logic s_um,
                                   input logic m_xr, input logic [2:0] need);
    logic user, priv_ok, r, w, x;
    user = f[3];
    priv_ok = p == PRV_U ? user : (p == PRV_S ? (!user || s_um) : 1'b1);
    r = priv_ok && f[4] && (f[0] || (m_xr && f[2]));
    w = priv_ok && f[4] && f[1] && f[5];
    x = priv_ok && f[4] && f[2] && !(p == PRV_S && user);
    perm_ok = (!need[0] || r) && (!need[1] || w) && (!need[2] || x);
  endfunction

  /// Sign-extends the low 32 bits.
  function automatic logic [63:0] sext32(input logic [31:0] v);
    sext32 = {{32{v[31]}}, v[31:0]};
  endfunction

endpackage
