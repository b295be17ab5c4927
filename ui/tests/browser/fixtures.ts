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

export interface MockConfig {
  appInfo?: { name: string; version: string; core_version: string };
  failWith?: string;
}

interface Fixtures {
  /** Installs the IPC mock; call before `page.goto`. */
  mockCore: (config: MockConfig) => Promise<void>;
  /** Console errors and uncaught exceptions seen on the page (CSP violations included). */
  pageErrors: string[];
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
