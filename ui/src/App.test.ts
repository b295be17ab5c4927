import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as api from './api';
import App from './App.svelte';

vi.mock('./api', () => ({
  appInfo: vi.fn(),
  providers: vi.fn(),
  filterOptions: vi.fn(),
  galleryPage: vi.fn(),
  onLibraryEvent: vi.fn(),
  thumbUrl: (id: string) => `thumb:${id}`,
  imageUrl: (id: string) => `image:${id}`,
}));

const mocked = vi.mocked(api);

function provider(key: api.KeyState): api.Providers {
  return {
    demo: false,
    providers: [{ name: 'openai', kind: 'openai', base_url: 'https://api.openai.com/v1', is_default: true, key, problem: null }],
  };
}

describe('App', () => {
  let app: ReturnType<typeof mount> | undefined;
  let emit: ((e: api.LibraryEvent) => void) | undefined;

  beforeEach(() => {
    document.body.innerHTML = '';
    mocked.providers.mockResolvedValue(provider('keychain'));
    mocked.filterOptions.mockResolvedValue({ models: [], sessions: [] });
    mocked.galleryPage.mockResolvedValue({ total: 0, offset: 0, tiles: [] });
    mocked.onLibraryEvent.mockImplementation(async (handler) => {
      emit = handler;
      return () => {};
    });
  });

  afterEach(() => {
    if (app) unmount(app);
    app = undefined;
    emit = undefined;
    vi.resetAllMocks();
  });

  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    flushSync();
  }

  async function render(): Promise<void> {
    // as main.ts does when the first page has not arrived within its wait
    app = mount(App, { target: document.body, props: { firstPage: api.galleryPage({}) } });
    await settle();
  }

  it('shows the version reported by the core and the empty gallery', async () => {
    mocked.appInfo.mockResolvedValue({ name: 'Easel', version: '3.4.5', core_version: '3.4.6' });
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
    mocked.appInfo.mockRejectedValue(new Error('ipc down'));
    await render();

    expect(document.querySelector('[data-testid="app-version"]')).toBeNull();
    expect(document.querySelector('[role="alert"]')?.textContent).toContain('ipc down');
    expect(document.body.textContent).toContain('version unavailable');
  });

  it('greets a first run without a key with the setup screen', async () => {
    mocked.appInfo.mockResolvedValue({ name: 'Easel', version: '1.0.0', core_version: '1.0.0' });
    mocked.providers.mockResolvedValue(provider('not_set'));
    await render();
    expect(document.querySelector('[data-testid="setup"] h2')?.textContent).toBe('Welcome to Easel');
    expect(document.querySelector('[role="alert"]')).toBeNull();

    (document.querySelector('[data-testid="setup"] button.link') as HTMLButtonElement).click();
    flushSync();
    expect(document.querySelector('[data-testid="setup"]')).toBeNull();
    expect(document.querySelector('[data-testid="empty-gallery"]')).not.toBeNull();
  });

  it('reloads the gallery when the core reports a new image', async () => {
    vi.useFakeTimers();
    try {
      mocked.appInfo.mockResolvedValue({ name: 'Easel', version: '1.0.0', core_version: '1.0.0' });
      await render();
      const calls = mocked.galleryPage.mock.calls.length;
      mocked.galleryPage.mockResolvedValue({ total: 1, offset: 0, tiles: [] });
      emit?.({ kind: 'image_added', id: 'x' });
      emit?.({ kind: 'image_added', id: 'y' });
      emit?.({ kind: 'job_changed', id: 'j' });
      await vi.advanceTimersByTimeAsync(150);
      await settle();
      expect(mocked.galleryPage.mock.calls.length).toBe(calls + 1); // two events, one refresh
      expect(document.querySelector('[data-testid="count"]')?.textContent).toBe('1 image');
    } finally {
      vi.useRealTimers();
    }
  });
});
