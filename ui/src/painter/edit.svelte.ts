// What an edit will be sent with, as the painter leaves it: the image painted on, the exported mask and
// the reference images, in order: library ids (files dropped or pasted in are imported into the library
// first, so they are library images too). The generate panel reads this.

export interface Reference {
  key: string;
  /** Library id. */
  id: string;
  label: string;
}

/** The API takes at most 16 input images (the edited image included). */
export const MAX_REFERENCES = 15;

/** The core's per-image cap (`easel::imaging::MAX_INPUT_BYTES`); larger files are not even read. */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;

/** A file to import: its bytes (dropped or pasted in the page), or only its absolute path (a file dropped
 * from another application, as the desktop window's native drop reports it: `onFileDrag` in api.ts). */
export type Incoming = File | { path: string };

/** Imports one file into the library (`importImage` or `importFile` in api.ts): its new library id. */
export type Importer = (file: Incoming) => Promise<{ id: string }>;

/** The name a file is listed and reported under. */
export function incomingName(file: Incoming): string {
  if ('path' in file) return file.path.split('/').pop() || file.path;
  return file.name || 'pasted image';
}

/** What importing dropped or pasted files gave: how many were listed, and why the others were not. */
export interface ImportResult {
  added: number;
  failed: string[];
}

export interface ExportedMask {
  /** The mask's name in the library's masks folder (`composite_mask` takes it). */
  name: string;
  /** Absolute path of the PNG (what an edit uploads). */
  path: string;
  width: number;
  height: number;
}

let counter = 0;
const nextKey = () => `ref${++counter}`;

export class EditDraft {
  /** The image the mask was painted on. */
  imageId = $state<string | null>(null);
  mask = $state<ExportedMask | null>(null);
  references = $state<Reference[]>([]);

  /** Starts over for another image (references stay: they are often reused). */
  begin(imageId: string): void {
    if (this.imageId !== imageId) this.mask = null;
    this.imageId = imageId;
  }

  /** Adds a library image unless it is already listed; false when the list is full or it is a duplicate. */
  addLibrary(id: string, label = id): boolean {
    if (this.references.length >= MAX_REFERENCES) return false;
    if (this.references.some((r) => r.id === id)) return false;
    this.references.push({ key: nextKey(), id, label });
    return true;
  }

  /**
   * Imports dropped or pasted files into the library one after another (so they keep their order) and
   * lists each as a library reference. A file that is not an image, too big, refused by the core or left
   * over when the list is full is not listed; its reason is in `failed`. `progress` hears each start.
   */
  async importFiles(files: readonly Incoming[], importer: Importer, progress?: (index: number, total: number) => void): Promise<ImportResult> {
    const result: ImportResult = { added: 0, failed: [] };
    for (const [i, file] of files.entries()) {
      const name = incomingName(file);
      if (this.references.length >= MAX_REFERENCES) {
        result.failed.push(`${name} not added: the list is full (at most ${MAX_REFERENCES}).`);
        continue;
      }
      // a path is checked by the core (type by content, size before reading)
      if (!('path' in file) && file.type && !file.type.startsWith('image/')) {
        result.failed.push(`${name} is not an image.`);
        continue;
      }
      if (!('path' in file) && file.size > MAX_IMPORT_BYTES) {
        result.failed.push(`${name} is ${(file.size / 1_048_576).toFixed(1)} MB; input images must be under 50 MB.`);
        continue;
      }
      progress?.(i, files.length);
      try {
        const { id } = await importer(file);
        if (this.addLibrary(id, name)) result.added++;
        else result.failed.push(`${name} is already listed.`);
      } catch (e) {
        // the core's message names the file
        const why = e instanceof Error ? e.message : String(e);
        result.failed.push(why.includes(name) ? why : `${name}: ${why}`);
      }
    }
    return result;
  }

  /** Moves the reference at `from` to index `to`. */
  move(from: number, to: number): void {
    if (from === to || from < 0 || to < 0 || from >= this.references.length || to >= this.references.length) return;
    const list = [...this.references];
    const [item] = list.splice(from, 1);
    list.splice(to, 0, item!);
    this.references = list;
  }

  remove(key: string): void {
    this.references = this.references.filter((r) => r.key !== key);
  }

  /** Library ids of the references, in order. */
  get referenceIds(): string[] {
    return this.references.map((r) => r.id);
  }
}

/** The one draft the painter fills and the generate panel will send. */
export const editDraft = new EditDraft();
