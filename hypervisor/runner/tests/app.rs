//! The application benchmark (issue 13 item 5; `make bench-app` for the figures): the Linux guest
//! runs `/app` on two vCPUs under DuVisor and under Linux KVM (with and without halt polling), the
//! app checks its own round trips and says it is done, and the work grows with the operations
//! asked for: a run of many more operations retires more guest instructions, more machine
//! instructions and more VM exits, under each host.
//!
//! The two runs are far apart on purpose. Each run is deterministic, but the boot and shutdown
//! around the app do not cost the same from one operation count to another (timer ticks and
//! deferred kernel work land differently): up to a few hundred thousand guest instructions and,
//! under Linux KVM, a few million machine instructions, where one operation is about 22 thousand
//! guest and 30 to 200 thousand machine instructions. How those counts fall also changes with the
//! bytes of the kernel build, so runs only a few operations apart can come out in either order.
//!
//! Needs the images of `make linux`.

use dv_runner::app::{run, Host};

#[test]
fn the_app_runs_under_each_host_and_its_cost_grows_with_its_operations() {
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
