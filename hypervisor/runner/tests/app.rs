//! The application benchmark (issue 13 item 5; `make bench-app` for the figures): the Linux guest
//! runs `/app` on two vCPUs under DuVisor and under Linux KVM, the app checks its own round trips
//! and says it is done, and the work grows with the operations asked for: a run of 2n operations
//! retires more guest instructions and takes more VM exits than a run of n, under both.
//!
//! Needs the images of `make linux`.

use dv_runner::app::{run, Host};

#[test]
fn the_app_runs_under_both_hypervisors_and_its_cost_grows_with_its_operations() {
    for host in Host::ALL {
        let (short, long) = (2, 64);
        let a = run(host, short).unwrap_or_else(|e| panic!("{e:#}"));
        let b = run(host, long).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(b.guest > a.guest && b.total > a.total, "{host:?}: {a:?} then {b:?}");
        assert!(b.exits > a.exits, "{host:?}: the exits did not grow: {a:?} then {b:?}");
        eprintln!("{}: n={short} {a:?}, n={long} {b:?}", host.name());
    }
}

#[test]
fn zero_operations_are_refused() {
    assert!(run(Host::DuVisor, 0).is_err());
}
