import { ServiceError } from "../../errors.js";
import { encodeToken } from "../paging.js";
import { MAX_FILE_BYTES } from "./change-set.js";
import { contentErrors } from "./errors.js";
import type { ObjectReader } from "./object-reader.js";
import { pagePosition, pageSize } from "./page.js";
import { isFullCommitId } from "./specifiers.js";

export const HUNKS_PAGE = 100;
export const MAX_HUNKS_PAGE = 1000;
export const DEFAULT_CONTEXT_LINES = 3;
export const MAX_CONTEXT_LINES = 20;

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

export interface BlobDifferencesRequest {
  afterBlobId?: unknown;
  beforeBlobId?: unknown;
  contextLines?: unknown;
  ignoreWhitespace?: unknown;
  MaxResults?: unknown;
  NextToken?: unknown;
}

export interface BlobDifferences {
  hunks: DiffHunk[];
  isBinary: boolean;
  beforeBlobSize: number;
  afterBlobSize: number;
  NextToken?: string;
}

/** git's test for binary content (buffer_is_binary): a NUL byte in the first 8,000 bytes. */
export function looksBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

function blobId(value: unknown, required: boolean): string | undefined {
  if (value === undefined || value === null || value === "") {
    if (required) throw contentErrors.blobIdRequired();
    return undefined;
  }
  if (typeof value !== "string" || !isFullCommitId(value)) throw contentErrors.invalidBlobId(String(value));
  return value.toLowerCase();
}

function contextLines(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_CONTEXT_LINES;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_CONTEXT_LINES) {
    throw new ServiceError("ValidationException", `contextLines must be a whole number from 0 to ${MAX_CONTEXT_LINES}.`);
  }
  return value;
}

/**
 * Parses `git diff` unified output into hunks. Line numbers come from the hunk headers; the
 * "\ No newline at end of file" markers carry no line.
 */
export function parseUnifiedDiff(text: string): DiffHunk[] {
  const hunks: DiffHunk[] = [];
  let hunk: DiffHunk | null = null;
  let bLine = 0;
  let aLine = 0;
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const line of lines) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (m) {
      hunk = {
        beforeStartLine: Number(m[1]),
        beforeLineCount: m[2] === undefined ? 1 : Number(m[2]),
        afterStartLine: Number(m[3]),
        afterLineCount: m[4] === undefined ? 1 : Number(m[4]),
        changes: [],
      };
      hunks.push(hunk);
      bLine = hunk.beforeStartLine;
      aLine = hunk.afterStartLine;
      continue;
    }
    if (!hunk) continue; // the diff --git / index / --- / +++ header
    const content = line.slice(1);
    if (line[0] === " ") hunk.changes.push({ type: "CONTEXT", beforeLineNumber: bLine++, afterLineNumber: aLine++, content });
    else if (line[0] === "-") hunk.changes.push({ type: "DELETE", beforeLineNumber: bLine++, content });
    else if (line[0] === "+") hunk.changes.push({ type: "ADD", afterLineNumber: aLine++, content });
  }
  return hunks;
}

/** A whole file as added lines: the diff against nothing. */
function allAdded(content: Buffer): DiffHunk[] {
  const lines = content.toString("utf8").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) return [];
  return [
    {
      beforeStartLine: 0,
      beforeLineCount: 0,
      afterStartLine: 1,
      afterLineCount: lines.length,
      changes: lines.map((content, i) => ({ type: "ADD" as const, afterLineNumber: i + 1, content })),
    },
  ];
}

/**
 * GetBlobDifferences: a line diff of two blobs, computed by git's own diff (one `git diff`
 * process per call: xdiff is what users compare against, whitespace rules included). Content
 * git would call binary gets no hunks. Pages hold MaxResults hunks (100 by default).
 */
export async function getBlobDifferences(reader: ObjectReader, repo: { id: string; name: string }, req: BlobDifferencesRequest): Promise<BlobDifferences> {
  const afterId = blobId(req.afterBlobId, true)!;
  const beforeId = blobId(req.beforeBlobId, false);
  const context = contextLines(req.contextLines);
  if (req.ignoreWhitespace !== undefined && req.ignoreWhitespace !== null && typeof req.ignoreWhitespace !== "boolean") {
    throw new ServiceError("ValidationException", "ignoreWhitespace must be a boolean.");
  }
  const ignoreWhitespace = req.ignoreWhitespace === true;
  const limit = pageSize(req.MaxResults, HUNKS_PAGE, MAX_HUNKS_PAGE);
  const query = ["blob-differences", repo.id, beforeId ?? "", afterId, context, ignoreWhitespace].join("\0");
  const start = pagePosition<number>(req.NextToken, query) ?? 0;
  if (!Number.isInteger(start) || start < 0) throw contentErrors.invalidContinuationToken();

  const read = async (id: string) => {
    const content = await reader.blob(id, MAX_FILE_BYTES, (size) => contentErrors.fileTooLarge(`The blob ${id}`, size, MAX_FILE_BYTES));
    if (!content) throw contentErrors.blobIdDoesNotExist(id, repo.name);
    return content;
  };
  const [before, after] = await Promise.all([beforeId ? read(beforeId) : Promise.resolve(null), read(afterId)]);

  const isBinary = looksBinary(after) || (before !== null && looksBinary(before));
  let hunks: DiffHunk[] = [];
  if (!isBinary) {
    if (before === null) hunks = allAdded(after);
    else if (beforeId !== afterId) {
      const args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--text", `-U${context}`];
      if (ignoreWhitespace) args.push("--ignore-all-space");
      const { stdout } = await reader.git.git([...args, beforeId!, afterId]);
      hunks = parseUnifiedDiff(stdout.toString("utf8"));
    }
  }
  const page = hunks.slice(start, start + limit);
  return {
    hunks: page,
    isBinary,
    beforeBlobSize: before?.length ?? 0,
    afterBlobSize: after.length,
    NextToken: start + limit < hunks.length ? encodeToken(query, start + limit) : undefined,
  };
}
