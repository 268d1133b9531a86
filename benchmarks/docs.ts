/**
 * The JSON documents of the benchmark: a 1 KB answer for the throughput runs and a pair
 * of 5 KB documents for shadow comparison (B has one changed field, reordered keys and a
 * different timestamp, as a candidate with a small regression and some noise would).
 */

function item(i: number, changed: boolean) {
  return {
    id: i,
    sku: `SKU-${String(i).padStart(6, '0')}`,
    name: `Item number ${i}`,
    price: Math.round((i * 1.37 + (changed ? 1 : 0)) * 100) / 100,
    tags: ['alpha', i % 2 === 0 ? 'even' : 'odd'],
    active: i % 3 !== 0,
    updatedAt: '2024-05-01T10:00:00Z',
  };
}

function reorder<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).reverse()) as T;
}

function padTo(doc: Record<string, unknown>, size: number): string {
  let s = JSON.stringify(doc);
  if (s.length < size) {
    doc.padding = 'x'.repeat(size - s.length - 13);
    s = JSON.stringify(doc);
  }
  return s;
}

export const docs = {
  /** About 1 KB. */
  small(): string {
    return padTo({ status: 'ok', items: [item(1, false), item(2, false), item(3, false)] }, 1024);
  },
  /** About 5 KB. */
  shadowA(): string {
    const items = Array.from({ length: 30 }, (_, i) => item(i, false));
    return padTo({ meta: { generatedAt: '2024-05-01T10:00:00Z', count: items.length, page: 1 }, items }, 5 * 1024);
  },
  /** Same shape as {@link docs.shadowA}: item 7's price differs, keys are reordered, the timestamp moves. */
  shadowB(): string {
    const items = Array.from({ length: 30 }, (_, i) => reorder(item(i, i === 7)));
    return padTo({ items, meta: { page: 1, count: items.length, generatedAt: '2024-05-01T10:00:01Z' } }, 5 * 1024);
  },
};
