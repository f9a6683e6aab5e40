// dvc_soc: the machine of docs/spec/platform.md around NHARTS dvcore harts (docs/core.md): the
// boot ROM, CLINT and PLIC in RTL, the memory controller (dvc_memctl), and ports to what the
// simulation harness models: the RAM's storage (one data and one instruction port per hart,
// read or written in the cycle they are valid, the data for a read expected before the next
// clock edge), the UART and the test finisher (one device port), and the UART's interrupt line.
//
// Every external input is sampled only by flip-flops (directly, or through the memory
// controller's routing into a hart's response register), so outputs depend on state alone and
// the harness can serve this cycle's requests after evaluating the clock edge.
module dvc_soc #(
  parameter int NHARTS = 1,
  parameter bit HYP = 1,            // the harts have the H extension and DV-Ext
  parameter int MTIME_DIV = 100,
  parameter int MUL_CYCLES = 4,
  parameter int ITLB_ENTRIES = 16,
  parameter int DTLB_ENTRIES = 16,
  parameter int BTB_ENTRIES = 64,
  parameter int BHT_ENTRIES = 512,
  parameter int L1_SETS = 64,
  parameter int L1_WAYS = 4,
  parameter int L1_LINE = 64,
  parameter int HIT_CYCLES = 1,
  parameter int MISS_CYCLES = 20,
  parameter int WB_CYCLES = 10,
  parameter int DEV_CYCLES = 8
) (
  input  logic                 clk,
  input  logic                 rst,
  // straps
  input  logic [63:0]          ram_size,
  input  logic [63:0]          boot_start,
  input  logic [63:0]          boot_fdt,
  // external interrupt sources (bit s drives PLIC source s; bit 0 is unused)
  input  logic [31:0]          irq_in,
  // idle skip (docs/core.md "Idle"): while every hart sleeps, advance mtime by skip_ticks and
  // every hart's mcycle by as many clock cycles; next_event is the earliest mtimecmp ahead
  input  logic                 skip,
  input  logic [63:0]          skip_ticks,
  output logic [63:0]          next_event,
  // RAM storage
  output logic [NHARTS-1:0]    ram_d_valid,
  output logic [NHARTS-1:0]    ram_d_we,
  output logic [NHARTS*64-1:0] ram_d_addr,
  output logic [NHARTS*2-1:0]  ram_d_size,
  output logic [NHARTS*64-1:0] ram_d_wdata,
  input  logic [NHARTS*64-1:0] ram_d_rdata,
  output logic [NHARTS-1:0]    ram_i_valid,
  output logic [NHARTS*64-1:0] ram_i_addr,
  input  logic [NHARTS*32-1:0] ram_i_rdata,
  // the UART and the finisher
  output logic                 dev_valid,
  output logic                 dev_we,
  output logic [63:0]          dev_addr,
  output logic [1:0]           dev_size,
  output logic [63:0]          dev_wdata,
  input  logic [63:0]          dev_rdata,
  // status
  output logic [NHARTS-1:0]    sleeping,
  output logic [63:0]          mtime,
  // commit trace, hart k at [k] (dvc_hart)
  output logic [NHARTS-1:0]    tr_valid,
  output logic [NHARTS*64-1:0] tr_pc,
  output logic [NHARTS*32-1:0] tr_insn,
  output logic [NHARTS*2-1:0]  tr_priv,
  output logic [NHARTS-1:0]    tr_virt,
  output logic [NHARTS-1:0]    tr_untranslated,
  output logic [NHARTS-1:0]    tr_trap,
  output logic [NHARTS*64-1:0] tr_cause,
  output logic [NHARTS*64-1:0] tr_tval,
  output logic [NHARTS-1:0]    tr_trap_s,
  output logic [NHARTS*2-1:0]  tr_trap_to,
  output logic [NHARTS*64-1:0] tr_status,
  output logic [NHARTS*64-1:0] tr_hstatus,
  output logic [NHARTS*64-1:0] tr_vsstatus,
  output logic [NHARTS*64-1:0] tr_hustatus,
  output logic [NHARTS*64-1:0] tr_tval2,
  output logic [NHARTS*64-1:0] tr_tinst,
  output logic [NHARTS-1:0]    tr_rd_we,
  output logic [NHARTS*5-1:0]  tr_rd,
  output logic [NHARTS*64-1:0] tr_rd_wdata,
  output logic [NHARTS-1:0]    tr_st_valid,
  output logic [NHARTS*64-1:0] tr_st_addr,
  output logic [NHARTS*2-1:0]  tr_st_size,
  output logic [NHARTS*64-1:0] tr_st_data,
  output logic [NHARTS-1:0]    tr_ld_valid,
  output logic [NHARTS*64-1:0] tr_ld_addr,
  output logic [NHARTS*64-1:0] tr_ld_data,
  output logic [NHARTS-1:0]    tr_csr_we,
  output logic [NHARTS*12-1:0] tr_csr_addr,
  output logic [NHARTS*64-1:0] tr_csr_wdata,
  output logic [NHARTS-1:0]    tr_xret,
  output logic [NHARTS*5-1:0]  tr_lines,
  output logic [NHARTS*64-1:0] tr_mtime,
  output logic [NHARTS*64-1:0] tr_mcycle
);
  // The straps are registered like every other input, so no logic depends on an input directly.
  logic [63:0] ram_size_q, boot_start_q, boot_fdt_q, skip_ticks_q;
  logic        skip_q;
  always_ff @(posedge clk) begin
    ram_size_q <= ram_size;
    boot_start_q <= boot_start;
    boot_fdt_q <= boot_fdt;
    skip_q <= skip && !rst;
    skip_ticks_q <= skip_ticks;
  end

  logic [NHARTS-1:0]    d_req, d_gnt, d_err, d_sc_fail, i_req, i_gnt, i_err;
  logic [NHARTS*3-1:0]  d_op;
  logic [NHARTS*64-1:0] d_addr, d_wdata, d_rdata, i_addr;
  logic [NHARTS*2-1:0]  d_size;
  logic [NHARTS*32-1:0] i_rdata;
  logic [NHARTS-1:0]    msip, mtip, meip, seip;
  // The vIPI bitmap's ports (dvext_vipi, generated for up to 4 harts and the CLINT mirror):
  // the harts' (absent harts idle), and the mirror's apart, as its operand depends on its read.
  localparam int VPORTS = 4;
  logic [VPORTS-1:0]    v_en, v_writes, v_usip;
  logic [VPORTS*2-1:0]  v_word, v_op;
  logic [VPORTS*64-1:0] v_operand, v_rdata;
  logic [VPORTS*8-1:0]  v_vcpuid;
  logic                 vp_en;
  logic [1:0]           vp_word;
  logic [63:0]          vp_operand, vp_rdata;
  // The CLINT mirror's port into each hart's DV-Ext CSR file.
  logic [NHARTS-1:0]    mir_en;
  logic [1:0]           mir_reg;
  logic [63:0]          mir_wdata;
  logic [NHARTS*64-1:0] mir_rdata;

  for (genvar k = 0; k < NHARTS; k++) begin : g_hart
    dvc_pkg::dop_e op;
    assign d_op[3*k +: 3] = op;
    dvc_hart #(
      .HYP(HYP), .MUL_CYCLES(MUL_CYCLES), .ITLB_ENTRIES(ITLB_ENTRIES), .DTLB_ENTRIES(DTLB_ENTRIES),
      .BTB_ENTRIES(BTB_ENTRIES), .BHT_ENTRIES(BHT_ENTRIES), .L1_SETS(L1_SETS), .L1_WAYS(L1_WAYS),
      .L1_LINE(L1_LINE), .HIT_CYCLES(HIT_CYCLES), .MISS_CYCLES(MISS_CYCLES), .WB_CYCLES(WB_CYCLES),
      .DEV_CYCLES(DEV_CYCLES)
    ) hart (
      .clk, .rst, .hartid(64'(k)), .ram_size(ram_size_q),
      .skip(skip_q), .skip_cycles(skip_ticks_q * 64'(MTIME_DIV)),
      .msip(msip[k]), .mtip(mtip[k]), .meip(meip[k]), .seip(seip[k]), .mtime,
      .imem_req(i_req[k]), .imem_addr(i_addr[64*k +: 64]), .imem_gnt(i_gnt[k]), .imem_err(i_err[k]),
      .imem_rdata(i_rdata[32*k +: 32]),
      .dmem_req(d_req[k]), .dmem_op(op), .dmem_addr(d_addr[64*k +: 64]), .dmem_size(d_size[2*k +: 2]),
      .dmem_wdata(d_wdata[64*k +: 64]), .dmem_gnt(d_gnt[k]), .dmem_err(d_err[k]),
      .dmem_rdata(d_rdata[64*k +: 64]), .dmem_sc_fail(d_sc_fail[k]),
      .sleeping(sleeping[k]),
      .vipi_en(v_en[k]), .vipi_word(v_word[2*k +: 2]), .vipi_op(v_op[2*k +: 2]),
      .vipi_operand(v_operand[64*k +: 64]), .vipi_writes(v_writes[k]), .vcpuid(v_vcpuid[8*k +: 8]),
      .vipi_rdata(v_rdata[64*k +: 64]), .vipi_usip(v_usip[k]),
      .mir_en(mir_en[k]), .mir_reg, .mir_wdata, .mir_rdata(mir_rdata[64*k +: 64]),
      .tr_virt(tr_virt[k]), .tr_trap_to(tr_trap_to[2*k +: 2]), .tr_hstatus(tr_hstatus[64*k +: 64]),
      .tr_vsstatus(tr_vsstatus[64*k +: 64]), .tr_hustatus(tr_hustatus[64*k +: 64]),
      .tr_tval2(tr_tval2[64*k +: 64]), .tr_tinst(tr_tinst[64*k +: 64]),
      .tr_valid(tr_valid[k]), .tr_pc(tr_pc[64*k +: 64]), .tr_insn(tr_insn[32*k +: 32]),
      .tr_priv(tr_priv[2*k +: 2]), .tr_untranslated(tr_untranslated[k]), .tr_trap(tr_trap[k]),
      .tr_cause(tr_cause[64*k +: 64]), .tr_tval(tr_tval[64*k +: 64]), .tr_trap_s(tr_trap_s[k]),
      .tr_status(tr_status[64*k +: 64]), .tr_rd_we(tr_rd_we[k]), .tr_rd(tr_rd[5*k +: 5]),
      .tr_rd_wdata(tr_rd_wdata[64*k +: 64]), .tr_st_valid(tr_st_valid[k]), .tr_st_addr(tr_st_addr[64*k +: 64]),
      .tr_st_size(tr_st_size[2*k +: 2]), .tr_st_data(tr_st_data[64*k +: 64]), .tr_ld_valid(tr_ld_valid[k]),
      .tr_ld_addr(tr_ld_addr[64*k +: 64]), .tr_ld_data(tr_ld_data[64*k +: 64]), .tr_csr_we(tr_csr_we[k]),
      .tr_csr_addr(tr_csr_addr[12*k +: 12]), .tr_csr_wdata(tr_csr_wdata[64*k +: 64]), .tr_xret(tr_xret[k]),
      .tr_lines(tr_lines[5*k +: 5]), .tr_mtime(tr_mtime[64*k +: 64]), .tr_mcycle(tr_mcycle[64*k +: 64])
    );
  end

  // Ports of absent harts are idle.
  for (genvar k = NHARTS; k < VPORTS; k++) begin : g_vport_idle
    assign v_en[k] = 1'b0;
    assign v_writes[k] = 1'b0;
    assign v_word[2*k +: 2] = 2'd0;
    assign v_op[2*k +: 2] = 2'd0;
    assign v_operand[64*k +: 64] = 64'd0;
    assign v_vcpuid[8*k +: 8] = 8'd0;
  end
  if (HYP) begin : g_vipi
    logic vp_usip;  // the mirror's port holds no vCPU
    dvext_vipi vipi (
      .clock(clk), .reset(rst),
      .hart__0__en(v_en[0]), .hart__0__word(v_word[0 +: 2]), .hart__0__op(v_op[0 +: 2]),
      .hart__0__operand(v_operand[0 +: 64]), .hart__0__writes(v_writes[0]), .hart__0__vcpuid(v_vcpuid[0 +: 8]),
      .hart__0__rdata(v_rdata[0 +: 64]), .hart__0__usip(v_usip[0]),
      .hart__1__en(v_en[1]), .hart__1__word(v_word[2 +: 2]), .hart__1__op(v_op[2 +: 2]),
      .hart__1__operand(v_operand[64 +: 64]), .hart__1__writes(v_writes[1]), .hart__1__vcpuid(v_vcpuid[8 +: 8]),
      .hart__1__rdata(v_rdata[64 +: 64]), .hart__1__usip(v_usip[1]),
      .hart__2__en(v_en[2]), .hart__2__word(v_word[4 +: 2]), .hart__2__op(v_op[4 +: 2]),
      .hart__2__operand(v_operand[128 +: 64]), .hart__2__writes(v_writes[2]), .hart__2__vcpuid(v_vcpuid[16 +: 8]),
      .hart__2__rdata(v_rdata[128 +: 64]), .hart__2__usip(v_usip[2]),
      .hart__3__en(v_en[3]), .hart__3__word(v_word[6 +: 2]), .hart__3__op(v_op[6 +: 2]),
      .hart__3__operand(v_operand[192 +: 64]), .hart__3__writes(v_writes[3]), .hart__3__vcpuid(v_vcpuid[24 +: 8]),
      .hart__3__rdata(v_rdata[192 +: 64]), .hart__3__usip(v_usip[3]),
      // the CLINT mirror: a csrrw of the word it merged, from no vCPU
      .hart__4__en(vp_en), .hart__4__word(vp_word), .hart__4__op(2'd1),
      .hart__4__operand(vp_operand), .hart__4__writes(1'b1), .hart__4__vcpuid(8'd0),
      .hart__4__rdata(vp_rdata), .hart__4__usip(vp_usip)
    );
    logic unused_vp_usip;
    assign unused_vp_usip = vp_usip;
  end else begin : g_no_vipi
    assign v_rdata = '0;
    assign v_usip = '0;
    assign vp_rdata = '0;
    logic unused_no_vipi;
    assign unused_no_vipi = ^{v_en, v_writes, v_word, v_op, v_operand, v_vcpuid, vp_en, vp_word, vp_operand};
  end
  if (NHARTS < VPORTS) begin : g_vport_unused
    logic unused_vport;
    assign unused_vport = ^{v_rdata[VPORTS*64-1:NHARTS*64], v_usip[VPORTS-1:NHARTS]};
  end

  logic        clint_sel, clint_we, clint_ok, plic_sel, plic_we, plic_ok, plic_ready;
  logic [16:0] clint_off;
  logic [25:0] plic_off;
  logic [1:0]  clint_size, plic_size;
  logic [63:0] clint_wdata, clint_rdata;
  logic [31:0] plic_wdata, plic_rdata;

  dvc_memctl #(.NHARTS(NHARTS)) memctl (
    .clk, .rst, .ram_size(ram_size_q), .boot_start(boot_start_q), .boot_fdt(boot_fdt_q),
    .d_req, .d_op, .d_addr, .d_size, .d_wdata, .d_gnt, .d_err, .d_rdata, .d_sc_fail,
    .i_req, .i_addr, .i_gnt, .i_err, .i_rdata,
    .ram_d_valid, .ram_d_we, .ram_d_rdata, .ram_i_valid, .ram_i_rdata,
    .dev_valid, .dev_we, .dev_addr, .dev_size, .dev_wdata, .dev_rdata,
    .clint_sel, .clint_we, .clint_off, .clint_size, .clint_wdata, .clint_ok, .clint_rdata,
    .plic_ready, .plic_sel, .plic_we, .plic_off, .plic_size, .plic_wdata, .plic_ok, .plic_rdata
  );
  assign ram_d_addr = d_addr;
  assign ram_d_size = d_size;
  assign ram_d_wdata = d_wdata;
  assign ram_i_addr = i_addr;

  dvc_clint #(.NHARTS(NHARTS), .MTIME_DIV(MTIME_DIV), .HYP(HYP)) clint (
    .clk, .rst, .sel(clint_sel), .we(clint_we), .offset(clint_off), .size(clint_size), .wdata(clint_wdata),
    .ok(clint_ok), .rdata(clint_rdata), .skip(skip_q), .skip_ticks(skip_ticks_q), .next_event,
    .msip, .mtip, .mtime, .mir_en, .mir_reg, .mir_wdata, .mir_rdata, .vp_en, .vp_word, .vp_operand, .vp_rdata
  );

  logic [31:1] irq_q;
  always_ff @(posedge clk) irq_q <= rst ? '0 : irq_in[31:1];
  logic unused_irq0;
  assign unused_irq0 = irq_in[0];

  dvc_plic #(.NHARTS(NHARTS), .NDEV(dvc_pkg::PLIC_NDEV)) plic (
    .clk, .rst, .ready(plic_ready), .sel(plic_sel), .we(plic_we), .offset(plic_off), .size(plic_size), .wdata(plic_wdata),
    .ok(plic_ok), .rdata(plic_rdata), .irq(irq_q), .meip, .seip
  );
endmodule
