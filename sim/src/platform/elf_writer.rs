//! A minimal little-endian ELF64 RISC-V executable writer: PT_LOAD segments and an optional
//! symbol table. Only for tests (the loader's, the CLI's, the hart's), which build their images
//! themselves instead of depending on a cross toolchain.

/// One PT_LOAD segment: physical (= virtual) address, file bytes, and memory size (≥ bytes.len();
/// the rest is zero-filled .bss).
pub struct Segment<'a> {
    pub addr: u64,
    pub bytes: &'a [u8],
    pub memsz: u64,
}

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put64(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_le_bytes());
}

/// Builds the file. `symbols` are global absolute symbols (name, value).
pub fn build(entry: u64, segments: &[Segment], symbols: &[(&str, u64)]) -> Vec<u8> {
    const EHDR: u64 = 64;
    const PHDR: u64 = 56;
    const SHDR: u64 = 64;
    let phoff = EHDR;
    let mut data_off = phoff + PHDR * segments.len() as u64;
    let mut body = Vec::new();
    let mut phdrs = Vec::new();
    for s in segments {
        put32(&mut phdrs, 1); // PT_LOAD
        put32(&mut phdrs, 7); // RWX
        put64(&mut phdrs, data_off);
        put64(&mut phdrs, s.addr);
        put64(&mut phdrs, s.addr);
        put64(&mut phdrs, s.bytes.len() as u64);
        put64(&mut phdrs, s.memsz.max(s.bytes.len() as u64));
        put64(&mut phdrs, 8);
        body.extend_from_slice(s.bytes);
        data_off += s.bytes.len() as u64;
    }
    // Symbol table, string tables, then section headers.
    let (mut shdrs, mut shnum, mut shstrndx) = (Vec::new(), 0u16, 0u16);
    if !symbols.is_empty() {
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; 24];
        for (name, value) in symbols {
            put32(&mut symtab, strtab.len() as u32);
            symtab.push(0x11); // STB_GLOBAL, STT_OBJECT
            symtab.push(0);
            put16(&mut symtab, 0xfff1); // SHN_ABS
            put64(&mut symtab, *value);
            put64(&mut symtab, 8);
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
        }
        let shstrtab = b"\0.symtab\0.strtab\0.shstrtab\0".to_vec();
        // The symbol table must be 8-byte aligned in the file.
        while !data_off.is_multiple_of(8) {
            body.push(0);
            data_off += 1;
        }
        let symtab_off = data_off;
        let strtab_off = symtab_off + symtab.len() as u64;
        let shstrtab_off = strtab_off + strtab.len() as u64;
        body.extend_from_slice(&symtab);
        body.extend_from_slice(&strtab);
        body.extend_from_slice(&shstrtab);
        data_off = shstrtab_off + shstrtab.len() as u64;
        // Section headers must be 8-byte aligned.
        while !data_off.is_multiple_of(8) {
            body.push(0);
            data_off += 1;
        }
        let mut sh = |name: u32, ty: u32, off: u64, size: u64, link: u32, info: u32, entsize: u64| {
            put32(&mut shdrs, name);
            put32(&mut shdrs, ty);
            put64(&mut shdrs, 0);
            put64(&mut shdrs, 0);
            put64(&mut shdrs, off);
            put64(&mut shdrs, size);
            put32(&mut shdrs, link);
            put32(&mut shdrs, info);
            put64(&mut shdrs, 1);
            put64(&mut shdrs, entsize);
        };
        sh(0, 0, 0, 0, 0, 0, 0);
        sh(1, 2, symtab_off, symtab.len() as u64, 2, 1, 24);
        sh(9, 3, strtab_off, strtab.len() as u64, 0, 0, 0);
        sh(17, 3, shstrtab_off, shstrtab.len() as u64, 0, 0, 0);
        shnum = 4;
        shstrndx = 3;
    }
    let mut f = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    put16(&mut f, 2); // ET_EXEC
    put16(&mut f, 243); // EM_RISCV
    put32(&mut f, 1);
    put64(&mut f, entry);
    put64(&mut f, if segments.is_empty() { 0 } else { phoff });
    put64(&mut f, if shnum > 0 { data_off } else { 0 });
    put32(&mut f, 0);
    put16(&mut f, EHDR as u16);
    put16(&mut f, PHDR as u16);
    put16(&mut f, segments.len() as u16);
    put16(&mut f, SHDR as u16);
    put16(&mut f, shnum);
    put16(&mut f, shstrndx);
    f.extend_from_slice(&phdrs);
    f.extend_from_slice(&body);
    f.extend_from_slice(&shdrs);
    f
}
