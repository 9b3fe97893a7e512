import { ServiceError } from "../../errors.js";
import { MAX_FILE_BYTES, tooLarge } from "../content/change-set.js";
import { validateFileMode, type FileModeName } from "../content/modes.js";
import { validateFilePath, type RepoPath } from "../content/paths.js";

/**
 * The merge operations' options as the CodeCommit model has them, checked before anything is
 * read, each refused with the error the model names for it.
 */
export type MergeOption = "FAST_FORWARD_MERGE" | "SQUASH_MERGE" | "THREE_WAY_MERGE";
export type ConflictDetailLevel = "FILE_LEVEL" | "LINE_LEVEL";
export type ConflictResolutionStrategy = "NONE" | "ACCEPT_SOURCE" | "ACCEPT_DESTINATION" | "AUTOMERGE";
export type ReplacementType = "KEEP_BASE" | "KEEP_SOURCE" | "KEEP_DESTINATION" | "USE_NEW_CONTENT";

export const MERGE_OPTIONS: readonly MergeOption[] = ["FAST_FORWARD_MERGE", "SQUASH_MERGE", "THREE_WAY_MERGE"];
const LEVELS: readonly ConflictDetailLevel[] = ["FILE_LEVEL", "LINE_LEVEL"];
const STRATEGIES: readonly ConflictResolutionStrategy[] = ["NONE", "ACCEPT_SOURCE", "ACCEPT_DESTINATION", "AUTOMERGE"];
const REPLACEMENTS: readonly ReplacementType[] = ["KEEP_BASE", "KEEP_SOURCE", "KEEP_DESTINATION", "USE_NEW_CONTENT"];

/** Entries of one conflictResolution, all three lists together (the API's limit for a commit). */
export const MAX_RESOLUTION_ENTRIES = 100;
/** Conflict files and merge hunks a page holds, when the request does not say. */
export const DEFAULT_CONFLICT_FILES = 100;
export const DEFAULT_MERGE_HUNKS = 100;

const isAbsent = (v: unknown) => v === undefined || v === null || v === "";

function oneOf<T extends string>(value: unknown, allowed: readonly T[], code: string, what: string): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new ServiceError(code, `The ${what} '${String(value)}' is not valid: use ${allowed.join(", ")}.`);
  }
  return value as T;
}

export function mergeOption(value: unknown, allowed: readonly MergeOption[] = MERGE_OPTIONS): MergeOption {
  if (isAbsent(value)) {
    throw new ServiceError("MergeOptionRequiredException", `A merge option is required: use ${allowed.join(", ")}.`);
  }
  const option = oneOf(value, MERGE_OPTIONS, "InvalidMergeOptionException", "merge option");
  if (!allowed.includes(option)) {
    throw new ServiceError(
      "InvalidMergeOptionException",
      `The merge option ${option} is not valid for this operation: use ${allowed.join(" or ")}. A fast-forward merge makes no merge commit and has no conflicts to describe.`,
    );
  }
  return option;
}

export function detailLevel(value: unknown): ConflictDetailLevel {
  if (isAbsent(value)) return "FILE_LEVEL";
  return oneOf(value, LEVELS, "InvalidConflictDetailLevelException", "conflict detail level");
}

export function resolutionStrategy(value: unknown): ConflictResolutionStrategy {
  if (isAbsent(value)) return "NONE";
  return oneOf(value, STRATEGIES, "InvalidConflictResolutionStrategyException", "conflict resolution strategy");
}

/** maxConflictFiles / maxMergeHunks: a positive whole number, else the model's own error. */
export function pageLimit(value: unknown, fallback: number, code: "InvalidMaxConflictFilesException" | "InvalidMaxMergeHunksException"): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    const what = code === "InvalidMaxConflictFilesException" ? "conflict files" : "merge hunks";
    throw new ServiceError(code, `The maximum number of ${what} must be a whole number of at least 1.`);
  }
  return value;
}

export function optionalBoolean(value: unknown, member: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new ServiceError("SerializationException", `${member} must be a boolean.`);
  return value;
}

export interface ReplaceContent {
  path: RepoPath;
  type: ReplacementType;
  content?: Buffer;
  mode?: FileModeName;
}

/** A parsed conflictResolution: what to put at, delete from or re-mode conflicting paths. */
export interface ConflictResolution {
  replaceContents: ReplaceContent[];
  deleteFiles: RepoPath[];
  setFileModes: { path: RepoPath; mode: FileModeName }[];
}

/** A replaceContents entry as the protocol edge hands it over: content decoded from base64. */
export interface ReplaceContentInput {
  filePath?: unknown;
  replacementType?: unknown;
  content?: Buffer;
  fileMode?: unknown;
}

export interface ConflictResolutionInput {
  replaceContents?: unknown;
  deleteFiles?: unknown;
  setFileModes?: unknown;
}

function list(value: unknown, member: string): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((e) => e === null || typeof e !== "object")) {
    throw new ServiceError("SerializationException", `conflictResolution.${member} must be a list of objects.`);
  }
  return value as Record<string, unknown>[];
}

export function parseConflictResolution(input: unknown): ConflictResolution {
  const empty: ConflictResolution = { replaceContents: [], deleteFiles: [], setFileModes: [] };
  if (input === undefined || input === null) return empty;
  if (typeof input !== "object" || Array.isArray(input)) throw new ServiceError("SerializationException", "conflictResolution must be an object.");
  const i = input as ConflictResolutionInput;
  const replaces = list(i.replaceContents, "replaceContents") as ReplaceContentInput[];
  const deletes = list(i.deleteFiles, "deleteFiles");
  const modes = list(i.setFileModes, "setFileModes");
  const count = replaces.length + deletes.length + modes.length;
  if (count > MAX_RESOLUTION_ENTRIES) {
    throw new ServiceError(
      "MaximumConflictResolutionEntriesExceededException",
      `The conflict resolution has ${count} entries; at most ${MAX_RESOLUTION_ENTRIES} are allowed. Resolve the rest with git.`,
    );
  }
  let total = 0;
  const replaceContents = replaces.map((r): ReplaceContent => {
    const path = validateFilePath(r.filePath);
    if (isAbsent(r.replacementType)) {
      throw new ServiceError("ReplacementTypeRequiredException", `The replaceContents entry for '${path.path}' needs a replacementType.`);
    }
    const type = oneOf(r.replacementType, REPLACEMENTS, "InvalidReplacementTypeException", "replacement type");
    const mode = validateFileMode(r.fileMode, false);
    if (type === "USE_NEW_CONTENT") {
      if (r.content === undefined) {
        throw new ServiceError(
          "ReplacementContentRequiredException",
          `The replaceContents entry for '${path.path}' is USE_NEW_CONTENT but has no content.`,
        );
      }
      if (r.content.length > MAX_FILE_BYTES) throw tooLarge(`The replacement content for '${path.path}'`);
      total += r.content.length;
    } else if (r.content !== undefined) {
      throw new ServiceError(
        "InvalidReplacementContentException",
        `The replaceContents entry for '${path.path}' is ${type}, which takes no content: give content only with USE_NEW_CONTENT.`,
      );
    }
    return { path, type, content: r.content, mode };
  });
  if (total > 7 * 1024 * 1024) throw tooLarge(`The combined replacement content (${total} bytes)`);
  const deleteFiles = deletes.map((d) => validateFilePath(d.filePath));
  const setFileModes = modes.map((m) => ({ path: validateFilePath(m.filePath), mode: validateFileMode(m.fileMode, true)! }));

  const seen = new Set<string>();
  for (const p of [...replaceContents.map((r) => r.path), ...deleteFiles]) {
    if (seen.has(p.path)) {
      throw new ServiceError(
        "MultipleConflictResolutionEntriesException",
        `The conflict in '${p.path}' has more than one resolution entry (replaceContents, deleteFiles): give one.`,
      );
    }
    seen.add(p.path);
  }
  const moded = new Set<string>();
  for (const m of setFileModes) {
    if (moded.has(m.path.path) || deleteFiles.some((d) => d.path === m.path.path)) {
      throw new ServiceError(
        "MultipleConflictResolutionEntriesException",
        `The conflict in '${m.path.path}' has more than one file mode entry, or a file mode for a file it deletes: give one.`,
      );
    }
    moded.add(m.path.path);
  }
  return { replaceContents, deleteFiles, setFileModes };
}

export function isEmptyResolution(r: ConflictResolution): boolean {
  return r.replaceContents.length + r.deleteFiles.length + r.setFileModes.length === 0;
}
