//! The library on real folders and a real SQLite file: saving with embedded metadata, search, star,
//! trash/restore/empty, reindex from the files alone (with corrupt files), and the sessions tree.

mod common;

use std::path::Path;

use easel::Error;
use easel::library::{Library, Query};
use easel::metadata::{self, ImageMeta};
use easel::models::{ImageParams, OutputFormat};
use easel::session::NewTurn;

fn meta(prompt: &str, format: OutputFormat, w: u32, h: u32) -> ImageMeta {
    common::image_meta(prompt, format, w, h)
}

fn add(lib: &Library, prompt: &str) -> easel::library::ImageRecord {
    let bytes = common::encode(64, 48, image::ImageFormat::Png);
    lib.add_image(&bytes, &meta(prompt, OutputFormat::Png, 64, 48)).unwrap()
}

fn ids(records: &[easel::library::ImageRecord]) -> Vec<String> {
    records.iter().map(|r| r.id.clone()).collect()
}

fn text(q: &str) -> Query {
    Query {
        text: Some(q.into()),
        ..Query::default()
    }
}

#[test]
fn saved_images_carry_their_metadata_and_keep_their_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(dir.path()).unwrap();
    let source = common::encode(64, 48, image::ImageFormat::Png);
    let m = meta("A red fox in the snow", OutputFormat::Png, 64, 48);
    let rec = lib.add_image(&source, &m).unwrap();

    let rel = rec.path.strip_prefix(dir.path()).unwrap();
    assert_eq!(rel.components().count(), 3, "YYYY/MM/file: {rel:?}");
    assert!(
        rec.path
            .to_string_lossy()
            .ends_with(&format!("-a-red-fox-in-the-snow-{}.png", m.id))
    );
    assert_eq!(
        metadata::read_for_file(&rec.path).unwrap(),
        Some(m.clone()),
        "metadata embedded in the PNG"
    );
    let saved = image::open(&rec.path).unwrap().to_rgba8();
    let original = image::load_from_memory(&source).unwrap().to_rgba8();
    assert_eq!(saved, original, "pixels unchanged");
    assert_eq!(lib.get(&m.id).unwrap(), rec);
    assert_eq!(lib.meta(&m.id).unwrap(), m);

    let jpeg = common::encode(32, 32, image::ImageFormat::Jpeg);
    let mj = meta("a jpeg", OutputFormat::Jpeg, 32, 32);
    let rj = lib.add_image(&jpeg, &mj).unwrap();
    assert_eq!(std::fs::read(&rj.path).unwrap(), jpeg, "JPEG bytes untouched");
    assert_eq!(
        metadata::read_for_file(&rj.path).unwrap(),
        Some(mj),
        "sidecar beside it"
    );
    assert!(metadata::sidecar_path(&rj.path).exists());
}

#[test]
fn search_star_trash_restore_and_empty() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(dir.path()).unwrap();
    let fox = add(&lib, "A red fox in the snow");
    let owl = add(&lib, "An owl at night");
    let fox2 = add(&lib, "Foxes playing");

    assert_eq!(
        ids(&lib.search(&text("fox")).unwrap()),
        vec![fox2.id.clone(), fox.id.clone()],
        "prefix, newest first"
    );
    assert_eq!(ids(&lib.search(&text("OWL night")).unwrap()), vec![owl.id.clone()]);
    assert!(
        lib.search(&text("\"(AND")).unwrap().is_empty(),
        "FTS syntax in user text is harmless"
    );
    assert_eq!(lib.search(&Query::default()).unwrap().len(), 3);
    let one_page = Query {
        limit: Some(1),
        offset: 1,
        ..text("fox")
    };
    assert_eq!(lib.search(&one_page).unwrap().len(), 1);
    assert_eq!(
        lib.search_count(&one_page).unwrap(),
        2,
        "the count ignores limit and offset"
    );
    assert_eq!(lib.search_count(&Query::default()).unwrap(), 3);

    lib.star(&owl.id, true).unwrap();
    let starred = Query {
        starred: Some(true),
        ..Query::default()
    };
    assert_eq!(ids(&lib.search(&starred).unwrap()), vec![owl.id.clone()]);

    let trashed = lib.trash(&fox.id).unwrap();
    assert!(trashed.trashed && trashed.path.starts_with(dir.path().join(".easel/trash")));
    assert!(!fox.path.exists() && trashed.path.exists());
    assert_eq!(
        ids(&lib.search(&text("fox")).unwrap()),
        vec![fox2.id.clone()],
        "hidden from the gallery"
    );
    let trash = Query {
        trashed: true,
        ..Query::default()
    };
    assert_eq!(ids(&lib.search(&trash).unwrap()), vec![fox.id.clone()]);
    assert_eq!(lib.search_count(&trash).unwrap(), 1);
    assert_eq!(lib.search_count(&starred).unwrap(), 1);

    let restored = lib.restore(&fox.id).unwrap();
    assert_eq!(restored.path, fox.path);
    assert!(fox.path.exists());

    lib.trash(&fox.id).unwrap();
    assert_eq!(lib.empty_trash().unwrap(), 1);
    assert!(!trashed.path.exists(), "emptying the trash deletes the file");
    assert!(matches!(lib.get(&fox.id), Err(Error::UnknownId { .. })));
    assert!(matches!(lib.star("nope", true), Err(Error::UnknownId { .. })));
    assert_eq!(lib.integrity_check().unwrap(), "ok");
}

#[test]
fn reindex_rebuilds_the_same_index_from_the_files_and_skips_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (before_all, before_fox) = {
        let lib = Library::open(dir.path()).unwrap();
        for p in ["a red fox", "an owl", "a fox cub", "a whale"] {
            add(&lib, p);
        }
        let gone = add(&lib, "trashed fox");
        lib.trash(&gone.id).unwrap();
        (
            ids(&lib.search(&Query::default()).unwrap()),
            ids(&lib.search(&text("fox")).unwrap()),
        )
    };
    // Foreign, corrupt and truncated files in the library.
    let month = std::fs::read_dir(dir.path().join(jiff::Zoned::now().strftime("%Y").to_string()))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(
        month.join("holiday.png"),
        common::encode(16, 16, image::ImageFormat::Png),
    )
    .unwrap();
    std::fs::write(month.join("garbage.png"), b"not an image at all").unwrap();
    let mut truncated = std::fs::read(lib_first_png(&month)).unwrap();
    truncated.truncate(truncated.len() / 2);
    std::fs::write(month.join("truncated.png"), truncated).unwrap();

    std::fs::remove_file(dir.path().join(".easel/library.db")).unwrap();
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!(".easel/library.db{ext}")));
    }
    let lib = Library::open(dir.path()).unwrap();
    assert!(lib.search(&Query::default()).unwrap().is_empty(), "a fresh index");
    let report = lib.reindex().unwrap();
    assert_eq!(report.indexed, 5);
    let reasons: Vec<String> = report
        .skipped
        .iter()
        .map(|(p, r)| format!("{} {r}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    assert_eq!(report.skipped.len(), 3, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("holiday.png") && r.contains("no Easel metadata")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("garbage.png") && r.contains("not a PNG")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("truncated.png") && r.contains("truncated")),
        "{reasons:?}"
    );

    assert_eq!(ids(&lib.search(&Query::default()).unwrap()), before_all, "same gallery");
    assert_eq!(
        ids(&lib.search(&text("fox")).unwrap()),
        before_fox,
        "same search results"
    );
    let trash = Query {
        trashed: true,
        ..Query::default()
    };
    assert_eq!(lib.search(&trash).unwrap().len(), 1, "the trash survives a reindex");
}

fn lib_first_png(dir: &Path) -> std::path::PathBuf {
    let mut pngs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "png") && p.file_name().unwrap().to_string_lossy().starts_with("20")
        })
        .collect();
    pngs.sort();
    pngs.remove(0)
}

#[test]
fn sessions_are_trees_and_continuing_from_any_turn_branches() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(dir.path()).unwrap();
    let s = lib.create_session("Poster").unwrap();
    fn turn<'a>(parent: Option<&'a str>, prompt: &'a str) -> NewTurn<'a> {
        NewTurn {
            parent_id: parent,
            prompt,
            params: ImageParams::default(),
            cost_usd: 0.01,
            ..NewTurn::default()
        }
    }
    let t1 = lib.add_turn(&s.id, turn(None, "a poster")).unwrap();
    let t2 = lib.add_turn(&s.id, turn(Some(&t1.id), "bluer")).unwrap();
    let t3 = lib
        .add_turn(&s.id, turn(Some(&t1.id), "greener: a branch from turn 1"))
        .unwrap();
    let t4 = lib.add_turn(&s.id, turn(Some(&t2.id), "bigger title")).unwrap();

    let tree = lib.session_tree(&s.id).unwrap();
    let shape: Vec<(String, Option<String>)> = tree.turns.iter().map(|t| (t.id.clone(), t.parent_id.clone())).collect();
    assert_eq!(
        shape,
        vec![
            (t1.id.clone(), None),
            (t2.id.clone(), Some(t1.id.clone())),
            (t3.id.clone(), Some(t1.id.clone())),
            (t4.id.clone(), Some(t2.id.clone())),
        ]
    );
    assert_eq!(tree.session.turns, 4);
    assert!((tree.session.cost_usd - 0.04).abs() < 1e-9);
    assert_eq!(lib.last_turn(&s.id).unwrap().unwrap().id, t4.id);

    let other = lib.create_session("").unwrap();
    assert_eq!(other.name, "Untitled session");
    let e = lib.add_turn(&other.id, turn(Some(&t1.id), "x")).unwrap_err();
    assert!(e.to_string().contains("belongs to session"), "{e}");
    assert!(matches!(
        lib.add_turn("s_nope", turn(None, "x")),
        Err(Error::UnknownId { kind: "session", .. })
    ));

    lib.rename_session(&s.id, "Poster v2").unwrap();
    lib.archive_session(&other.id, true).unwrap();
    let listed: Vec<String> = lib
        .list_sessions(false, 50)
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(listed, vec!["Poster v2".to_string()]);
    assert_eq!(lib.list_sessions(true, 50).unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_from_another_opener_arrive_as_events_within_a_second() {
    use easel::library::Event;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let watcher = Arc::new(Library::open(dir.path()).unwrap());
    let mut events = watcher.watch().unwrap();
    // A second, independent opener: its own SQLite connection, as another process would have.
    let other = Library::open(dir.path()).unwrap();
    let started = Instant::now();
    let rec = add(&other, "made elsewhere");
    let session = other.create_session("elsewhere").unwrap();
    other.star(&rec.id, true).unwrap();

    let mut seen = Vec::new();
    while seen.len() < 3 {
        let e = tokio::time::timeout(Duration::from_secs(1), events.recv())
            .await
            .expect("within 1 s")
            .unwrap();
        seen.push(e);
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        seen,
        vec![
            Event::ImageAdded { id: rec.id.clone() },
            Event::SessionChanged { id: session.id.clone() },
            Event::ImageChanged { id: rec.id.clone() },
        ]
    );

    // After a quiet spell the feed only looks at the index's WAL between changes; a change still arrives.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let started = Instant::now();
    other.star(&rec.id, false).unwrap();
    let e = tokio::time::timeout(Duration::from_secs(1), events.recv())
        .await
        .expect("within 1 s after a quiet spell")
        .unwrap();
    assert_eq!(e, Event::ImageChanged { id: rec.id.clone() });
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_added_or_deleted_outside_easel_are_reconciled() {
    use easel::library::Event;
    use std::sync::Arc;
    use std::time::Duration;

    let elsewhere = tempfile::tempdir().unwrap();
    let other = Library::open(elsewhere.path()).unwrap();
    let imported = add(&other, "made in another library");

    let dir = tempfile::tempdir().unwrap();
    let lib = Arc::new(Library::open(dir.path()).unwrap());
    let keep = add(&lib, "keep me");
    let doomed = add(&lib, "delete me outside");

    // A rescan (what runs at start) sees both kinds of change.
    std::fs::remove_file(&doomed.path).unwrap();
    let dest = dir.path().join("imported.png");
    std::fs::copy(&imported.path, &dest).unwrap();
    let report = lib.rescan().unwrap();
    assert_eq!(report.removed, vec![doomed.id.clone()]);
    assert_eq!(report.added, vec![imported.id.clone()]);
    assert_eq!(lib.get(&imported.id).unwrap().path, dest);
    assert!(lib.get(&keep.id).is_ok());
    assert_eq!(lib.rescan().unwrap(), Default::default(), "idempotent");

    // Temp files of writes that never finished are deleted once they are old; fresh ones are left alone.
    let month = keep.path.parent().unwrap();
    let (stale, fresh) = (month.join(".easel-tmp-stale"), month.join(".easel-tmp-fresh"));
    std::fs::write(&stale, b"half an image").unwrap();
    std::fs::write(&fresh, b"being written").unwrap();
    let old = std::time::SystemTime::now() - easel::library::STALE_TEMP_AGE - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    assert_eq!(lib.rescan().unwrap().stale_temps, 1);
    assert!(!stale.exists() && fresh.exists());
    std::fs::remove_file(&fresh).unwrap();

    // The watcher does the same live, and the change feed reports it.
    let mut events = lib.watch().unwrap();
    let _watcher = lib.watch_files().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::remove_file(&keep.path).unwrap();
    let e = tokio::time::timeout(Duration::from_secs(3), events.recv())
        .await
        .expect("reconciled")
        .unwrap();
    assert_eq!(e, Event::ImageRemoved { id: keep.id.clone() });
    assert!(lib.get(&keep.id).is_err());
}

#[test]
fn thumbnails_are_cached_and_previews_fit_mcp_limits() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(dir.path()).unwrap();
    let bytes = common::encode(2048, 1024, image::ImageFormat::Png);
    let rec = lib
        .add_image(&bytes, &meta("wide", OutputFormat::Png, 2048, 1024))
        .unwrap();
    let thumb = lib.thumbnail(&rec.id, 384).unwrap();
    assert!(thumb.starts_with(lib.thumbs_dir()));
    let img = image::load_from_memory(&std::fs::read(&thumb).unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (384, 192), "long edge 384, aspect kept");
    let modified = std::fs::metadata(&thumb).unwrap().modified().unwrap();
    assert_eq!(lib.thumbnail(&rec.id, 384).unwrap(), thumb);
    assert_eq!(
        std::fs::metadata(&thumb).unwrap().modified().unwrap(),
        modified,
        "served from the cache"
    );

    let preview = lib.preview(&rec.id).unwrap();
    assert!(preview.width <= 1568 && preview.height <= 1568);
    assert!(preview.bytes.len() <= 700_000);
    assert!(matches!(lib.thumbnail("nope", 384), Err(Error::UnknownId { .. })));
}

#[tokio::test]
async fn a_job_runs_to_done_or_is_cancelled_and_the_state_is_persisted() {
    use easel::job::{JobState, run};
    use easel::openai::Control;
    use std::sync::Arc;
    use std::time::Duration;

    let fake = common::fake().await;
    let client = common::client(&fake);
    let dir = tempfile::tempdir().unwrap();
    let lib = Arc::new(Library::open(dir.path()).unwrap());
    let work = common::generate_work;

    let done = run(&lib, &client, work("a finished job"), &Control::new())
        .await
        .unwrap();
    assert_eq!(done.job.state, JobState::Done);
    assert_eq!(done.job.images, vec![done.images[0].id.clone()]);
    assert_eq!(lib.get_job(&done.job.id).unwrap().state, JobState::Done);
    let thumb = easel::thumbs::thumb_path(&lib.thumbs_dir(), &done.images[0].id, easel::thumbs::THUMB_EDGE);
    for _ in 0..50 {
        if thumb.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(thumb.exists(), "thumbnail made in the background");

    fake.push_fault(fake_openai::Fault::Delay { ms: 10_000 });
    let ctl = Control::new();
    let cancel = ctl.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cancel.cancel();
    });
    let e = run(&lib, &client, work("a cancelled job"), &ctl).await.unwrap_err();
    assert!(matches!(e, Error::Cancelled), "{e:?}");
    let jobs = lib.list_jobs(10).unwrap();
    assert_eq!(jobs[0].state, JobState::Cancelled);
    assert_eq!(jobs.len(), 2);
    assert_eq!(
        lib.search(&Query::default()).unwrap().len(),
        1,
        "nothing saved for the cancelled job"
    );
}
