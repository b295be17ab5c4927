//! Process memory settings for the long-running binaries (`easel mcp`, the app), which handle
//! image-sized buffers but should stay small.
//!
//! - glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB). After the
//!   first image every image-sized buffer (a 2.8 MB PNG, its 3.7 MB of base64, 3 MB of pixels) then
//!   comes from the heap arenas, where freed space fragments and is rarely given back: RSS climbs call
//!   after call, once per thread arena. A fixed threshold keeps such buffers in their own mappings,
//!   returned to the system when freed, and two arenas stop every blocking-pool thread growing its own.

/// Buffers from this size up get their own mapping.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 256 * 1024;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: i32 = 2;

/// Applies the settings; call first thing in `main`, before other threads start. No-op off glibc.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}
