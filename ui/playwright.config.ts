import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Browser tests run the BUILT app (ui/dist, as the desktop shell embeds it) in Debian's
// Chromium, with the Tauri IPC mocked in the page. Playwright never downloads a browser here.
if (!existsSync(new URL('./dist/index.html', import.meta.url))) {
  throw new Error('ui/dist is missing: run `npm run build` (or `make ui`) before the browser tests');
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const port = Number(process.env.EASEL_PREVIEW_PORT ?? 4173);

export default defineConfig({
  testDir: './tests/browser',
  outputDir: '../test-artifacts/browser/results',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      // Playwright starts every browser with a fresh, empty user-data-dir.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // `vite preview` serves ui/dist with the CSP from tauri.conf.json (see vite.config.ts).
    command: `npx vite preview --port ${port} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
