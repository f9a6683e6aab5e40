//! Prints the listing of the program generated from a seed: `cargo run -p rvgen --example
//! listing -- SEED [HARTS]`.
fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let cfg = rvgen::Config { harts: args.get(1).copied().unwrap_or(1) as usize, ..Default::default() };
    print!("{}", rvgen::Program::generate(args.first().copied().unwrap_or(0), &cfg).listing());
}
