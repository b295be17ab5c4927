import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Page } from '@playwright/test';
import { build } from 'vite';

export { expect };

export const artifactsDir = fileURLToPath(new URL('../../../test-artifacts/browser/', import.meta.url));
mkdirSync(artifactsDir, { recursive: true });

let mockScript: Promise<string> | undefined;

/** Bundles mock-ipc.ts (and the real `mockIPC` it imports) into one classic script. */
function bundleMockScript(): Promise<string> {
  mockScript ??= build({
    configFile: false,
    logLevel: 'warn',
    build: {
      write: false,
      minify: false,
      lib: {
        entry: fileURLToPath(new URL('./mock-ipc.ts', import.meta.url)),
        formats: ['iife'],
        name: 'easelMockIpc',
      },
    },
  }).then((result) => {
    const outputs = Array.isArray(result) ? result : [result];
    for (const out of outputs) {
      if ('output' in out) {
        const chunk = out.output.find((o) => o.type === 'chunk');
        if (chunk && chunk.type === 'chunk') return chunk.code;
      }
    }
    throw new Error('vite produced no chunk for mock-ipc.ts');
  });
  return mockScript;
}

export type { MockConfig } from './mock-ipc';
import type { MockConfig } from './mock-ipc';

interface Fixtures {
  /** Installs the IPC mock; call before `page.goto`. */
  mockCore: (config: MockConfig) => Promise<void>;
  /** Console errors and uncaught exceptions seen on the page (CSP violations included). */
  pageErrors: string[];
  /** Ids of the thumbnails the page requested (served as small SVGs), in order. */
  thumbRequests: string[];
}

export const test = base.extend<Fixtures>({
  pageErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await use(errors);
  },
  // always on, so every thumbnail the app asks for is answered (and counted)
  thumbRequests: [
    async ({ page }, use) => {
    const requested: string[] = [];
    await page.route(/^http:\/\/easel\.localhost\//, async (route) => {
      const path = decodeURIComponent(new URL(route.request().url()).pathname.slice(1));
      const [kind, id = ''] = path.split('/');
      if (kind === 'thumb') requested.push(id);
      await route.fulfill({ status: 200, contentType: 'image/svg+xml', body: swatch(id) });
    });
    await use(requested);
    },
    { auto: true },
  ],
  mockCore: async ({ page }, use) => {
    await use(async (config) => {
      await page.addInitScript((c) => {
        (window as unknown as { __EASEL_MOCK__: unknown }).__EASEL_MOCK__ = c;
      }, config);
      await page.addInitScript({ content: await bundleMockScript() });
    });
  },
});

export async function ipcCalls(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __EASEL_CALLS__: string[] }).__EASEL_CALLS__);
}

/** A recognisable picture per id: a hue from the id, its number written on it. */
function swatch(id: string): string {
  let hue = 0;
  for (const c of id) hue = (hue * 31 + c.charCodeAt(0)) % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
    <rect width="256" height="256" fill="hsl(${hue} 60% 55%)"/>
    <circle cx="90" cy="90" r="40" fill="hsl(${(hue + 120) % 360} 70% 75%)"/>
    <text x="128" y="200" font-size="36" text-anchor="middle" fill="#fff" font-family="sans-serif">${id}</text>
  </svg>`;
}

export async function ipcCallsOf(page: Page, cmd: string): Promise<number> {
  return (await ipcCalls(page)).filter((c) => c === cmd).length;
}

/** The invokes of `cmd` with their arguments, in order. */
export async function invokesOf(page: Page, cmd: string): Promise<Record<string, unknown>[]> {
  const all = await page.evaluate(
    () => (window as unknown as { __EASEL_INVOKES__: { cmd: string; args: Record<string, unknown> }[] }).__EASEL_INVOKES__,
  );
  return all.filter((i) => i.cmd === cmd).map((i) => i.args);
}
