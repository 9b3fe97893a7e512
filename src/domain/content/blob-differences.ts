import { ServiceError } from "../../errors.js";
import { encodeToken } from "../paging.js";
import { MAX_FILE_BYTES } from "./change-set.js";
import { contentErrors } from "./errors.js";
import type { ObjectReader } from "./object-reader.js";
import { pagePosition, pageSize } from "./page.js";
import { isFullCommitId } from "./specifiers.js";
import { lineDiff, type DiffHunk } from "./line-diff.js";

export type { DiffChange, DiffHunk } from "./line-diff.js";

export const HUNKS_PAGE = 100;
export const MAX_HUNKS_PAGE = 1000;
export const DEFAULT_CONTEXT_LINES = 3;
export const MAX_CONTEXT_LINES = 20;

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
 * GetBlobDifferences: a line diff of two blobs. Both are read through the repository's
 * cat-file process and compared in this process (line-diff.ts; no process per call). Content
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
  const hunks =
    isBinary || beforeId === afterId ? [] : lineDiff(before?.toString("utf8") ?? "", after.toString("utf8"), { context, ignoreWhitespace });
  const page = hunks.slice(start, start + limit);
  return {
    hunks: page,
    isBinary,
    beforeBlobSize: before?.length ?? 0,
    afterBlobSize: after.length,
    NextToken: start + limit < hunks.length ? encodeToken(query, start + limit) : undefined,
  };
}
