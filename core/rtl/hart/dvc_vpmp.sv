// dvc_vpmp: vPMP for one access (dvext.md §5.3): the vPMP part of the generated stage-2 checker
// (docs/integration/stage2_check.md, `pa_is_pte` = 0), with its G-stage inputs idle. The MMU
// asks it about every V=1 access of the DV-Ext world and every HLV/HSV from HU, as PMP is asked
// about every access, so no TLB entry ever stands for a vPMP decision.
module dvc_vpmp (
  input  logic        active,       // vPMP applies (dvext-model `vpmp_active`)
  input  logic [63:0] pa,
  input  logic [1:0]  size,         // log2 bytes
  input  logic [1:0]  access,       // 0 fetch (X), 1 load (R), 2 store/AMO (W), 3 HLVX (X)
  input  logic [63:0] cfg,
  input  logic [8*64-1:0] addr,
  output logic        fault
);
  logic        nc_gpa_fault, nc_pte_fault, nc_pte_leaf;
  logic [63:0] nc_pte_addr, nc_leaf_pa;
  logic [43:0] nc_next_ppn;
  logic [4:0]  nc_gpf_cause, nc_af_cause;
  dvext_stage2_check check (
    .gatp_mode(4'd0), .gpa(64'd0), .level(2'd0), .table_ppn(44'd0), .pte(64'd0), .access, .mxr(1'b0),
    .pa, .pa_size(size), .pa_is_pte(1'b0), .vpmp_active(active), .vpmpcfg(cfg),
    .vpmpaddr0(addr[0*64 +: 64]), .vpmpaddr1(addr[1*64 +: 64]), .vpmpaddr2(addr[2*64 +: 64]),
    .vpmpaddr3(addr[3*64 +: 64]), .vpmpaddr4(addr[4*64 +: 64]), .vpmpaddr5(addr[5*64 +: 64]),
    .vpmpaddr6(addr[6*64 +: 64]), .vpmpaddr7(addr[7*64 +: 64]),
    .gpa_fault(nc_gpa_fault), .pte_addr(nc_pte_addr), .pte_fault(nc_pte_fault), .pte_leaf(nc_pte_leaf),
    .pte_next_ppn(nc_next_ppn), .leaf_pa(nc_leaf_pa), .vpmp_fault(fault),
    .gpf_cause(nc_gpf_cause), .af_cause(nc_af_cause)
  );
  logic unused;
  assign unused = ^{nc_gpa_fault, nc_pte_fault, nc_pte_leaf, nc_pte_addr, nc_leaf_pa, nc_next_ppn,
                    nc_gpf_cause, nc_af_cause};
endmodule
