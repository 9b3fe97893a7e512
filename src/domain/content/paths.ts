import { ServiceError } from "../../errors.js";
import { fromBinary, toBinary } from "../../git/objects.js";
import { contentErrors } from "./errors.js";

/** CodeCommit's path quotas: 4,096 characters, at most 20 directories deep. */
export const MAX_PATH_LENGTH = 4096;
export const MAX_DIRECTORY_DEPTH = 20;

/**
 * A validated path inside a repository. `path` is what CodeCommit reports back (no leading
 * slash; "" is the root folder); `parts` are the components as binary strings, ready for tree
 * lookups (see git/objects.ts).
 */
export interface RepoPath {
  path: string;
  parts: string[];
}

export const ROOT: RepoPath = { path: "", parts: [] };

export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/");
}

/** Characters HFS+ ignores in names, which git therefore refuses around `.git` (fsck hasDotgit). */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

function componentProblem(c: string): string | null {
  if (c === "") return "it has an empty component (two slashes in a row)";
  if (c === "." || c === "..") return "it cannot contain . or .. components";
  if (c.includes("\0")) return "it cannot contain NUL characters";
  // what git's fsck calls hasDotgit, including the spellings Windows and macOS treat as .git
  const folded = c.replace(HFS_IGNORABLE, "").toLowerCase().replace(/[ .]+$/, "");
  if (folded === ".git" || folded === "git~1") return "it cannot contain a .git component";
  return null;
}

/**
 * Whether a name read from a tree (a binary string, see git/objects.ts) is one the API would
 * refuse in a path, or one with a slash in it (fsck's fullPathname), which no path can express.
 */
export function treeEntryNameProblem(binaryName: string): string | null {
  if (binaryName.includes("/")) return "it contains /";
  return componentProblem(fromBinary(binaryName));
}

function parse(raw: string, what: "file" | "folder"): RepoPath {
  if (raw.length > MAX_PATH_LENGTH) {
    throw contentErrors.invalidPath(raw.slice(0, 64) + "…", `paths are at most ${MAX_PATH_LENGTH} characters`);
  }
  // "/examples/file.md" and "examples/file.md" name the same file
  let rel = raw.startsWith("/") ? raw.slice(1) : raw;
  if (what === "folder" && rel.endsWith("/")) rel = rel.slice(0, -1);
  if (rel === "") {
    if (what === "folder") return ROOT;
    throw contentErrors.invalidPath(raw, "it names no file");
  }
  const parts = rel.split("/");
  for (const p of parts) {
    const problem = componentProblem(p);
    if (problem) throw contentErrors.invalidPath(raw, problem);
  }
  const directories = what === "file" ? parts.length - 1 : parts.length;
  if (directories > MAX_DIRECTORY_DEPTH) {
    throw contentErrors.invalidPath(raw, `paths can be at most ${MAX_DIRECTORY_DEPTH} directories deep`);
  }
  return { path: rel, parts: parts.map(toBinary) };
}

function requirePathString(value: unknown, allowEmpty: boolean): string {
  if (value === undefined || value === null || (!allowEmpty && value === "")) throw contentErrors.pathRequired();
  if (typeof value !== "string") throw new ServiceError("SerializationException", "A path must be a string.");
  return value;
}

/** A file path: required, no trailing slash. */
export function validateFilePath(value: unknown): RepoPath {
  return parse(requirePathString(value, false), "file");
}

/** A folder path: "" or "/" is the root. */
export function validateFolderPath(value: unknown): RepoPath {
  return parse(requirePathString(value, true), "folder");
}

/** An optional path filter (GetDifferences): undefined when absent or empty. */
export function optionalPath(value: unknown): RepoPath | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return parse(requirePathString(value, false), "folder");
}
