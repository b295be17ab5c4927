// The edit draft: references listed, reordered, removed; dropped or pasted files imported in order.
import { describe, expect, it } from 'vitest';
import { EditDraft, type Incoming, incomingName, MAX_IMPORT_BYTES, MAX_REFERENCES } from './edit.svelte';

describe('edit draft', () => {
  it('lists references without duplicates, reorders and removes them', () => {
    const draft = new EditDraft();
    expect(draft.addLibrary('a')).toBe(true);
    expect(draft.addLibrary('a')).toBe(false);
    draft.addLibrary('b');
    draft.addLibrary('c', 'c.png');
    draft.move(2, 0);
    expect(draft.references.map((r) => r.label)).toEqual(['c.png', 'a', 'b']);
    draft.remove(draft.references[1]!.key);
    expect(draft.referenceIds).toEqual(['c', 'b']);
  });

  it('imports dropped files in order and lists them as library images; the rest say why not', async () => {
    const draft = new EditDraft();
    draft.addLibrary('a');
    const file = (name: string, type = 'image/png', size = 4) => new File([new Uint8Array(size)], name, { type });
    const imported: string[] = [];
    const slow = new Map([['one.png', 20]]);
    const importer = async (incoming: Incoming) => {
      const f = incoming as File;
      // the first file answers last: the order must still be the drop's
      await new Promise((r) => setTimeout(r, slow.get(f.name) ?? 0));
      if (f.name === 'broken.png') throw 'broken.png looks like a PNG but its pixels cannot be read (corrupt or truncated?)';
      if (f.name === 'again.png') return { id: 'a' };
      imported.push(f.name);
      return { id: `id-${f.name}` };
    };
    const progress: string[] = [];
    const files = [file('one.png'), file('notes.txt', 'text/plain'), file('broken.png'), file('two.jpg', 'image/jpeg'), file('again.png'), file('')];
    const result = await draft.importFiles(files, importer, (i, total) => progress.push(`${i + 1}/${total}`));
    expect(result.added).toBe(3);
    expect(imported).toEqual(['one.png', 'two.jpg', '']);
    expect(draft.referenceIds).toEqual(['a', 'id-one.png', 'id-two.jpg', 'id-']);
    expect(draft.references.map((r) => r.label)).toEqual(['a', 'one.png', 'two.jpg', 'pasted image']);
    expect(result.failed).toEqual([
      'notes.txt is not an image.',
      'broken.png looks like a PNG but its pixels cannot be read (corrupt or truncated?)',
      'again.png is already listed.',
    ]);
    // a non-image is not even sent to the core
    expect(progress).toEqual(['1/6', '3/6', '4/6', '5/6', '6/6']);
  });

  it('imports files known only by their paths (a file manager drop in WebKitGTK), named by their file names', async () => {
    const draft = new EditDraft();
    const sent: Incoming[] = [];
    const importer = async (f: Incoming) => {
      sent.push(f);
      if (incomingName(f) === 'notes.txt') throw 'notes.txt is not a PNG, JPEG or WebP image (the formats OpenAI accepts)';
      return { id: `id-${incomingName(f)}` };
    };
    const { added, failed } = await draft.importFiles([{ path: '/home/me/Downloads/pier sketch.png' }, { path: '/tmp/notes.txt' }], importer);
    expect(added).toBe(1);
    // no type or size is known for a path: the core checks it
    expect(sent).toEqual([{ path: '/home/me/Downloads/pier sketch.png' }, { path: '/tmp/notes.txt' }]);
    expect(draft.references.map((r) => [r.id, r.label])).toEqual([['id-pier sketch.png', 'pier sketch.png']]);
    expect(failed).toEqual(['notes.txt is not a PNG, JPEG or WebP image (the formats OpenAI accepts)']);
  });

  it('reads no file over the size cap and none once the list is full', async () => {
    const draft = new EditDraft();
    for (let i = 0; i < MAX_REFERENCES - 1; i++) draft.addLibrary(`lib${i}`);
    const big = new File([new Uint8Array(8)], 'huge.png', { type: 'image/png' });
    Object.defineProperty(big, 'size', { value: MAX_IMPORT_BYTES + 1 });
    const calls: string[] = [];
    const importer = async (f: Incoming) => (calls.push(incomingName(f)), { id: incomingName(f) });
    const files = ['big', 'last.png', 'over.png'].map((n) => (n === 'big' ? big : new File([new Uint8Array(4)], n, { type: 'image/png' })));
    const { added, failed } = await draft.importFiles(files, importer);
    expect(added).toBe(1);
    expect(calls).toEqual(['last.png']);
    expect(failed).toEqual(['huge.png is 50.0 MB; input images must be under 50 MB.', `over.png not added: the list is full (at most ${MAX_REFERENCES}).`]);
    expect(draft.references).toHaveLength(MAX_REFERENCES);
  });
});
