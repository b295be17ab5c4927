//! The process memory policy (`easel::memory`): image-sized buffers are reused from the heap while work
//! goes on, and given back once it stops. Its own test binary without the test harness: it reads the
//! whole process's RSS, and it must call `tune` on the main thread before any other thread exists, as the
//! binaries do (a thread that allocated before gets an arena of its own).

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        glibc::buffers_are_reused_during_work_and_given_back_once_idle();
        println!("memory: buffers are reused during work and given back once idle: ok");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    use std::hint::black_box;
    use std::time::Duration;

    use easel::memory::{self, IDLE_RELEASE, IdleRelease};

    const BUFFER: usize = 24 << 20;
    const MB: i64 = 1 << 20;

    fn rss() -> i64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<i64>().unwrap() * 1024
    }

    /// Fills an image-sized buffer (every page touched) and frees it.
    fn work() {
        drop(black_box(vec![7u8; BUFFER]));
    }

    pub fn buffers_are_reused_during_work_and_given_back_once_idle() {
        memory::tune();
        let start = rss();
        work();
        let kept = rss();
        assert!(
            kept - start > 20 * MB,
            "a freed buffer stays in the heap for the next one: {start} → {kept}"
        );
        work();
        assert!(
            rss() - kept < 4 * MB,
            "the next buffer reuses those pages: {kept} → {}",
            rss()
        );

        // A release waits until no work has begun for IDLE_RELEASE.
        drop(IdleRelease::begin());
        let still_busy = IdleRelease::begin();
        std::thread::sleep(IDLE_RELEASE + Duration::from_millis(500));
        assert!(rss() - start > 20 * MB, "work began since: nothing is released");
        drop(still_busy);
        std::thread::sleep(IDLE_RELEASE + Duration::from_millis(500));
        assert!(
            rss() - start < 8 * MB,
            "idle: the buffer went back to the system ({start} → {})",
            rss()
        );
    }
}
