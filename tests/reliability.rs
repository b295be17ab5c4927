//! Reliability of the library under the conditions the spec names: two processes writing one library at
//! the same moment, processes killed with SIGKILL in the middle of a save or a database write, and
//! damaged files and index rows. Real `easel` processes, a real SQLite file, real PNGs from fake-openai.

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use easel::library::{Library, Query, TEMP_PREFIX};
use easel::metadata;
use easel::models::OutputFormat;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn is_temp(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(TEMP_PREFIX))
}

/// The FTS5 index checked against the images table (`PRAGMA integrity_check` does not look inside it).
fn fts_integrity(root: &Path) -> Result<(), String> {
    let conn = rusqlite::Connection::open(root.join(".easel/library.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(15)).unwrap();
    conn.execute(
        "INSERT INTO images_fts (images_fts, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// Every image the gallery can show (up to 1000, trash excluded), by path.
fn indexed(lib: &Library) -> HashMap<PathBuf, String> {
    let all = Query {
        limit: Some(1000),
        ..Query::default()
    };
    lib.search(&all)
        .expect("the gallery query works")
        .into_iter()
        .map(|r| (r.path, r.id))
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// 1. Two writers at once.

const WRITERS: usize = 2;
const RUNS_PER_WRITER: usize = 10;
const IMAGES_PER_RUN: usize = 10;
const WRITER_WORDS: [&str; WRITERS] = ["alpha", "bravo"];
/// gpt-image-2's smallest size (655,360 pixels): real ~1.7 MB PNGs, the quickest to make and check.
const WRITER_SIZE: &str = "1024x640";

/// One writer: `RUNS_PER_WRITER` sequential `easel generate -n 10` processes. Returns the printed paths
/// and each run's (start, end).
async fn writer(
    fake: &fake_openai::FakeOpenAi,
    root: &Path,
    settings: &Path,
    w: usize,
) -> (Vec<PathBuf>, Vec<(Instant, Instant)>) {
    let mut paths = Vec::new();
    let mut spans = Vec::new();
    for run in 0..RUNS_PER_WRITER {
        let prompt = format!("reliability {} run {run}: a lighthouse in a storm", WRITER_WORDS[w]);
        let start = Instant::now();
        let out = common::easel_cmd(fake, root, settings)
            .args([
                "generate",
                &prompt,
                "-n",
                "10",
                "--quality",
                "low",
                "--size",
                WRITER_SIZE,
            ])
            .output()
            .await
            .unwrap();
        spans.push((start, Instant::now()));
        assert!(out.status.success(), "writer {w} run {run}: {}", stderr(&out));
        let printed: Vec<PathBuf> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(PathBuf::from)
            .collect();
        assert_eq!(
            printed.len(),
            IMAGES_PER_RUN,
            "writer {w} run {run} printed {printed:?}"
        );
        paths.extend(printed);
    }
    (paths, spans)
}

/// Time during which runs of different writers were in flight together.
fn overlap(a: &[(Instant, Instant)], b: &[(Instant, Instant)]) -> Duration {
    let mut total = Duration::ZERO;
    for &(s1, e1) in a {
        for &(s2, e2) in b {
            let (s, e) = (s1.max(s2), e1.min(e2));
            if e > s {
                total += e - s;
            }
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_generating_into_one_library_lose_and_corrupt_nothing() {
    let started = Instant::now();
    let fake = common::fake().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("library");
    let settings = dir.path().join("settings.json");
    // Both writers create the library at the same moment too (migrations race).
    let ((paths_a, spans_a), (paths_b, spans_b)) =
        tokio::join!(writer(&fake, &root, &settings, 0), writer(&fake, &root, &settings, 1));
    let together = overlap(&spans_a, &spans_b);
    let writing = started.elapsed();
    assert!(
        together > Duration::from_millis(500),
        "the two writers barely overlapped ({together:?}): this test did not test concurrency"
    );

    let total = WRITERS * RUNS_PER_WRITER * IMAGES_PER_RUN;
    let printed: BTreeSet<PathBuf> = paths_a.iter().chain(&paths_b).cloned().collect();
    assert_eq!(printed.len(), total, "every printed path is distinct");

    // The CLI's search sees every image.
    let out = common::easel_cmd(&fake, &root, &settings)
        .args(["search", "lighthouse", "--limit", "1000", "--json"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found.as_array().unwrap().len(), total, "easel search finds every image");

    let report = tokio::task::spawn_blocking(move || {
        let lib = Library::open(&root).unwrap();
        assert_eq!(lib.integrity_check().unwrap(), "ok");
        assert_eq!(fts_integrity(&root), Ok(()));
        assert_eq!(lib.count().unwrap(), total as u64);

        // 0 lost rows: every printed path is indexed; the index holds nothing else.
        let rows = indexed(&lib);
        let indexed_paths: BTreeSet<PathBuf> = rows.keys().cloned().collect();
        assert_eq!(indexed_paths, printed, "index == printed paths");
        for (w, word) in WRITER_WORDS.iter().enumerate() {
            let mine = Query {
                text: Some(format!("{word} lighthouse")),
                limit: Some(1000),
                ..Query::default()
            };
            let hits = lib.search(&mine).unwrap();
            assert_eq!(hits.len(), RUNS_PER_WRITER * IMAGES_PER_RUN, "writer {w}");
            assert!(hits.iter().all(|h| h.prompt.contains(word)));
        }

        // 0 orphans: every file under the root is an indexed image (no temp file left either).
        let on_disk: BTreeSet<PathBuf> = common::library_files(&root).into_iter().collect();
        assert_eq!(on_disk, printed, "files on disk == indexed images");

        // 0 corrupted images: each decodes and carries its own metadata. Decoded on both cores.
        let files: Vec<(PathBuf, String)> = rows.into_iter().collect();
        std::thread::scope(|s| {
            for half in files.chunks(files.len().div_ceil(2)) {
                s.spawn(move || {
                    for (path, id) in half {
                        let bytes = std::fs::read(path).unwrap();
                        assert!(common::png_is_complete(&bytes), "{} is truncated", path.display());
                        let img = image::load_from_memory(&bytes)
                            .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()));
                        assert_eq!(format!("{}x{}", img.width(), img.height()), WRITER_SIZE);
                        let meta = metadata::read_for_file(path).unwrap().expect("embedded metadata");
                        assert_eq!(&meta.id, id, "{}", path.display());
                        assert!(written_prompt(&meta.prompt), "{}", meta.prompt);
                    }
                });
            }
        });

        // Every call is a finished job with its ten images, and costed once.
        let jobs = lib.list_jobs(1000).unwrap();
        assert_eq!(jobs.len(), WRITERS * RUNS_PER_WRITER);
        assert!(jobs.iter().all(|j| j.state == easel::job::JobState::Done), "{jobs:?}");
        let job_images: HashSet<String> = jobs.iter().flat_map(|j| j.images.clone()).collect();
        assert_eq!(job_images.len(), total);
        assert!(files.iter().all(|(_, id)| job_images.contains(id)));
        let calls: u64 = lib
            .cost_totals(easel::ledger::GroupBy::Model, 10)
            .unwrap()
            .iter()
            .map(|t| t.calls)
            .sum();
        assert_eq!(calls, (WRITERS * RUNS_PER_WRITER) as u64);
        format!("{total} images")
    })
    .await
    .unwrap();
    eprintln!(
        "two writers: {report} written in {writing:.1?} ({together:.1?} overlapping), verified in {:.1?}",
        started.elapsed() - writing
    );
}

/// A prompt as [`writer`] wrote it.
fn written_prompt(prompt: &str) -> bool {
    prompt.starts_with("reliability ") && prompt.ends_with("a lighthouse in a storm")
}

// ---------------------------------------------------------------------------------------------------
// 2. SIGKILL in the middle of a save and of a database write.

/// What a killed run was asked to make.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    /// `-n 10` 1024x1024: ten saves and ten index writes in a row.
    TenSmall,
    /// One 3840x2160 PNG (~20 MB): a long write.
    OneLarge,
}

impl Shape {
    fn args(self) -> &'static [&'static str] {
        match self {
            Shape::TenSmall => &["-n", "10", "--size", "1024x1024", "--quality", "low"],
            Shape::OneLarge => &["--size", "3840x2160", "--quality", "low"],
        }
    }
    fn size(self) -> (u32, u32) {
        match self {
            Shape::TenSmall => (1024, 1024),
            Shape::OneLarge => (3840, 2160),
        }
    }
}

/// When to send SIGKILL.
#[derive(Clone, Copy, Debug)]
enum Trigger {
    /// This long after the process started.
    After(Duration),
    /// This long after fake-openai received the request (held there by a `Delay` fault when given).
    Request { plus: Duration, hold_ms: Option<u64> },
    /// As soon as a new temp file (an image being written) shows up after `files` new images exist.
    Writing { files: usize },
    /// As soon as this many new finished image files exist.
    Files(usize),
    /// As soon as this many new image rows are committed.
    Rows(usize),
}

/// What one iteration observed.
#[derive(Debug)]
struct Cut {
    trigger: Trigger,
    shape: Shape,
    killed: bool,
    new_files: usize,
    new_rows: usize,
    /// Finished files the killed process had not indexed yet (a rescan indexed them).
    orphans: usize,
    /// Temp files under the root after the kill (all runs so far).
    temps: usize,
}

fn image_rows(db: &Path) -> usize {
    let Ok(conn) = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return 0;
    };
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row("SELECT count(*) FROM images", [], |r| r.get::<_, i64>(0))
        .map(|n| n as usize)
        .unwrap_or(0)
}

/// (finished image files, temp files) under the root.
fn finished_files(root: &Path) -> (usize, usize) {
    let files = common::library_files(root);
    let temps = files.iter().filter(|p| is_temp(p)).count();
    (files.len() - temps, temps)
}

fn temp_files(root: &Path) -> HashSet<PathBuf> {
    common::library_files(root).into_iter().filter(|p| is_temp(p)).collect()
}

/// Run one `easel generate`, kill it with SIGKILL when `trigger` fires; true if it was killed (false if it
/// finished first).
async fn run_and_kill(
    fake: &fake_openai::FakeOpenAi,
    root: &Path,
    settings: &Path,
    shape: Shape,
    trigger: Trigger,
    prompt: &str,
) -> bool {
    let files_before = finished_files(root).0;
    let rows_before = image_rows(&root.join(".easel/library.db"));
    let requests_before = fake.requests().len();
    let temps_before = temp_files(root); // left by earlier kills
    if let Trigger::Request { hold_ms: Some(ms), .. } = trigger {
        fake.push_fault(fake_openai::Fault::Delay { ms });
    }
    let mut child = common::easel_cmd(fake, root, settings)
        .args(["generate", prompt])
        .args(shape.args())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut request_seen: Option<Instant> = None;
    let deadline = started + Duration::from_secs(30);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(Instant::now() < deadline, "{trigger:?} never fired");
        let fire = match trigger {
            Trigger::After(d) => started.elapsed() >= d,
            Trigger::Request { plus, .. } => {
                if request_seen.is_none() && fake.requests().len() > requests_before {
                    request_seen = Some(Instant::now());
                }
                request_seen.is_some_and(|t| t.elapsed() >= plus)
            }
            Trigger::Writing { files } => {
                finished_files(root).0 >= files_before + files && temp_files(root).difference(&temps_before).count() > 0
            }
            Trigger::Files(n) => finished_files(root).0 >= files_before + n,
            Trigger::Rows(n) => image_rows(&root.join(".easel/library.db")) >= rows_before + n,
        };
        if fire {
            break;
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    let status = child.wait().await.unwrap();
    use std::os::unix::process::ExitStatusExt;
    // It may have exited on its own between the last check and the kill.
    status.signal() == Some(9)
}

/// After a kill: nothing partial is visible, the index is sound, no job is left hanging, and the files
/// the killed process finished but did not index are found by a rescan. Returns (orphans, temps).
fn check_after_kill(
    root: &Path,
    verified: &mut HashSet<PathBuf>,
    sizes: &HashMap<String, (u32, u32)>,
    killed: bool,
) -> (usize, usize) {
    let files = common::library_files(root);
    let mut temps = 0;
    for path in &files {
        if is_temp(path) {
            temps += 1; // an unfinished write: hidden, never taken for an image
            continue;
        }
        if verified.contains(path) {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        assert!(
            common::png_is_complete(&bytes),
            "a partial image is visible: {} ({} bytes)",
            path.display(),
            bytes.len()
        );
        let img = image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()));
        let meta = metadata::read_for_file(path)
            .unwrap()
            .unwrap_or_else(|| panic!("{} has no metadata", path.display()));
        let word = meta.prompt.split(' ').nth(1).unwrap_or_default().to_string();
        assert_eq!(
            Some(&(img.width(), img.height())),
            sizes.get(&word),
            "{} has the size its run asked for",
            path.display()
        );
        verified.insert(path.clone());
    }

    let lib = Library::open(root).expect("the library opens after a kill");
    assert_eq!(lib.integrity_check().unwrap(), "ok");
    assert_eq!(fts_integrity(root), Ok(()));
    let jobs = lib.list_jobs(1000).unwrap();
    let hanging: Vec<_> = jobs.iter().filter(|j| !j.state.is_final()).collect();
    assert!(hanging.is_empty(), "jobs left unfinished after a kill: {hanging:?}");
    if killed && let Some(last) = jobs.first() {
        // The killed process's job (when it got as far as creating one) is failed as interrupted,
        // unless it was killed after finishing it.
        assert!(
            last.state == easel::job::JobState::Done
                || last.error.as_deref().is_some_and(|e| e.contains("interrupted")),
            "{last:?}"
        );
    }

    // Every row points at a complete file; files without a row can only be the killed run's last ones.
    let rows = indexed(&lib);
    for path in rows.keys() {
        assert!(
            verified.contains(path),
            "row for a missing or unchecked file {}",
            path.display()
        );
    }
    let images: BTreeSet<&PathBuf> = files.iter().filter(|p| !is_temp(p)).collect();
    let orphans = images.iter().filter(|p| !rows.contains_key(**p)).count();
    assert!(
        orphans <= 1,
        "only the file being indexed when killed may lack its row: {orphans}"
    );
    // Files are the source of truth: a rescan indexes them.
    let rescan = lib.rescan().unwrap();
    assert_eq!(rescan.added.len(), orphans, "{rescan:?}");
    assert!(rescan.removed.is_empty(), "{rescan:?}");
    let rows: BTreeSet<PathBuf> = indexed(&lib).into_keys().collect();
    assert_eq!(rows, images.into_iter().cloned().collect(), "index == finished files");
    (orphans, temps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_request_save_and_index_leaves_no_partial_file_or_broken_state() {
    let started = Instant::now();
    let fake = common::fake().await;
    fake.warm(3840, 2160, "png").await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("library");
    let settings = dir.path().join("settings.json");
    let ms = Duration::from_millis;
    use Shape::*;
    use Trigger::*;
    let plan: Vec<(Shape, Trigger)> = vec![
        (TenSmall, After(ms(0))), // creating the library and its index
        (TenSmall, After(ms(10))),
        (TenSmall, After(ms(40))),
        (
            TenSmall,
            Request {
                plus: ms(50),
                hold_ms: Some(5_000),
            },
        ), // waiting for the answer
        (
            OneLarge,
            Request {
                plus: ms(5),
                hold_ms: None,
            },
        ), // receiving ~30 MB of base64
        (TenSmall, Writing { files: 0 }), // writing the first file
        (TenSmall, Files(1)),             // first file renamed into place, its row not yet written
        (TenSmall, Rows(1)),              // right after the first row's commit
        (TenSmall, Writing { files: 3 }),
        (TenSmall, Files(4)),
        (TenSmall, Rows(5)),
        (TenSmall, Writing { files: 7 }),
        (TenSmall, Files(9)),
        (TenSmall, Rows(10)),             // after the last image row: finishing the job
        (OneLarge, Writing { files: 0 }), // in the middle of a 20 MB write
        (OneLarge, Files(1)),
        (TenSmall, After(ms(900))),
        (TenSmall, After(ms(1300))),
    ];
    let mut verified = HashSet::new();
    let mut sizes = HashMap::new();
    let mut cuts = Vec::new();
    for (i, (shape, trigger)) in plan.into_iter().enumerate() {
        let word = format!("cut{i}");
        sizes.insert(word.clone(), shape.size());
        let prompt = format!("reliability {word} a kite over dunes");
        let files_before = finished_files(&root).0;
        let rows_before = image_rows(&root.join(".easel/library.db"));
        let killed = run_and_kill(&fake, &root, &settings, shape, trigger, &prompt).await;
        fake.clear_faults();
        let (new_files, temps) = (finished_files(&root).0 - files_before, finished_files(&root).1);
        let new_rows = image_rows(&root.join(".easel/library.db")) - rows_before;
        let (root, mut v, s) = (root.clone(), std::mem::take(&mut verified), sizes.clone());
        let (v, (orphans, _)) = tokio::task::spawn_blocking(move || {
            let r = check_after_kill(&root, &mut v, &s, killed);
            (v, r)
        })
        .await
        .unwrap();
        verified = v;
        cuts.push(Cut {
            trigger,
            shape,
            killed,
            new_files,
            new_rows,
            orphans,
            temps,
        });
    }
    for c in &cuts {
        eprintln!(
            "{:<8?} {:<45} {:<10} +{} files, +{} rows, {} found by rescan, {} temp files",
            c.shape,
            format!("{:?}", c.trigger),
            if c.killed { "killed" } else { "finished" },
            c.new_files,
            c.new_rows,
            c.orphans,
            c.temps
        );
    }
    let killed = cuts.iter().filter(|c| c.killed).count();
    assert!(
        killed >= 12,
        "most runs must be killed mid-way, not finish first: {cuts:#?}"
    );
    assert!(
        cuts.iter()
            .any(|c| c.killed && c.shape == TenSmall && c.new_files > 0 && c.new_files < 10),
        "at least one kill landed in the middle of the save loop: {cuts:#?}"
    );
    eprintln!(
        "{} runs, {killed} killed mid-way, checked in {:.1?}",
        cuts.len(),
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------------
// 3. Damaged files and damaged index rows.

/// `png` with one more chunk (`kind`, `data`, correct CRC) right after IHDR.
fn with_chunk(png: &[u8], kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let after_ihdr = 8 + 12 + 13;
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    let mut out = png[..after_ihdr].to_vec();
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out.extend_from_slice(&png[after_ihdr..]);
    out
}

fn add(lib: &Library, prompt: &str, format: image::ImageFormat) -> easel::library::ImageRecord {
    let f = match format {
        image::ImageFormat::Png => OutputFormat::Png,
        image::ImageFormat::Jpeg => OutputFormat::Jpeg,
        _ => OutputFormat::Webp,
    };
    let bytes = common::encode(48, 32, format);
    lib.add_image(&bytes, &common::image_meta(prompt, f, 48, 32)).unwrap()
}

#[test]
fn reindex_skips_damaged_files_with_a_clear_reason_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lib = Library::open(root).unwrap();
    let good_png = add(&lib, "a good png of a heron", image::ImageFormat::Png);
    add(&lib, "another heron", image::ImageFormat::Png);
    let good_jpg = add(&lib, "a good jpeg heron", image::ImageFormat::Jpeg);
    let good_webp = add(&lib, "a good webp heron", image::ImageFormat::WebP);
    let trashed = add(&lib, "a trashed heron", image::ImageFormat::Png);
    lib.trash(&trashed.id).unwrap();
    let month = good_png.path.parent().unwrap().to_path_buf();
    let png = std::fs::read(&good_png.path).unwrap();
    let jpg = std::fs::read(&good_jpg.path).unwrap();
    let webp = std::fs::read(&good_webp.path).unwrap();
    let foreign = common::encode(16, 16, image::ImageFormat::Png);

    // name → (bytes, words the reason must contain)
    let mut bad: Vec<(&str, Vec<u8>, &str)> = vec![
        ("half.png", png[..png.len() / 2].to_vec(), "truncated"),
        ("no-iend.png", png[..png.len() - 12].to_vec(), "truncated"),
        ("empty.png", vec![], "not a PNG, JPEG or WebP"),
        (
            "text.png",
            b"hello, I am not an image".to_vec(),
            "not a PNG, JPEG or WebP",
        ),
        ("foreign.png", foreign.clone(), "no Easel metadata"),
        ("cut.jpg", jpg[..jpg.len() - 100].to_vec(), "truncated"),
        ("cut.webp", webp[..webp.len() / 2].to_vec(), "truncated"),
        ("nosidecar.jpg", jpg.clone(), "no Easel metadata"),
        ("badsidecar.jpg", jpg.clone(), "not valid JSON"),
        (
            "bad-json.png",
            with_chunk(&foreign, b"iTXt", b"easel\0\0\0\0\0{\"id\": oops"),
            "not valid JSON",
        ),
        (
            "bad-crc.png",
            {
                // A byte of the metadata JSON flipped: the chunk CRC no longer matches.
                let at = png.windows(8).position(|w| w == b"\"prompt\"").unwrap();
                let mut p = png.clone();
                p[at + 12] ^= 0x20;
                p
            },
            "damaged PNG",
        ),
        (
            "huge-chunk.png",
            {
                // A chunk that claims far more data than the file holds, IEND still at the end.
                let mut p = foreign[..33].to_vec();
                p.extend_from_slice(&0x1000_0000u32.to_be_bytes());
                p.extend_from_slice(b"tEXt");
                p.extend_from_slice(&[0u8; 64]);
                p.extend_from_slice(&foreign[foreign.len() - 12..]);
                p
            },
            "unreadable png header",
        ),
    ];
    for (name, bytes, _) in &bad {
        std::fs::write(month.join(name), bytes).unwrap();
    }
    std::fs::write(month.join("badsidecar.json"), b"{ this is not json").unwrap();
    // A truncated file in the trash, and things reindex must ignore without a word.
    let trash_dir = root.join(".easel/trash");
    std::fs::write(trash_dir.join("20250101-000000-cut-trash.png"), &png[..png.len() / 3]).unwrap();
    bad.push(("20250101-000000-cut-trash.png", vec![], "truncated"));
    std::fs::write(month.join(format!("{TEMP_PREFIX}abc123")), &png[..100]).unwrap();
    std::fs::write(month.join(format!("{TEMP_PREFIX}def456.png")), &png[..100]).unwrap();
    std::fs::write(month.join("notes.txt"), b"shopping list").unwrap();
    std::fs::create_dir(month.join("folder.png")).unwrap();

    let before: BTreeSet<String> = indexed(&lib).into_values().collect();
    let report = lib.reindex().expect("reindex reports damaged files instead of failing");
    let reasons: HashMap<String, String> = report
        .skipped
        .iter()
        .map(|(p, r)| (p.file_name().unwrap().to_string_lossy().into_owned(), r.clone()))
        .collect();
    for (name, _, words) in &bad {
        let reason = reasons
            .get(*name)
            .unwrap_or_else(|| panic!("{name} was not reported as skipped: {reasons:#?}"));
        assert!(reason.contains(words), "{name}: '{reason}' should say '{words}'");
    }
    assert_eq!(
        report.skipped.len(),
        bad.len(),
        "nothing else is reported: {reasons:#?}"
    );
    assert_eq!(report.indexed, 5, "the good images, the trashed one included");
    assert_eq!(lib.count().unwrap(), 5);
    assert_eq!(
        indexed(&lib).into_values().collect::<BTreeSet<_>>(),
        before,
        "same gallery"
    );
    assert!(lib.get(&trashed.id).unwrap().trashed);
    assert_eq!(lib.integrity_check().unwrap(), "ok");
    assert_eq!(fts_integrity(root), Ok(()));
    // A rescan (what the watcher runs) meets the same files without failing or indexing them.
    let rescan = lib.rescan().unwrap();
    assert!(rescan.added.is_empty() && rescan.removed.is_empty(), "{rescan:?}");

    // The CLI prints the same report.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_easel"))
        .args(["reindex"])
        .env("EASEL_LIBRARY", root)
        .env("EASEL_SETTINGS", root.join("settings.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("indexed 5 image(s)"), "{text}");
    assert!(text.contains("half.png: truncated png file"), "{text}");
}

/// Run the real binary on `root` and return (exit code, stdout, stderr); a panic is a test failure.
fn easel_on(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_easel"))
        .args(args)
        .env("EASEL_LIBRARY", root)
        .env("EASEL_SETTINGS", root.join("settings.json"))
        .env_remove("EASEL_LOG")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.code() != Some(101) && !stderr.contains("panicked"),
        "easel {args:?} panicked: {stderr}"
    );
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn sql(root: &Path, statement: &str) {
    let conn = rusqlite::Connection::open(root.join(".easel/library.db")).unwrap();
    conn.execute_batch(statement).unwrap();
}

#[test]
fn corrupt_index_rows_give_errors_or_fallbacks_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lib = Library::open(root).unwrap();
    let session = lib.create_session("herons").unwrap();
    let turn = |prompt| easel::session::NewTurn {
        prompt,
        ..Default::default()
    };
    let t1 = lib.add_turn(&session.id, turn("first")).unwrap();
    let t2 = lib.add_turn(&session.id, turn("second")).unwrap();
    let healthy = lib.create_session("healthy").unwrap();
    lib.add_turn(&healthy.id, turn("fine")).unwrap();
    let jpg = add(&lib, "a jpeg heron", image::ImageFormat::Jpeg);
    let meta_broken = add(&lib, "a heron with broken stored metadata", image::ImageFormat::Png);
    let job = lib.create_job("generate", None).unwrap();
    lib.update_job(&job.id, easel::job::JobState::Done, None, None).unwrap();
    drop(lib);

    // Damage written behind Easel's back, as a bad disk, a bug in an old version or a user's SQL would.
    sql(
        root,
        &format!(
            "UPDATE turns SET params = '{{not json' WHERE id = '{}';
             UPDATE turns SET usage = 'nope' WHERE id = '{}';
             UPDATE images SET format = 'bmp' WHERE id = '{}';
             UPDATE images SET meta = 'garbage' WHERE id = '{}';
             UPDATE jobs SET state = 'exploded', images = '{{' WHERE id = '{}';
             INSERT INTO changes (at_ms, kind, id) VALUES (0, 'martian', 'x');",
            t1.id, t2.id, jpg.id, meta_broken.id, job.id
        ),
    );
    let lib = Library::open(root).unwrap();

    // The turn with bad parameters: an error naming the problem, for it and its session's tree only.
    let e = lib.turn(&t1.id).unwrap_err().to_string();
    assert!(e.contains("bad JSON"), "{e}");
    assert!(lib.session_tree(&session.id).is_err());
    assert!(lib.last_turn(&session.id).is_err());
    assert_eq!(
        lib.get_session(&session.id).unwrap().turns,
        2,
        "the session itself still reads"
    );
    assert_eq!(lib.list_sessions(true, 100).unwrap().len(), 2);
    assert_eq!(
        lib.session_tree(&healthy.id).unwrap().turns.len(),
        1,
        "other sessions unaffected"
    );
    // Unreadable usage degrades to none.
    assert_eq!(lib.turn(&t2.id).unwrap().usage, None);
    // An unknown stored format degrades to a value instead of failing the gallery.
    assert_eq!(lib.get(&jpg.id).unwrap().id, jpg.id);
    assert_eq!(lib.search(&Query::default()).unwrap().len(), 2);
    // Unreadable stored metadata: an error for that call, the record itself still reads.
    let e = lib.meta(&meta_broken.id).unwrap_err().to_string();
    assert!(e.contains(&meta_broken.id), "{e}");
    assert_eq!(lib.get(&meta_broken.id).unwrap().prompt, meta_broken.prompt);
    // A job in an unknown state with unreadable images is failed on open (its process is gone).
    let j = lib.get_job(&job.id).unwrap();
    assert_eq!((j.state, j.images.len()), (easel::job::JobState::Failed, 0), "{j:?}");
    // Unknown change kinds are skipped by the event feed.
    let rows: i64 = rusqlite::Connection::open(root.join(".easel/library.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(lib.changes_since(0, 1000).unwrap().len() as i64, rows - 1);

    // Values of the wrong type in image rows: the gallery query fails with a message, it does not panic.
    drop(lib);
    sql(
        root,
        &format!(
            "UPDATE images SET width = -5, created_ms = 'yesterday' WHERE id = '{}'",
            jpg.id
        ),
    );
    let lib = Library::open(root).unwrap();
    let e = lib.get(&jpg.id).unwrap_err().to_string();
    assert!(e.contains("created_ms"), "the error names the damaged column: {e}");
    match lib.search(&Query::default()) {
        // Today one damaged row fails the whole page…
        Err(e) => assert!(e.to_string().contains("created_ms"), "{e}"),
        // …skipping it (and logging it) would be the graceful alternative.
        Ok(page) => assert_eq!(page.iter().map(|r| &r.id).collect::<Vec<_>>(), vec![&meta_broken.id]),
    }
    assert_eq!(lib.integrity_check().unwrap(), "ok");

    // The command line on the same damage: errors with exit code 1, never a panic.
    let (code, _, err) = easel_on(root, &["session", &session.id]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("bad JSON"), "{err}");
    let (code, out, err) = easel_on(root, &["session", &healthy.id, "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("fine"));
    for args in [
        &["search", "heron", "--json"][..],
        &["sessions", "--json"],
        &["jobs", "--json"],
        &["usage", "--json"],
    ] {
        easel_on(root, args);
    }
}

#[test]
fn an_index_from_a_newer_easel_or_not_a_database_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    drop(Library::open(root).unwrap());
    sql(root, "PRAGMA user_version = 99");
    let e = Library::open(root).err().expect("refused").to_string();
    assert!(e.contains("newer than this Easel understands"), "{e}");
    let (code, _, err) = easel_on(root, &["jobs"]);
    assert_eq!(code, 1);
    assert!(err.contains("update Easel"), "{err}");

    for f in ["library.db-wal", "library.db-shm"] {
        let _ = std::fs::remove_file(root.join(".easel").join(f));
    }
    std::fs::write(root.join(".easel/library.db"), vec![0x5a; 64 * 1024]).unwrap();
    let e = Library::open(root).err().expect("refused").to_string();
    assert!(e.contains("not a database"), "{e}");
}

#[test]
fn a_copied_image_file_is_reported_not_silently_dropped() {
    // A user duplicates an image in the file manager: two files carry one Easel id.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lib = Library::open(root).unwrap();
    let original = add(&lib, "a heron to copy", image::ImageFormat::Png);
    add(&lib, "a second heron", image::ImageFormat::Png);
    let copy = original.path.with_file_name("a heron to copy (copy).png");
    std::fs::copy(&original.path, &copy).unwrap();

    let report = lib.reindex().unwrap();
    assert_eq!(
        report.indexed as u64,
        lib.count().unwrap(),
        "the report counts only what is in the index: {report:?}"
    );
    assert_eq!(
        report.indexed + report.skipped.len(),
        3,
        "every file is accounted for: {report:?}"
    );
    assert_eq!(
        lib.get(&original.id).unwrap().path,
        original.path,
        "the original keeps its row"
    );
    assert_eq!(fts_integrity(root), Ok(()));
    // The rescan the watcher runs must settle, not flip the row between the two files each time.
    lib.rescan().unwrap();
    let again = lib.rescan().unwrap();
    assert!(again.added.is_empty() && again.removed.is_empty(), "{again:?}");
    assert_eq!(lib.get(&original.id).unwrap().path, original.path);
    assert_eq!(fts_integrity(root), Ok(()));
}

#[test]
fn reindex_rebuilds_an_index_that_is_not_a_database() {
    // The spec: the index is rebuildable from the files alone with `easel reindex`, whatever happened to it.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lib = Library::open(root).unwrap();
    for p in ["a heron", "an egret", "a stork"] {
        add(&lib, p, image::ImageFormat::Png);
    }
    drop(lib);
    for f in ["library.db-wal", "library.db-shm"] {
        let _ = std::fs::remove_file(root.join(".easel").join(f));
    }
    std::fs::write(root.join(".easel/library.db"), vec![0x5a; 64 * 1024]).unwrap();
    let (code, out, err) = easel_on(root, &["reindex", "--json"]);
    assert_eq!(code, 0, "easel reindex on a damaged index: {err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["indexed"], 3);
    let lib = Library::open(root).unwrap();
    assert_eq!(lib.count().unwrap(), 3);
    assert_eq!(lib.integrity_check().unwrap(), "ok");
}

#[test]
fn search_stays_right_after_an_image_is_moved_within_the_library() {
    // A user tidies up in the file manager: an image moves to another folder of the library. The rescan
    // (what the watcher runs) re-points its row; the full-text index must follow, or a later image that
    // takes over the old row number is found by the moved image's words.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lib = Library::open(root).unwrap();
    add(&lib, "a heron", image::ImageFormat::Png);
    let moved = add(&lib, "a second heron", image::ImageFormat::Png);
    std::fs::create_dir(root.join("favourites")).unwrap();
    let to = root.join("favourites/heron.png");
    std::fs::rename(&moved.path, &to).unwrap();
    assert_eq!(lib.rescan().unwrap().added, vec![moved.id.clone()]);
    assert_eq!(lib.get(&moved.id).unwrap().path, to);
    assert_eq!(
        fts_integrity(root),
        Ok(()),
        "the FTS index matches the images after the move"
    );

    lib.trash(&moved.id).unwrap();
    assert_eq!(lib.empty_trash().unwrap(), 1);
    let owl = add(&lib, "an owl", image::ImageFormat::Png);
    let found: Vec<String> = lib
        .search(&Query {
            text: Some("second".into()),
            ..Query::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| format!("{} ({})", r.prompt, r.id))
        .collect();
    assert!(
        found.is_empty(),
        "'second' matches no image any more, yet search returns {found:?} (the owl is {})",
        owl.id
    );
}
