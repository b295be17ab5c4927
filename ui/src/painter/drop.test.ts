import { describe, expect, it } from 'vitest';
import { droppedLibraryIds, idFromUrl, LIBRARY_DRAG_TYPE, nativeDrop } from './drop';

const from = (data: Record<string, string>) => (type: string) => data[type] ?? '';

describe('droppedLibraryIds', () => {
  it('reads the ids a gallery drag carries, in order, once each', () => {
    expect(droppedLibraryIds(from({ [LIBRARY_DRAG_TYPE]: 'img4\nimg1\nimg4' }))).toEqual(['img4', 'img1']);
  });

  it('prefers its own type over a file URI the same drag carries (the detail panel preview)', () => {
    const drag = { [LIBRARY_DRAG_TYPE]: 'img7', 'text/uri-list': 'file:///home/me/Pictures/Easel/2026/11/x-img7.png' };
    expect(droppedLibraryIds(from(drag))).toEqual(['img7']);
  });

  it('falls back to an easel image or thumbnail URL, encoded slash or not', () => {
    expect(droppedLibraryIds(from({ 'text/uri-list': '# comment\r\nhttp://easel.localhost/image/img1' }))).toEqual(['img1']);
    expect(droppedLibraryIds(from({ 'text/plain': 'http://easel.localhost/thumb%2Fimg2' }))).toEqual(['img2']);
    expect(idFromUrl('easel://localhost/image/abc_1-2')).toBe('abc_1-2');
  });

  it('takes nothing from a file path, other text or junk in its own type', () => {
    expect(droppedLibraryIds(from({ 'text/uri-list': 'file:///tmp/cat.png', 'text/plain': '/tmp/cat.png' }))).toEqual([]);
    expect(droppedLibraryIds(from({ 'text/plain': 'hello world' }))).toEqual([]);
    expect(droppedLibraryIds(from({ [LIBRARY_DRAG_TYPE]: '../etc/passwd' }))).toEqual([]);
  });
});


describe('nativeDrop', () => {
  it('sorts a native drop into files by absolute path and library images by their easel URL', () => {
    const paths = ['/home/me/image/cat.png', 'http://easel.localhost/image/img7', '/tmp/b.png', 'easel://localhost/thumb/img2', '/tmp/b.png', 'relative.png', 'https://example.com/x.png'];
    expect(nativeDrop(paths)).toEqual({ ids: ['img7', 'img2'], files: ['/home/me/image/cat.png', '/tmp/b.png'] });
  });
});
