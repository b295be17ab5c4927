import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appInfo } from './api';
import App from './App.svelte';

vi.mock('./api', () => ({ appInfo: vi.fn() }));

const mockedAppInfo = vi.mocked(appInfo);

describe('App', () => {
  let app: ReturnType<typeof mount> | undefined;

  beforeEach(() => {
    document.body.innerHTML = '';
  });

  afterEach(() => {
    if (app) unmount(app);
    app = undefined;
    vi.resetAllMocks();
  });

  async function render(): Promise<void> {
    app = mount(App, { target: document.body });
    // let the app_info promise settle, then apply the state change
    await Promise.resolve();
    await Promise.resolve();
    flushSync();
  }

  it('shows the version reported by the core and the empty gallery', async () => {
    mockedAppInfo.mockResolvedValue({ name: 'Easel', version: '3.4.5', core_version: '3.4.6' });
    await render();

    const version = document.querySelector('[data-testid="app-version"]');
    expect(version?.textContent).toBe('v3.4.5');
    expect(version?.getAttribute('data-version')).toBe('3.4.5');
    expect(document.body.textContent).toContain('core v3.4.6');
    expect(document.querySelector('h1')?.textContent).toBe('Easel');
    expect(document.querySelector('[data-testid="empty-gallery"] h3')?.textContent).toBe('No images yet');
    expect(document.querySelector('pre code')?.textContent).toMatch(/^easel generate ".+"$/);
    expect(document.querySelector('[role="alert"]')).toBeNull();
  });

  it('says so when the core does not answer', async () => {
    mockedAppInfo.mockRejectedValue(new Error('ipc down'));
    await render();

    expect(document.querySelector('[data-testid="app-version"]')).toBeNull();
    expect(document.querySelector('[role="alert"]')?.textContent).toContain('ipc down');
    expect(document.body.textContent).toContain('version unavailable');
  });
});
