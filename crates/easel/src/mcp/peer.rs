//! What the server asks of the client, and only of a client that declared it can answer:
//! elicitation (confirm a call whose estimate is above the threshold), sampling (let the client's model
//! enhance a prompt) and roots (save a copy of the results into the client's workspace).
//! A client that did not declare a capability is never sent its request.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

#[allow(deprecated)] // sampling: see enhance_prompt
use rmcp::model::{CreateMessageRequestParams, Role, SamplingMessage};
use rmcp::service::ElicitationError;
use rmcp::{Peer, RoleServer};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::library::ImageRecord;

/// How long a question to the user may stay open.
const ASK_TIMEOUT: Duration = Duration::from_secs(300);

/// The answer form of a cost confirmation.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Confirm {
    /// Make the call and pay for it.
    pub confirm: bool,
}
rmcp::elicit_safe!(Confirm);

/// Ask the user to confirm a call estimated at `usd` when it is above `threshold`. A client without
/// elicitation is not asked (the call goes ahead, as it would without Easel asking).
pub async fn confirm_cost(peer: &Peer<RoleServer>, what: &str, usd: f64, threshold: f64) -> Result<()> {
    if usd <= threshold || !declares_elicitation(peer) {
        return Ok(());
    }
    let message =
        format!("{what} is estimated at ${usd:.2} (above your ${threshold:.2} confirmation threshold). Go ahead?");
    match peer.elicit_with_timeout::<Confirm>(message, Some(ASK_TIMEOUT)).await {
        Ok(Some(Confirm { confirm: true })) => Ok(()),
        Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => Err(Error::Cancelled),
        Err(ElicitationError::CapabilityNotSupported) => Ok(()),
        Err(e) => Err(Error::InvalidInput(format!(
            "could not ask you to confirm the ${usd:.2} call ({e}); call again with a smaller size, quality or n"
        ))),
    }
}

fn declares_elicitation(peer: &Peer<RoleServer>) -> bool {
    peer.peer_info().is_some_and(|i| i.capabilities.elicitation.is_some())
}

fn declares_sampling(peer: &Peer<RoleServer>) -> bool {
    peer.peer_info().is_some_and(|i| i.capabilities.sampling.is_some())
}

fn declares_roots(peer: &Peer<RoleServer>) -> bool {
    peer.peer_info().is_some_and(|i| i.capabilities.roots.is_some())
}

const ENHANCE_SYSTEM: &str = "You rewrite prompts for an image generation model. Keep the user's intent, subject \
and any text to render; add concrete detail on composition, lighting, style and colour. Answer with the \
prompt only, under 120 words.";

/// The prompt rewritten by the client's model. Without sampling this is a tool error that says so, so
/// the model can enhance the prompt itself.
#[allow(deprecated)] // sampling is deprecated from protocol 2026-07-28 on; clients still declare it.
pub async fn enhance_prompt(peer: &Peer<RoleServer>, prompt: &str) -> Result<String> {
    if !declares_sampling(peer) {
        return Err(Error::InvalidInput(
            "enhance_prompt needs a client with sampling, and this one did not declare it: rewrite the prompt \
             yourself and call again without enhance_prompt"
                .into(),
        ));
    }
    let request = CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], 400)
        .with_system_prompt(ENHANCE_SYSTEM);
    let answer = peer.create_message(request).await.map_err(|e| {
        Error::InvalidInput(format!(
            "the client could not enhance the prompt ({e}); call again without enhance_prompt"
        ))
    })?;
    let text: String = answer
        .message
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n");
    let text = text.trim();
    if text.is_empty() || answer.message.role != Role::Assistant {
        return Err(Error::InvalidInput(
            "the client's model returned no prompt; call again without enhance_prompt".into(),
        ));
    }
    Ok(text.to_string())
}

/// Copy `images` into `folder` (relative) under the client's first root; the paths of the copies.
#[allow(deprecated)] // roots are deprecated from protocol 2026-07-28 on; clients still declare them.
pub async fn save_to_root(peer: &Peer<RoleServer>, folder: &str, images: &[ImageRecord]) -> Result<Vec<PathBuf>> {
    let relative = safe_relative(folder)?;
    if !declares_roots(peer) {
        return Err(Error::InvalidInput(
            "save_to needs a client that shares its workspace roots, and this one did not declare them; the \
             images are in the library at the paths above"
                .into(),
        ));
    }
    let roots = peer
        .list_roots()
        .await
        .map_err(|e| Error::InvalidInput(format!("the client did not list its roots ({e})")))?;
    let root = roots
        .roots
        .iter()
        .find_map(|r| file_url_path(&r.uri))
        .ok_or_else(|| Error::InvalidInput("the client shares no file:// root to save into".into()))?;
    let dir = root.join(relative);
    let images = images.to_vec();
    tokio::task::spawn_blocking(move || copy_into(&dir, &images))
        .await
        .map_err(|e| Error::Index(format!("copy task failed: {e}")))?
}

fn copy_into(dir: &Path, images: &[ImageRecord]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    images
        .iter()
        .map(|image| {
            let name = image
                .path
                .file_name()
                .ok_or_else(|| Error::InvalidInput("image without a file name".into()))?;
            let target = dir.join(name);
            let bytes = std::fs::read(&image.path).map_err(|e| Error::io("cannot read", &image.path, e))?;
            crate::library::write_atomic(&target, &bytes, true)?;
            Ok(target)
        })
        .collect()
}

/// `folder` as a path that stays inside whatever it is joined to: relative, no `..`, no root or prefix.
pub fn safe_relative(folder: &str) -> Result<PathBuf> {
    let path = Path::new(folder.trim());
    let refused = || {
        Error::InvalidInput(format!(
            "save_to '{folder}' must be a folder inside the workspace, like \"images\" or \"assets/icons\" (no '..', \
             not absolute)"
        ))
    };
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return Err(refused()),
        }
    }
    Ok(out)
}

/// The local path of a `file://` URL.
fn file_url_path(uri: &str) -> Option<PathBuf> {
    let url = reqwest::Url::parse(uri).ok()?;
    (url.scheme() == "file").then(|| url.to_file_path().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_to_stays_inside_the_root() {
        assert_eq!(safe_relative("images").unwrap(), PathBuf::from("images"));
        assert_eq!(safe_relative("./assets/icons/").unwrap(), PathBuf::from("assets/icons"));
        assert_eq!(safe_relative("").unwrap(), PathBuf::new());
        for bad in ["../outside", "a/../../b", "/etc", "a/.."] {
            assert!(safe_relative(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn only_file_urls_are_roots_to_save_into() {
        assert_eq!(
            file_url_path("file:///home/me/project"),
            Some(PathBuf::from("/home/me/project"))
        );
        assert_eq!(file_url_path("https://example.com/x"), None);
        assert_eq!(file_url_path("not a url"), None);
    }
}
