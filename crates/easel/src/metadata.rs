//! Generation metadata that travels with the image file, so the library can be rebuilt from the files alone.
//!
//! - **PNG**: [`embed`] inserts two text chunks right after `IHDR` (before any `IDAT`, so readers that stop
//!   at the pixels still see them): an `iTXt` chunk `easel` with the full [`ImageMeta`] as compact,
//!   uncompressed UTF-8 JSON, and a `parameters` chunk with the A1111-style summary ([`a1111_parameters`])
//!   that third-party gallery tools display. `parameters` is `tEXt` when the text is Latin-1 (the form those
//!   tools expect) and `iTXt` otherwise: the prompt is never transliterated or altered. Earlier `easel` and
//!   `parameters` chunks (any of `tEXt`/`zTXt`/`iTXt`) are dropped, so re-embedding replaces.
//!   Embedding works on chunks only: every other chunk is copied byte for byte and the image data is never
//!   decoded or re-encoded (copied chunks' CRCs are neither checked nor rewritten).
//! - **JPEG / WebP**: the file stays as the provider sent it; the metadata lives in a `.json` sidecar next to
//!   it ([`sidecar_path`], [`to_json`], [`from_json`]).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::cost::Usage;
use crate::models::{ImageParams, OutputFormat};

/// Current value of [`ImageMeta::easel`].
pub const FORMAT_VERSION: u32 = 1;
/// Keyword of the `iTXt` chunk holding the JSON.
pub const KEYWORD: &str = "easel";
/// Keyword of the A1111-style text chunk.
pub const PARAMETERS_KEYWORD: &str = "parameters";

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
/// What follows an `iTXt` keyword before the text: its NUL, compression flag 0 and method 0 (uncompressed),
/// an empty language tag and an empty translated keyword, each ended by a NUL.
const ITXT_FIELDS: &[u8] = b"\0\0\0\0\0";
/// Largest metadata chunk read or written; real ones are a few KB (prompts are at most 32,000 characters).
const MAX_META_BYTES: u32 = 16 << 20;

/// What Easel knows about one image; embedded in the file (PNG) or a `.json` sidecar (JPEG/WebP), and
/// mirrored in the index.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageMeta {
    /// Format version, [`FORMAT_VERSION`].
    pub easel: u32,
    pub id: String,
    /// RFC 3339 with offset.
    pub created_at: String,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
    /// `generate`, `edit` or `variation`.
    pub operation: String,
    pub model: String,
    pub provider: String,
    /// As requested.
    pub params: ImageParams,
    pub width: u32,
    pub height: u32,
    pub format: OutputFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    pub cost_usd: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    /// Library ids or SHA-256 of the input images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    #[serde(default)]
    pub has_mask: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("not a PNG file (the PNG signature is missing); only PNG files carry embedded metadata")]
    NotPng,
    #[error("damaged PNG at byte {offset}: {problem}; restore the file from a backup or delete it")]
    Corrupt { offset: u64, problem: String },
    #[error("the Easel metadata is not valid JSON ({0}); delete the sidecar or re-save the image's metadata")]
    Json(#[source] serde_json::Error),
    #[error("cannot store this metadata: {0}")]
    Invalid(String),
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn corrupt(offset: usize, problem: impl Into<String>) -> MetaError {
    MetaError::Corrupt {
        offset: offset as u64,
        problem: problem.into(),
    }
}

/// `<prompt>\nSteps: 1, Size: WxH, Model: m, Quality: q, Easel id: id` — the A1111 layout: prompt first,
/// then one line of `key: value` pairs (`Steps: 1` because some readers require it). CR/CRLF become LF
/// and NUL becomes a space; a value containing `,` `:` `"` or a line break is written as a JSON string,
/// as A1111 does.
pub fn a1111_parameters(meta: &ImageMeta) -> String {
    let prompt = meta.prompt.replace("\r\n", "\n").replace('\r', "\n").replace('\0', " ");
    format!(
        "{prompt}\nSteps: 1, Size: {}x{}, Model: {}, Quality: {}, Easel id: {}",
        meta.width,
        meta.height,
        a1111_value(&meta.model),
        meta.params.quality,
        a1111_value(&meta.id)
    )
}

fn a1111_value(v: &str) -> String {
    if v.contains([',', ':', '"', '\n', '\r', '\0']) {
        serde_json::Value::from(v).to_string()
    } else {
        v.to_string()
    }
}

/// The sidecar of a JPEG or WebP image: the same path with the extension `json` (`foo.jpg` → `foo.json`).
pub fn sidecar_path(image: &Path) -> PathBuf {
    image.with_extension("json")
}

/// Pretty JSON with a final newline, as written to sidecars. Fails only for a non-finite `cost_usd`
/// (JSON has no NaN or infinity, so it could not be read back).
pub fn to_json(meta: &ImageMeta) -> Result<Vec<u8>, MetaError> {
    check(meta)?;
    let mut out = serde_json::to_vec_pretty(meta).map_err(MetaError::Json)?;
    out.push(b'\n');
    Ok(out)
}

/// Reads what [`to_json`] (or the PNG chunk) wrote. Unknown fields are ignored (newer writers).
pub fn from_json(bytes: &[u8]) -> Result<ImageMeta, MetaError> {
    serde_json::from_slice(bytes).map_err(MetaError::Json)
}

fn check(meta: &ImageMeta) -> Result<(), MetaError> {
    if meta.cost_usd.is_finite() {
        Ok(())
    } else {
        Err(MetaError::Invalid(format!(
            "cost_usd is {}, not a finite number of dollars",
            meta.cost_usd
        )))
    }
}

/// `bytes` with `meta` embedded. PNG: see the module docs; `Err` if `bytes` is not a structurally sound
/// PNG (signature, `IHDR` first, every chunk complete, `IEND` present). JPEG/WebP: `bytes` unchanged.
pub fn embed(bytes: &[u8], format: OutputFormat, meta: &ImageMeta) -> Result<Vec<u8>, MetaError> {
    if format != OutputFormat::Png {
        return Ok(bytes.to_vec());
    }
    check(meta)?;
    let json = serde_json::to_vec(meta).map_err(MetaError::Json)?;
    if json.len() > MAX_META_BYTES as usize {
        return Err(MetaError::Invalid(format!(
            "the metadata is {} bytes; at most {MAX_META_BYTES} fit in the file",
            json.len()
        )));
    }
    let mut inserted = Vec::with_capacity(json.len() + 2 * meta.prompt.len() + 256);
    write_chunk(&mut inserted, b"iTXt", &[KEYWORD.as_bytes(), ITXT_FIELDS, &json]);
    let parameters = a1111_parameters(meta);
    let key = PARAMETERS_KEYWORD.as_bytes();
    match latin1(&parameters) {
        Some(text) => write_chunk(&mut inserted, b"tEXt", &[key, b"\0", &text]),
        None => write_chunk(&mut inserted, b"iTXt", &[key, ITXT_FIELDS, parameters.as_bytes()]),
    }

    let mut out = Vec::with_capacity(bytes.len() + inserted.len());
    let mut copied = 0; // bytes[..copied] are handled; a run of kept chunks is copied at once
    for chunk in chunks(bytes)? {
        let chunk = chunk?;
        if &chunk.kind == b"IHDR" {
            out.extend_from_slice(&bytes[..chunk.end]);
            out.extend_from_slice(&inserted);
            copied = chunk.end;
        } else if is_ours(&chunk) {
            out.extend_from_slice(&bytes[copied..chunk.start]);
            copied = chunk.end;
        }
    }
    out.extend_from_slice(&bytes[copied..]); // the rest, IEND and anything after it, verbatim
    Ok(out)
}

/// The `easel` metadata of a PNG: `Ok(None)` when it has none, `Err` when the PNG or the chunk is damaged
/// (only up to the metadata chunk: a PNG damaged after it still reads).
pub fn read(bytes: &[u8]) -> Result<Option<ImageMeta>, MetaError> {
    for chunk in chunks(bytes)? {
        let chunk = chunk?;
        if &chunk.kind == b"iTXt" && keyword(chunk.data) == Some(KEYWORD.as_bytes()) {
            return parse_meta_chunk(chunk.data, chunk.crc, chunk.start).map(Some);
        }
    }
    Ok(None)
}

/// The metadata of an image file. A PNG (by content) is searched for its `easel` chunk reading only the
/// chunk headers and that chunk (other chunks, the image data included, are skipped, not read), with its
/// sidecar as the fallback; any other file is looked up by sidecar only. `Ok(None)`: neither exists.
pub fn read_for_file(path: &Path) -> Result<Option<ImageMeta>, MetaError> {
    let io_err = |source| MetaError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::with_capacity(512, File::open(path).map_err(io_err)?);
    let total = file.get_ref().metadata().map_err(io_err)?.len();
    let mut signature = [0u8; 8];
    let is_png = total >= 8 && file.read_exact(&mut signature).is_ok() && &signature == SIGNATURE;
    if is_png && let Some(meta) = read_stream(&mut file, total, path)? {
        return Ok(Some(meta));
    }
    let sidecar = sidecar_path(path);
    match std::fs::read(&sidecar) {
        Ok(bytes) => from_json(&bytes).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(MetaError::Io { path: sidecar, source }),
    }
}

/// The PNG chunk walk of [`read`] over a file positioned after the signature.
fn read_stream(file: &mut BufReader<File>, total: u64, path: &Path) -> Result<Option<ImageMeta>, MetaError> {
    let io_err = |source| MetaError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut pos = SIGNATURE.len();
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    loop {
        let mut head = [0u8; 8];
        if total - pos >= head.len() {
            file.read_exact(&mut head).map_err(io_err)?;
        }
        let (kind, len) = check_header(&head[..(total - pos).min(8)], pos, total - pos)?;
        let data_len = len as usize;
        if &kind == b"IEND" {
            return Ok(None);
        }
        if &kind == b"iTXt" {
            let mut peek = [0u8; 6]; // "easel\0"
            let n = peek.len().min(data_len);
            file.read_exact(&mut peek[..n]).map_err(io_err)?;
            if keyword(&peek[..n]) == Some(KEYWORD.as_bytes()) {
                if len > MAX_META_BYTES {
                    return Err(corrupt(pos, format!("the metadata chunk claims {len} bytes")));
                }
                let mut data = peek[..n].to_vec();
                data.resize(data_len + 4, 0);
                file.read_exact(&mut data[n..]).map_err(io_err)?;
                let stored = u32::from_be_bytes(data[data_len..].try_into().expect("4 bytes"));
                return parse_meta_chunk(&data[..data_len], stored, pos).map(Some);
            }
            file.seek_relative((data_len - n + 4) as i64).map_err(io_err)?;
        } else {
            file.seek_relative(data_len as i64 + 4).map_err(io_err)?;
        }
        pos += 12 + data_len;
    }
}

/// One chunk of an in-memory PNG: `bytes[start..end]` is length, type, data and CRC.
struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
    crc: u32,
    start: usize,
    end: usize,
}

/// The chunks from `IHDR` to `IEND` inclusive, each checked ([`check_header`]); bytes after `IEND` are not
/// visited. Ends with an error if the data runs out first.
fn chunks(bytes: &[u8]) -> Result<impl Iterator<Item = Result<Chunk<'_>, MetaError>>, MetaError> {
    if !bytes.starts_with(SIGNATURE) {
        return Err(MetaError::NotPng);
    }
    let mut pos = Some(SIGNATURE.len());
    Ok(std::iter::from_fn(move || {
        let start = pos.take()?;
        let rest = &bytes[start..];
        let (kind, len) = match check_header(&rest[..rest.len().min(8)], start, rest.len()) {
            Ok(header) => header,
            Err(e) => return Some(Err(e)),
        };
        let end = start + 12 + len as usize;
        if &kind != b"IEND" {
            pos = Some(end);
        }
        let data = &bytes[start + 8..end - 4];
        let crc = u32::from_be_bytes(bytes[end - 4..end].try_into().expect("4 bytes"));
        Some(Ok(Chunk {
            kind,
            data,
            crc,
            start,
            end,
        }))
    }))
}

/// Validates the 8-byte header `head` of the chunk at `offset` (with `remaining` bytes from there to the end
/// of the file) and returns its type and data length.
fn check_header(head: &[u8], offset: usize, remaining: usize) -> Result<([u8; 4], u32), MetaError> {
    if remaining == 0 {
        return Err(corrupt(offset, "the file ends before the IEND chunk (it is truncated)"));
    }
    if head.len() < 8 || remaining < 12 {
        return Err(corrupt(offset, "the file ends inside a chunk header (it is truncated)"));
    }
    let len = u32::from_be_bytes(head[..4].try_into().expect("4 bytes"));
    let kind: [u8; 4] = head[4..8].try_into().expect("4 bytes");
    if !kind.iter().all(u8::is_ascii_alphabetic) {
        return Err(corrupt(offset, "a chunk type is not four letters"));
    }
    let name = String::from_utf8_lossy(&kind);
    if len > 0x7fff_ffff {
        return Err(corrupt(
            offset,
            format!("the {name} chunk length {len} exceeds the PNG maximum"),
        ));
    }
    if offset == SIGNATURE.len() && (&kind != b"IHDR" || len != 13) {
        return Err(corrupt(
            offset,
            format!("the first chunk is {name} of {len} bytes, not a 13-byte IHDR"),
        ));
    }
    if len as usize > remaining - 12 {
        return Err(corrupt(
            offset,
            format!("the {name} chunk needs {len} bytes of data but the file ends first (it is truncated)"),
        ));
    }
    Ok((kind, len))
}

/// The keyword of a text chunk's data: the bytes before the first NUL, if it comes within 80 bytes.
fn keyword(data: &[u8]) -> Option<&[u8]> {
    let nul = data.iter().take(80).position(|&b| b == 0)?;
    Some(&data[..nul])
}

fn is_ours(chunk: &Chunk) -> bool {
    matches!(&chunk.kind, b"tEXt" | b"zTXt" | b"iTXt")
        && matches!(keyword(chunk.data), Some(k) if k == KEYWORD.as_bytes() || k == PARAMETERS_KEYWORD.as_bytes())
}

/// Checks the CRC and parses the `iTXt` data of an `easel` chunk starting at byte `offset`.
fn parse_meta_chunk(data: &[u8], stored_crc: u32, offset: usize) -> Result<ImageMeta, MetaError> {
    let mut crc = crc32fast::Hasher::new();
    crc.update(b"iTXt");
    crc.update(data);
    if crc.finalize() != stored_crc {
        return Err(corrupt(offset, "the Easel metadata chunk fails its CRC check"));
    }
    // keyword \0 compression-flag compression-method language \0 translated-keyword \0 text
    let Some(&[flag, _method, ref rest @ ..]) = data.get(KEYWORD.len() + 1..) else {
        return Err(corrupt(offset, "the Easel metadata chunk is cut short"));
    };
    if flag != 0 {
        return Err(corrupt(
            offset,
            "the Easel metadata chunk is compressed, which Easel never writes",
        ));
    }
    let mut fields = rest.splitn(3, |&b| b == 0);
    let (Some(_language), Some(_translated), Some(text)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(corrupt(offset, "the Easel metadata chunk is cut short"));
    };
    from_json(text)
}

fn latin1(text: &str) -> Option<Vec<u8>> {
    text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// Appends a complete chunk (length, type, data, CRC) whose data is the concatenation of `parts`.
fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    out.extend_from_slice(&(len as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    parts.iter().for_each(|p| out.extend_from_slice(p));
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Quality, Size};
    use proptest::prelude::*;

    fn meta(prompt: &str) -> ImageMeta {
        ImageMeta {
            easel: FORMAT_VERSION,
            id: "abc123def456".into(),
            created_at: "2026-11-22T04:05:06+01:00".into(),
            prompt: prompt.into(),
            revised_prompt: Some("A red fox, sitting in fresh snow".into()),
            operation: "generate".into(),
            model: "gpt-image-2".into(),
            provider: "openai".into(),
            params: ImageParams {
                size: Size::Exact { width: 40, height: 30 },
                quality: Quality::High,
                ..ImageParams::default()
            },
            width: 40,
            height: 30,
            format: OutputFormat::Png,
            usage: Some(Usage {
                input_text_tokens: 12,
                output_image_tokens: 4160,
                ..Usage::default()
            }),
            cost_usd: 0.12516,
            request_id: Some("req_1".into()),
            response_id: None,
            session_id: Some("s1".into()),
            turn_id: Some("t1".into()),
            inputs: vec!["in1".into()],
            has_mask: true,
            tags: vec!["fox".into()],
        }
    }

    /// Every chunk after the signature as (type, data), checking each CRC: a walk independent of `chunks`.
    fn walk(bytes: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        assert!(bytes.starts_with(SIGNATURE));
        let (mut pos, mut out) = (8, Vec::new());
        while pos < bytes.len() {
            let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
            let body = &bytes[pos + 4..pos + 8 + len];
            let crc = u32::from_be_bytes(bytes[pos + 8 + len..pos + 12 + len].try_into().unwrap());
            assert_eq!(crc32fast::hash(body), crc, "CRC of chunk at {pos}");
            out.push((body[..4].try_into().unwrap(), body[4..].to_vec()));
            pos += 12 + len;
        }
        out
    }

    /// A noisy 40x30 RGBA PNG from `image`, rebuilt as IHDR, `before`, IDAT in 200-byte pieces, `after`, IEND.
    fn png(before: &[(&[u8; 4], &[u8])], after: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let pixels: Vec<u8> = (0..40u32 * 30 * 4)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut plain = Vec::new();
        image::RgbaImage::from_raw(40, 30, pixels)
            .unwrap()
            .write_to(&mut io::Cursor::new(&mut plain), image::ImageFormat::Png)
            .unwrap();
        let chunks = walk(&plain);
        let idat: Vec<u8> = chunks
            .iter()
            .filter(|c| &c.0 == b"IDAT")
            .flat_map(|c| c.1.clone())
            .collect();
        let mut out = SIGNATURE.to_vec();
        write_chunk(&mut out, b"IHDR", &[&chunks[0].1]);
        before.iter().for_each(|(k, d)| write_chunk(&mut out, k, &[d]));
        idat.chunks(200)
            .for_each(|piece| write_chunk(&mut out, b"IDAT", &[piece]));
        after.iter().for_each(|(k, d)| write_chunk(&mut out, k, &[d]));
        write_chunk(&mut out, b"IEND", &[]);
        out
    }

    fn text_chunks(bytes: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        let text = |c: &&([u8; 4], Vec<u8>)| matches!(&c.0, b"tEXt" | b"zTXt" | b"iTXt");
        walk(bytes).iter().filter(text).cloned().collect()
    }

    #[test]
    fn round_trip_keeps_every_original_chunk_and_the_pixels() {
        let original = png(&[(b"gAMA", &[0, 0, 177, 143])], &[(b"tEXt", b"Software\0test")]);
        let m = meta("A red fox in the snow");
        let embedded = embed(&original, OutputFormat::Png, &m).unwrap();
        assert_eq!(read(&embedded).unwrap(), Some(m.clone()));
        assert_eq!(read(&original).unwrap(), None);

        let (before, after) = (walk(&original), walk(&embedded));
        assert_eq!(after.len(), before.len() + 2);
        assert_eq!(after[0], before[0], "IHDR first and untouched");
        assert_eq!(
            (&after[1].0, &after[2].0),
            (b"iTXt", b"tEXt"),
            "inserted right after IHDR"
        );
        assert_eq!(
            after[3..],
            before[1..],
            "every other chunk byte for byte, in order (all IDATs too)"
        );
        assert!(
            before.iter().filter(|c| &c.0 == b"IDAT").count() > 10,
            "many IDAT chunks"
        );
        assert_eq!(
            embedded.len(),
            original.len() + 24 + after[1].1.len() + after[2].1.len()
        );

        let decode = |b: &[u8]| image::load_from_memory(b).unwrap().into_rgba8();
        assert_eq!(decode(&embedded), decode(&original));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.png");
        std::fs::write(&path, &embedded).unwrap();
        assert_eq!(read_for_file(&path).unwrap(), Some(m));
    }

    #[test]
    fn re_embedding_replaces_ours_and_foreign_parameters() {
        let foreign = png(
            &[(b"tEXt", b"parameters\0old prompt")],
            &[(b"iTXt", b"easel\0\0\0\0\0{}")],
        );
        let once = embed(&foreign, OutputFormat::Png, &meta("first")).unwrap();
        let twice = embed(&once, OutputFormat::Png, &meta("second")).unwrap();
        let texts = text_chunks(&twice);
        assert_eq!(texts.len(), 2, "one easel and one parameters chunk");
        assert!(texts[1].1.starts_with(b"parameters\0second\nSteps: 1"));
        assert_eq!(read(&twice).unwrap().unwrap().prompt, "second");
        assert_eq!(walk(&twice).len(), walk(&foreign).len(), "two removed, two added");
    }

    #[test]
    fn parameters_are_a1111_text_latin1_or_itxt() {
        let m = meta("Café au lait,\r\nsteam");
        let expected =
            "Café au lait,\nsteam\nSteps: 1, Size: 40x30, Model: gpt-image-2, Quality: high, Easel id: abc123def456";
        assert_eq!(a1111_parameters(&m), expected);
        let texts = text_chunks(&embed(&png(&[], &[]), OutputFormat::Png, &m).unwrap());
        assert_eq!(&texts[1].0, b"tEXt");
        assert_eq!(
            texts[1].1,
            [b"parameters\0".as_slice(), &latin1(expected).unwrap()].concat()
        );
        assert!(texts[1].1.contains(&0xE9), "é is one Latin-1 byte");

        let m = meta("夕焼けの富士山 🗻");
        let embedded = embed(&png(&[], &[]), OutputFormat::Png, &m).unwrap();
        let texts = text_chunks(&embedded);
        assert_eq!(&texts[1].0, b"iTXt");
        let utf8 = format!("parameters\0\0\0\0\0{}", a1111_parameters(&m));
        assert_eq!(texts[1].1, utf8.as_bytes());
        assert_eq!(read(&embedded).unwrap().unwrap().prompt, "夕焼けの富士山 🗻");

        let odd = ImageMeta {
            model: "org/model:v1, beta".into(),
            ..meta("x\0y")
        };
        assert!(a1111_parameters(&odd).starts_with("x y\nSteps: 1, Size: 40x30, Model: \"org/model:v1, beta\","));
    }

    #[test]
    fn damaged_pngs_are_clear_errors() {
        let good = png(&[], &[]);
        let ihdr_end = 8 + 12 + 13;
        let mut bad_type = good.clone();
        bad_type[ihdr_end + 4] = b'1';
        let mut huge = good.clone();
        huge[ihdr_end..ihdr_end + 4].copy_from_slice(&0x8000_0000u32.to_be_bytes());
        let first_not_ihdr = [SIGNATURE.as_slice(), &good[ihdr_end..]].concat();
        let cases: [(&str, &[u8], &str); 8] = [
            ("empty", b"", "signature"),
            ("jpeg", b"\xff\xd8\xff\xe0 not a png", "signature"),
            ("signature only", SIGNATURE, "before the IEND"),
            ("inside IHDR", &good[..20], "truncated"),
            ("no IEND", &good[..good.len() - 12], "before the IEND"),
            ("bad type", &bad_type, "four letters"),
            ("huge length", &huge, "exceeds the PNG maximum"),
            ("IDAT first", &first_not_ihdr, "not a 13-byte IHDR"),
        ];
        for (what, bytes, says) in cases {
            let e = embed(bytes, OutputFormat::Png, &meta("x")).unwrap_err().to_string();
            assert!(e.contains(says), "{what}: {e}");
            let e = read(bytes).unwrap_err().to_string();
            assert!(e.contains(says), "{what}: {e}");
        }

        let embedded = embed(&good, OutputFormat::Png, &meta("x")).unwrap();
        let json_at = ihdr_end + 8 + KEYWORD.len() + 5;
        let mut flipped = embedded.clone();
        flipped[json_at] ^= 1;
        assert!(read(&flipped).unwrap_err().to_string().contains("CRC"));
        let mut bad = png(&[(b"iTXt", b"easel\0\0\0\0\0{not json")], &[]);
        assert!(matches!(read(&bad), Err(MetaError::Json(_))));
        bad = png(&[(b"iTXt", b"easel\0\x01\0\0\0x\x9c")], &[]);
        assert!(read(&bad).unwrap_err().to_string().contains("compressed"));
        let nan = ImageMeta {
            cost_usd: f64::NAN,
            ..meta("x")
        };
        assert!(matches!(
            embed(&good, OutputFormat::Png, &nan),
            Err(MetaError::Invalid(_))
        ));
        assert!(matches!(to_json(&nan), Err(MetaError::Invalid(_))));
    }

    #[test]
    fn jpeg_and_webp_use_a_sidecar() {
        let m = meta("fox");
        let jpeg = b"\xff\xd8\xff\xe0 jpeg bytes";
        assert_eq!(embed(jpeg, OutputFormat::Jpeg, &m).unwrap(), jpeg);
        assert_eq!(embed(b"RIFF", OutputFormat::Webp, &m).unwrap(), b"RIFF");
        assert_eq!(
            sidecar_path(Path::new("/l/2026/11/a-fox.jpg")),
            Path::new("/l/2026/11/a-fox.json")
        );

        let json = to_json(&m).unwrap();
        assert!(json.ends_with(b"}\n") && !String::from_utf8_lossy(&json).contains("response_id"));
        assert_eq!(from_json(&json).unwrap(), m);
        let minimal = br#"{"easel":1,"id":"i","created_at":"t","prompt":"p","operation":"edit","model":"m",
            "provider":"openai","params":{},"width":1,"height":2,"format":"webp","cost_usd":0,"future":[1]}"#;
        let read_back = from_json(minimal).unwrap();
        assert_eq!((read_back.params, read_back.has_mask), (ImageParams::default(), false));

        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("a.jpg");
        std::fs::write(&image, jpeg).unwrap();
        assert_eq!(read_for_file(&image).unwrap(), None);
        std::fs::write(sidecar_path(&image), &json).unwrap();
        assert_eq!(read_for_file(&image).unwrap(), Some(m.clone()));
        let plain_png = dir.path().join("a.png"); // no chunk: the sidecar is the fallback
        std::fs::write(&plain_png, png(&[], &[])).unwrap();
        assert_eq!(read_for_file(&plain_png).unwrap(), Some(m));
        std::fs::write(sidecar_path(&image), b"{").unwrap();
        assert!(matches!(read_for_file(&image), Err(MetaError::Json(_))));
        assert!(matches!(
            read_for_file(&dir.path().join("gone.png")),
            Err(MetaError::Io { .. })
        ));
    }

    #[test]
    fn file_and_memory_readers_agree_on_every_truncation() {
        let embedded = embed(&png(&[], &[(b"tEXt", b"Comment\0hi")]), OutputFormat::Png, &meta("fox")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.png");
        for len in 0..=embedded.len() {
            std::fs::write(&path, &embedded[..len]).unwrap();
            let (memory, file) = (read(&embedded[..len]), read_for_file(&path));
            match (&memory, &file) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "at {len}"),
                (Err(MetaError::NotPng), Ok(None)) => assert!(len < 8),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "at {len}"),
                _ => panic!("at {len}: {memory:?} vs {file:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn read_never_panics_on_arbitrary_bytes(tail in proptest::collection::vec(any::<u8>(), 0..300), png_like: bool) {
            let bytes = if png_like { [SIGNATURE.as_slice(), &tail].concat() } else { tail };
            let _ = read(&bytes);
            let _ = embed(&bytes, OutputFormat::Png, &meta("x"));
        }

        #[test]
        fn truncated_or_flipped_embedded_pngs_never_panic(cut in 0usize..2000, at in 0usize..2000, bit in 0u8..8) {
            let m = meta("fox");
            let embedded = embed(&png(&[], &[]), OutputFormat::Png, &m).unwrap();
            let cut = cut.min(embedded.len());
            match read(&embedded[..cut]) {
                Ok(found) => prop_assert_eq!(found, Some(m.clone()), "the chunk comes first, so None is impossible"),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            if cut < embedded.len() {
                prop_assert!(embed(&embedded[..cut], OutputFormat::Png, &m).is_err());
            }
            let mut flipped = embedded.clone();
            let at = at % flipped.len();
            flipped[at] ^= 1 << bit;
            let _ = read(&flipped);
            let _ = embed(&flipped, OutputFormat::Png, &m);
        }
    }
}
