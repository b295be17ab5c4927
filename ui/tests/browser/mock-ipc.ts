// Runs in the page before the app: routes `invoke` through `mockIPC` from @tauri-apps/api.
// The answers come from `window.__EASEL_MOCK__`, set by an earlier init script (see fixtures.ts).
import { mockIPC } from '@tauri-apps/api/mocks';

interface MockConfig {
  appInfo?: { name: string; version: string; core_version: string };
  failWith?: string;
}

const target = window as unknown as { __EASEL_MOCK__?: MockConfig; __EASEL_CALLS__: string[] };
const config = target.__EASEL_MOCK__ ?? {};
target.__EASEL_CALLS__ = [];

mockIPC((cmd) => {
  target.__EASEL_CALLS__.push(cmd);
  if (cmd === 'app_info') {
    if (config.failWith) throw new Error(config.failWith);
    return config.appInfo;
  }
  throw new Error(`command not mocked in browser tests: ${cmd}`);
});
