import { type Page } from '@playwright/test';
import { artifactsDir, expect, test } from './fixtures';

const info = { name: 'Easel', version: '9.8.7', core_version: '9.8.6' };

/** The mocked `imageUrl` (`convertFileSrc(…, 'easel')` with the slash encoded). */
const full = (id: string) => `http://easel.localhost/image%2F${id}`;

async function openFoxSession(page: Page) {
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Sessions' }).click();
  await page.getByTestId('session-item').click();
  await expect(page.getByTestId('turn')).toHaveCount(3);
}

test('timeline: two turns compared with a slider, side by side and as an onion skin (1024×700, light)', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await mockCore({ appInfo: info, images: 40 });
  await openFoxSession(page);
  const turns = page.getByTestId('turn');
  const compareTurns = page.getByTestId('compare-turns');
  await expect(compareTurns).toBeDisabled();

  // picked newest first: the comparison still puts the earlier turn (t1, img3) as A
  await turns.nth(2).getByLabel('Compare “the fox in snow”').check();
  await expect(page.getByTestId('compare-bar')).toContainText('Pick one more turn');
  await expect(compareTurns).toBeDisabled();
  await turns.nth(0).getByRole('checkbox', { name: /Compare/ }).check();
  await expect(page.getByTestId('compare-bar')).toContainText('Comparing “a red fox” with “the fox in snow”');
  // a third pick replaces the oldest one (turn 3): turns 1 and 2 remain
  await turns.nth(1).getByRole('checkbox', { name: /Compare/ }).check();
  await expect(turns.nth(2).getByRole('checkbox', { name: /Compare/ })).not.toBeChecked();
  await expect(page.getByTestId('compare-bar')).toContainText('Comparing “a red fox” with “the fox at dusk”');
  // and back to turns 1 and 3
  await turns.nth(2).getByRole('checkbox', { name: /Compare/ }).check();
  await expect(turns.nth(0).getByRole('checkbox', { name: /Compare/ })).not.toBeChecked();
  await turns.nth(1).getByRole('checkbox', { name: /Compare/ }).uncheck();
  await turns.nth(0).getByRole('checkbox', { name: /Compare/ }).check();
  await page.screenshot({ path: `${artifactsDir}timeline-compare-picks.png` });

  // keyboard only: Enter on the focused button opens the dialog, with the focus inside it
  await compareTurns.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Compare two turns' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toBeFocused();

  // slider: A (turn 1) is clipped over B (turn 3)
  const slider = dialog.getByTestId('compare-slider');
  await expect(slider.getByRole('img', { name: 'a red fox' })).toHaveAttribute('src', full('img3'));
  await expect(slider.getByRole('img', { name: 'the fox in snow' })).toHaveAttribute('src', full('img23'));
  await dialog.getByLabel('Split position').fill('30');
  await expect(slider.locator('img.top')).toHaveAttribute('style', /inset\(0(px)? 70% 0(px)? 0(px)?\)/);
  await expect(dialog.getByTestId('compare-legend')).toContainText('Left: a red fox');
  await page.screenshot({ path: `${artifactsDir}timeline-compare-slider.png` });

  // side by side, by key 2
  await dialog.focus();
  await page.keyboard.press('2');
  await expect(dialog.getByRole('button', { name: 'Side by side' })).toHaveAttribute('aria-pressed', 'true');
  const side = dialog.getByTestId('compare-side');
  await expect(side.getByRole('img')).toHaveCount(2);
  await expect(side.getByRole('img').nth(0)).toHaveAttribute('src', full('img3'));
  await expect(side.getByRole('img').nth(1)).toHaveAttribute('src', full('img23'));
  // both halves are on screen, side by side, inside the 1024×700 window
  const [a, b] = [await side.getByRole('img').nth(0).boundingBox(), await side.getByRole('img').nth(1).boundingBox()];
  expect(a!.x + a!.width).toBeLessThanOrEqual(b!.x);
  expect(b!.x + b!.width).toBeLessThanOrEqual(1024);
  expect(a!.y + a!.height).toBeLessThanOrEqual(700);
  await page.screenshot({ path: `${artifactsDir}timeline-compare-side.png` });

  // onion skin, by key 3: B blended over A at the chosen opacity
  await page.keyboard.press('3');
  const onion = dialog.getByTestId('compare-onion');
  await expect(onion).toBeVisible();
  await expect(dialog.getByTestId('compare-slider')).toHaveCount(0);
  const opacity = dialog.getByRole('slider', { name: 'Onion skin opacity' });
  await expect(opacity).toHaveAttribute('aria-valuetext', '50% of the fox in snow over a red fox');
  await opacity.focus();
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowLeft');
  await expect(opacity).toHaveValue('30');
  const over = onion.locator('img.over');
  await expect(over).toHaveAttribute('src', full('img23'));
  await expect(over).toHaveCSS('opacity', '0.3');
  await expect(onion.getByRole('img').first()).toHaveAttribute('src', full('img3'));
  await expect(dialog.getByTestId('compare-legend')).toContainText('Over: the fox in snow');
  await page.screenshot({ path: `${artifactsDir}timeline-compare-onion.png` });

  // Esc closes and gives the focus back to the button that opened it
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(compareTurns).toBeFocused();
  expect(pageErrors).toEqual([]);
});

test('timeline compare in the dark theme; the gallery compare gains the onion skin', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await mockCore({ appInfo: info, images: 40 });
  await openFoxSession(page);
  const turns = page.getByTestId('turn');
  await turns.nth(1).getByRole('checkbox', { name: /Compare/ }).check();
  await turns.nth(2).getByRole('checkbox', { name: /Compare/ }).check();
  await page.screenshot({ path: `${artifactsDir}timeline-compare-picks-dark.png` });
  await page.getByTestId('compare-turns').click();
  const dialog = page.getByRole('dialog', { name: 'Compare two turns' });
  await dialog.getByRole('button', { name: 'Onion skin' }).click();
  await expect(dialog.getByTestId('compare-onion').locator('img.over')).toHaveCSS('opacity', '0.5');
  await page.screenshot({ path: `${artifactsDir}timeline-compare-onion-dark.png` });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);

  // the gallery's compare (two selected images) has the onion skin too
  await page.getByRole('navigation').getByRole('button', { name: 'Gallery' }).click();
  await page.locator('#tile-img0').click();
  await page.locator('#tile-img1').click({ modifiers: ['Control'] });
  await page.getByRole('button', { name: 'Compare' }).click();
  const gallery = page.getByRole('dialog', { name: 'Compare two images' });
  await gallery.getByRole('button', { name: 'Onion skin' }).click();
  await expect(gallery.getByTestId('compare-onion').getByRole('img', { name: 'Left' })).toHaveAttribute('src', full('img0'));
  await expect(gallery.getByTestId('compare-onion').locator('img.over')).toHaveAttribute('src', full('img1'));
  await gallery.getByLabel('Onion skin opacity').fill('80');
  await expect(gallery.getByTestId('compare-onion').locator('img.over')).toHaveCSS('opacity', '0.8');
  await page.keyboard.press('Escape');
  expect(pageErrors).toEqual([]);
});
