import { artifactsDir, expect, ipcCalls, test } from './fixtures';

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

  const gallery = page.getByRole('main', { name: 'Gallery' });
  await expect(gallery.getByRole('heading', { name: 'No images yet' })).toBeVisible();
  await expect(gallery.getByLabel('Example command')).toHaveText(/^easel generate ".+"$/);
  await expect(page.getByRole('alert')).toHaveCount(0);

  expect(await ipcCalls(page)).toEqual(['app_info']);
  await page.screenshot({ path: `${artifactsDir}studio-light.png` });
  expect(pageErrors).toEqual([]);
});

test('follows the system dark theme', async ({ page, mockCore, pageErrors }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await mockCore({ appInfo: info });
  await page.goto('/');
  await expect(page.getByTestId('app-version')).toHaveText('v9.8.7');

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
