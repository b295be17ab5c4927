import { artifactsDir, expect, invokesOf, test } from './fixtures';

const info = { name: 'Easel', version: '9.8.7', core_version: '9.8.6' };

test('settings: the MCP endpoint turns on, reports a busy port, copies the token and turns off', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await mockCore({ appInfo: info, busyPort: 9000 });
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Settings' }).click();
  const endpoint = page.getByTestId('mcp-endpoint');
  await expect(endpoint.getByTestId('endpoint-status')).toHaveText('Stopped.');
  await expect(endpoint.getByLabel('Port')).toHaveAttribute('placeholder', '8765');

  await endpoint.getByLabel('Serve MCP over HTTP').check();
  await expect(endpoint.getByTestId('endpoint-status')).toContainText('Running on 127.0.0.1:8765');
  await expect(endpoint.getByLabel('HTTP client config')).toContainText('"url": "http://127.0.0.1:8765/mcp"');
  expect(await invokesOf(page, 'set_mcp_endpoint')).toEqual([{ enabled: true, port: null }]);

  await endpoint.getByLabel('Port').fill('9000');
  await endpoint.getByRole('button', { name: 'Apply' }).click();
  await expect(endpoint.getByTestId('endpoint-status')).toContainText('Not running: port 9000 is in use');
  await endpoint.getByLabel('Port').fill('9001');
  await endpoint.getByRole('button', { name: 'Apply' }).click();
  await expect(endpoint.getByTestId('endpoint-status')).toContainText('Running on 127.0.0.1:9001');

  await expect(endpoint.getByLabel('Token (hidden)')).not.toContainText(/[A-Za-z0-9]/);
  await endpoint.getByRole('button', { name: 'Copy token' }).click();
  await expect(endpoint.getByText('Token copied to the clipboard.')).toBeVisible();
  expect(await invokesOf(page, 'copy_mcp_token')).toHaveLength(1);
  await page.screenshot({ path: `${artifactsDir}settings-mcp-endpoint.png`, fullPage: true });

  await endpoint.getByLabel('Serve MCP over HTTP').uncheck();
  await expect(endpoint.getByTestId('endpoint-status')).toHaveText('Stopped.');
  expect((await invokesOf(page, 'set_mcp_endpoint')).at(-1)).toEqual({ enabled: false, port: 9001 });
  expect(pageErrors).toEqual([]);
});

test('detail panel: copy image, copy path and show in folder go to the core by id; drag out carries the file', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await mockCore({ appInfo: info, images: 12 });
  await page.goto('/');
  const grid = page.getByTestId('gallery-grid');
  await grid.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const panel = page.getByTestId('detail-panel');
  await expect(page.getByTestId('detail-prompt')).toHaveText('lighthouse at dusk #1');

  await panel.getByRole('button', { name: 'Copy image' }).click();
  await expect(panel.getByText('Copied the image.')).toBeVisible();
  await panel.getByRole('button', { name: 'Copy path' }).click();
  await expect(panel.getByText('Copied the path.')).toBeVisible();
  await panel.getByRole('button', { name: 'Show in folder' }).click();
  expect(await invokesOf(page, 'copy_image')).toEqual([{ id: 'img1' }]);
  expect(await invokesOf(page, 'copy_image_path')).toEqual([{ id: 'img1' }]);
  expect(await invokesOf(page, 'reveal_image')).toEqual([{ id: 'img1' }]);

  const dragged = await page.getByTestId('detail-drag').evaluate((img) => {
    const data = new DataTransfer();
    img.dispatchEvent(new DragEvent('dragstart', { dataTransfer: data, bubbles: true }));
    return { uri: data.getData('text/uri-list'), text: data.getData('text/plain') };
  });
  expect(dragged).toEqual({
    uri: 'file:///home/me/Pictures/Easel/2026/11/img1.png',
    text: '/home/me/Pictures/Easel/2026/11/img1.png',
  });
  expect(pageErrors).toEqual([]);
});

test('settings: add and remove a provider; a new library folder reloads the gallery', async ({
  page,
  mockCore,
  pageErrors,
}) => {
  await mockCore({ appInfo: info, images: 7 });
  await page.goto('/');
  await expect(page.getByTestId('count')).toHaveText('7 images');
  await page.getByRole('navigation').getByRole('button', { name: 'Settings' }).click();

  const form = page.getByRole('form', { name: 'Add a provider' });
  await form.getByLabel('Kind').selectOption('azure');
  await form.getByLabel('Name').fill('work');
  await form.getByLabel('Endpoint').fill('https://work.openai.azure.com');
  await form.getByLabel('Deployment').fill('images');
  await form.getByLabel('API version').fill('2025-04-01-preview');
  await form.getByRole('button', { name: 'Add provider' }).click();
  await expect(page.getByTestId('provider-work')).toContainText('azure · https://work.openai.azure.com');
  expect(await invokesOf(page, 'add_provider')).toEqual([
    {
      provider: {
        name: 'work',
        kind: 'azure',
        base_url: 'https://work.openai.azure.com',
        deployment: 'images',
        api_version: '2025-04-01-preview',
      },
    },
  ]);
  // the core's refusal is shown as it is
  await form.getByLabel('Kind').selectOption('compatible');
  await form.getByLabel('Name').fill('work');
  await form.getByLabel('Base URL').fill('http://127.0.0.1:8080/v1');
  await form.getByRole('button', { name: 'Add provider' }).click();
  await expect(form.getByRole('alert')).toHaveText("a provider named 'work' already exists");
  await expect(page.getByTestId('provider-openai').getByRole('button', { name: 'Remove' })).toHaveCount(0);
  await page.getByTestId('provider-work').getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('provider-work')).toHaveCount(0);
  expect(await invokesOf(page, 'remove_provider')).toEqual([{ name: 'work' }]);

  const folder = page.getByLabel(/^Library folder/);
  await folder.fill('relative/folder');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('form', { name: 'Defaults and budget' }).getByRole('alert')).toContainText(
    'must be an absolute path',
  );
  await folder.fill('/media/disk/Easel');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('library-root')).toHaveText('/media/disk/Easel');
  await page.getByRole('navigation').getByRole('button', { name: 'Gallery' }).click();
  await expect(page.getByRole('heading', { name: 'No images yet' })).toBeVisible();
  expect(pageErrors).toEqual([]);
});
