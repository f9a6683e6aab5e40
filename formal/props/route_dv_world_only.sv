// Property route_dv_world_only (dvext.md §3, §10.5) on dvext_trap_redirect.
//
// Routing sends a trap to HU only from the DV-Ext world of §3: from a guest with hstatus.HU = 1
// (V = 1, priv not M) or from HU itself (V = 0, priv U, hstatus.HU = 1). Plain U, hstatus.HU = 0
// guests, HS and M never reach HU, neither an exception or interrupt presented on the trap inputs
// (`trap_target`) nor the interrupt the block selects to take now (`irq_target`).
//
// The block is combinational: every input is free; no assumption. Proved for all inputs.
module route_dv_world_only (
    input wire [1:0] priv_lvl,
    input wire virt,
    input wire hstatus_hu
);
    wire [1:0] trap_target, irq_target;
    wire irq_valid;

    dvext_trap_redirect dut (
        .priv_lvl(priv_lvl),
        .virt(virt),
        .hstatus_hu(hstatus_hu),
        .trap_target(trap_target),
        .irq_valid(irq_valid),
        .irq_target(irq_target)
    );

    localparam [1:0] T_HU = 2'd2;  // target encoding (docs/integration/trap_redirect.md)
    wire is_m = priv_lvl[1];       // priv 2 (reserved) reads as M
    wire dv_world = hstatus_hu && ((virt && !is_m) || (!virt && priv_lvl == 2'd0));

    always @(*) begin
        if (trap_target == T_HU) assert (dv_world);
        if (irq_valid && irq_target == T_HU) assert (dv_world);
    end
endmodule
