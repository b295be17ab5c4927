//! The Images API handlers: generations, edits (multipart and JSON) and variations.

use axum::response::Response;
use futures_util::future::join_all;
use serde_json::{Map, Value, json};

use crate::body::{self, blob};
use crate::error::{ApiError, ApiResult};
use crate::fault::Glitch;
use crate::images::{self, Spec};
use crate::inputs::{self, InputImage};
use crate::models::Family;
use crate::record::Part;
use crate::server::{Call, random_hex, unix_now};
use crate::stream;
use crate::usage::Usage;
use crate::validate::{self, Endpoint, Job, Params};

/// Which endpoint produced the images; streams name their events after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Generation,
    Edit,
    Variation,
}

/// `POST /v1/images/generations`.
pub async fn generations(call: &Call<'_>) -> ApiResult<Response> {
    let obj = call.json_object()?;
    let job = validate::job(&Params::Json(obj, ""), Endpoint::Generations, &call.origin, &[])?;
    respond(call, job, Vec::new(), Kind::Generation).await
}

/// `POST /v1/images/edits`, multipart or the JSON `images[]` form.
pub async fn edits(call: &Call<'_>) -> ApiResult<Response> {
    let (job, inputs) = if call.rec.is_multipart() {
        edit_form(call)?
    } else {
        edit_json(call)?
    };
    respond(call, job, inputs, Kind::Edit).await
}

/// `POST /v1/images/variations` (dall-e-2, multipart).
pub async fn variations(call: &Call<'_>) -> ApiResult<Response> {
    call.require_multipart()?;
    let fields = text_fields(call.rec.parts.iter(), &["image"]);
    let job = validate::job(&Params::Form(&fields), Endpoint::Variations, &call.origin, &[])?;
    let images = call.rec.parts_named("image");
    let inputs = multipart_images(&job, &images)?;
    respond(call, job, inputs, Kind::Variation).await
}

/// Multipart parts other than the file parts in `files`, as `(name, text)`.
fn text_fields<'a>(parts: impl Iterator<Item = &'a Part>, files: &[&str]) -> Vec<(String, String)> {
    parts
        .filter(|p| !files.contains(&p.name.as_str()))
        .map(|p| (p.name.clone(), String::from_utf8_lossy(&p.data).into_owned()))
        .collect()
}

fn check_count(job: &Job, count: usize, param: &str) -> ApiResult<()> {
    if count == 0 {
        return Err(ApiError::missing(param));
    }
    let max = if job.model.family == Family::DallE2 { 1 } else { 16 };
    if count > max {
        return Err(ApiError::invalid(
            param,
            "array_above_max_length",
            format!(
                "Invalid '{param}': array too long. Expected an array with maximum length {max}, \
                 but got an array with length {count} instead."
            ),
        ));
    }
    Ok(())
}

fn multipart_images(job: &Job, parts: &[&Part]) -> ApiResult<Vec<InputImage>> {
    check_count(job, parts.len(), "image")?;
    let mut decoded = Vec::with_capacity(parts.len());
    for part in parts {
        inputs::check_mime(part.content_type.as_deref(), "image")?;
        let image = inputs::decode(&part.data, "image")?;
        if job.model.family == Family::DallE2 {
            inputs::check_dalle_square_png(&image, "image")?;
        }
        decoded.push(image);
    }
    Ok(decoded)
}

fn edit_form(call: &Call<'_>) -> ApiResult<(Job, Vec<InputImage>)> {
    call.require_multipart()?;
    let rec = call.rec;
    let fields = text_fields(rec.parts.iter(), &["image", "image[]", "mask"]);
    let job = validate::job(&Params::Form(&fields), Endpoint::Edits, &call.origin, &[])?;
    let parts: Vec<&Part> = rec
        .parts
        .iter()
        .filter(|p| p.name == "image" || p.name == "image[]")
        .collect();
    let decoded = multipart_images(&job, &parts)?;
    if let Some(mask) = rec.parts_named("mask").first() {
        inputs::check_mime(mask.content_type.as_deref(), "mask")?;
        let image = inputs::decode(&mask.data, "mask")?;
        inputs::check_mask(&image, &decoded[0], "mask")?;
    }
    Ok((job, decoded))
}

fn edit_json(call: &Call<'_>) -> ApiResult<(Job, Vec<InputImage>)> {
    let obj = call.json_object()?;
    let job = validate::job(
        &Params::Json(obj, ""),
        Endpoint::Edits,
        &call.origin,
        &["images", "mask"],
    )?;
    if !job.model.is_gpt() {
        return Err(ApiError::invalid(
            "model",
            "invalid_value",
            format!(
                "The JSON request body is only supported for GPT image models; send {} edits as \
                 multipart/form-data.",
                job.model.id
            ),
        ));
    }
    let refs = match obj.get("images") {
        None | Some(Value::Null) => return Err(ApiError::missing("images")),
        Some(Value::Array(refs)) => refs,
        Some(other) => return Err(ApiError::invalid_type("images", "an array", other)),
    };
    check_count(&job, refs.len(), "images")?;
    let files = &call.state.files;
    let mut decoded = Vec::with_capacity(refs.len());
    for (i, r) in refs.iter().enumerate() {
        let param = format!("images[{i}]");
        let bytes = inputs::image_ref(r, &param, files)?;
        decoded.push(inputs::decode(&bytes, &param)?);
    }
    if let Some(mask) = obj.get("mask").filter(|m| !m.is_null()) {
        let bytes = inputs::image_ref(mask, "mask", files)?;
        let image = inputs::decode(&bytes, "mask")?;
        inputs::check_mask(&image, &decoded[0], "mask")?;
    }
    Ok((job, decoded))
}

/// Produce the images for a validated job: an `ImagesResponse`, or an SSE stream.
async fn respond(call: &Call<'_>, job: Job, inputs: Vec<InputImage>, kind: Kind) -> ApiResult<Response> {
    let (w, h) = job.resolved_size(inputs.first().map(|i| (i.width, i.height)));
    let spec = Spec::new(w, h, job.format, job.transparent, job.compression);
    if job.stream {
        return Ok(stream::images(call, &job, spec, &inputs, kind).await);
    }
    if call.glitch == Glitch::StreamError {
        return Err(ApiError::server_error());
    }
    let encoded = join_all((0..job.n).map(|i| images::encoded(spec.variant(i)))).await;
    let mut blobs = Vec::new();
    let mut data = Vec::new();
    for image in &encoded {
        let mut item = Map::new();
        if job.url_output {
            item.insert("url".into(), json!(host_image(call, spec, image)));
        } else {
            item.insert("b64_json".into(), blob(blobs.len()));
            blobs.push(call.glitch.b64(image));
        }
        if job.model.family == Family::DallE3 {
            item.insert("revised_prompt".into(), json!(revised_prompt(&job.prompt)));
        }
        data.push(Value::Object(item));
    }
    let mut value = json!({ "created": unix_now(), "data": data });
    if job.model.is_gpt() {
        value["background"] = json!(if job.transparent { "transparent" } else { "opaque" });
        value["output_format"] = json!(job.format.as_str());
        value["size"] = json!(format!("{w}x{h}"));
        value["quality"] = json!(job.quality);
        value["usage"] = Usage::for_job(&job, (w, h), &inputs, job.n, 0).json();
    }
    Ok(body::json_response(&value, &blobs, call.glitch == Glitch::Truncated))
}

/// Serve `image` under `/__fake/images/` and return its absolute URL.
fn host_image(call: &Call<'_>, spec: Spec, image: &std::sync::Arc<images::Encoded>) -> String {
    let name = format!("img_{}.{}", random_hex(24), spec.format.extension());
    call.state
        .hosted
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.clone(), (spec.format, image.clone()));
    format!("{}/__fake/images/{name}", call.origin_url())
}

pub fn revised_prompt(prompt: &str) -> String {
    if prompt.is_empty() {
        "A colourful abstract image.".to_string()
    } else {
        format!("{prompt}, rendered in rich detail with vibrant colours")
    }
}
