import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lineDiff, type DiffHunk } from "../../src/domain/content/line-diff.js";

/**
 * GetBlobDifferences' line diff (jsdiff behind git's own pre-pass) against `git diff` on the
 * same two texts: the same hunks where the smallest diff is unambiguous, always a patch that
 * turns the before text into the after text, and never more changed lines than git's --minimal.
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hw-line-diff-"));

function git(args: string[], before: string, after: string): string {
  fs.writeFileSync(path.join(dir, "a"), before);
  fs.writeFileSync(path.join(dir, "b"), after);
  try {
    return execFileSync("git", ["diff", "--no-index", "--no-color", ...args, "a", "b"], { cwd: dir, encoding: "utf8" });
  } catch (e) {
    return (e as { stdout: string }).stdout; // exit code 1: the files differ
  }
}

/** git's unified output as hunks. */
function gitHunks(before: string, after: string, context: number, ignoreWhitespace = false): DiffHunk[] {
  const out = git([`-U${context}`, ...(ignoreWhitespace ? ["-w"] : [])], before, after);
  const hunks: DiffHunk[] = [];
  let bLine = 0;
  let aLine = 0;
  for (const line of out.split("\n")) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (m) {
      const h = { beforeStartLine: +m[1]!, beforeLineCount: m[2] === undefined ? 1 : +m[2], afterStartLine: +m[3]!, afterLineCount: m[4] === undefined ? 1 : +m[4], changes: [] };
      hunks.push(h);
      [bLine, aLine] = [h.beforeStartLine, h.afterStartLine];
    } else if (hunks.length) {
      const h = hunks[hunks.length - 1]!;
      const content = line.slice(1);
      if (line[0] === " ") h.changes.push({ type: "CONTEXT", beforeLineNumber: bLine++, afterLineNumber: aLine++, content });
      else if (line[0] === "-") h.changes.push({ type: "DELETE", beforeLineNumber: bLine++, content });
      else if (line[0] === "+") h.changes.push({ type: "ADD", afterLineNumber: aLine++, content });
    }
  }
  return hunks;
}

/** Applies hunks to the before text's lines: what the after text's lines must be. */
function apply(before: string, hunks: DiffHunk[]): string[] {
  const a = before.split("\n");
  if (a[a.length - 1] === "") a.pop();
  const out: string[] = [];
  let next = 1;
  for (const h of hunks) {
    const first = h.changes.find((c) => c.beforeLineNumber !== undefined)?.beforeLineNumber ?? h.beforeStartLine + 1;
    while (next < first) out.push(a[next++ - 1]!);
    for (const c of h.changes) {
      if (c.type === "DELETE") {
        expect(c.content).toBe(a[c.beforeLineNumber! - 1]);
        next++;
      } else if (c.type === "CONTEXT") {
        next++;
        out.push(c.content);
      } else out.push(c.content);
    }
  }
  while (next <= a.length) out.push(a[next++ - 1]!);
  return out;
}

const text = (lines: string[]) => lines.map((l) => l + "\n").join("");
const numbered = (n: number, change: Record<number, string | null> = {}) =>
  text(Array.from({ length: n }, (_, i) => (i + 1 in change ? change[i + 1]! : `line ${i + 1}`)).filter((l): l is string => l !== null));

describe("lineDiff agrees with git diff", () => {
  const cases: Array<[string, string, string]> = [
    ["one substitution", numbered(10), numbered(10, { 5: "five" })],
    ["changes 6 lines apart share a hunk at -U3", numbered(10), numbered(10, { 2: "X", 9: "Y" })],
    ["changes 7 lines apart do not", numbered(10), numbered(10, { 2: "X", 10: "Y" })],
    ["an insertion at the start", numbered(8), "new\n" + numbered(8)],
    ["an insertion at the end", numbered(8), numbered(8) + "new\n"],
    ["a deletion in the middle", numbered(12), numbered(12, { 6: null, 7: null })],
    ["everything added", "", numbered(4)],
    ["everything deleted", numbered(4), ""],
    ["a last line losing its newline", "a\nb\n", "a\nb"],
    ["a last line gaining one", "a\nb", "a\nb\n"],
    ["CRLF against LF", "a\r\nb\r\nc\r\n", "a\nb\nc\n"],
    ["the poem of the e2e test", numbered(30), numbered(30, { 5: "line 5, changed", 15: "line  15", 25: "line 25, changed" })],
  ];
  for (const [name, before, after] of cases) {
    it(name, () => {
      for (const context of [0, 1, 3, 10]) {
        expect(lineDiff(before, after, { context, ignoreWhitespace: false }), `-U${context}`).toEqual(gitHunks(before, after, context));
      }
    });
  }

  it("ignores whitespace as git -w does: inside lines, at their ends, and a missing last newline", () => {
    const before = "a\nb  c\n\td\ne\nf";
    const after = "a\nb c\nd\nE\nf\n";
    const ours = lineDiff(before, after, { context: 3, ignoreWhitespace: true });
    expect(ours).toEqual(gitHunks(before, after, 3, true));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.changes.filter((c) => c.type !== "CONTEXT")).toEqual([
      { type: "DELETE", beforeLineNumber: 4, content: "e" },
      { type: "ADD", afterLineNumber: 4, content: "E" },
    ]);
    // the context shows the after side's spelling, as git does
    expect(ours[0]!.changes[1]).toEqual({ type: "CONTEXT", beforeLineNumber: 2, afterLineNumber: 2, content: "b c" });
    expect(lineDiff("x \n", "x\n", { context: 3, ignoreWhitespace: true })).toEqual([]);
    // a whitespace-only line still is a line
    expect(lineDiff("a\n \nb\n", "a\nb\n", { context: 1, ignoreWhitespace: true })).toEqual(gitHunks("a\n \nb\n", "a\nb\n", 1, true));
  });

  it("on random edits, gives a patch of the before text into the after text, as small as git's --minimal", () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const vocabulary = ["{", "}", "", "return x;", "x++;", "if (x) {", "// note"];
    for (let round = 0; round < 30; round++) {
      const base = Array.from({ length: 40 + random(60) }, () => vocabulary[random(vocabulary.length)]! + (random(4) ? "" : ` ${random(9)}`));
      const edited = base.slice();
      for (let e = 0; e < 1 + random(8); e++) {
        const at = random(edited.length + 1);
        const op = random(3);
        if (op === 0) edited.splice(at, 1 + random(3));
        else if (op === 1) edited.splice(at, 0, ...Array.from({ length: 1 + random(3) }, () => vocabulary[random(vocabulary.length)]!));
        else edited[at] = `changed ${round} ${e}`;
      }
      const [before, after] = [text(base), text(edited.filter((l) => l !== undefined))];
      const hunks = lineDiff(before, after, { context: random(4), ignoreWhitespace: false });
      expect(apply(before, hunks)).toEqual(after.split("\n").slice(0, -1));
      const changed = hunks.flatMap((h) => h.changes).filter((c) => c.type !== "CONTEXT").length;
      const [added, deleted] = git(["--minimal", "--numstat"], before, after).split("\t").map(Number);
      expect(changed, `round ${round}`).toBe((added ?? 0) + (deleted ?? 0));
    }
  });

  it("compares two unrelated large files at once (lines found only on one side are set aside first)", () => {
    const a = Array.from({ length: 20_000 }, (_, i) => `a ${i} ${(i * 7919) % 10007}`).join("\n");
    const b = Array.from({ length: 20_000 }, (_, i) => `b ${i} ${(i * 104729) % 10007}`).join("\n");
    const started = performance.now();
    const hunks = lineDiff(a, b, { context: 3, ignoreWhitespace: false });
    expect(performance.now() - started).toBeLessThan(1000); // plain Myers: tens of seconds
    expect(hunks).toHaveLength(1);
    expect(hunks[0]!.changes.filter((c) => c.type === "DELETE")).toHaveLength(20_000);
  });

  it("out of time, still gives a correct patch: the rest of the changed region replaced whole", () => {
    // the same few lines in another order, many times over: every line matches somewhere, so
    // the pre-pass sets nothing aside and Myers has all the work
    const words = ["{", "}", "x", "y", ""];
    const a = Array.from({ length: 6000 }, (_, i) => words[(i * 7) % 5]!);
    const b = Array.from({ length: 6000 }, (_, i) => words[(i * 3 + (i >> 4)) % 5]!);
    const [before, after] = [text(["same start", ...a, "same end"]), text(["same start", ...b, "same end"])];
    const hunks = lineDiff(before, after, { context: 1, ignoreWhitespace: false, budgetMs: 1 });
    expect(apply(before, hunks)).toEqual(after.split("\n").slice(0, -1));
    expect(hunks).toHaveLength(1);
    // one block of deletions then one of additions, between the common start and end
    const kinds = hunks[0]!.changes.map((c) => c.type[0]).join("");
    expect(kinds).toMatch(/^C+D+A+C+$/);
  });
});
