import { artifactsDir, expect, invokesOf, test } from './fixtures';

const info = { name: 'Easel', version: '9.8.7', core_version: '9.8.6' };

test('generate: live size check and estimate, a queue of 3 with one cancelled, partials then the result, ↑ recalls', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await mockCore({ appInfo: info, images: 2, jobMs: 1500 });
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Generate' }).click();
  // which tiles ever showed a partial image (a slow page may only look after the job has finished)
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __PARTIAL_TILES__: string[] }).__PARTIAL_TILES__ = seen;
    new MutationObserver(() => {
      for (const tile of document.querySelectorAll('[data-testid="queue-tile"]')) {
        const text = tile.textContent ?? '';
        if (tile.querySelector('[data-testid="partial"]') && !seen.includes(text)) seen.push(text);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  const prompt = page.getByTestId('prompt');
  const check = page.getByTestId('form-check');
  const send = page.getByRole('button', { name: 'Generate', exact: true }).last();

  await page.getByTestId('size').selectOption('custom');
  await page.getByTestId('custom-size').fill('1000x1000');
  await prompt.fill('a kite');
  await expect(check).toContainText('multiples of 16');
  await expect(send).toBeDisabled();
  await page.getByTestId('size').selectOption('1024x1024');
  await expect(check).toContainText('about $0.042');
  await expect(send).toBeEnabled();

  for (const text of ['first kite', 'second kite', 'third kite']) {
    await prompt.fill(text);
    await prompt.press('Control+Enter');
  }
  const tiles = page.getByTestId('queue-tile');
  await expect(tiles).toHaveCount(3);
  // newest first: the third is still waiting for the single slot
  await page.getByRole('button', { name: 'Cancel third kite' }).click();
  await expect(tiles.nth(0)).toHaveAttribute('data-state', 'cancelled');
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __PARTIAL_TILES__: string[] }).__PARTIAL_TILES__.join('|')))
    .toContain('first kite');
  await page.screenshot({ path: `${artifactsDir}generate-queue-partials.png`, fullPage: true });
  await expect(tiles.nth(2)).toHaveAttribute('data-state', 'done');
  await expect(tiles.nth(1)).toHaveAttribute('data-state', 'done');
  await expect(tiles.nth(0)).toHaveAttribute('data-state', 'cancelled');
  await expect(tiles.nth(0).getByRole('button', { name: 'Retry third kite' })).toBeVisible();
  await page.screenshot({ path: `${artifactsDir}generate-queue-done.png`, fullPage: true });

  await prompt.fill('');
  await prompt.press('ArrowUp');
  await expect(prompt).toHaveValue('third kite');
  await prompt.press('ArrowUp');
  await expect(prompt).toHaveValue('second kite');

  // the finished images are in the gallery
  await page.getByRole('navigation').getByRole('button', { name: 'Gallery' }).click();
  await expect(page.getByTestId('count')).toHaveText('4 images');
  await expect(page.locator('[aria-label="second kite"]')).toBeAttached();
  expect(pageErrors).toEqual([]);
});

test('timeline: the turn tree, rename, and a branch from turn 1 through the generate panel', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await mockCore({ appInfo: info, images: 40 });
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Sessions' }).click();
  await page.getByLabel('Search sessions').fill('fox');
  await page.getByTestId('session-item').click();
  const turns = page.getByTestId('turn');
  await expect(turns).toHaveCount(3);
  await expect(turns.nth(2)).toHaveAttribute('data-depth', '2');
  await expect(turns.nth(0)).toContainText('a red fox');

  await page.getByLabel('Session name').fill('Fox studies, winter');
  await page.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByTestId('session-item')).toContainText('Fox studies, winter');
  await page.screenshot({ path: `${artifactsDir}timeline.png`, fullPage: true });

  // a turn's image opens in the mask painter (its edit will branch from that turn)
  await turns.nth(1).getByRole('button', { name: 'Paint mask' }).click();
  await expect(page.getByTestId('painter')).toBeVisible();
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('painter')).toHaveCount(0);

  await turns.nth(0).getByRole('button', { name: 'Continue from here' }).click();
  await expect(page.getByTestId('continuation')).toContainText('Fox studies, winter');
  await page.getByTestId('prompt').fill('the fox, as a woodcut');
  await page.getByTestId('prompt').press('Control+Enter');
  await expect(page.getByTestId('queue-tile')).toHaveCount(1);
  const sent = (await invokesOf(page, 'generate'))[0]?.['form'];
  expect(sent).toMatchObject({ session_id: 's_fox', parent_turn_id: 't1', inputs: ['img3'], prompt: 'the fox, as a woodcut' });
  expect(pageErrors).toEqual([]);
});

test('new images join the chosen session: a new one made on send, remembered for the next visit', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await mockCore({ appInfo: info, images: 2 });
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Generate' }).click();
  const choice = page.getByTestId('session-choice');
  await expect(choice.locator('option')).toHaveText(['None', 'Fox studies', 'New session…']);
  await expect(choice).toHaveValue('');

  await page.getByTestId('prompt').fill('a lighthouse at dusk');
  await page.getByTestId('prompt').press('Control+Enter');
  expect((await invokesOf(page, 'generate'))[0]?.['form']).not.toHaveProperty('session_id');

  await choice.selectOption({ label: 'New session…' });
  await page.getByTestId('new-session-name').fill('Lighthouses');
  await page.getByTestId('prompt').fill('the lighthouse in fog');
  await page.getByTestId('prompt').press('Control+Enter');
  await expect(page.getByTestId('queue-tile')).toHaveCount(2);
  expect(await invokesOf(page, 'create_session')).toEqual([{ name: 'Lighthouses' }]);
  const sent = (await invokesOf(page, 'generate'))[1]?.['form'];
  expect(sent).toMatchObject({ session_id: 's_made1', prompt: 'the lighthouse in fog' });
  expect(sent).not.toHaveProperty('parent_turn_id');
  await expect(choice).toHaveValue('s_made1');
  await expect(page.getByTestId('new-session-name')).toHaveCount(0);
  await page.screenshot({ path: `${artifactsDir}generate-session-choice.png` });

  // the choice survives a visit to another view
  await page.getByRole('navigation').getByRole('button', { name: 'Gallery' }).click();
  await page.getByRole('navigation').getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('session-choice')).toHaveValue('s_made1');
  expect(pageErrors).toEqual([]);
});
