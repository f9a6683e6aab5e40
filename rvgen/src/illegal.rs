//! Which words are illegal instructions: those dvsim decodes as illegal, which excludes every
//! H and DV-Ext encoding (dvsim implements them) and so stays illegal on a core without H.
//! 32-bit words with the 48/64-bit length prefixes (bits 4:2 = 111) are left out, because an
//! implementation may treat their length differently.

use dvsim::hart::decode::{decode, Op};

pub fn is_illegal32(w: u32) -> bool {
    w & 3 == 3 && w & 0x1c != 0x1c && decode(w).op == Op::Illegal
}

pub fn is_illegal16(h: u16) -> bool {
    h & 3 != 3 && decode(u32::from(h)).op == Op::Illegal
}
