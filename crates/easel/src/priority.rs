//! CPU priority of Easel's own threads: work nobody is waiting for yields the cores to work somebody is.
//!
//! Linux gives every thread its own nice value, so one thread can be lowered without touching the rest of
//! the process. Elsewhere `setpriority` would lower the whole process, so these are no-ops there.

/// Run `work` on a thread of its own at the lowest CPU priority: it gets the cores when nothing else
/// wants them, so a call in flight never shares them with it (a new image's gallery thumbnail made just
/// as the next call starts, for one). A thread that cannot be started drops `work` unrun, with a warning.
pub fn spawn_background(name: &str, work: impl FnOnce() + Send + 'static) {
    let spawned = std::thread::Builder::new().name(name.into()).spawn(move || {
        lower_this_thread(19);
        work();
    });
    if let Err(e) = spawned {
        tracing::warn!("background work not started ({e})");
    }
}

/// Lower the calling thread's CPU priority to `nice` (0 normal … 19 lowest); a thread already lower stays
/// as it is.
fn lower_this_thread(nice: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread's id; no memory is passed.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        // getpriority returns the nice value itself (-1 can also mean an error: then leave it).
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if now < nice {
            libc::setpriority(libc::PRIO_PROCESS, tid, nice);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    fn nice_of_this_thread() -> i32 {
        // SAFETY: as above.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn background_work_runs_at_the_lowest_priority_and_the_caller_keeps_its_own() {
        let before = nice_of_this_thread();
        let (tx, rx) = std::sync::mpsc::channel();
        spawn_background("easel-test", move || tx.send(nice_of_this_thread()).unwrap());
        assert_eq!(rx.recv().unwrap(), 19);
        assert_eq!(nice_of_this_thread(), before, "only the background thread was lowered");

        let lowered = std::thread::spawn(|| {
            lower_this_thread(10);
            let ten = nice_of_this_thread();
            lower_this_thread(5);
            (ten, nice_of_this_thread())
        });
        let ten = before.max(10);
        assert_eq!(lowered.join().unwrap(), (ten, ten), "never raised back");
    }
}
