//! Resources: `easel://image/{id}` (the original bytes), `easel://image/{id}/preview` (a small JPEG),
//! `easel://session/{id}` (the turn tree as JSON), and the most recent images as a list.

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::{ListResourcesResult, ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

use super::results::{SessionDetail, image_uri};
use crate::error::Error;
use crate::imaging::encode_base64;
use crate::library::{Library, Query};

const RECENT: u32 = 50;

pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new("easel://image/{id}", "image")
            .with_title("Image")
            .with_description("A library image, as the original file (PNG, JPEG or WebP)"),
        ResourceTemplate::new("easel://image/{id}/preview", "image-preview")
            .with_title("Image preview")
            .with_description("A JPEG preview of a library image, at most 1568 px and 700 KB")
            .with_mime_type("image/jpeg"),
        ResourceTemplate::new("easel://session/{id}", "session")
            .with_title("Session")
            .with_description("An edit session and its tree of turns, as JSON")
            .with_mime_type("application/json"),
    ]
}

fn failed(e: Error) -> ErrorData {
    match e {
        Error::UnknownId { .. } => ErrorData::resource_not_found(e.to_string(), None),
        other => ErrorData::internal_error(other.to_string(), None),
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> crate::Result<T> + Send + 'static) -> Result<T, ErrorData> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ErrorData::internal_error(format!("task failed: {e}"), None))?
        .map_err(failed)
}

/// The newest images of the library.
pub async fn recent(library: &Arc<Library>) -> Result<ListResourcesResult, ErrorData> {
    let lib = Arc::clone(library);
    let images = blocking(move || {
        lib.search(&Query {
            limit: Some(RECENT),
            ..Query::default()
        })
    })
    .await?;
    let resources = images
        .iter()
        .map(|r| {
            let name = r
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| r.id.clone());
            Resource::new(image_uri(&r.id), name)
                .with_description(r.prompt.clone())
                .with_mime_type(r.format.mime())
                .with_size(r.bytes)
        })
        .collect();
    Ok(ListResourcesResult::with_all_items(resources))
}

pub async fn read(library: &Arc<Library>, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let unknown = || ErrorData::resource_not_found(format!("unknown resource '{uri}'"), None);
    let lib = Arc::clone(library);
    let owned = uri.to_string();
    if let Some(rest) = uri.strip_prefix("easel://image/") {
        if let Some(id) = rest.strip_suffix("/preview") {
            let id = id.to_string();
            let thumb = blocking(move || lib.preview(&id)).await?;
            return Ok(blob(owned, thumb.format.mime(), &thumb.bytes));
        }
        if rest.is_empty() || rest.contains('/') {
            return Err(unknown());
        }
        let id = rest.to_string();
        let (mime, bytes) = blocking(move || {
            let record = lib.get(&id)?;
            let bytes = std::fs::read(&record.path).map_err(|e| Error::io("cannot read", &record.path, e))?;
            Ok((record.format.mime(), bytes))
        })
        .await?;
        return Ok(blob(owned, mime, &bytes));
    }
    if let Some(id) = uri.strip_prefix("easel://session/") {
        let id = id.to_string();
        let tree = blocking(move || lib.session_tree(&id)).await?;
        let json = serde_json::to_string_pretty(&SessionDetail::from(&tree))
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        return Ok(ReadResourceResult::new(vec![ResourceContents::TextResourceContents {
            uri: owned,
            mime_type: Some("application/json".into()),
            text: json,
            meta: None,
        }]));
    }
    Err(unknown())
}

fn blob(uri: String, mime: &str, bytes: &[u8]) -> ReadResourceResult {
    ReadResourceResult::new(vec![ResourceContents::BlobResourceContents {
        uri,
        mime_type: Some(mime.to_string()),
        blob: encode_base64(bytes),
        meta: None,
    }])
}
