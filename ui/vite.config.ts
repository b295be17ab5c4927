import { readFileSync } from 'node:fs';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// `vite preview` serves the built app with the same Content-Security-Policy the desktop
// shell enforces, so the browser tests catch anything the CSP would block in the app.
const tauriConf = JSON.parse(readFileSync(new URL('../tauri.conf.json', import.meta.url), 'utf8'));
const csp: string = tauriConf.app.security.csp;

export default defineConfig({
  plugins: [svelte()],
  // Tauri loads the bundle from its own protocol; relative asset URLs work there and in tests.
  base: './',
  clearScreen: false,
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  server: { port: 5173, strictPort: true, host: '127.0.0.1' },
  preview: {
    port: 4173,
    strictPort: true,
    host: '127.0.0.1',
    headers: { 'Content-Security-Policy': csp },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'happy-dom',
  },
});
