import { artifactsDir, expect, ipcCalls, ipcCallsOf, test } from './fixtures';

const info = { name: 'Easel', version: '9.8.7', core_version: '9.8.6' };

test('renders the version from app_info and the empty gallery', async ({ page, mockCore, pageErrors }) => {
  await mockCore({ appInfo: info });
  const response = await page.goto('/');
  // served under the desktop app's CSP, so a violation would show up in pageErrors
  expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");

  await expect(page).toHaveTitle('Easel');
  await expect(page.getByRole('banner').getByRole('heading', { level: 1 })).toHaveText('Easel');
  const version = page.getByTestId('app-version');
  await expect(version).toHaveText('v9.8.7');
  await expect(version).toHaveAttribute('data-version', '9.8.7');
  await expect(page.getByText('core v9.8.6')).toBeVisible();

  const gallery = page.getByRole('region', { name: 'Gallery' });
  await expect(gallery.getByRole('heading', { name: 'No images yet' })).toBeVisible();
  await expect(gallery.getByLabel('Example command')).toHaveText(/^easel generate ".+"$/);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByTestId('demo-badge')).toHaveCount(0);

  expect(await ipcCalls(page)).toContain('app_info');
  await page.screenshot({ path: `${artifactsDir}studio-light.png` });
  expect(pageErrors).toEqual([]);
});

test('follows the system dark theme', async ({ page, mockCore, pageErrors }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await mockCore({ appInfo: info, images: 40 });
  await page.goto('/');
  await expect(page.getByTestId('app-version')).toHaveText('v9.8.7');
  await expect(page.getByTestId('count')).toHaveText('40 images');

  const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
  expect(r! + g! + b!, `dark background, got ${background}`).toBeLessThan(3 * 64);

  await page.screenshot({ path: `${artifactsDir}studio-dark.png` });
  expect(pageErrors).toEqual([]);
});

test('tells the user when the core does not answer', async ({ page, mockCore }) => {
  await mockCore({ failWith: 'core unreachable' });
  await page.goto('/');

  await expect(page.getByRole('alert')).toContainText('core unreachable');
  await expect(page.getByText('version unavailable')).toBeVisible();
  await expect(page.getByTestId('app-version')).toHaveCount(0);
  // the gallery still renders
  await expect(page.getByRole('heading', { name: 'No images yet' })).toBeVisible();
  await page.screenshot({ path: `${artifactsDir}studio-core-error.png` });
});

test('search narrows the gallery as you type, with few requests', async ({ page, mockCore, pageErrors }) => {
  await mockCore({ appInfo: info, images: 500 });
  await page.goto('/');
  await expect(page.getByTestId('count')).toHaveText('500 images');
  const before = await ipcCallsOf(page, 'gallery_page');

  await page.getByLabel('Search prompts').pressSequentially('owl nig', { delay: 20 });
  await expect(page.getByTestId('count')).toHaveText('100 images');
  const options = page.getByTestId('gallery-grid').getByRole('option');
  await expect(options.first()).toHaveAttribute('aria-label', /^owl at night #\d+$/);
  // debounced: one search for the whole word, not one per key (plus the pages the grid needs)
  expect((await ipcCallsOf(page, 'gallery_page')) - before).toBeLessThanOrEqual(3);

  await page.getByLabel('Model').selectOption('gpt-image-2');
  // owl prompts are items 2, 7, 12…; gpt-image-2 is on every third: 12, 27, … 492
  await expect(page.getByTestId('count')).toHaveText('33 images');
  await page.getByLabel('Search prompts').fill('nothing-like-this');
  await expect(page.getByTestId('no-matches')).toBeVisible();
  await page.screenshot({ path: `${artifactsDir}gallery-no-matches.png` });
  expect(pageErrors).toEqual([]);
});

test('keyboard: arrows move, space previews, s stars, Delete trashes; the trash restores', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await mockCore({ appInfo: info, images: 30 });
  await page.goto('/');
  const grid = page.getByTestId('gallery-grid');
  await expect(page.getByTestId('count')).toHaveText('30 images');

  await grid.focus();
  await page.keyboard.press('ArrowRight'); // first item
  await expect(grid).toHaveAttribute('aria-activedescendant', 'tile-img0');
  // with the detail panel open beside it
  await expect(page.getByTestId('detail-prompt')).toHaveText('red fox in the snow #0');
  const columns = Number(await grid.getAttribute('data-columns'));
  expect(columns).toBeGreaterThan(1);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await expect(grid).toHaveAttribute('aria-activedescendant', `tile-img${1 + columns}`);
  await expect(page.getByTestId('detail-prompt')).toHaveText(new RegExp(` #${1 + columns}$`));
  await expect(page.getByTestId('detail-cost')).toHaveText(/^\$0\.\d{3}$/);

  await page.keyboard.press(' ');
  const preview = page.getByTestId('preview');
  await expect(preview).toBeVisible();
  await expect(preview.getByRole('img')).toHaveAttribute('src', `http://easel.localhost/image%2Fimg${1 + columns}`);
  await page.keyboard.press('Escape');
  await expect(preview).toHaveCount(0);

  await grid.focus();
  await page.keyboard.press('s');
  const focused = page.locator(`#tile-img${1 + columns}`);
  await expect(focused.getByTestId('star-badge')).toBeVisible();
  await page.getByRole('checkbox', { name: 'Starred' }).check();
  await expect(page.getByTestId('count')).toHaveText('1 image');
  await page.getByRole('checkbox', { name: 'Starred' }).uncheck();
  await expect(page.getByTestId('count')).toHaveText('30 images');

  await grid.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('count')).toHaveText('29 images');
  await expect(page.locator('#tile-img0')).toHaveCount(0);

  await page.getByRole('navigation').getByRole('button', { name: 'Trash' }).click();
  await expect(page.getByRole('heading', { name: 'Trash' })).toBeVisible();
  await expect(page.getByTestId('count')).toHaveText('1 image');
  await page.locator('#tile-img0').click();
  await page.getByTestId('detail-panel').getByRole('button', { name: 'Restore' }).click();
  await expect(page.getByTestId('empty-trash')).toBeVisible();

  await page.getByRole('navigation').getByRole('button', { name: 'Gallery' }).click();
  await expect(page.getByTestId('count')).toHaveText('30 images');

  // the detail panel opens the image's session: img3, img13, img23 belong to it
  await page.locator('#tile-img13').click();
  await page.getByTestId('detail-panel').getByRole('button', { name: 'Show session' }).click();
  await expect(page.getByTestId('count')).toHaveText('3 images');
  await expect(page.getByLabel('Session')).toHaveValue('s_fox');
  expect(pageErrors).toEqual([]);
});

test('shift and ctrl select several; two compare with a slider and side by side', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await mockCore({ appInfo: info, images: 60 });
  await page.goto('/');
  await expect(page.getByTestId('count')).toHaveText('60 images');

  await page.locator('#tile-img2').click();
  await page.locator('#tile-img5').click({ modifiers: ['Shift'] });
  await expect(page.getByText('4 selected')).toBeVisible();
  await expect(page.locator('[aria-selected="true"]')).toHaveCount(4);
  await page.locator('#tile-img9').click({ modifiers: ['Control'] });
  await expect(page.getByText('5 selected')).toBeVisible();

  await page.locator('#tile-img1').click();
  await page.locator('#tile-img7').click({ modifiers: ['Control'] });
  await expect(page.getByText('2 selected')).toBeVisible();
  await page.getByRole('button', { name: 'Compare' }).click();

  const compare = page.getByRole('dialog', { name: 'Compare two images' });
  await expect(compare.getByTestId('compare-slider')).toBeVisible();
  await compare.getByLabel('Split position').fill('25');
  await expect(compare.locator('img.top')).toHaveAttribute('style', /inset\(0(px)? 75% 0(px)? 0(px)?\)/);
  await page.screenshot({ path: `${artifactsDir}compare-slider.png` });
  await compare.getByRole('button', { name: 'Side by side' }).click();
  await expect(compare.getByTestId('compare-side').getByRole('img')).toHaveCount(2);
  await page.screenshot({ path: `${artifactsDir}compare-side.png` });
  await page.keyboard.press('Escape');
  await expect(compare).toHaveCount(0);

  // bulk trash of the selection, then empty the trash for good
  await page.getByRole('button', { name: 'Trash selected' }).click();
  await expect(page.getByTestId('count')).toHaveText('58 images');
  await page.getByRole('navigation').getByRole('button', { name: 'Trash' }).click();
  await expect(page.getByTestId('count')).toHaveText('2 images');
  await page.getByRole('button', { name: 'Empty trash' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.getByTestId('empty-trash')).toBeVisible();
  expect(pageErrors).toEqual([]);
});

test('a 100k gallery requests only the visible thumbnails, even scrolled to the end', async ({
  page,
  mockCore,
  thumbRequests,
  pageErrors,
}) => {
  await mockCore({ appInfo: info, images: 100_000 });
  await page.goto('/');
  await expect(page.getByTestId('count')).toHaveText('100,000 images');
  const grid = page.getByTestId('gallery-grid');
  await expect(page.locator('#tile-img0 img')).toBeVisible();

  const onScreen = async () => page.locator('[role="option"]').count();
  const firstScreen = await onScreen();
  expect(firstScreen).toBeGreaterThan(10);
  expect(firstScreen).toBeLessThan(200);

  // scroll through in big jumps, then to the very end; each stop renders at most a screenful (+1 row each side)
  let rendered = firstScreen;
  for (const fraction of [0.1, 0.35, 0.6, 0.85, 1]) {
    await grid.evaluate((el, f) => (el.scrollTop = (el.scrollHeight - el.clientHeight) * f), fraction);
    await page.waitForTimeout(150);
    const cells = await onScreen();
    expect(cells).toBeLessThan(200);
    rendered += cells;
  }
  await expect(page.locator('#tile-img99999')).toBeVisible();
  await page.screenshot({ path: `${artifactsDir}gallery-100k-end.png` });

  // only cells that were on screen asked for a thumbnail: 6 stops, a few hundred at most, never 100k
  expect(thumbRequests.length).toBeGreaterThan(firstScreen);
  expect(thumbRequests.length).toBeLessThanOrEqual(rendered);
  expect(thumbRequests.length).toBeLessThan(300);
  expect(thumbRequests).toContain('img99999');
  expect(new Set(thumbRequests).size).toBe(thumbRequests.length);
  expect(await ipcCallsOf(page, 'gallery_page')).toBeLessThan(20);
  expect(pageErrors).toEqual([]);
});

test('an image made by another process appears without a reload', async ({ page, mockCore, pageErrors }) => {
  await mockCore({ appInfo: info, images: 3 });
  await page.goto('/');
  await expect(page.getByTestId('count')).toHaveText('3 images');
  const id = await page.evaluate(() =>
    (window as unknown as { __EASEL_ADD__: (p: string) => Promise<string> }).__EASEL_ADD__('a kite over the sea'),
  );
  await expect(page.getByTestId('count')).toHaveText('4 images', { timeout: 1_000 });
  await expect(page.locator(`#tile-${id}`)).toHaveAttribute('aria-label', 'a kite over the sea');
  await expect(page.locator(`#tile-${id}`)).toHaveAttribute('data-index', '0');
  expect(pageErrors).toEqual([]);
});

test('first run without a key shows a friendly setup, not an error', async ({ page, mockCore, pageErrors }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await mockCore({ appInfo: info, images: 12, keySet: false });
  await page.goto('/');
  const setup = page.getByTestId('setup');
  await expect(setup.getByRole('heading', { name: 'Welcome to Easel' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByTestId('key-status-openai')).toHaveText('not set');
  await page.screenshot({ path: `${artifactsDir}first-run-1024x700.png` });

  await page.getByRole('textbox', { name: 'API key for openai' }).fill('sk-test-123');
  await page.getByRole('button', { name: 'Save key' }).click();
  await expect(setup).toHaveCount(0);
  await expect(page.getByTestId('count')).toHaveText('12 images');
  expect(pageErrors).toEqual([]);
});

test('settings: key set / replace / test / delete, budget caps saved', async ({ page, mockCore, pageErrors }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await mockCore({ appInfo: info, images: 5, demo: true });
  await page.goto('/');
  await expect(page.getByTestId('demo-badge')).toHaveText('demo provider');
  await page.getByRole('navigation').getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByTestId('demo-note')).toBeVisible();

  const provider = page.getByTestId('provider-openai');
  await expect(provider.getByTestId('key-status-openai')).toHaveText('set (keychain)');
  await provider.getByRole('button', { name: 'Test connection' }).click();
  await expect(provider.getByTestId('key-message')).toHaveText('Connected in 42 ms.');
  await expect(provider.getByRole('button', { name: 'Replace' })).toBeDisabled();
  await provider.getByRole('button', { name: 'Delete' }).click();
  await expect(provider.getByTestId('key-status-openai')).toHaveText('not set');
  await expect(provider.getByRole('button', { name: 'Test connection' })).toBeDisabled();

  await page.getByLabel('Daily cap (USD)').fill('5');
  await page.getByLabel('Monthly cap (USD)').fill('50');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Settings saved.')).toBeVisible();
  // read back from the core after leaving the view
  await page.getByRole('navigation').getByRole('button', { name: 'Gallery' }).click();
  await page.getByRole('navigation').getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByLabel('Daily cap (USD)')).toHaveValue('5');
  await expect(page.getByLabel('Monthly cap (USD)')).toHaveValue('50');
  await expect(page.getByText('Spent today $0.420, this month $3.10', { exact: false })).toBeVisible();

  const connect = page.getByTestId('connect-clients');
  await connect.getByRole('button', { name: 'Connect Cursor' }).click();
  await expect(connect.getByTestId('connect-result')).toContainText('Connected: Cursor reads /home/me/.cursor/mcp.json');
  await expect(connect.getByLabel('Config entry')).toContainText('"args": ["mcp"]');
  await connect.getByRole('button', { name: 'Connect Cursor' }).click();
  await expect(connect.getByTestId('connect-result')).toContainText('Already connected: Cursor');
  await page.screenshot({ path: `${artifactsDir}settings-1024x700.png`, fullPage: true });
  expect(pageErrors).toEqual([]);
});
