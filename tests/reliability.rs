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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn is_temp(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(TEMP_PREFIX))
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
            .args(["generate", &prompt, "-n", "10", "--quality", "low", "--size", "1024x1024"])
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
        assert_eq!(printed.len(), IMAGES_PER_RUN, "writer {w} run {run} printed {printed:?}");
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
    let ((paths_a, spans_a), (paths_b, spans_b)) = tokio::join!(
        writer(&fake, &root, &settings, 0),
        writer(&fake, &root, &settings, 1)
    );
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
                        assert_eq!((img.width(), img.height()), (1024, 1024));
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
