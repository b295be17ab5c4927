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
//! - A process that mostly waits (`easel mcp`, see [`release_code_when_idle`]) also lets go of its resident
//!   code then: most of an idle server's RSS is clean pages of the executable that the kernel mapped in 64 KiB
//!   windows around the few functions start-up ran. They stay in the page cache, so the next call maps
//!   them back with minor faults.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

static RELEASE_CODE: AtomicBool = AtomicBool::new(false);

/// Makes every idle release (see [`IdleRelease`]) also drop this process's resident code and read-only data
/// ([`release_code`]). For binaries that spend most of their life waiting; the desktop app does not.
pub fn release_code_when_idle() {
    RELEASE_CODE.store(true, Ordering::SeqCst);
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

/// Returns the heap's free memory to the system now (and the resident code, after
/// [`release_code_when_idle`]). The heap part needs glibc; elsewhere it does nothing.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only gives free pages back; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
    if RELEASE_CODE.load(Ordering::SeqCst) {
        match release_code() {
            Ok(bytes) => tracing::debug!("idle: {} KiB of mapped code let go", bytes / 1024),
            Err(e) => tracing::debug!("idle: mapped code not let go: {e}"),
        }
    }
}

/// Unmaps the resident pages of this process's read-only private file mappings that hold no private copy
/// (code and read-only data of the executable and its libraries) and returns how many bytes were resident.
/// Their contents are exactly the file's, which stays in the page cache: the next access maps the same
/// bytes back (a minor fault). Mappings with a private copy (relocated data, RELRO) are left alone, as is
/// anything writable, shared or not backed by a file.
#[cfg(target_os = "linux")]
pub fn release_code() -> std::io::Result<usize> {
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let mut released = 0;
    for mapping in clean_file_mappings(&smaps) {
        // SAFETY: the range is a whole mapping of this process that is read-only, private, backed by a file
        // and holds no anonymous (copied-on-write) page, so MADV_DONTNEED only drops page-table entries whose
        // contents the next access reads back, byte for byte, from the same file.
        let rc = unsafe { libc::madvise(mapping.start as *mut libc::c_void, mapping.len, libc::MADV_DONTNEED) };
        if rc == 0 {
            released += mapping.resident;
        }
    }
    Ok(released)
}

/// See the Linux version: elsewhere nothing is let go.
#[cfg(not(target_os = "linux"))]
pub fn release_code() -> std::io::Result<usize> {
    Ok(0)
}

/// A mapping [`release_code`] may let go of.
#[derive(Debug, PartialEq)]
struct CleanMapping {
    start: usize,
    len: usize,
    /// Resident bytes (`Rss`).
    resident: usize,
}

/// The mappings in a `/proc/<pid>/smaps` text that are private, not writable, file-backed (inode ≠ 0),
/// resident, not locked and without anonymous pages.
fn clean_file_mappings(smaps: &str) -> Vec<CleanMapping> {
    let mut out = Vec::new();
    let mut current: Option<(CleanMapping, bool)> = None; // (mapping, still a candidate)
    let mut finish = |m: Option<(CleanMapping, bool)>| {
        if let Some((m, true)) = m.filter(|(m, _)| m.resident > 0) {
            out.push(m);
        }
    };
    for line in smaps.lines() {
        let mut words = line.split_ascii_whitespace();
        let Some(first) = words.next() else { continue };
        if let Some((start, end)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            finish(current.take());
            let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16)) else {
                continue;
            };
            let perms = words.next().unwrap_or("").as_bytes();
            let inode = words.nth(2).unwrap_or("0");
            let candidate = perms.len() == 4
                && perms[0] == b'r'
                && perms[1] == b'-'
                && perms[3] == b'p'
                && inode != "0"
                && end > start;
            let mapping = CleanMapping {
                start,
                len: end - start,
                resident: 0,
            };
            current = Some((mapping, candidate));
            continue;
        }
        let Some((mapping, candidate)) = current.as_mut() else {
            continue;
        };
        let kb = words.clone().next().and_then(|v| v.parse::<usize>().ok());
        match first {
            "Rss:" => mapping.resident = kb.unwrap_or(0) * 1024,
            "Anonymous:" | "Locked:" | "Swap:" => *candidate &= kb == Some(0),
            "VmFlags:" => *candidate &= !words.any(|flag| matches!(flag, "lo" | "io" | "pf" | "ht")),
            _ => {}
        }
    }
    finish(current.take());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(range: &str, perms: &str, inode: &str, rss_kb: usize, anon_kb: usize, flags: &str) -> String {
        format!(
            "{range} {perms} 00000000 fe:00 {inode}   /usr/bin/easel\nSize: 64 kB\nRss: {rss_kb} kB\n\
             Pss: {rss_kb} kB\nAnonymous: {anon_kb} kB\nSwap: 0 kB\nLocked: 0 kB\nTHPeligible: 0\nVmFlags: {flags}\n"
        )
    }

    #[test]
    fn only_clean_read_only_private_file_mappings_are_let_go() {
        let smaps = [
            mapping("1000-3000", "r--p", "42", 8, 0, "rd mr mw me"), // headers, .rodata
            mapping("3000-9000", "r-xp", "42", 20, 0, "rd ex mr mw me"), // code
            mapping("9000-a000", "r--p", "42", 4, 4, "rd mr mw me ac"), // RELRO: relocated, a private copy
            mapping("a000-b000", "rw-p", "42", 4, 4, "rd wr mr mw me ac"), // .data
            mapping("b000-c000", "r-xp", "42", 0, 0, "rd ex mr mw me"), // not resident: nothing to do
            mapping("c000-d000", "r--s", "43", 4, 0, "rd sh mr mw me"), // shared
            mapping("d000-e000", "r--p", "0", 4, 0, "rd mr mw me"),  // anonymous (inode 0)
            mapping("e000-f000", "r-xp", "44", 4, 0, "rd ex mr mw me lo"), // locked
            "7ffd1000-7ffd3000 r-xp 00000000 00:00 0                          [vdso]\nRss: 4 kB\nAnonymous: 0 kB\n"
                .to_string(),
        ]
        .concat();
        assert_eq!(
            clean_file_mappings(&smaps),
            [
                CleanMapping {
                    start: 0x1000,
                    len: 0x2000,
                    resident: 8 * 1024
                },
                CleanMapping {
                    start: 0x3000,
                    len: 0x6000,
                    resident: 20 * 1024
                },
            ]
        );
        assert_eq!(clean_file_mappings(""), []);
        assert_eq!(clean_file_mappings("garbage\n-\nRss: x kB\n"), []);
    }
}
