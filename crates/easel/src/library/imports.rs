//! Images brought in from outside (a file dropped on the app, a picture pasted from the clipboard):
//! checked like any input image, then added as a library image of operation `import`, so they can be
//! referenced by id like anything Easel made.

use std::io::Cursor;
use std::path::Path;

use super::{ImageRecord, Library, files};
use crate::error::{Error, Result};
use crate::imaging::InputImage;
use crate::metadata::{FORMAT_VERSION, ImageMeta};
use crate::models::{ImageParams, OutputFormat};

/// The `operation` of an imported image.
pub const IMPORT_OPERATION: &str = "import";

impl Library {
    /// `bytes` (a file called `name`) as a new library image: a PNG, JPEG or WebP
    /// ([`InputImage::from_bytes`]: format by content, under [`crate::imaging::MAX_INPUT_BYTES`]) whose
    /// pixels decode completely, so a truncated or corrupt file is refused before anything is written.
    /// The bytes are kept as they are (PNG: metadata chunks added; JPEG/WebP: a sidecar).
    pub fn import_image(&self, name: &str, bytes: impl Into<bytes::Bytes>) -> Result<ImageRecord> {
        self.import(InputImage::from_bytes(name, bytes)?, name)
    }

    /// The file at `path` (a file dropped from the file manager, which the window only knows by its
    /// path) as a new library image, with the same checks as [`Library::import_image`]; the size cap is
    /// checked before the file is read. The image records the path it came from.
    pub fn import_file(&self, path: &Path) -> Result<ImageRecord> {
        if !path.is_absolute() {
            return Err(Error::InvalidInput(format!(
                "{} is not an absolute path",
                path.display()
            )));
        }
        self.import(InputImage::from_path(path)?, &path.display().to_string())
    }

    /// `input` decoded completely, then saved; `from` is where it came from (a file name or path).
    fn import(&self, input: InputImage, from: &str) -> Result<ImageRecord> {
        let name = input.name.as_str();
        let format = match input.format {
            OutputFormat::Png => image::ImageFormat::Png,
            OutputFormat::Jpeg => image::ImageFormat::Jpeg,
            OutputFormat::Webp => image::ImageFormat::WebP,
        };
        image::ImageReader::with_format(Cursor::new(&input.bytes[..]), format)
            .decode()
            .map_err(|e| match e {
                image::ImageError::Limits(_) => Error::InvalidInput(format!(
                    "{name} is {}x{} pixels, too many to import (the decoder's memory limit)",
                    input.width, input.height
                )),
                e => Error::InvalidInput(format!(
                    "{name} looks like a {} but its pixels cannot be read (corrupt or truncated?): {e}",
                    input.format
                )),
            })?;
        let meta = ImageMeta {
            easel: FORMAT_VERSION,
            id: files::new_id(),
            created_at: jiff::Timestamp::now().to_string(),
            prompt: String::new(),
            revised_prompt: None,
            operation: IMPORT_OPERATION.into(),
            model: String::new(),
            provider: String::new(),
            params: ImageParams::default(),
            width: input.width,
            height: input.height,
            format: input.format,
            usage: None,
            cost_usd: 0.0,
            request_id: None,
            response_id: None,
            session_id: None,
            turn_id: None,
            // where it came from (the field holds paths of images from outside the library)
            inputs: vec![from.to_string()],
            has_mask: false,
            tags: vec![],
        };
        self.add_image(&input.bytes, &meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image::RgbImage::from_pixel(w, h, image::Rgb([200, 10, 10]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    fn files_under(root: &std::path::Path) -> usize {
        std::fs::read_dir(root)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name() != ".easel")
            .map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 })
            .sum()
    }

    #[test]
    fn an_image_is_imported_and_bad_bytes_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let library = Library::open(dir.path()).unwrap();
        let record = library.import_image("cat.png", png(8, 6)).unwrap();
        assert_eq!(
            (record.operation.as_str(), record.width, record.height),
            ("import", 8, 6)
        );
        assert_eq!(library.get(&record.id).unwrap(), record);
        assert_eq!(files_under(dir.path()), 1);
        let embedded = crate::metadata::read(&std::fs::read(&record.path).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(embedded.inputs, ["cat.png"], "the file it came from is kept");

        let garbage = library
            .import_image("notes.png", b"not an image at all".to_vec())
            .unwrap_err();
        assert!(garbage.to_string().contains("notes.png"), "{garbage}");
        let mut truncated = png(64, 64);
        truncated.truncate(truncated.len() / 2);
        let corrupt = library.import_image("half.png", truncated).unwrap_err();
        assert!(corrupt.to_string().contains("corrupt"), "{corrupt}");
        assert_eq!(files_under(dir.path()), 1);
    }

    #[test]
    fn a_file_is_imported_by_absolute_path_and_bad_paths_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let library = Library::open(&dir.path().join("library")).unwrap();
        let outside = dir.path().join("Downloads");
        std::fs::create_dir(&outside).unwrap();
        let file = outside.join("pier sketch.png");
        std::fs::write(&file, png(12, 9)).unwrap();

        let record = library.import_file(&file).unwrap();
        assert_eq!(
            (record.operation.as_str(), record.width, record.height),
            ("import", 12, 9)
        );
        assert_ne!(record.path, file, "a copy in the library");
        assert!(file.exists(), "the dropped file stays where it was");
        let embedded = crate::metadata::read(&std::fs::read(&record.path).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(embedded.inputs, [file.display().to_string()]);

        let relative = library.import_file(Path::new("Downloads/pier sketch.png")).unwrap_err();
        assert!(relative.to_string().contains("not an absolute path"), "{relative}");
        let missing = library.import_file(&outside.join("gone.png")).unwrap_err();
        assert!(missing.to_string().contains("gone.png"), "{missing}");
        let text = outside.join("notes.png");
        std::fs::write(&text, b"not an image").unwrap();
        let not_image = library.import_file(&text).unwrap_err();
        assert!(not_image.to_string().contains("not a PNG, JPEG or WebP"), "{not_image}");
        assert!(matches!(not_image, Error::InvalidInput(_)));
        assert_eq!(files_under(&dir.path().join("library")), 1);
    }
}
