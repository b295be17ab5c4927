// What a drop onto the reference list carries: library images dragged inside the app (gallery tiles,
// the detail panel's preview) or an easel image URL; files are read separately (DataTransfer.files, or
// the paths of the desktop window's native file drop: `onFileDrag` in api.ts).

/** The drag data type Easel puts library ids under: one id per line (a gallery drag may carry several). */
export const LIBRARY_DRAG_TYPE = 'application/x-easel-image';

const ID = /^[A-Za-z0-9_-]+$/;

/** The library id in an easel image URL (`…/image/<id>` or `…/thumb/<id>`, the slash possibly encoded). */
export function idFromUrl(text: string): string | null {
  const m = /(?:^|\/)(?:image|thumb)(?:\/|%2F)([A-Za-z0-9_-]+)\s*$/i.exec(text.trim());
  return m ? m[1]! : null;
}

/** The library ids a drop carries, in order, without repeats: Easel's own type first, else an easel URL
 * in the URI list or the text. A file path or any other text gives none. */
export function droppedLibraryIds(getData: (type: string) => string): string[] {
  const own = getData(LIBRARY_DRAG_TYPE)
    .split(/\s+/)
    .filter((id) => ID.test(id));
  if (own.length) return [...new Set(own)];
  const uris = getData('text/uri-list')
    .split(/\r?\n/)
    .filter((line) => line && !line.startsWith('#'));
  for (const text of [...uris, getData('text/plain')]) {
    const id = idFromUrl(text);
    if (id) return [id];
  }
  return [];
}

/** Puts library ids on a drag (copy only: the images stay where they are). */
export function carryLibraryIds(data: DataTransfer, ids: readonly string[]): void {
  data.effectAllowed = 'copy';
  data.setData(LIBRARY_DRAG_TYPE, ids.join('\n'));
}

/** What the desktop window's native drop reports (`onFileDrag`), sorted: files by absolute path, and library
 * images by their easel URL (a drag of an image from inside the page may be reported this way too; wry
 * hands over URIs as if they were paths). Anything else is left out. */
export function nativeDrop(paths: readonly string[]): { ids: string[]; files: string[] } {
  const ids: string[] = [];
  const files: string[] = [];
  for (const p of paths) {
    if (p.startsWith('/')) {
      if (!files.includes(p)) files.push(p);
    } else if (/^[a-z][a-z0-9+.-]*:/i.test(p)) {
      const id = idFromUrl(p);
      if (id && !ids.includes(id)) ids.push(id);
    }
  }
  return { ids, files };
}
