/**
 * Maps a path into the parsed configuration (`['routes', 0, 'primary']`) back to the line
 * and column of the YAML node it came from, following aliases and `<<` merge keys.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import { pathString, type ConfigProblem, type Issue, type PathSegment } from './problems.js';

interface Found {
  /** The deepest node reached along the path. */
  node: Node | null;
  /** The key node of the last pair followed, when the path ended at a map entry. */
  key: Node | null;
  /** True when the whole path was found. */
  complete: boolean;
}

/** Finds the positions of configuration paths in one parsed YAML document. */
export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly file: string,
  ) {}

  /** 1-based line and column of `path` (of its key when `at` is `key`). */
  position(path: readonly PathSegment[], at: 'key' | 'value' = 'value'): { line: number; col: number } {
    const found = this.find(path);
    let node = found.complete && at === 'key' && found.key ? found.key : found.node;
    if (found.complete && at === 'value' && !hasRange(node) && found.key) node = found.key;
    const offset = hasRange(node) ? node.range[0] : 0;
    const pos = this.lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  }

  /** 1-based line and column of a character offset in the source. */
  offsetPosition(offset: number): { line: number; col: number } {
    const pos = this.lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  }

  /** Turns an issue into a positioned problem. */
  problem(issue: Issue): ConfigProblem {
    const { line, col } = this.position(issue.path, issue.at);
    return { file: this.file, line, col, path: pathString(issue.path), message: issue.message };
  }

  private find(path: readonly PathSegment[]): Found {
    let node: Node | null = this.resolve(this.doc.contents as Node | null);
    let key: Node | null = null;
    for (const seg of path) {
      const next = this.step(node, seg);
      if (!next) return { node, key, complete: false };
      key = next.key;
      node = this.resolve(next.value);
      if (!node && key) return { node: key, key, complete: true };
    }
    return { node, key, complete: true };
  }

  private step(node: Node | null, seg: PathSegment): { key: Node | null; value: Node | null } | null {
    if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      return item === undefined ? null : { key: null, value: item as Node | null };
    }
    if (!isMap(node)) return null;
    const pair = this.findPair(node.items as Pair[], String(seg), 0);
    return pair ? { key: pair.key as Node | null, value: pair.value as Node | null } : null;
  }

  private findPair(items: Pair[], key: string, depth: number): Pair | null {
    const direct = items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    if (direct || depth > 10) return direct ?? null;
    for (const p of items) {
      if (!isMergeKey(p.key)) continue;
      const sources = isSeq(p.value) ? (p.value.items as Node[]) : [p.value as Node];
      for (const src of sources) {
        const m = this.resolve(src);
        if (isMap(m)) {
          const found = this.findPair(m.items as Pair[], key, depth + 1);
          if (found) return found;
        }
      }
    }
    return null;
  }

  private resolve(node: Node | null | undefined): Node | null {
    let n = node ?? null;
    for (let i = 0; i < 20 && isAlias(n); i++) n = (n.resolve(this.doc) as Node | undefined) ?? null;
    return n;
  }
}

/** The `<<` key of a merge (its value is a symbol when merge keys are enabled). */
function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}

function hasRange(node: Node | null): node is Node & { range: [number, number, number] } {
  return !!node && Array.isArray(node.range);
}
