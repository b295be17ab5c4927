//! The session timeline's commands: list, the turn tree, create, rename, archive. Sessions made over
//! MCP are the same rows, so they show up here (the library's `session_changed` events say when).

use easel::session::{Session, SessionTree};
use tauri::State;

use crate::commands::{Answer, blocking};
use crate::studio::Studio;

/// How many sessions the list shows at most, newest activity first.
const LIST_LIMIT: u32 = 500;

#[tauri::command]
pub async fn sessions(studio: State<'_, Studio>, include_archived: bool) -> Answer<Vec<Session>> {
    let library = studio.library();
    blocking(move || library.list_sessions(include_archived, LIST_LIMIT)).await
}

/// A session with every turn (parent links make the tree).
#[tauri::command]
pub async fn session_tree(studio: State<'_, Studio>, id: String) -> Answer<SessionTree> {
    let library = studio.library();
    blocking(move || library.session_tree(&id)).await
}

#[tauri::command]
pub async fn create_session(studio: State<'_, Studio>, name: String) -> Answer<Session> {
    let library = studio.library();
    blocking(move || library.create_session(&name)).await
}

#[tauri::command]
pub async fn rename_session(studio: State<'_, Studio>, id: String, name: String) -> Answer<Session> {
    let library = studio.library();
    blocking(move || library.rename_session(&id, &name)).await
}

#[tauri::command]
pub async fn archive_session(studio: State<'_, Studio>, id: String, archived: bool) -> Answer<Session> {
    let library = studio.library();
    blocking(move || library.archive_session(&id, archived)).await
}
