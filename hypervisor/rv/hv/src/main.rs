//! `duvisor`: the user-level hypervisor (docs/hypervisor.md). It runs in HU mode as an ordinary
//! process of the control plane: it asks once for delegation and memory, builds the VM (guest
//! RAM, a lazily filled Sv39x4 G-stage table, the guest FDT, a UART and a PLIC), then runs each
//! vCPU on its own thread and hart, handling every exit itself.
#![no_std]
#![no_main]

extern crate alloc;

mod csr;
mod enter;
mod hw;
mod misbehave;
mod rt;
mod sys;
mod vcpu;
mod vm_setup;

use rt::println;

#[no_mangle]
extern "C" fn hv_main() -> ! {
    rt::init_heap();
    let status = match vm_setup::build() {
        Ok(vm) => vcpu::run_all(vm),
        Err(e) => {
            println!("duvisor: {e}");
            2
        }
    };
    sys::exit(status)
}
