//! Process memory settings for the long-running binaries (`easel mcp`, the app), which handle
//! image-sized buffers (a 2.8 MB PNG, its 3.7 MB of base64, 3 MB of pixels) and should be fast while
//! they work and small while they wait.
//!
//! - By default glibc raises its mmap threshold each time a large mapped block is freed, so after the
//!   first image the buffers come from per-thread arenas, where freed space fragments: RSS climbed call
//!   after call (91 MB over 31 calls, BENCHMARKS.md). Giving every such buffer its own mapping fixed
//!   that, but each call then faulted in and zeroed ~15 MB of fresh pages and unmapped them again: a
//!   fifth of the CPU of a generate call.
//! - So: one arena for all threads, buffers up to 32 MiB from it, and its free top kept during a burst
//!   (no trim on free): the next call reuses the same pages, whichever thread runs it. The peak stays
//!   bounded by one call's working set (~40 MB, stable over 150 calls).
//! - [`IdleRelease`] gives the free memory back ([`libc::malloc_trim`]) once image work has been quiet for
//!   [`IDLE_RELEASE`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 32 * 1024 * 1024;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: i32 = 1;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 128 * 1024 * 1024;

/// Quiet time after the last piece of image work before free memory is given back.
pub const IDLE_RELEASE: Duration = Duration::from_secs(1);

/// Applies the settings; call first thing in `main`, before other threads start. No-op off glibc.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

/// Counts the pieces of image work begun; a release is due only if none began since it was scheduled.
static BEGUN: AtomicU64 = AtomicU64::new(0);

/// Held while a piece of image work (a job) runs. When one is dropped, the heap's free memory goes back to
/// the system after [`IDLE_RELEASE`] unless a newer piece began meanwhile (an older one still running does
/// not hold it back: the trim only returns memory that is free, which costs that job a few page faults).
#[must_use = "the release is scheduled when the guard is dropped"]
pub struct IdleRelease(u64);

impl IdleRelease {
    pub fn begin() -> IdleRelease {
        IdleRelease(BEGUN.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

impl Drop for IdleRelease {
    fn drop(&mut self) {
        let mine = self.0;
        let spawned = std::thread::Builder::new()
            .name("easel-idle-release".into())
            .spawn(move || {
                std::thread::sleep(IDLE_RELEASE);
                if BEGUN.load(Ordering::SeqCst) == mine {
                    release();
                }
            });
        if let Err(e) = spawned {
            tracing::debug!("idle memory release not scheduled: {e}");
        }
    }
}

/// Returns the heap's free memory to the system now. No-op off glibc.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only gives free pages back; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}
