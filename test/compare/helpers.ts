import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { captureFromBuffer } from '../../src/compare/index.js';
import type { CapturedResponse, CompareResult, Difference } from '../../src/compare/index.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/compare/', import.meta.url));

export function fixture(name: string): Buffer {
  return readFileSync(FIXTURES + name);
}

type Headers = Record<string, string | string[]>;

/** A JSON response; `body` is serialised unless it is already a string or Buffer. */
export function json(body: unknown, headers: Headers = {}, status = 200): CapturedResponse {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return captureFromBuffer(status, { 'content-type': 'application/json', ...headers }, buf);
}

export function typed(contentType: string, body: Buffer | string, headers: Headers = {}, status = 200, max?: number): CapturedResponse {
  return captureFromBuffer(status, { 'content-type': contentType, ...headers }, body, max);
}

/** An expected difference: path and kind always checked, values when given. */
export type Expected = { path: string; kind: Difference['kind']; primary?: unknown; candidate?: unknown };

/** Assert the exact list of differences (order included). */
export function assertDifferences(result: CompareResult, expected: Expected[]): void {
  assert.deepEqual(
    result.differences.map((d) => `${d.kind} ${d.path}`),
    expected.map((e) => `${e.kind} ${e.path}`),
    `differences: ${JSON.stringify(result.differences)}; notes: ${JSON.stringify(result.notes)}`,
  );
  expected.forEach((e, i) => {
    const d = result.differences[i];
    if ('primary' in e) assert.deepEqual(d.primary, e.primary, `primary value at ${e.path}`);
    if ('candidate' in e) assert.deepEqual(d.candidate, e.candidate, `candidate value at ${e.path}`);
  });
  assert.equal(result.equal, expected.length === 0);
}

export interface MultipartPart {
  name: string;
  value: string | Buffer;
  filename?: string;
  contentType?: string;
}

/** A multipart/form-data body. */
export function multipart(boundary: string, parts: MultipartPart[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    chunks.push(Buffer.from(head + '\r\n'), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}
