#!/usr/bin/env node
// Renders the app icons in icons/ from the UI's logo (ui/public/easel.svg) with Debian's Chromium,
// so the window, the .deb and the page favicon share one drawing. Run: `make icons`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const { chromium } = createRequire(new URL('ui/package.json', root))('@playwright/test');

const svg = readFileSync(new URL('ui/public/easel.svg', root), 'utf8');
const icons = [
  ['icons/32x32.png', 32],
  ['icons/128x128.png', 128],
  ['icons/128x128@2x.png', 256],
  ['icons/icon.png', 512],
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const [file, size] of icons) {
    // A small margin, as desktop icon themes expect; the drawing itself is a rounded square.
    const inset = Math.round(size * 0.06);
    await page.setContent(
      `<body style="margin:0;background:transparent"><div id="icon" style="width:${size}px;height:${size}px;padding:${inset}px;box-sizing:border-box">${svg.replace('<svg ', '<svg width="100%" height="100%" ')}</div></body>`,
    );
    await page.locator('#icon').screenshot({ path: fileURLToPath(new URL(file, root)), omitBackground: true });
    console.log(`wrote ${file} (${size}×${size})`);
  }
} finally {
  await browser.close();
}
