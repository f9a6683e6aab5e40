//! A readable listing of a program for whoever debugs a divergence: the configuration and
//! setup in words, then every instruction with its address, encoding and disassembly, the
//! labels, and one comment per item naming the hart and the item's position in its stream.

use crate::asm::render;
use crate::build::{pmp_config, vpmp_config};
use crate::layout::*;
use crate::program::Program;
use std::fmt::Write;

impl Program {
    /// The listing (the program must assemble; see [`Program::try_assemble`]).
    pub fn listing(&self) -> String {
        let built = match self.try_assemble() {
            Ok(b) => b,
            Err(e) => return format!("# cannot assemble: {e}\n"),
        };
        let s = &self.setup;
        let mut out = String::new();
        let _ = writeln!(out, "# rvgen program: {} hart(s), image {:#x}..{:#x}", self.cfg.harts, BASE, IMAGE_END);
        let _ = writeln!(
            out,
            "# paging {:?}, body pages {}, code map {:?}, code readable {}, alias {:?}",
            s.paging,
            if s.user_pages { "U" } else { "S" },
            s.code_map(),
            s.code_readable,
            s.alias
        );
        let _ = writeln!(
            out,
            "# medeleg {:#x}, mideleg {:#x}, mie {:#x}, mcounteren {}, scounteren {}, status {:?}",
            s.medeleg(),
            s.mideleg(),
            s.mie(),
            s.mcounteren & 7,
            s.scounteren & 7,
            s.status
        );
        let _ = writeln!(
            out,
            "# mtvec vectored {}, stvec vectored {}, trap bound {}",
            s.mtvec_vectored, s.stvec_vectored, built.trap_limit
        );
        for (i, (cfg, addr)) in pmp_config(self).iter().enumerate() {
            if cfg & 0x18 != 0 {
                let _ = writeln!(out, "# pmp{i}: cfg {cfg:#04x} addr {addr:#x}");
            }
        }
        if self.cfg.h_ext {
            let y = &s.hyp;
            let _ = writeln!(
                out,
                "# hyp: guests in the {} world, hgatp {:?}, hugatp {:?}, vsatp {}, G-stage code map {}",
                if y.dv_world { "DV-Ext (hstatus.HU=1)" } else { "H (hstatus.HU=0)" },
                y.hgatp,
                y.hugatp,
                if s.vs_paged() { "= satp" } else { "Bare" },
                if y.gmega { "2 MiB" } else { "pages" }
            );
            let _ = writeln!(
                out,
                "# hyp: hedeleg {:#x}, hideleg {:#x}, sedeleg {:#x}, sideleg {:#x}, hie {:#x}, vsie {:#x}, huie {:#x}, \
                 hstatus {:#x}, hustatus {:#x}, vsstatus {:#x}, hcounteren {}, hucounteren {}, htimedelta {}, \
                 hutimedelta {}, vstvec vectored {}, utvec vectored {}, vcpuid {:?}, HU runnable {}",
                s.hedeleg(),
                s.hideleg(),
                s.sedeleg(),
                s.sideleg(),
                y.hie & crate::program::VS_BITS,
                y.vsie & crate::program::VS_BITS >> 1,
                s.huie(),
                y.hstatus & (1 << 8 | 1 << 20 | 1 << 21),
                y.hustatus & (1 | 1 << 20 | 1 << 21),
                y.vsstatus & (1 << 1 | 1 << 18 | 1 << 19),
                y.hcounteren & 7,
                y.hucounteren & 7,
                y.htimedelta,
                y.hutimedelta,
                y.vstvec_vectored,
                y.utvec_vectored,
                y.vcpuid,
                s.hu_runnable()
            );
            for (i, (cfg, addr)) in vpmp_config(self).iter().enumerate() {
                if cfg & 0x18 != 0 {
                    let _ = writeln!(out, "# vpmp{i}: cfg {cfg:#04x} addr {addr:#x}");
                }
            }
            for &(k, g) in &y.gpages {
                let _ = writeln!(
                    out,
                    "#   G-stage: guest frame {:#x} -> {:#x} flags {:#04x}",
                    POOL + u64::from(k) * PAGE,
                    POOL + u64::from(g.frame) % POOL_FRAMES * PAGE,
                    g.flags
                );
            }
        }
        for h in 0..self.cfg.harts {
            let start = s.harts.get(h).map(|x| s.allowed_h(x.start, self.cfg.h_ext));
            let _ = writeln!(
                out,
                "# hart {h}: starts in {start:?}, window {:#x}, s0 {:#x}, sp {:#x}",
                window(h),
                s0_value(h),
                sp_value(h)
            );
            for p in (0..WINDOW_PAGES as usize).filter(|_| s.paging != crate::setup::Paging::Bare) {
                let d = s.data_page(h, p);
                let _ = writeln!(
                    out,
                    "#   data page {p}: frame {:#x} flags {:#04x} (U: opposite of the body pages)",
                    POOL + u64::from(d.frame) % POOL_FRAMES * PAGE,
                    d.flags
                );
            }
        }
        out.push_str(&render(&built.lines));
        out
    }
}
