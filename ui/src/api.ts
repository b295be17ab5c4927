// The only module that talks to the Rust side. Components import typed functions from here,
// never `@tauri-apps/api` directly, so every command the UI relies on is listed in one place.
import { invoke } from '@tauri-apps/api/core';

/** Mirrors `easel_studio::commands::AppInfo`. */
export interface AppInfo {
  /** Product name, e.g. "Easel". */
  name: string;
  /** Version of the desktop app (the `easel-studio` crate). */
  version: string;
  /** Version of the core library (`easel::VERSION`). */
  core_version: string;
}

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>('app_info');
}
