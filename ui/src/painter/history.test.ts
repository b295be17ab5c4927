import { describe, expect, it } from 'vitest';
import { MIN_STEPS } from './history';
import { MaskDocument } from './strokes';

const brush = { size: 6, hardness: 1 };

/** Byte-wise equality (a deep `toEqual` of big typed arrays is slow). */
const same = (a: Uint8Array, b: Uint8Array | undefined) => !!b && a.length === b.length && a.every((v, i) => v === b[i]);

function stroke(doc: MaskDocument, y: number) {
  doc.begin('brush', { x: 5, y }, brush);
  doc.move({ x: 100, y }, brush);
  doc.end();
}

describe('undo and redo', () => {
  it('undoes at least 50 strokes one by one, back to an empty mask, and redoes them', () => {
    const doc = new MaskDocument(128, 400);
    const snapshots: Uint8Array[] = [doc.coverage.data.slice()];
    for (let i = 0; i < 60; i++) {
      stroke(doc, 5 + i * 6);
      snapshots.push(doc.coverage.data.slice());
    }
    expect(doc.history.steps).toBeGreaterThanOrEqual(MIN_STEPS);
    for (let i = 60; i > 0; i--) {
      doc.undo();
      expect(same(doc.coverage.data, snapshots[i - 1]), `after undo ${61 - i}`).toBe(true);
    }
    expect(doc.coverage.painted()).toBe(false);
    expect(doc.history.canUndo).toBe(false);
    for (let i = 1; i <= 60; i++) {
      doc.redo();
      expect(same(doc.coverage.data, snapshots[i]), `after redo ${i}`).toBe(true);
    }
  });

  it('drops the redo list when a new stroke is painted', () => {
    const doc = new MaskDocument(64, 64);
    stroke(doc, 10);
    stroke(doc, 30);
    doc.undo();
    expect(doc.history.canRedo).toBe(true);
    stroke(doc, 50);
    expect(doc.history.canRedo).toBe(false);
    expect(doc.redo()).toBeNull();
    expect(doc.coverage.at(50, 30)).toBe(0);
    expect(doc.coverage.at(50, 50)).toBe(255);
  });

  it('keeps patches of the touched tiles only, not copies of the mask', () => {
    const doc = new MaskDocument(4096, 4096);
    stroke(doc, 20);
    // one 64-px band of two tiles, before and after: far below one 16 MB copy
    expect(doc.history.bytes()).toBeLessThanOrEqual(2 * 2 * 64 * 64);
  });

  it('undoes invert and clear as single steps', () => {
    const doc = new MaskDocument(32, 32);
    stroke(doc, 10);
    const painted = doc.coverage.data.slice();
    doc.invert();
    expect(doc.coverage.at(0, 0)).toBe(255);
    doc.clear();
    expect(doc.coverage.painted()).toBe(false);
    doc.undo();
    expect(doc.coverage.at(0, 0)).toBe(255);
    doc.undo();
    expect(same(doc.coverage.data, painted)).toBe(true);
  });

  it('fills rectangles and lassos as one undo step each', () => {
    const doc = new MaskDocument(50, 50);
    doc.begin('rect', { x: 5, y: 5 }, brush);
    doc.move({ x: 20, y: 20 }, brush);
    doc.end();
    expect(doc.coverage.at(10, 10)).toBe(255);
    doc.begin('lasso', { x: 30, y: 30 }, brush);
    for (const p of [{ x: 45, y: 30 }, { x: 45, y: 45 }, { x: 30, y: 45 }]) doc.move(p, brush);
    doc.end();
    expect(doc.coverage.at(40, 40)).toBe(255);
    doc.undo();
    expect(doc.coverage.at(40, 40)).toBe(0);
    expect(doc.coverage.at(10, 10)).toBe(255);
  });
});
