import { ServiceError } from "../../errors.js";
import { GITKEEP } from "./tree-editor.js";
import { validateFileMode, type FileModeName } from "./modes.js";
import { joinPath, validateFilePath, type RepoPath } from "./paths.js";

/** CodeCommit's quotas for content written through the API. */
export const MAX_FILE_BYTES = 6 * 1024 * 1024; // 6291456, the FileContent member's max
export const MAX_COMMIT_CONTENT_BYTES = 7 * 1024 * 1024;
export const MAX_FOLDER_CONTENT_BYTES = 6 * 1024 * 1024;
export const MAX_FILE_ENTRIES = 100;

export interface PutChange {
  path: RepoPath;
  mode?: FileModeName;
  content?: Buffer;
  source?: { path: RepoPath; isMove: boolean };
}

export interface ModeChange {
  path: RepoPath;
  mode: FileModeName;
}

export interface ChangeSet {
  puts: PutChange[];
  deletes: RepoPath[];
  modes: ModeChange[];
}

/** A put entry as the protocol edge hands it over: the content already decoded from base64. */
export interface PutFileEntryInput {
  filePath?: unknown;
  fileMode?: unknown;
  fileContent?: Buffer;
  sourceFile?: unknown;
}

export interface ChangeSetInput {
  putFiles?: unknown;
  deleteFiles?: unknown;
  setFileModes?: unknown;
}

function list(value: unknown, member: string): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((e) => e === null || typeof e !== "object")) {
    throw new ServiceError("SerializationException", `${member} must be a list of objects.`);
  }
  return value as Record<string, unknown>[];
}

export function tooLarge(what: string): ServiceError {
  return new ServiceError(
    "FileContentSizeLimitExceededException",
    `${what} is too large: files are at most ${MAX_FILE_BYTES} bytes (6 MB) and the content of one commit at most ${MAX_COMMIT_CONTENT_BYTES} bytes (7 MB). Use git for larger changes.`,
  );
}

/** Validates a CreateCommit change set on its own, before the repository is looked at. */
export function parseChangeSet(input: ChangeSetInput): ChangeSet {
  const putInputs = list(input.putFiles, "putFiles") as PutFileEntryInput[];
  const deleteInputs = list(input.deleteFiles, "deleteFiles");
  const modeInputs = list(input.setFileModes, "setFileModes");
  const count = putInputs.length + deleteInputs.length + modeInputs.length;
  if (count === 0) {
    throw new ServiceError(
      "FileEntryRequiredException",
      "The commit changes nothing: give at least one entry in putFiles, deleteFiles or setFileModes.",
    );
  }
  if (count > MAX_FILE_ENTRIES) {
    throw new ServiceError(
      "MaximumFileEntriesExceededException",
      `The commit has ${count} file entries; a commit made through the API can change at most ${MAX_FILE_ENTRIES} files. Use git for larger changes.`,
    );
  }

  const puts = putInputs.map(parsePut);
  const deletes = deleteInputs.map((d) => validateFilePath(d.filePath));
  const modes = modeInputs.map((m) => ({ path: validateFilePath(m.filePath), mode: validateFileMode(m.fileMode, true)! }));

  checkSizes(puts);
  checkSamePaths(puts, deletes, modes);
  checkFileFolderClashes(puts);
  return { puts, deletes, modes };
}

function parsePut(e: PutFileEntryInput): PutChange {
  const path = validateFilePath(e.filePath);
  const mode = validateFileMode(e.fileMode, false);
  const hasContent = e.fileContent !== undefined;
  const hasSource = e.sourceFile !== undefined && e.sourceFile !== null;
  if (hasContent && hasSource) {
    throw new ServiceError(
      "FileContentAndSourceFileSpecifiedException",
      `The entry for '${path.path}' gives both fileContent and sourceFile: give one of them.`,
    );
  }
  if (!hasContent && !hasSource) {
    throw new ServiceError("SourceFileOrContentRequiredException", `The entry for '${path.path}' needs fileContent or a sourceFile.`);
  }
  if (hasContent) {
    if (e.fileContent!.length > MAX_FILE_BYTES) throw tooLarge(`The file '${path.path}'`);
    return { path, mode, content: e.fileContent };
  }
  if (typeof e.sourceFile !== "object") throw new ServiceError("SerializationException", "sourceFile must be an object.");
  const src = e.sourceFile as { filePath?: unknown; isMove?: unknown };
  const srcPath = validateFilePath(src.filePath);
  if (srcPath.parts[srcPath.parts.length - 1] === GITKEEP) {
    throw new ServiceError(
      "RestrictedSourceFileException",
      `'${srcPath.path}' is a .gitkeep file, which cannot be copied or moved.`,
    );
  }
  if (src.isMove !== undefined && src.isMove !== null && typeof src.isMove !== "boolean") {
    throw new ServiceError("SerializationException", "sourceFile.isMove must be a boolean.");
  }
  return { path, mode, source: { path: srcPath, isMove: src.isMove === true } };
}

function checkSizes(puts: PutChange[]): void {
  let total = 0;
  const perFolder = new Map<string, number>();
  for (const p of puts) {
    if (!p.content) continue;
    total += p.content.length;
    const folder = joinPath(...p.path.path.split("/").slice(0, -1));
    perFolder.set(folder, (perFolder.get(folder) ?? 0) + p.content.length);
  }
  if (total > MAX_COMMIT_CONTENT_BYTES) throw tooLarge(`The combined file content (${total} bytes)`);
  for (const [folder, size] of perFolder) {
    if (size > MAX_FOLDER_CONTENT_BYTES) {
      throw new ServiceError(
        "FolderContentSizeLimitExceededException",
        `The commit puts ${size} bytes into the folder '${folder || "/"}'; at most ${MAX_FOLDER_CONTENT_BYTES} bytes (6 MB) can go into one folder in one commit. Split the change.`,
      );
    }
  }
}

/** One action per path: a path put, deleted, moved away or re-moded twice is ambiguous. */
function checkSamePaths(puts: PutChange[], deletes: RepoPath[], modes: ModeChange[]): void {
  const seen = new Set<string>();
  const touched = [
    ...puts.map((p) => p.path.path),
    ...puts.filter((p) => p.source?.isMove).map((p) => p.source!.path.path),
    ...deletes.map((d) => d.path),
    ...modes.map((m) => m.path.path),
  ];
  for (const path of touched) {
    if (seen.has(path)) {
      throw new ServiceError(
        "SamePathRequestException",
        `The path '${path}' appears in more than one change of this commit (put, delete, move or file mode): give one change per path.`,
      );
    }
    seen.add(path);
  }
}

/** A put of `a` and a put of `a/b` in one commit would need `a` to be a file and a folder. */
function checkFileFolderClashes(puts: PutChange[]): void {
  const files = new Set(puts.map((p) => p.path.path));
  for (const p of puts) {
    const parts = p.path.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join("/");
      if (files.has(folder)) {
        throw new ServiceError(
          "PutFileEntryConflictException",
          `The commit puts a file at '${folder}' and another at '${p.path.path}', inside it: a path cannot be both a file and a folder.`,
        );
      }
    }
  }
}
