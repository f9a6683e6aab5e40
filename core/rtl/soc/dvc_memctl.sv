// dvc_memctl: the SoC's memory controller. It routes every hart's instruction and data
// accesses by the platform's memory map (docs/spec/platform.md) and applies its physical
// memory attributes: RAM takes everything; the boot ROM reads (fetch and page-table walks
// included); the CLINT, the PLIC, the UART (1-byte accesses) and the test finisher (4-byte
// reads, 2- and 4-byte writes) take loads and stores as their devices accept them; LR, SC and
// AMOs need RAM; anything else is refused, and the hart raises an access fault.
//
// Ordering: RAM accesses are performed on one external port per hart, which the harness
// serves in hart order within a cycle; the model of memory order is therefore "by cycle, then
// by hart". Devices sit on one bus, one access per cycle, granted round-robin. An AMO is a read
// and a write in consecutive cycles (dvc_lsu): while the read is granted, no higher-numbered
// hart touches RAM, and in the next cycle only its owner does, so it is atomic. The LR/SC
// reservations (8-byte granules, as dvsim's bus) live here: an LR sets its hart's, a write by
// another hart to the granule clears it, an SC succeeds only with a matching reservation and
// always consumes it. All of it is decided in hart order, so a same-cycle write by a lower
// hart breaks a higher hart's SC, and a write by a higher hart comes after.
module dvc_memctl #(
  parameter int NHARTS = 1
) (
  input  logic        clk,
  input  logic        rst,
  input  logic [63:0] ram_size,
  input  logic [63:0] boot_start,
  input  logic [63:0] boot_fdt,
  // harts' data ports (hart k at [k])
  input  logic [NHARTS-1:0]    d_req,
  input  logic [NHARTS*3-1:0]  d_op,
  input  logic [NHARTS*64-1:0] d_addr,
  input  logic [NHARTS*2-1:0]  d_size,
  input  logic [NHARTS*64-1:0] d_wdata,
  output logic [NHARTS-1:0]    d_gnt,
  output logic [NHARTS-1:0]    d_err,
  output logic [NHARTS*64-1:0] d_rdata,
  output logic [NHARTS-1:0]    d_sc_fail,
  // harts' instruction ports (4-byte aligned reads)
  input  logic [NHARTS-1:0]    i_req,
  input  logic [NHARTS*64-1:0] i_addr,
  output logic [NHARTS-1:0]    i_gnt,
  output logic [NHARTS-1:0]    i_err,
  output logic [NHARTS*32-1:0] i_rdata,
  // external RAM ports, one data and one instruction port per hart
  output logic [NHARTS-1:0]    ram_d_valid,
  output logic [NHARTS-1:0]    ram_d_we,
  input  logic [NHARTS*64-1:0] ram_d_rdata,
  output logic [NHARTS-1:0]    ram_i_valid,
  input  logic [NHARTS*32-1:0] ram_i_rdata,
  // external device port (the UART and the finisher)
  output logic                 dev_valid,
  output logic                 dev_we,
  output logic [63:0]          dev_addr,
  output logic [1:0]           dev_size,
  output logic [63:0]          dev_wdata,
  input  logic [63:0]          dev_rdata,
  // the SoC's own devices
  output logic                 clint_sel,
  output logic                 clint_we,
  output logic [16:0]          clint_off,
  output logic [1:0]           clint_size,
  output logic [63:0]          clint_wdata,
  input  logic                 clint_ok,
  input  logic [63:0]          clint_rdata,
  input  logic                 plic_ready,
  output logic                 plic_sel,
  output logic                 plic_we,
  output logic [25:0]          plic_off,
  output logic [1:0]           plic_size,
  output logic [31:0]          plic_wdata,
  input  logic                 plic_ok,
  input  logic [31:0]          plic_rdata
);
  localparam int HW = NHARTS > 1 ? $clog2(NHARTS) : 1;

  // The region an address falls in.
  typedef enum logic [2:0] { R_NONE, R_RAM, R_ROM, R_CLINT, R_PLIC, R_UART, R_FIN } region_e;
  function automatic region_e region(input logic [63:0] a, input logic [63:0] rsize);
    if (a >= dvc_pkg::RAM_BASE && a - dvc_pkg::RAM_BASE < rsize) region = R_RAM;
    else if (a >= dvc_pkg::BOOTROM_BASE && a - dvc_pkg::BOOTROM_BASE < dvc_pkg::BOOTROM_SIZE) region = R_ROM;
    else if (a >= dvc_pkg::CLINT_BASE && a - dvc_pkg::CLINT_BASE < dvc_pkg::CLINT_SIZE) region = R_CLINT;
    else if (a >= dvc_pkg::PLIC_BASE && a - dvc_pkg::PLIC_BASE < dvc_pkg::PLIC_SIZE) region = R_PLIC;
    else if (a >= dvc_pkg::UART_BASE && a - dvc_pkg::UART_BASE < dvc_pkg::UART_SIZE) region = R_UART;
    else if (a >= dvc_pkg::FINISHER_BASE && a - dvc_pkg::FINISHER_BASE < dvc_pkg::FINISHER_SIZE) region = R_FIN;
    else region = R_NONE;
  endfunction

  // ---- the device bus: the CLINT and PLIC answer here, the external devices by size ------------
  logic [NHARTS-1:0] wants_dev;   // a device access (to be arbitrated)
  logic [HW-1:0]     rr, winner;
  logic              any_dev;

  // The winner's access drives the devices.
  logic [63:0]   w_addr, w_wdata;
  logic [1:0]    w_size;
  logic          w_we;
  region_e       w_reg;
  assign w_addr = d_addr[64*winner +: 64];
  assign w_wdata = d_wdata[64*winner +: 64];
  assign w_size = d_size[2*winner +: 2];
  assign w_we = d_op[3*winner +: 3] == dvc_pkg::DOP_WRITE;
  assign w_reg = region(w_addr, ram_size);

  assign clint_sel = any_dev && w_reg == R_CLINT;
  assign clint_we = w_we;
  assign clint_off = w_addr[16:0];
  assign clint_size = w_size;
  assign clint_wdata = w_wdata;
  assign plic_sel = any_dev && w_reg == R_PLIC && plic_ready;
  assign plic_we = w_we;
  assign plic_off = w_addr[25:0];
  assign plic_size = w_size;
  assign plic_wdata = w_wdata[31:0];
  assign dev_valid = any_dev && (w_reg == R_UART || w_reg == R_FIN);
  assign dev_we = w_we;
  assign dev_addr = w_addr;
  assign dev_size = w_size;
  assign dev_wdata = w_wdata;

  logic w_ok;
  always_comb begin
    unique case (w_reg)
      R_CLINT: w_ok = clint_ok;
      R_PLIC: w_ok = plic_ok;
      R_UART: w_ok = w_size == 2'd0;
      default: w_ok = w_we ? (w_size == 2'd1 || w_size == 2'd2) : w_size == 2'd2;  // R_FIN
    endcase
  end

  // ---- reservations and the AMO lock -----------------------------------------------------------
  // Where each hart's read data comes from (the data path below is kept apart from the control
  // so that the harness's inputs reach only muxes, not the decisions above).
  localparam logic [1:0] SRC_RAM = 2'd0;
  localparam logic [1:0] SRC_ROM = 2'd1;
  localparam logic [1:0] SRC_DEV = 2'd2;
  logic [NHARTS*2-1:0]  d_src;

  logic [NHARTS-1:0]    resv_v, rv;
  logic [NHARTS*61-1:0] resv_g, rg;
  logic                 lock_q, lock_n;
  logic [HW-1:0]        lock_hart_q, lock_hart_n;

  // Device arbitration: round-robin from `rr` among the device accesses.
  always_comb begin
    for (int k = 0; k < NHARTS; k++) begin
      region_e r;
      logic [2:0] op;
      r = region(d_addr[64*k +: 64], ram_size);
      op = d_op[3*k +: 3];
      wants_dev[k] = d_req[k] && (op == dvc_pkg::DOP_READ || op == dvc_pkg::DOP_WRITE)
                   && (r == R_CLINT || r == R_PLIC || r == R_UART || r == R_FIN);
    end
    any_dev = wants_dev != '0;
    winner = rr;
    for (int i = NHARTS - 1; i >= 0; i--) begin
      logic [HW-1:0] c;
      c = HW'((32'(rr) + i) % NHARTS);
      if (wants_dev[c]) winner = c;
    end

  end

  always_comb begin
    logic amo_lower;
    rv = resv_v;
    rg = resv_g;
    amo_lower = 1'b0;
    lock_n = 1'b0;
    lock_hart_n = '0;
    for (int k = 0; k < NHARTS; k++) begin
      region_e       r;
      logic [2:0] op;
      logic [60:0]   g;
      logic          blocked, legal, writes_ram;
      r = region(d_addr[64*k +: 64], ram_size);
      op = d_op[3*k +: 3];
      g = d_addr[64*k + 3 +: 61];
      blocked = (lock_q && lock_hart_q != HW'(k)) || amo_lower;
      d_gnt[k] = 1'b0;
      d_err[k] = 1'b0;
      d_sc_fail[k] = 1'b0;
      d_src[2*k +: 2] = SRC_RAM;
      ram_d_valid[k] = 1'b0;
      ram_d_we[k] = 1'b0;
      writes_ram = 1'b0;
      unique case (op)
        dvc_pkg::DOP_WALK: legal = r == R_RAM || r == R_ROM;
        dvc_pkg::DOP_READ: legal = r != R_NONE;
        dvc_pkg::DOP_WRITE: legal = r != R_NONE && r != R_ROM;
        dvc_pkg::DOP_SC: legal = 1'b1;
        default: legal = r == R_RAM;   // LR, AMO halves
      endcase
      if (d_req[k]) begin
        if (!legal) begin
          d_gnt[k] = 1'b1;
          d_err[k] = 1'b1;
        end else if (op == dvc_pkg::DOP_SC) begin
          if (!blocked) begin
            d_gnt[k] = 1'b1;
            d_sc_fail[k] = !(rv[k] && rg[61*k +: 61] == g && r == R_RAM);
            rv[k] = 1'b0;
            if (!d_sc_fail[k]) begin
              ram_d_valid[k] = 1'b1;
              ram_d_we[k] = 1'b1;
              writes_ram = 1'b1;
            end
          end
        end else if (r == R_RAM) begin
          if (!blocked) begin
            d_gnt[k] = 1'b1;
            ram_d_valid[k] = 1'b1;
            ram_d_we[k] = op == dvc_pkg::DOP_WRITE || op == dvc_pkg::DOP_AMO_WR;
            writes_ram = ram_d_we[k];
            if (op == dvc_pkg::DOP_LR) begin
              rv[k] = 1'b1;
              rg[61*k +: 61] = g;
            end
            if (op == dvc_pkg::DOP_AMO_RD) begin
              amo_lower = 1'b1;
              lock_n = 1'b1;
              lock_hart_n = HW'(k);
            end
          end
        end else if (r == R_ROM) begin
          d_gnt[k] = 1'b1;
          d_src[2*k +: 2] = SRC_ROM;
        end else if (winner == HW'(k) && (r != R_PLIC || plic_ready)) begin
          d_gnt[k] = 1'b1;
          d_err[k] = !w_ok;
          d_src[2*k +: 2] = SRC_DEV;
        end
      end
      // A write to RAM breaks the other harts' reservations on its granule.
      if (writes_ram) begin
        for (int j = 0; j < NHARTS; j++) begin
          if (j != k && rv[j] && rg[61*j +: 61] == g) rv[j] = 1'b0;
        end
      end
    end
  end

  logic [63:0] dev_data;
  always_comb begin
    unique case (w_reg)
      R_CLINT: dev_data = clint_rdata;
      R_PLIC: dev_data = {32'd0, plic_rdata};
      default: dev_data = dev_rdata;
    endcase
    for (int k = 0; k < NHARTS; k++) begin
      unique case (d_src[2*k +: 2])
        SRC_ROM: d_rdata[64*k +: 64] = rom_d[k];
        SRC_DEV: d_rdata[64*k +: 64] = dev_data;
        default: d_rdata[64*k +: 64] = ram_d_rdata[64*k +: 64];
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      resv_v <= '0;
      lock_q <= 1'b0;
      rr <= '0;
    end else begin
      resv_v <= rv;
      resv_g <= rg;
      lock_q <= lock_n;
      lock_hart_q <= lock_hart_n;
      if (any_dev) rr <= winner == HW'(NHARTS - 1) ? '0 : winner + 1'b1;
    end
  end

  // ---- the boot ROM, read by every port that needs it ---------------------------------------------
  logic [63:0] rom_d [NHARTS];
  logic [63:0] rom_i [NHARTS];
  for (genvar k = 0; k < NHARTS; k++) begin : g_rom
    dvc_bootrom rom_dport (.start(boot_start), .fdt(boot_fdt), .offset(d_addr[64*k +: 12]), .rdata(rom_d[k]));
    dvc_bootrom rom_iport (.start(boot_start), .fdt(boot_fdt), .offset(i_addr[64*k +: 12]), .rdata(rom_i[k]));
  end

  // ---- instruction ports -------------------------------------------------------------------------
  logic [NHARTS-1:0] i_ram;
  always_comb begin
    for (int k = 0; k < NHARTS; k++) begin
      region_e r;
      r = region(i_addr[64*k +: 64], ram_size);
      i_ram[k] = r == R_RAM;
      i_gnt[k] = i_req[k];
      i_err[k] = r != R_RAM && r != R_ROM;
      ram_i_valid[k] = i_req[k] && i_ram[k];
    end
  end
  always_comb begin
    for (int k = 0; k < NHARTS; k++) i_rdata[32*k +: 32] = i_ram[k] ? ram_i_rdata[32*k +: 32] : rom_i[k][31:0];
  end
endmodule
