// What an edit will be sent with, as the painter leaves it: the image painted on, the exported mask and
// the reference images (library ids or files dropped/pasted in), in order. The generate panel reads this.

export type Reference =
  | { key: string; kind: 'library'; id: string; label: string }
  | { key: string; kind: 'file'; name: string; file: File; url: string };

/** The API takes at most 16 input images (the edited image included). */
export const MAX_REFERENCES = 15;

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
    if (this.references.some((r) => r.kind === 'library' && r.id === id)) return false;
    this.references.push({ key: nextKey(), kind: 'library', id, label });
    return true;
  }

  /** Adds image files (dropped or pasted); returns how many were taken. */
  addFiles(files: Iterable<File>, objectUrl: (f: File) => string = (f) => URL.createObjectURL(f)): number {
    let taken = 0;
    for (const file of files) {
      if (!file.type.startsWith('image/') || this.references.length >= MAX_REFERENCES) continue;
      this.references.push({ key: nextKey(), kind: 'file', name: file.name || 'pasted image', file, url: objectUrl(file) });
      taken++;
    }
    return taken;
  }

  /** Moves the reference at `from` to index `to`. */
  move(from: number, to: number): void {
    if (from === to || from < 0 || to < 0 || from >= this.references.length || to >= this.references.length) return;
    const list = [...this.references];
    const [item] = list.splice(from, 1);
    list.splice(to, 0, item!);
    this.references = list;
  }

  remove(key: string, revoke: (url: string) => void = (u) => URL.revokeObjectURL(u)): void {
    const gone = this.references.find((r) => r.key === key);
    if (gone?.kind === 'file') revoke(gone.url);
    this.references = this.references.filter((r) => r.key !== key);
  }

  /** Library ids of the references, in order (files have none until they are uploaded). */
  get referenceIds(): string[] {
    return this.references.flatMap((r) => (r.kind === 'library' ? [r.id] : []));
  }
}

/** The one draft the painter fills and the generate panel will send. */
export const editDraft = new EditDraft();
