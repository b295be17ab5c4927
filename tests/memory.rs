//! The process memory policy (`easel::memory`): image-sized buffers are reused from the heap while work
//! goes on, and given back once it stops. Its own test binary without the test harness: it reads the
//! whole process's RSS, and it must call `tune` on the main thread before any other thread exists, as the
//! binaries do (a thread that allocated before gets an arena of its own).

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        glibc::buffers_are_reused_during_work_and_given_back_once_idle();
        println!("memory: buffers are reused during work and given back once idle: ok");
        glibc::code_pages_are_let_go_once_idle_and_come_back_when_run();
        println!("memory: code pages are let go once idle and come back when run: ok");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    use std::hint::black_box;
    use std::time::Duration;

    use easel::memory::{self, IDLE_RELEASE, IdleRelease};

    const BUFFER: usize = 24 << 20;
    const MB: i64 = 1 << 20;

    fn status(field: &str) -> i64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<i64>().unwrap() * 1024
    }

    fn rss() -> i64 {
        status("VmRSS:")
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

    /// Work that runs a fair amount of code: formatting, hashing, sorting, a PNG round trip, Easel's preview
    /// and thumbnail of it (PNG decode, JPEG encode, resize).
    fn busy_code() -> usize {
        use std::hash::{BuildHasher, RandomState};
        let mut words: Vec<String> = (0..2000)
            .map(|i| format!("{:x}-{i:08}", RandomState::new().hash_one(i)))
            .collect();
        words.sort();
        let img = image::RgbImage::from_fn(256, 256, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let back = image::load_from_memory(png.get_ref()).unwrap().to_rgb8();
        assert_eq!(back, img);
        let (preview, decoded) = easel::thumbs::preview_and_decoded(png.get_ref()).unwrap();
        let thumb = decoded
            .expect("an 8-bit RGB PNG keeps its pixels")
            .thumbnail(32)
            .unwrap();
        words.len() + png.get_ref().len() + preview.bytes.len() + thumb.bytes.len()
    }

    pub fn code_pages_are_let_go_once_idle_and_come_back_when_run() {
        black_box(busy_code());
        // Without the opt-in, an idle release leaves the code mapped.
        let mapped = status("RssFile:");
        drop(IdleRelease::begin());
        std::thread::sleep(IDLE_RELEASE + Duration::from_millis(500));
        assert!(
            status("RssFile:") > mapped / 2,
            "code stays mapped without release_code_when_idle ({mapped} → {})",
            status("RssFile:")
        );

        memory::release_code_when_idle();
        drop(IdleRelease::begin());
        std::thread::sleep(IDLE_RELEASE + Duration::from_millis(500));
        let idle = status("RssFile:");
        // What stays mapped is what ran since: the release's own way back, this thread's wake-up, the read of
        // /proc (each fault maps the 64 KiB around it).
        assert!(
            idle < mapped / 2,
            "idle: the code pages of the executable and its libraries were let go ({mapped} → {idle})"
        );
        // Relocated data (RELRO) and the heap were left alone: the same work still runs and gives the same
        // answer, reading the code back from the page cache.
        let first = black_box(busy_code());
        assert_eq!(busy_code(), first);
        assert!(status("RssFile:") > idle, "running code maps it back in");
        assert!(
            memory::release_code().unwrap() > 0,
            "release_code reports what it let go"
        );
    }
}
