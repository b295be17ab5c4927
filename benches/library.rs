//! `cargo bench -p easel --bench library`: the library at gallery scale, on a real SQLite file.
//!
//! Set-up: a fresh library whose index holds 100,000 images. They are inserted in bulk with rusqlite in one
//! transaction, with exactly the columns `Library::add_image` writes (schema of `library/db.rs`, FTS kept
//! by its triggers); prompts are 6–24 words drawn with a skewed distribution from a ~300-word image vocabulary
//! (plus a revised prompt for half of them), so FTS has real posting lists to merge. Creation times climb
//! over two years in insertion order, 6 models, 5% starred, 2% trashed, 30% in one of 2,000 sessions; each
//! row carries its full metadata JSON like a real one. Those rows have no files: nothing measured here
//! reads image files. Then, on that index, real images go through the public API (`add_image`).
//!
//! Measured (the OS page cache is warm, as in a running app):
//! - `Library::search` with text (FTS5, prefix words, newest first, 200 per page);
//! - the first gallery page (200, newest first) without and with filters;
//! - `add_image` of a small real PNG (metadata embedded, temp file + fsync + rename + folder fsync, index row);
//! - `Library::open` of the 100k index;
//! - thumbnails of 1024×1024 noisy PNGs (`thumbs::generate_many`, all cores) and MCP previews (`thumbs::preview`).
//!
//! Prints a Markdown table for BENCHMARKS.md.

mod measure;
use measure::{machine, ms};

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use easel::library::{Library, Query};
use easel::models::OutputFormat;

const IMAGES: usize = 100_000;
const MODELS: [&str; 6] = [
    "gpt-image-2",
    "gpt-image-1.5",
    "gpt-image-1",
    "gpt-image-1-mini",
    "dall-e-3",
    "dall-e-2",
];

const WORDS: &str = "a the of in on with and at by under over portrait landscape city street night morning \
    sunset sunrise forest mountain river lake ocean beach desert snow rain fog storm cloud sky star moon sun \
    red blue green yellow orange purple pink black white golden silver neon pastel vibrant muted dark bright \
    cat dog fox owl heron eagle horse whale dragon robot astronaut knight wizard girl boy woman man child \
    old young smiling serious tiny giant ancient futuristic medieval cyberpunk steampunk victorian modern \
    minimalist surreal abstract realistic photorealistic cinematic watercolor oil painting sketch pencil ink \
    charcoal pixel art anime comic poster illustration photograph render 3d isometric low poly lighthouse \
    castle temple bridge tower village market cafe kitchen library garden greenhouse train tram bicycle car \
    ship boat submarine airship balloon kite umbrella lantern candle fire smoke glass crystal marble wood \
    stone metal paper fabric velvet silk leather fur feather flower rose tulip sunflower cherry blossom oak \
    pine palm cactus mushroom moss ivy wave waterfall cave canyon volcano glacier island harbor pier alley \
    rooftop balcony window door staircase corridor hall room bedroom studio workshop laboratory factory \
    warehouse station airport highway road path trail field meadow farm barn orchard vineyard reflection \
    shadow silhouette glow light dramatic soft warm cold moody dreamy gloomy cheerful peaceful chaotic \
    detailed intricate simple clean bold delicate macro wide angle closeup aerial view top down symmetrical \
    bokeh depth film grain vintage retro 1920s 1970s 1980s noir sepia monochrome high contrast studio \
    lighting golden hour blue hour backlit rim volumetric rays mist dust sparkles reflections puddles \
    wet cobblestone brick concrete rust graffiti mural stained tapestry mosaic origami clay felt lego \
    chess coffee tea bread cake fruit apple lemon orange cheese wine bottle cup bowl plate table chair \
    sofa lamp clock mirror book map globe telescope compass camera guitar piano violin drum";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// A skewed word pick: low indexes (common words) far more often than high ones.
fn word<'a>(words: &[&'a str], rng: &mut fastrand::Rng) -> &'a str {
    let u = rng.f64();
    words[((u * u * u) * words.len() as f64) as usize]
}

fn prompt(words: &[&str], rng: &mut fastrand::Rng, min: usize, max: usize) -> String {
    let n = rng.usize(min..=max);
    (0..n).map(|_| word(words, rng)).collect::<Vec<_>>().join(" ")
}

/// Words people search for: the vocabulary without the stop words.
fn content_words<'a>(words: &[&'a str]) -> Vec<&'a str> {
    const STOP: [&str; 11] = ["a", "the", "of", "in", "on", "with", "and", "at", "by", "under", "over"];
    words.iter().copied().filter(|w| !STOP.contains(w)).collect()
}

/// Four classes of searches, 100 queries in all:
/// - 1–3 whole words (skewed to common words, like the prompts);
/// - a word being typed (its first 3–6 letters);
/// - phrases with stop words, as people paste prompt fragments ("a red fox", "the castle");
/// - the first keystrokes of instant search (1–2 letters), the worst case for prefix matching.
fn search_queries(words: &[&str], rng: &mut fastrand::Rng) -> Vec<(&'static str, Vec<String>)> {
    let content = content_words(words);
    let typed = |rng: &mut fastrand::Rng, min: usize| {
        let w = word(&content, rng);
        w[..w.len().min(rng.usize(min..=min + 3))].to_string()
    };
    let whole = (0..50)
        .map(|_| {
            (0..rng.usize(1..=3))
                .map(|_| word(&content, rng))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let prefixes = (0..25).map(|_| typed(rng, 3)).collect();
    let stop = (0..15)
        .map(|_| {
            let article = ["a", "the", "on", "in", "with"][rng.usize(..5)];
            format!(
                "{article} {}",
                (0..rng.usize(1..=2))
                    .map(|_| word(&content, rng))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
        .collect();
    let first_keys = (0..10)
        .map(|_| {
            let w = word(&content, rng);
            w[..rng.usize(1..=2).min(w.len())].to_string()
        })
        .collect();
    vec![
        ("1–3 whole words", whole),
        ("a word being typed (3–6 letters)", prefixes),
        ("phrases with stop words", stop),
        ("first keystrokes (1–2 letters)", first_keys),
    ]
}

/// One table row: timings of one operation against its target.
struct Row {
    name: String,
    p50: Duration,
    p95: Duration,
    /// The statistic the target applies to, and the target.
    target: Option<(Stat, Duration)>,
    /// How the target is written when it is not a time limit.
    target_text: Option<String>,
    note: String,
}

#[derive(Clone, Copy)]
enum Stat {
    P50,
    P95,
    Once,
}

impl Row {
    fn timed(name: &str, mut samples: Vec<Duration>, target: Option<(Stat, Duration)>) -> Row {
        samples.sort();
        Row {
            name: name.to_string(),
            p50: percentile(&samples, 0.50),
            p95: percentile(&samples, 0.95),
            target,
            target_text: None,
            note: format!("{} runs", samples.len()),
        }
    }
    fn cells(&self) -> (String, String) {
        let Some((stat, target)) = self.target else {
            return ("–".into(), "–".into());
        };
        let (label, value) = match stat {
            Stat::P50 => ("median", self.p50),
            Stat::P95 => ("p95", self.p95),
            Stat::Once => ("", self.p50),
        };
        let ratio = value.as_secs_f64() / target.as_secs_f64();
        let verdict = if ratio <= 1.0 { "✅" } else { "❌ missed" };
        let text = self
            .target_text
            .clone()
            .unwrap_or_else(|| format!("{label} ≤ {}", ms(target)).trim().to_string());
        (text, format!("{ratio:.2}× {verdict}"))
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

/// Bulk-load `IMAGES` rows with the same columns as `add_image` (see the module docs).
fn bulk_load(root: &Path, words: &[&str], rng: &mut fastrand::Rng) -> (i64, i64) {
    let mut conn = rusqlite::Connection::open(root.join(".easel/library.db")).unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    let tx = conn.transaction().unwrap();
    let start_ms = jiff::Timestamp::now().as_millisecond() - 2 * 365 * 86_400_000;
    let step = 2 * 365 * 86_400_000 / IMAGES as i64;
    let mut created = start_ms;
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO images (id, path, original_path, created_ms, prompt, revised_prompt, model, provider, \
                 operation, width, height, format, bytes, cost_usd, session_id, turn_id, starred, trashed_ms, tags, meta) \
                 VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, 'openai', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )
            .unwrap();
        for i in 0..IMAGES {
            created += rng.i64(step / 2..step * 3 / 2);
            let at = jiff::Timestamp::from_millisecond(created).unwrap();
            let p = prompt(words, rng, 6, 24);
            let revised = rng.bool().then(|| format!("{p}, {}", prompt(words, rng, 10, 30)));
            let model = MODELS[(rng.f64().powi(2) * MODELS.len() as f64) as usize];
            let format = [
                OutputFormat::Png,
                OutputFormat::Png,
                OutputFormat::Jpeg,
                OutputFormat::Webp,
            ][rng.usize(..4)];
            let (w, h) = [(1024, 1024), (1536, 1024), (1024, 1536)][rng.usize(..3)];
            let mut meta = common::image_meta(&p, format, w, h);
            meta.id = format!("{:012x}", i as u64 * 7_919 + 1_000_000_007);
            meta.created_at = at.to_string();
            meta.model = model.to_string();
            meta.revised_prompt = revised.clone();
            meta.session_id = (rng.f64() < 0.3).then(|| format!("s_{:06}", rng.usize(..2_000)));
            meta.tags = if rng.f64() < 0.1 {
                vec![word(words, rng).to_string()]
            } else {
                vec![]
            };
            let zoned = at.to_zoned(jiff::tz::TimeZone::system());
            let rel = easel::library::relative_image_path(&zoned, &p, &meta.id, format.extension())
                .to_string_lossy()
                .into_owned();
            let json = String::from_utf8(easel::metadata::to_json(&meta).unwrap()).unwrap();
            let starred = rng.f64() < 0.05;
            let trashed = (rng.f64() < 0.02).then_some(created + 86_400_000);
            stmt.execute(rusqlite::params![
                meta.id,
                rel,
                created,
                p,
                revised,
                model,
                if rng.f64() < 0.2 { "edit" } else { "generate" },
                w,
                h,
                format.as_str(),
                rng.i64(1_000_000..4_000_000),
                rng.f64() * 0.2,
                meta.session_id,
                None::<String>,
                starred,
                trashed,
                meta.tags.join(" "),
                json,
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    (start_ms, created)
}

fn main() {
    // The allocator settings of the binaries that make thumbnails and previews (`easel mcp`, the app).
    easel::memory::tune();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("library");
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut rng = fastrand::Rng::with_seed(42);
    let mut rows = Vec::new();

    drop(Library::open(&root).unwrap());
    let ((first_ms, last_ms), load) = time(|| bulk_load(&root, &words, &mut rng));
    let db_mb = std::fs::metadata(root.join(".easel/library.db")).unwrap().len() as f64 / 1e6;
    eprintln!("indexed {IMAGES} rows in {load:.1?} ({db_mb:.0} MB)");

    // Library::open on the 100k index (first open after the load, then repeated).
    let mut opens = Vec::new();
    for _ in 0..30 {
        let (lib, t) = time(|| Library::open(&root).unwrap());
        opens.push(t);
        drop(lib);
    }
    let first_open = opens[0];
    let mut row = Row::timed(
        "Library::open, 100k index",
        opens,
        Some((Stat::P95, Duration::from_millis(100))),
    );
    row.note = format!("30 opens, first {}", ms(first_open));
    rows.push(row);

    let lib = Library::open(&root).unwrap();
    assert_eq!(lib.count().unwrap(), IMAGES as u64);

    // Full-text search: what people type, in four classes (see `search_queries`).
    let classes = search_queries(&words, &mut rng);
    let mut all_search = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    for (class, queries) in &classes {
        let mut samples = Vec::new();
        let mut hits = 0;
        for _ in 0..3 {
            for q in queries {
                let query = Query {
                    text: Some(q.clone()),
                    ..Query::default()
                };
                let (found, t) = time(|| lib.search(&query).unwrap());
                hits += found.len();
                samples.push(t);
                slowest.push((t, q.clone()));
            }
        }
        all_search.extend(samples.iter().copied());
        let mut row = Row::timed(
            &format!("FTS search, {class}"),
            samples.clone(),
            Some((Stat::P95, Duration::from_millis(20))),
        );
        row.note = format!(
            "{} queries × 3, {:.0} hits/page avg",
            queries.len(),
            hits as f64 / samples.len() as f64
        );
        rows.push(row);
    }
    let mut row = Row::timed(
        "**FTS search, all classes**",
        all_search,
        Some((Stat::P95, Duration::from_millis(20))),
    );
    row.note = "first page (200), newest first".into();
    rows.push(row);
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut seen = std::collections::HashSet::new();
    let slow: Vec<String> = slowest
        .iter()
        .filter(|(_, q)| seen.insert(q.clone()))
        .take(8)
        .map(|(_, q)| q.clone())
        .collect();

    // The first gallery page, newest first, without and with filters.
    let month = 30 * 86_400_000;
    let pages: Vec<(&str, Query)> = vec![
        ("Gallery first page (200), no filter", Query::default()),
        (
            "Gallery first page, model + starred",
            Query {
                model: Some("gpt-image-1".into()),
                starred: Some(true),
                ..Query::default()
            },
        ),
        (
            "Gallery first page, date range (1 month)",
            Query {
                from_ms: Some(first_ms + 6 * month),
                to_ms: Some(first_ms + 7 * month),
                ..Query::default()
            },
        ),
        (
            "Gallery first page, model + date range",
            Query {
                model: Some("gpt-image-1-mini".into()),
                from_ms: Some(first_ms + 6 * month),
                to_ms: Some(last_ms),
                ..Query::default()
            },
        ),
    ];
    for (name, q) in &pages {
        let mut samples = Vec::new();
        let mut n = 0;
        for _ in 0..200 {
            let (found, t) = time(|| lib.search(q).unwrap());
            n = found.len();
            samples.push(t);
        }
        let mut row = Row::timed(name, samples, Some((Stat::P95, Duration::from_millis(10))));
        row.note = format!("200 runs, {n} rows/page");
        rows.push(row);
    }

    // Insert one image through the public API, on the 100k index: small noisy PNGs (~190 KB), then full-size
    // 1024² ones from fake-openai (~2.7 MB) for comparison.
    let small: Vec<Vec<u8>> = (0..8).map(|i| noisy_png(256, 256, i)).collect();
    let mut inserts = Vec::new();
    for i in 0..250 {
        let bytes = &small[i % small.len()];
        let m = common::image_meta(&prompt(&words, &mut rng, 6, 20), OutputFormat::Png, 256, 256);
        let (_, t) = time(|| lib.add_image(bytes, &m).unwrap());
        inserts.push(t);
    }
    let mut row = Row::timed(
        "add_image: small PNG, file + index",
        inserts,
        Some((Stat::P50, Duration::from_millis(5))),
    );
    row.note = format!(
        "250 inserts of 256² noisy PNGs (~{} KB): embed metadata, temp file, fsync, rename, folder fsync, row",
        small[0].len() / 1024
    );
    rows.push(row);
    let pngs = fake_pngs(8);
    let mut inserts = Vec::new();
    for i in 0..50 {
        let m = common::image_meta(&prompt(&words, &mut rng, 6, 20), OutputFormat::Png, 1024, 1024);
        let (_, t) = time(|| lib.add_image(&pngs[i % pngs.len()], &m).unwrap());
        inserts.push(t);
    }
    let mut row = Row::timed("add_image: 1024² PNG (for comparison)", inserts, None);
    row.note = format!("50 inserts of fake-openai PNGs (~{} KB)", pngs[0].len() / 1024);
    rows.push(row);
    assert_eq!(lib.count().unwrap(), IMAGES as u64 + 300);
    assert_eq!(
        indexed_paths_exist(&lib),
        300,
        "every image added through the API is on disk"
    );
    assert_eq!(lib.integrity_check().unwrap(), "ok");
    drop(lib);

    // Thumbnails and previews of 1024×1024 noisy PNGs: fake-openai's images (gradient + ±40 noise per
    // channel, ~2.7 MB like a real gpt-image PNG), eight variants fetched over HTTP with the real client.
    let src_dir = dir.path().join("sources");
    std::fs::create_dir_all(&src_dir).unwrap();
    let sources: Vec<PathBuf> = pngs
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let p = src_dir.join(format!("src-{i}.png"));
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect();
    let src_kb = pngs[0].len() / 1024;
    let items: Vec<(String, PathBuf)> = (0..400)
        .map(|i| (format!("t{i:05}"), sources[i % sources.len()].clone()))
        .collect();
    let cache = dir.path().join("thumbs");
    easel::thumbs::generate_many(&cache.join("warm"), &items[..4], easel::thumbs::THUMB_EDGE);
    let (made, t) = time(|| easel::thumbs::generate_many(&cache, &items, easel::thumbs::THUMB_EDGE));
    assert!(made.iter().all(|(_, r)| r.is_ok()));
    let per_s = items.len() as f64 / t.as_secs_f64();
    let per_thumb = t / items.len() as u32;
    rows.push(Row {
        name: format!("Thumbnails ({} px) of 1024² PNGs, all cores", easel::thumbs::THUMB_EDGE),
        p50: per_thumb,
        p95: per_thumb, // one batch: wall time per thumbnail
        target: Some((Stat::Once, Duration::from_micros(5_000))),
        target_text: Some("≥ 200/s (≤ 5 ms each)".into()),
        note: format!("**{per_s:.0} thumbnails/s**, 400 thumbnails of ~{src_kb} KB sources, wall time per thumbnail"),
    });
    let mut previews = Vec::new();
    let mut preview_kb = 0;
    for i in 0..30 {
        let (p, t) = time(|| easel::thumbs::preview(&pngs[i % pngs.len()]).unwrap());
        assert!(p.bytes.len() <= easel::thumbs::PREVIEW_MAX_BYTES);
        preview_kb = p.bytes.len() / 1024;
        previews.push(t);
    }
    let mut row = Row::timed(
        "MCP preview of a 1024² PNG",
        previews,
        Some((Stat::P95, Duration::from_millis(15))),
    );
    row.note = format!("30 runs, ~{preview_kb} KB JPEG out");
    rows.push(row);
    eprintln!();
    eprintln!("Diagnostics: where a thumbnail's and a preview's time goes");
    image_splits(&pngs);

    eprintln!();
    eprintln!("Diagnostics: the slowest searches, as the core runs them and with the fixes considered");
    rows.extend(fts_experiments(&root, &classes, &slow));

    let date = jiff::Zoned::now().strftime("%Y-%m-%d").to_string();
    println!(
        "Machine: {} · date: {date} · `cargo bench -p easel --bench library`",
        machine()
    );
    println!();
    println!(
        "Index: {IMAGES} images bulk-loaded in {:.1} s ({db_mb:.0} MB SQLite + FTS5).",
        load.as_secs_f64()
    );
    println!();
    println!("| Benchmark | p50 | p95 | Target | Ratio to target | Notes |");
    println!("|---|---:|---:|---|---|---|");
    for r in &rows {
        let (target, ratio) = r.cells();
        println!(
            "| {} | {} | {} | {target} | {ratio} | {} |",
            r.name,
            ms(r.p50),
            ms(r.p95),
            r.note
        );
    }
}

/// The SQL `Library::search` runs for a text query with no other filter (copied from library/query.rs).
const SEARCH_SQL: &str = "SELECT id, path, created_ms, prompt, revised_prompt, model, provider, operation, width, \
     height, format, bytes, cost_usd, session_id, turn_id, starred, trashed_ms, tags FROM images WHERE trashed_ms IS NULL \
     AND rowid IN (SELECT rowid FROM FTS WHERE FTS MATCH ?1) ORDER BY created_ms DESC, id DESC LIMIT 200 OFFSET 0";

/// Why text search is slow where it is, and what fixes it: the query plan, then the slowest searches timed
/// as the core runs them and against a copy of the FTS table with prefix indexes (`prefix = '1 2 3'`), and
/// the whole query set against that copy (the returned row).
fn fts_experiments(root: &Path, classes: &[(&str, Vec<String>)], slow: &[String]) -> Option<Row> {
    let conn = rusqlite::Connection::open(root.join(".easel/library.db")).unwrap();
    let plan = |sql: &str| -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map(["x"], |r| r.get::<_, String>(3)).unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join(" → ")
    };
    eprintln!("query plan: {}", plan(&SEARCH_SQL.replace("FTS", "images_fts")));
    let schema: String = conn
        .query_row("SELECT sql FROM sqlite_master WHERE name = 'images_fts'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let has_prefix = schema.contains("prefix");
    conn.execute_batch("CREATE VIRTUAL TABLE temp.images_fts_terms USING fts5vocab(main, images_fts, row)")
        .unwrap();
    if !has_prefix {
        let size = || std::fs::metadata(root.join(".easel/library.db")).unwrap().len() as f64 / 1e6;
        let before = size();
        let (_, built) = time(|| {
            conn.execute_batch(
                "CREATE VIRTUAL TABLE fts_prefix USING fts5(prompt, revised_prompt, tags, content = 'images', \
                 content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'); \
                 INSERT INTO fts_prefix (fts_prefix) VALUES ('rebuild'); PRAGMA wal_checkpoint(TRUNCATE);",
            )
            .unwrap()
        });
        eprintln!(
            "a copy of the FTS table with prefix = '1 2 3' built in {built:.1?}; the file grew {:.0} MB",
            size() - before
        );
    }
    let run = |sql: &str, arg: &str| -> (Duration, usize) {
        let t = Instant::now();
        let mut stmt = conn.prepare_cached(sql).unwrap();
        let n = stmt.query_map([arg], |_| Ok(())).unwrap().count();
        (t.elapsed(), n)
    };
    let (now_sql, fix_sql) = (
        SEARCH_SQL.replace("FTS", "images_fts"),
        SEARCH_SQL.replace("FTS", "fts_prefix"),
    );
    for q in slow {
        let fts = easel::library::fts_query(q).unwrap();
        let matches: i64 = conn
            .query_row(
                "SELECT count(*) FROM images_fts WHERE images_fts MATCH ?1",
                [&fts],
                |r| r.get(0),
            )
            .unwrap();
        let terms: i64 = conn
            .query_row(
                "SELECT count(*) FROM images_fts_terms WHERE term >= ?1 AND term < ?1 || x'ff'",
                [q.split_whitespace().min_by_key(|w| w.len()).unwrap_or("")],
                |r| r.get(0),
            )
            .unwrap_or(-1);
        let best = |sql: &str| (0..3).map(|_| run(sql, &fts).0).min().unwrap();
        eprintln!(
            "  {q:<28} {matches:>6} matches · now {:>9}{}{}",
            ms(best(&now_sql)),
            if has_prefix {
                String::new()
            } else {
                format!(" · with prefix indexes {:>9}", ms(best(&fix_sql)))
            },
            if terms > 0 {
                format!(" · shortest word expands to {terms} terms")
            } else {
                String::new()
            }
        );
    }
    if has_prefix {
        eprintln!("images_fts already has prefix indexes (prefix = '1 2 3'): nothing to compare");
        return None;
    }
    let (mut now, mut fixed) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        for (_, queries) in classes {
            for q in queries {
                let fts = easel::library::fts_query(q).unwrap();
                let (t, a) = run(&now_sql, &fts);
                now.push(t);
                let (t, b) = run(&fix_sql, &fts);
                fixed.push(t);
                assert_eq!(a, b, "same page with and without prefix indexes for '{q}'");
            }
        }
    }
    now.sort();
    eprintln!(
        "all queries as raw SQL: now p50 {} p95 {}",
        ms(percentile(&now, 0.5)),
        ms(percentile(&now, 0.95))
    );
    let mut row = Row::timed(
        "FTS search, all classes, on a copy of the FTS table with `prefix = '1 2 3'`",
        fixed,
        Some((Stat::P95, Duration::from_millis(20))),
    );
    row.note = format!(
        "same queries as raw SQL (the core's table as raw SQL: p95 {})",
        ms(percentile(&now, 0.95))
    );
    Some(row)
}

/// `n` distinct 1024×1024 PNGs from fake-openai, received by Easel's own client.
fn fake_pngs(n: u8) -> Vec<Vec<u8>> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fake = common::fake().await;
        let mut req = common::generate_req("thumbnail sources");
        req.params.n = n;
        req.params.size = easel::models::Size::Exact {
            width: 1024,
            height: 1024,
        };
        req.params.quality = easel::models::Quality::Low;
        let generated = common::client(&fake)
            .generate(&req, &easel::openai::Control::new())
            .await
            .unwrap();
        generated.images.iter().map(|i| i.bytes.to_vec()).collect()
    })
}

fn median(mut f: impl FnMut() -> Duration) -> Duration {
    let mut samples: Vec<Duration> = (0..15).map(|_| f()).collect();
    samples.sort();
    samples[samples.len() / 2]
}

/// Single-core timing splits of `thumbs::thumbnail` and `thumbs::preview`: PNG decode, resize, JPEG encode
/// (libjpeg-turbo's code through `mozjpeg`, 4:2:0, as `thumbs` calls it).
fn image_splits(pngs: &[Vec<u8>]) {
    let src = &pngs[0];
    let decode = median(|| time(|| image::load_from_memory(src).unwrap()).1);
    let thumb = median(|| time(|| easel::thumbs::thumbnail(src, easel::thumbs::THUMB_EDGE).unwrap()).1);
    let preview = median(|| time(|| easel::thumbs::preview(src).unwrap()).1);
    let rgb = image::load_from_memory(src).unwrap().into_rgb8();
    let small = image::imageops::thumbnail(&rgb, 384, 384);
    let encode = |img: &image::RgbImage, q: u8| {
        let t = Instant::now();
        let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        c.set_fastest_defaults();
        c.set_size(img.width() as usize, img.height() as usize);
        c.set_quality(f32::from(q));
        c.set_chroma_sampling_pixel_sizes((2, 2), (2, 2));
        let mut started = c.start_compress(Vec::new()).unwrap();
        started.write_scanlines(img.as_raw()).unwrap();
        let out = started.finish().unwrap();
        (t.elapsed(), out.len())
    };
    let enc384 = median(|| encode(&small, 80).0);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    eprintln!(
        "  thumbnail: {} = PNG decode {} + resize and encode {} (JPEG q80 of 384² alone: {}); \
         {:.0}/s on {cores} cores at best, {:.0}/s if the JPEG encode were free",
        ms(thumb),
        ms(decode),
        ms(thumb.saturating_sub(decode)),
        ms(enc384),
        cores / thumb.as_secs_f64(),
        cores / thumb.saturating_sub(enc384).as_secs_f64()
    );
    let full: Vec<String> = [85u8, 75, 65, 55, 45, 35]
        .iter()
        .map(|&q| {
            let (t, n) = encode(&rgb, q);
            format!("q{q} {} → {} KB", ms(t), n / 1024)
        })
        .collect();
    eprintln!(
        "  preview: {} (the JPEG encode overlaps the decode on a second thread) = PNG decode {} + the rest {}; \
         one full 1024² JPEG encode: {}",
        ms(preview),
        ms(decode),
        ms(preview.saturating_sub(decode)),
        full.join(", ")
    );
}

/// A noisy `w`×`h` PNG like fake-openai's (gradient + ±40 per channel).
fn noisy_png(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let base = [x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h) + 64];
        image::Rgb(base.map(|b| (b as i32 + rng.i32(-40..=40)).clamp(0, 255) as u8))
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// How many images of the gallery (newest 1000) have their file on disk: those added through the API.
fn indexed_paths_exist(lib: &Library) -> usize {
    let q = Query {
        limit: Some(1000),
        ..Query::default()
    };
    lib.search(&q).unwrap().iter().filter(|r| r.path.is_file()).count()
}
