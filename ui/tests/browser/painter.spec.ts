import { deflateSync } from 'node:zlib';
import { type Page } from '@playwright/test';
import { artifactsDir, expect, invokesOf, test } from './fixtures';

/** A real `edge × edge` RGB PNG (a gradient), so the 4096² test decodes and draws a bitmap like the app. */
function gradientPng(edge: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 255]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(edge, 0);
  header.writeUInt32BE(edge, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const raw = Buffer.alloc((edge * 3 + 1) * edge);
  for (let y = 0; y < edge; y++) {
    const row = y * (edge * 3 + 1);
    for (let x = 0; x < edge; x++) raw.set([(x * 255) / edge, (y * 255) / edge, 140], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 1 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const info = { name: 'Easel', version: '9.8.7', core_version: '9.8.6' };

interface Exported {
  length: number;
  headers: Record<string, string>;
  /** Coverage (255 = painted) at the sampled natural pixels. */
  samples: number[];
}

/** Opens the first gallery image in the mask painter. */
async function openPainter(page: Page) {
  await page.locator('#tile-img0').click();
  await page.getByRole('button', { name: 'Paint mask' }).click();
  await expect(page.getByTestId('painter')).toBeVisible();
  // fitted once the stage has its size
  await expect.poll(async () => Number(await page.getByTestId('painter-stage').getAttribute('data-scale'))).toBeLessThan(1);
}

/** Screen position (page coordinates) of a natural pixel, from the painter's current view. */
async function screenOf(page: Page, x: number, y: number) {
  const stage = page.getByTestId('painter-stage');
  const box = (await stage.boundingBox())!;
  const [scale, ox, oy] = await Promise.all(['data-scale', 'data-x', 'data-y'].map(async (a) => Number(await stage.getAttribute(a))));
  return { x: box.x + ox! + x * scale!, y: box.y + oy! + y * scale! };
}

/** Exports and returns the last payload the (mocked) core received, sampled at `points`. */
async function exportAndRead(page: Page, points: [number, number][]): Promise<Exported> {
  const before = await page.evaluate(() => (window as unknown as { __EASEL_MASKS__: unknown[] }).__EASEL_MASKS__.length);
  await page.getByRole('button', { name: 'Export mask' }).click();
  await expect.poll(() => page.evaluate(() => (window as unknown as { __EASEL_MASKS__: unknown[] }).__EASEL_MASKS__.length)).toBe(before + 1);
  return page.evaluate((pts) => {
    const masks = (window as unknown as { __EASEL_MASKS__: { bytes: Uint8Array; headers: Record<string, string> }[] }).__EASEL_MASKS__;
    const last = masks[masks.length - 1]!;
    const width = Number(last.headers['x-easel-width']);
    return { length: last.bytes.length, headers: last.headers, samples: pts.map(([x, y]) => last.bytes[y * width + x]!) };
  }, points);
}

test('paints a stroke, undoes, redoes, inverts and exports the mask at natural size', async ({ page, mockCore, pageErrors }) => {
  await mockCore({ appInfo: info, images: 3, imageEdge: 1024 });
  await page.goto('/');
  await openPainter(page);
  await page.getByLabel('Brush size in pixels').fill('100');
  await page.getByLabel('Brush hardness').fill('1');

  // a horizontal stroke across the middle, from natural x 200 to 800 at y 500
  const from = await screenOf(page, 200, 500);
  const to = await screenOf(page, 800, 500);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await page.mouse.up();

  // the stroke is on screen: the view canvas has colour where it went, none far from it
  const drawn = await page.evaluate(
    ([a, b]) => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=painter-canvas]')!;
      const box = canvas.getBoundingClientRect();
      const k = canvas.width / box.width;
      const ctx = canvas.getContext('2d')!;
      const alpha = (p: { x: number; y: number }) => ctx.getImageData(Math.round((p.x - box.left) * k), Math.round((p.y - box.top) * k), 1, 1).data[3];
      return [alpha(a!), alpha(b!)];
    },
    [await screenOf(page, 500, 500), await screenOf(page, 500, 150)],
  );
  expect(drawn[0]).toBeGreaterThan(100); // the overlay's opacity (0.5 by default) is in the pixels
  expect(drawn[1]).toBe(0);

  const points: [number, number][] = [
    [500, 500], // on the stroke
    [210, 500], // near its start
    [500, 540], // inside the 50-px radius
    [500, 600], // below it
    [100, 100], // far away
  ];
  const painted = await exportAndRead(page, points);
  expect(painted.length).toBe(1024 * 1024);
  expect(painted.headers).toMatchObject({ 'x-easel-width': '1024', 'x-easel-height': '1024', 'x-easel-image': 'img0' });
  expect(painted.samples).toEqual([255, 255, 255, 0, 0]);
  await expect(page.getByTestId('painter-status')).toContainText('Mask saved (1024×1024');
  await page.screenshot({ path: `${artifactsDir}painter-stroke.png` });

  // undo: nothing painted, so nothing to export
  await page.getByTestId('painter-stage').focus();
  await page.keyboard.press('Control+z');
  await page.getByRole('button', { name: 'Export mask' }).click();
  await expect(page.getByRole('alert')).toContainText('Nothing is painted');

  // redo brings the stroke back
  await page.keyboard.press('Control+Shift+z');
  expect((await exportAndRead(page, points)).samples).toEqual([255, 255, 255, 0, 0]);

  // invert: everything but the stroke
  await page.getByRole('button', { name: 'Invert' }).click();
  expect((await exportAndRead(page, points)).samples).toEqual([0, 0, 0, 255, 255]);

  // settings are remembered
  await expect.poll(() => page.evaluate(() => JSON.parse(localStorage.getItem('easel.painter') ?? '{}').size)).toBe(100);
  await page.keyboard.press(']');
  await expect(page.getByLabel('Brush size in pixels')).toHaveValue('115');
  await page.getByLabel('Mask only').check();
  await page.screenshot({ path: `${artifactsDir}painter-mask-only.png` });
  expect(pageErrors).toEqual([]);
});

test('fills a rectangle and a lasso, and works at 1024×700 in the dark theme', async ({ page, mockCore, pageErrors }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await mockCore({ appInfo: info, images: 2, imageEdge: 1024 });
  await page.goto('/');
  await openPainter(page);

  await page.getByRole('button', { name: 'Rectangle' }).click();
  const a = await screenOf(page, 100, 100);
  const b = await screenOf(page, 300, 300);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();

  await page.keyboard.press('l');
  await expect(page.getByRole('button', { name: 'Lasso' })).toHaveAttribute('aria-pressed', 'true');
  const corners = [await screenOf(page, 600, 600), await screenOf(page, 900, 600), await screenOf(page, 750, 900)];
  await page.mouse.move(corners[0]!.x, corners[0]!.y);
  await page.mouse.down();
  for (const c of corners.slice(1)) await page.mouse.move(c.x, c.y, { steps: 6 });
  await page.mouse.up();

  const out = await exportAndRead(page, [
    [200, 200],
    [350, 200],
    [750, 700],
    [620, 880],
  ]);
  expect(out.samples).toEqual([255, 0, 255, 0]);

  // reference images: a file and a library image dropped in, reordered, one removed
  await page.getByTestId('reference-list').evaluate((el, png) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(png)], 'sketch.png', { type: 'image/png' }));
    data.setData('text/uri-list', 'http://easel.localhost/image/img1');
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, [...gradientPng(64)]);
  const refs = page.getByTestId('reference-list').getByRole('listitem');
  await expect(refs).toHaveCount(2);
  await expect(refs.nth(0)).toContainText('sketch.png');
  await page.getByRole('button', { name: 'Move 2 up' }).click();
  await expect(refs.nth(0)).toContainText('img1');
  await page.screenshot({ path: `${artifactsDir}painter-dark-1024x700.png` });
  await page.getByRole('button', { name: 'Remove 2' }).click();
  await expect(refs).toHaveCount(1);

  // the wheel zooms at the cursor: the image pixel under it stays under it; Ctrl+0 fits again
  const stage = page.getByTestId('painter-stage');
  const view = async () => Promise.all(['data-scale', 'data-x', 'data-y'].map(async (a) => Number(await stage.getAttribute(a))));
  const [fitScale] = await view();
  const cursor = await screenOf(page, 700, 300);
  await page.mouse.move(cursor.x, cursor.y);
  await page.mouse.wheel(0, -200);
  await expect.poll(async () => (await view())[0]).toBeGreaterThan(fitScale! * 1.5);
  const under = await screenOf(page, 700, 300);
  expect(Math.abs(under.x - cursor.x)).toBeLessThan(1);
  expect(Math.abs(under.y - cursor.y)).toBeLessThan(1);
  await stage.focus();
  await page.keyboard.press('Control+0');
  await expect.poll(async () => (await view())[0]).toBeCloseTo(fitScale!, 6);
  expect(pageErrors).toEqual([]);
});

test('a long stroke on a 4096×4096 image renders within a frame (p95 of rAF intervals)', async ({ page, mockCore, pageErrors }) => {
  test.setTimeout(180_000); // up to three measured attempts
  await mockCore({ appInfo: info, images: 1, imageEdge: 4096 });
  const png = gradientPng(4096);
  // the mocked convertFileSrc encodes the slash: http://easel.localhost/image%2F<id>
  await page.route(/^http:\/\/easel\.localhost\/image(\/|%2F)/i, (route) => route.fulfill({ status: 200, contentType: 'image/png', body: png }));
  await page.goto('/');
  await openPainter(page);
  await page.getByLabel('Brush size in pixels').fill('160');

  const stroke = () => page.evaluate(async () => {
    const stage = document.querySelector<HTMLElement>('[data-testid=painter-stage]')!;
    const box = stage.getBoundingClientRect();
    const frames = 300;
    const movesPerFrame = 4; // a 240 Hz pointer
    // a zig-zag over the whole image: 6 sweeps left and right
    const at = (k: number) => {
      const t = k / (frames * movesPerFrame);
      const sweep = t * 6;
      const phase = sweep % 1;
      const x = Math.floor(sweep) % 2 === 0 ? phase : 1 - phase;
      return { clientX: box.left + box.width * (0.1 + 0.8 * x), clientY: box.top + box.height * (0.1 + 0.8 * t) };
    };
    const fire = (type: string, k: number) =>
      stage.dispatchEvent(new PointerEvent(type, { ...at(k), button: 0, buttons: 1, pointerId: 7, bubbles: true }));
    // settle, then measure
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    fire('pointerdown', 0);
    const stamps: number[] = [];
    // the painter's work on each frame's pointer events (painting the coverage, wall time)
    const work: number[] = [];
    await new Promise<void>((resolve) => {
      let frame = 0;
      const tick = (now: number) => {
        stamps.push(now);
        if (frame === frames) return resolve();
        const start = performance.now();
        for (let m = 1; m <= movesPerFrame; m++) fire('pointermove', frame * movesPerFrame + m);
        work.push(performance.now() - start);
        frame++;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    fire('pointerup', frames * movesPerFrame);
    const intervals = stamps.slice(1).map((t, i) => t - stamps[i]!).sort((x, y) => x - y);
    const p = (list: number[], q: number) => list[Math.min(list.length - 1, Math.ceil(list.length * q) - 1)]!;
    work.sort((x, y) => x - y);
    return { p50: p(intervals, 0.5), p95: p(intervals, 0.95), max: intervals[intervals.length - 1]!, frames: intervals.length, workP95: p(work, 0.95) };
  });
  /** rAF intervals of the same page animating a 10-px square: what this machine manages right now. */
  const baseline = () => page.evaluate(async () => {
    const stage = document.querySelector<HTMLElement>('[data-testid=painter-stage]')!;
    const dot = document.createElement('div');
    dot.style.position = 'absolute';
    dot.style.width = dot.style.height = '10px';
    dot.style.background = '#0a0';
    stage.appendChild(dot);
    const stamps: number[] = [];
    await new Promise<void>((resolve) => {
      const tick = (now: number) => {
        stamps.push(now);
        dot.style.transform = `translate(${stamps.length % 400}px, 20px)`;
        if (stamps.length > 300) return resolve();
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    dot.remove();
    const intervals = stamps.slice(1).map((t, i) => t - stamps[i]!).sort((x, y) => x - y);
    return intervals[Math.ceil(intervals.length * 0.95) - 1]!;
  });
  // The machine is shared with other builds: a stroke is measured up to three times, each between two
  // measurements of a trivial animation of the same page (the load it ran under); the first attempt that
  // meets the bar counts, else the closest one. Every attempt is reported.
  // 60 fps when the machine manages 60 fps at all; under load, at most one frame behind the trivial animation
  const bar = (a: { baseline: number }) => (a.baseline <= 16.7 + 1e-6 ? 16.7 : a.baseline + 16.7) + 1e-6;
  const attempts: (Awaited<ReturnType<typeof stroke>> & { baseline: number })[] = [];
  for (let i = 0; i < 3; i++) {
    // each attempt paints fresh pixels (painted ones are skipped, which would flatter a repeat)
    if (i > 0) await page.getByRole('button', { name: 'Clear' }).click();
    const before = await baseline();
    const measured = await stroke();
    const after = await baseline();
    attempts.push({ ...measured, baseline: Math.max(before, after) });
    if (measured.p95 <= bar(attempts[i]!)) break;
  }
  const result = attempts.reduce((best, a) => (a.p95 - bar(a) < best.p95 - bar(best) ? a : best));
  for (const a of attempts) {
    console.log(
      `painter 4096² stroke attempt: rAF interval p50 ${a.p50.toFixed(2)} ms, p95 ${a.p95.toFixed(2)} ms, max ${a.max.toFixed(2)} ms; ` +
        `pointer handling per frame p95 ${a.workP95.toFixed(2)} ms; a 10-px square animated around it: p95 ${a.baseline.toFixed(2)} ms`,
    );
  }
  console.log(`painter 4096² stroke: ${result.frames} frames, rAF interval p50 ${result.p50.toFixed(2)} ms, p95 ${result.p95.toFixed(2)} ms, max ${result.max.toFixed(2)} ms`);
  test.info().annotations.push({ type: 'frame-p95-ms', description: result.p95.toFixed(2) });

  // the stroke really painted: a point on its path is covered in the export
  const out = await exportAndRead(page, [[Math.round(4096 * 0.1), Math.round(4096 * 0.1)]]);
  expect(out.length).toBe(4096 * 4096);
  expect(out.samples[0]).toBe(255);
  await page.screenshot({ path: `${artifactsDir}painter-4096.png` });
  // Handling a frame's pointer moves fits in a frame. The frame rate itself must be 60 fps (p95 ≤ 16.7 ms;
  // rAF timestamps come in 0.1 ms steps, hence the epsilon) whenever the machine can animate anything at
  // 60 fps; when it cannot (other builds saturating the CPU), the painter may be at most one frame behind
  // a 10-px square moved on the same page.
  expect(result.workP95).toBeLessThanOrEqual(16.7);
  expect(result.p95).toBeLessThanOrEqual(bar(result));
  expect(pageErrors).toEqual([]);
});

test('the cost view shows spend per day, per model, the caps and top sessions', async ({ page, mockCore, pageErrors }) => {
  await mockCore({ appInfo: info, images: 3 });
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Costs' }).click();
  const view = page.getByTestId('cost-view');
  await expect(view.getByTestId('cap-day')).toContainText('$0.420');
  await expect(view.getByTestId('cap-day')).toContainText('of $1.00 cap');
  await expect(view.getByTestId('cap-month')).toContainText('$7.33');
  await expect(view.getByRole('meter', { name: /This month/ })).toHaveAttribute('aria-valuenow', '37');
  const chart = view.getByRole('img', { name: /Spend per day/ });
  await expect(chart.locator('rect')).toHaveCount(30);
  // the highest day (2.05) fills the chart; a day without spend has no height
  const heights = await chart.locator('rect').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
  expect(Math.max(...heights)).toBeCloseTo(146);
  expect(heights.filter((h) => h === 0).length).toBe(22);
  const models = view.getByRole('table').first().getByRole('row');
  await expect(models).toHaveCount(4);
  await expect(models.nth(1)).toContainText('gpt-image-2');
  await expect(models.nth(1)).toContainText('$5.12');
  const sessions = view.getByRole('table').nth(1);
  await expect(sessions).toContainText('Fox studies');
  await expect(sessions).toContainText('Outside sessions');
  await page.screenshot({ path: `${artifactsDir}costs-light.png` });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${artifactsDir}costs-dark.png` });
  expect(pageErrors).toEqual([]);
});

test('the exported mask goes to the generate panel: the edit sends the image and the mask', async ({ page, mockCore, pageErrors }) => {
  await mockCore({ appInfo: info, images: 3, imageEdge: 1024 });
  await page.goto('/');
  await paintStroke(page);
  await expect(page.getByRole('button', { name: 'Edit with this mask' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Export mask' }).click();
  await page.getByRole('button', { name: 'Edit with this mask' }).click();

  await expect(page.getByTestId('mask-edit')).toContainText('Editing the painted area');
  await page.getByTestId('prompt').fill('a hot-air balloon in the painted sky');
  await page.getByTestId('prompt').press('Control+Enter');
  await expect(page.getByTestId('queue-tile')).toHaveCount(1);
  const sent = (await invokesOf(page, 'generate'))[0]?.['form'];
  expect(sent).toMatchObject({ inputs: ['img0'], mask_path: '/home/me/Pictures/Easel/.easel/masks/img0-1.png' });
  await page.getByRole('button', { name: 'Drop the mask' }).click();
  await expect(page.getByTestId('mask-edit')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});

/** Opens the first gallery image in the painter and paints one horizontal stroke. */
async function paintStroke(page: Page) {
  await openPainter(page);
  const from = await screenOf(page, 300, 300);
  const to = await screenOf(page, 600, 300);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 6 });
  await page.mouse.up();
}

/** Paints a stroke on the first gallery image and exports it (the mask edit is then ready). */
async function paintAndExport(page: Page) {
  await paintStroke(page);
  await page.getByRole('button', { name: 'Export mask' }).click();
  await expect(page.getByTestId('painter-status')).toContainText('Mask saved');
}

/** Paints a stroke on the first gallery image, exports it and sends a masked edit from the generate panel. */
async function sendMaskedEdit(page: Page, prompt: string) {
  await paintAndExport(page);
  await page.getByRole('button', { name: 'Edit with this mask' }).click();
  await page.getByTestId('prompt').fill(prompt);
  await page.getByTestId('prompt').press('Control+Enter');
  const tile = page.getByTestId('queue-tile');
  await expect(tile).toHaveAttribute('data-state', 'done');
  return tile;
}

test('a finished masked edit keeps its changes inside the mask only: composite_mask makes a new image', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await mockCore({ appInfo: info, images: 3, imageEdge: 1024 });
  await page.goto('/');
  const tile = await sendMaskedEdit(page, 'a kite in the painted sky');
  await expect(tile.getByRole('img', { name: 'a kite in the painted sky', exact: true })).toHaveAttribute('src', /new0$/);
  expect(await invokesOf(page, 'composite_mask')).toEqual([]);

  await tile.getByRole('button', { name: 'Keep changes inside the mask only' }).click();
  await expect(tile.getByTestId('composite-image')).toHaveAttribute('src', /new1$/);
  expect(await invokesOf(page, 'composite_mask')).toEqual([{ originalId: 'img0', editedId: 'new0', mask: 'img0-1.png' }]);
  await expect(tile.getByRole('status')).toContainText('Saved as a new image in the library');
  // done once: the offer is gone, the edit itself is still there
  await expect(tile.getByRole('button', { name: 'Keep changes inside the mask only' })).toHaveCount(0);
  await expect(tile.getByRole('img', { name: 'a kite in the painted sky', exact: true })).toBeVisible();
  await page.screenshot({ path: `${artifactsDir}generate-composite.png` });

  // a plain generation (no mask) is not offered a composite
  await page.getByRole('button', { name: 'Drop the mask' }).click();
  await page.getByTestId('prompt').fill('a plain kite');
  await page.getByTestId('prompt').press('Control+Enter');
  await expect(page.getByTestId('queue-tile').first()).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('queue-tile').first().getByTestId('composite')).toHaveCount(0);

  // the composite is in the gallery: 3 images + the edit + the composite + the plain one
  await page.getByRole('navigation').getByRole('button', { name: 'Gallery' }).click();
  await expect(page.getByTestId('count')).toHaveText('6 images');
  await expect(page.locator('[aria-label="red fox in the snow #0 (edit inside the mask)"]')).toHaveCount(1);
  expect(pageErrors).toEqual([]);
});

test('a failed composite says why and loses nothing; trying again works', async ({ page, mockCore, pageErrors }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await mockCore({ appInfo: info, images: 3, imageEdge: 1024, compositeFailures: 1 });
  await page.goto('/');
  const tile = await sendMaskedEdit(page, 'a moon');
  const keep = tile.getByRole('button', { name: 'Keep changes inside the mask only' });
  await keep.click();
  await expect(tile.getByRole('alert')).toContainText('no space left on device');
  await expect(tile.getByRole('alert')).toContainText('The edit is still in the library');
  await expect(tile.getByTestId('composite-image')).toHaveCount(0);
  await expect(tile.getByRole('img', { name: 'a moon', exact: true })).toBeVisible();
  await page.screenshot({ path: `${artifactsDir}generate-composite-error-dark.png` });
  await expect(keep).toBeEnabled();
  await keep.click();
  await expect(tile.getByTestId('composite-image')).toBeVisible();
  await expect(tile.getByRole('alert')).toHaveCount(0);
  expect(await invokesOf(page, 'composite_mask')).toHaveLength(2);
  // the refusal was handled: nothing uncaught, nothing in the console
  expect(pageErrors).toEqual([]);
});

test('gallery tiles and the detail preview drag onto the reference list of a masked edit; dropped and pasted files are imported and sent', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await mockCore({ appInfo: info, images: 8, imageEdge: 1024 });
  await page.goto('/');
  // no edit in progress: the gallery has no reference list
  await expect(page.getByTestId('edit-references')).toHaveCount(0);
  await paintAndExport(page);
  await page.getByRole('button', { name: 'Close' }).click();
  const refsPanel = page.getByTestId('edit-references');
  await expect(refsPanel).toBeVisible();
  const list = refsPanel.getByTestId('reference-list');
  const refs = list.getByRole('listitem');
  await expect(refs).toHaveCount(0);

  // a real mouse drag of one tile (Chromium's HTML5 drag and drop)
  await page.locator('#tile-img2').dragTo(list);
  await expect(refs).toHaveCount(1);
  await expect(refs.nth(0)).toContainText('img2');

  // a tile of a selection carries the whole selection, in the order it was selected
  await page.locator('#tile-img4').click();
  await page.locator('#tile-img3').click({ modifiers: ['Control'] });
  await page.locator('#tile-img3').dragTo(list);
  await expect(refs).toHaveCount(3);
  await expect(refs.nth(1)).toContainText('img4');
  await expect(refs.nth(2)).toContainText('img3');

  // the detail panel's preview (focused img5) carries its library id as well as the file
  await page.locator('#tile-img5').click();
  await page.getByTestId('detail-drag').dragTo(list);
  await expect(refs).toHaveCount(4);
  await expect(refs.nth(3)).toContainText('img5');
  // dropping one already listed adds nothing and says so
  await page.getByTestId('detail-drag').dragTo(list);
  await expect(refs).toHaveCount(4);
  await expect(refsPanel.getByRole('status')).toContainText('Nothing added');

  // without a mouse: the focused image, added with the button
  await page.locator('#tile-img6').click();
  const add = refsPanel.getByRole('button', { name: 'Add this image as reference' });
  await add.focus();
  await page.keyboard.press('Enter');
  await expect(refs).toHaveCount(5);
  await expect(refs.nth(4)).toContainText('img6');
  await page.keyboard.press('Enter');
  await expect(refsPanel.getByRole('status').filter({ hasText: 'not added' })).toHaveText('1 not added: already listed, or the list is full.');
  await expect(refs).toHaveCount(5);

  // a file from outside the library: imported (raw bytes, its name in a header), then listed like a library image
  const png = [...gradientPng(16)];
  await list.evaluate((el, png) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(png)], 'sketch é.png', { type: 'image/png' }));
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, png);
  await expect(refs).toHaveCount(6);
  await expect(refs.nth(5)).toContainText('sketch é.png');
  await expect(refs.nth(5).locator('img')).toHaveAttribute('src', /new0/);
  const imports = () => page.evaluate(() => (window as unknown as { __EASEL_IMPORTS__: { name: string; bytes: number }[] }).__EASEL_IMPORTS__);
  expect(await imports()).toEqual([{ name: 'sketch é.png', bytes: png.length }]);
  const notes = refsPanel.getByRole('status').filter({ hasText: 'notes.png' });

  // a file that is not an image: the core refuses it, the list says why, nothing is listed
  await list.evaluate((el) => {
    const data = new DataTransfer();
    data.items.add(new File(['hello, not a picture'], 'notes.png', { type: 'image/png' }));
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await expect(notes).toContainText('notes.png is not a PNG, JPEG or WebP image');
  await expect(refs).toHaveCount(6);
  await page.screenshot({ path: `${artifactsDir}gallery-edit-references.png` });

  // a picture pasted from the clipboard is imported the same way
  await page.evaluate((png) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(png)], 'image.png', { type: 'image/png' }));
    window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, png);
  await expect(refs).toHaveCount(7);
  await expect(refs.nth(6)).toContainText('image.png');
  await expect(notes).toHaveCount(0);
  expect((await imports()).map((i) => i.name)).toEqual(['sketch é.png', 'image.png']);

  // files dropped from the file manager reach the page as the native drop's paths: imported by path when
  // dropped on the list, ignored elsewhere, a file that is not an image refused with its reason
  const fileDrop = (paths: string[], x: number, y: number) =>
    page.evaluate(([p, x, y]) => (window as unknown as { __EASEL_FILE_DROP__: (p: string[], x: number, y: number) => Promise<void> }).__EASEL_FILE_DROP__(p as string[], x as number, y as number), [paths, x, y] as const);
  const zone = (await list.boundingBox())!;
  await fileDrop(['/home/me/Downloads/elsewhere.png'], 5, 5);
  await fileDrop(['/home/me/Downloads/pier sketch.png', '/home/me/Downloads/notes.txt'], zone.x + zone.width / 2, zone.y + 10);
  await expect(refs).toHaveCount(8);
  await expect(refs.nth(7)).toContainText('pier sketch.png');
  await expect(refsPanel.getByRole('status').filter({ hasText: 'notes.txt' })).toContainText('not a PNG, JPEG or WebP');
  expect(await invokesOf(page, 'import_file')).toEqual([{ path: '/home/me/Downloads/pier sketch.png' }, { path: '/home/me/Downloads/notes.txt' }]);
  expect((await imports()).map((i) => i.name)).toEqual(['sketch é.png', 'image.png', 'pier sketch.png']);
  // an image of the library reported by its easel URL (how wry may report a drag of the detail preview)
  await fileDrop(['http://easel.localhost/image/img1'], zone.x + zone.width / 2, zone.y + 10);
  await expect(refs).toHaveCount(9);
  await expect(refs.nth(8)).toContainText('img1');

  // imported files are ordinary references: reorder one up, remove nothing
  await refs.nth(5).getByRole('button', { name: 'Move 6 up' }).click();
  await expect(refs.nth(4)).toContainText('sketch é.png');

  // the edit sends the painted image, then every reference in order, the imported ones by their new ids
  await page.getByRole('navigation').getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('mask-edit')).toContainText('with 9 reference images');
  await expect(page.getByTestId('unsent-files')).toHaveCount(0);
  await page.getByTestId('prompt').fill('the same scene, with these');
  await page.getByTestId('prompt').press('Control+Enter');
  await expect(page.getByTestId('queue-tile')).toHaveCount(1);
  const sent = (await invokesOf(page, 'generate'))[0]?.['form'];
  expect(sent).toMatchObject({
    inputs: ['img0', 'img2', 'img4', 'img3', 'img5', 'new0', 'img6', 'new1', 'new2', 'img1'],
    mask_path: '/home/me/Pictures/Easel/.easel/masks/img0-1.png',
  });
  expect(pageErrors).toEqual([]);
});
