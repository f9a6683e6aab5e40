use rvgen::program::*;
use rvgen::run::{run, RunOptions};

#[test]
fn seeds() {
    let n: u64 = std::env::var("N").ok().and_then(|s| s.parse().ok()).unwrap_or(50);
    let harts: usize = std::env::var("H").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut bad = 0;
    for seed in 0..n {
        let cfg = Config { harts, ..Default::default() };
        let p = Program::generate(seed, &cfg);
        let b = p.try_assemble().unwrap();
        let o = run(&b.image, &RunOptions { harts, max_insns: 2_000_000, ..Default::default() }).unwrap();
        if o.exit != dvsim::platform::RunExit::Pass {
            bad += 1;
            println!("seed {seed}: {:?} {:x?} retired {:?}", o.exit, o.last_trap, o.retired);
            if bad == 1 {
                std::fs::write("/tmp/rvt/listing.txt", rvgen::asm::render(&b.lines)).unwrap();
                std::fs::write("/tmp/rvt/prog.json", serde_json::to_string_pretty(&p).unwrap()).unwrap();
                let o =
                    run(&b.image, &RunOptions { harts, max_insns: 2_000_000, commit_log: true, ..Default::default() })
                        .unwrap();
                std::fs::write("/tmp/rvt/log.txt", o.log.as_ref().unwrap()).unwrap();
            }
        }
    }
    assert_eq!(bad, 0);
}
