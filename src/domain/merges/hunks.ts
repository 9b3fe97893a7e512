import { diffIndices } from "node-diff3";

/** One side of a merge hunk: lines [startLine, endLine) of that version, 0-based, and their text. */
export interface HunkSide {
  startLine: number;
  endLine: number;
  content: Buffer;
}

export interface MergeHunk {
  isConflict: boolean;
  source: HunkSide;
  destination: HunkSide;
  base: HunkSide;
}

/** A text's lines, each with its newline (a last line without one stays as it is). */
export function splitLines(text: Buffer): string[] {
  return text.toString("latin1").match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

interface SideHunk {
  side: "source" | "destination";
  oStart: number;
  oEnd: number;
  start: number;
  end: number;
}

/**
 * The hunks of a three-way merge of one file, as DescribeMergeConflicts reports them: every
 * region that either side changed from the base, with the lines it spans in all three versions.
 * A region both sides changed differently is a conflict; both sides making the same change is
 * not (git merges it cleanly too). Line matching is node-diff3's LCS, run per side against the
 * base, as diff3 and git do.
 */
export function mergeHunks(base: Buffer, source: Buffer, destination: Buffer): MergeHunk[] {
  const o = splitLines(base);
  const texts = { source: splitLines(source), destination: splitLines(destination) };
  const sideHunks: SideHunk[] = [];
  for (const side of ["source", "destination"] as const) {
    for (const d of diffIndices(o, texts[side])) {
      sideHunks.push({ side, oStart: d.buffer1[0], oEnd: d.buffer1[0] + d.buffer1[1], start: d.buffer2[0], end: d.buffer2[0] + d.buffer2[1] });
    }
  }
  sideHunks.sort((x, y) => x.oStart - y.oStart || (x.side < y.side ? -1 : 1));

  // how far each side's line numbers have moved from the base's, before the current region
  const skew = { source: 0, destination: 0 };
  const hunks: MergeHunk[] = [];
  const slice = (lines: string[], start: number, end: number): HunkSide => ({
    startLine: start,
    endLine: end,
    content: Buffer.from(lines.slice(start, end).join(""), "latin1"),
  });
  let i = 0;
  while (i < sideHunks.length) {
    const group = [sideHunks[i++]!];
    let oStart = group[0]!.oStart;
    let oEnd = group[0]!.oEnd;
    // hunks touching or overlapping the region's base lines belong to it (as in diff3)
    while (i < sideHunks.length && sideHunks[i]!.oStart <= oEnd) {
      const h = sideHunks[i++]!;
      oEnd = Math.max(oEnd, h.oEnd);
      oStart = Math.min(oStart, h.oStart);
      group.push(h);
    }
    const range = (side: "source" | "destination"): [number, number] => {
      const own = group.filter((h) => h.side === side);
      if (own.length === 0) return [oStart + skew[side], oEnd + skew[side]];
      const first = own[0]!;
      const last = own[own.length - 1]!;
      // the side's own changed lines, widened by the base lines the other side's hunks add
      return [first.start - (first.oStart - oStart), last.end + (oEnd - last.oEnd)];
    };
    const [sStart, sEnd] = range("source");
    const [dStart, dEnd] = range("destination");
    const both = group.some((h) => h.side === "source") && group.some((h) => h.side === "destination");
    const sourceSide = slice(texts.source, sStart, sEnd);
    const destinationSide = slice(texts.destination, dStart, dEnd);
    hunks.push({
      isConflict: both && !sourceSide.content.equals(destinationSide.content),
      source: sourceSide,
      destination: destinationSide,
      base: slice(o, oStart, oEnd),
    });
    skew.source = sEnd - oEnd;
    skew.destination = dEnd - oEnd;
  }
  return hunks;
}

/** What git calls binary: a NUL byte in the first 8,000 bytes. */
export function looksBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}
