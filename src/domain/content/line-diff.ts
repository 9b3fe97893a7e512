import { diffArrays } from "diff";

export interface DiffChange {
  type: "CONTEXT" | "ADD" | "DELETE";
  beforeLineNumber?: number;
  afterLineNumber?: number;
  content: string;
}

export interface DiffHunk {
  beforeStartLine: number;
  beforeLineCount: number;
  afterStartLine: number;
  afterLineCount: number;
  changes: DiffChange[];
}

export interface LineDiffOptions {
  /** unchanged lines shown around each change; changes closer than twice this share a hunk */
  context: number;
  /** lines that differ only in whitespace are equal (git's `-w`, --ignore-all-space) */
  ignoreWhitespace: boolean;
  /**
   * Past this many milliseconds the line matcher gives up and the rest of the changed region is
   * reported as replaced whole: it runs on the event loop, and Myers' algorithm is quadratic in
   * the worst case. 100 by default.
   */
  budgetMs?: number;
}

/** A text's lines without their newlines, and the keys they are compared by. */
function lines(text: string, ignoreWhitespace: boolean, intern: Map<string, number>): { texts: string[]; keys: number[] } {
  const texts = text.split("\n");
  const terminated = texts[texts.length - 1] === "";
  if (terminated) texts.pop();
  const keys = texts.map((t, i) => {
    // as in git, a last line without its newline differs from the same line with one, unless
    // whitespace is ignored (the newline is whitespace then)
    let k = ignoreWhitespace ? t.replace(/\s+/g, "") : t;
    if (!ignoreWhitespace && !terminated && i === texts.length - 1) k += "\0";
    let id = intern.get(k);
    if (id === undefined) intern.set(k, (id = intern.size));
    return id;
  });
  return { texts, keys };
}

/**
 * Which lines of `a` and `b` are the same line, as pairs of indexes in increasing order: the
 * longest common subsequence, found by jsdiff (Myers). Before it runs, lines that occur nowhere
 * on the other side are set aside as changed, as git's xdiff does: they can never match, and on
 * two unrelated files this turns a quadratic search into nothing.
 */
function matchedLines(a: number[], b: number[], budgetMs: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) pairs.push([start, start++]);
  let endA = a.length;
  let endB = b.length;
  const suffix: Array<[number, number]> = [];
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) suffix.push([--endA, --endB]);

  const inB = new Set(b.slice(start, endB));
  const inA = new Set(a.slice(start, endA));
  const keptA: number[] = [];
  const keptB: number[] = [];
  for (let i = start; i < endA; i++) if (inB.has(a[i]!)) keptA.push(i);
  for (let j = start; j < endB; j++) if (inA.has(b[j]!)) keptB.push(j);

  const changes = diffArrays(
    keptA.map((i) => a[i]!),
    keptB.map((j) => b[j]!),
    { timeout: budgetMs },
  );
  // out of time: nothing in the middle matches (a correct diff, if not the smallest)
  if (changes) {
    let i = 0;
    let j = 0;
    for (const c of changes) {
      if (c.added) j += c.count;
      else if (c.removed) i += c.count;
      else for (let n = 0; n < c.count; n++) pairs.push([keptA[i++]!, keptB[j++]!]);
    }
  }
  return pairs.concat(suffix.reverse());
}

/** A run of changed lines: before[a0, a1) replaced by after[b0, b1). */
interface Change {
  a0: number;
  a1: number;
  b0: number;
  b1: number;
}

function changesBetween(pairs: Array<[number, number]>, aLen: number, bLen: number): Change[] {
  const out: Change[] = [];
  let a = 0;
  let b = 0;
  for (const [i, j] of [...pairs, [aLen, bLen] as [number, number]]) {
    if (i > a || j > b) out.push({ a0: a, a1: i, b0: b, b1: j });
    a = i + 1;
    b = j + 1;
  }
  return out;
}

/**
 * A line diff of two texts as unified-diff hunks: line numbers from 1, an empty side's start
 * line being the line before it (`@@ -5,0 +6,2 @@`, as git writes it), each change's deleted
 * lines before its added ones, context lines as the after side has them.
 */
export function lineDiff(before: string, after: string, opts: LineDiffOptions): DiffHunk[] {
  const intern = new Map<string, number>();
  const a = lines(before, opts.ignoreWhitespace, intern);
  const b = lines(after, opts.ignoreWhitespace, intern);
  const changes = changesBetween(matchedLines(a.keys, b.keys, opts.budgetMs ?? 100), a.keys.length, b.keys.length);
  const ctx = opts.context;

  // changes separated by at most twice the context share a hunk (git's rule)
  const groups: Change[][] = [];
  for (const c of changes) {
    const last = groups[groups.length - 1]?.at(-1);
    if (last && c.a0 - last.a1 <= 2 * ctx) groups[groups.length - 1]!.push(c);
    else groups.push([c]);
  }

  return groups.map((group) => {
    const first = group[0]!;
    const last = group[group.length - 1]!;
    const lead = Math.min(ctx, first.a0);
    const trail = Math.min(ctx, a.texts.length - last.a1);
    const changesOut: DiffChange[] = [];
    const context = (ai: number, bi: number, n: number) => {
      for (let k = 0; k < n; k++) {
        changesOut.push({ type: "CONTEXT", beforeLineNumber: ai + k + 1, afterLineNumber: bi + k + 1, content: b.texts[bi + k]! });
      }
    };
    context(first.a0 - lead, first.b0 - lead, lead);
    group.forEach((c, n) => {
      if (n > 0) {
        const prev = group[n - 1]!;
        context(prev.a1, prev.b1, c.a0 - prev.a1);
      }
      for (let i = c.a0; i < c.a1; i++) changesOut.push({ type: "DELETE", beforeLineNumber: i + 1, content: a.texts[i]! });
      for (let j = c.b0; j < c.b1; j++) changesOut.push({ type: "ADD", afterLineNumber: j + 1, content: b.texts[j]! });
    });
    context(last.a1, last.b1, trail);
    const beforeLineCount = last.a1 + trail - (first.a0 - lead);
    const afterLineCount = last.b1 + trail - (first.b0 - lead);
    return {
      beforeStartLine: first.a0 - lead + (beforeLineCount > 0 ? 1 : 0),
      beforeLineCount,
      afterStartLine: first.b0 - lead + (afterLineCount > 0 ? 1 : 0),
      afterLineCount,
      changes: changesOut,
    };
  });
}
