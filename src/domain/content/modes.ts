import { ServiceError } from "../../errors.js";
import type { EntryMode } from "../../git/objects.js";

/** CodeCommit's names for the modes of files it reads and writes (gitlinks and trees have none). */
export type FileModeName = "NORMAL" | "EXECUTABLE" | "SYMLINK";

const TO_GIT: Record<FileModeName, EntryMode> = { NORMAL: "100644", EXECUTABLE: "100755", SYMLINK: "120000" };

export function gitMode(name: FileModeName): EntryMode {
  return TO_GIT[name];
}

/** The name of a file's mode; undefined for submodules (gitlinks) and folders. */
export function modeName(mode: EntryMode): FileModeName | undefined {
  switch (mode) {
    case "100644":
      return "NORMAL";
    case "100755":
      return "EXECUTABLE";
    case "120000":
      return "SYMLINK";
    default:
      return undefined;
  }
}

/** True for entries CodeCommit calls files: regular files, executables and symbolic links. */
export function isFileMode(mode: EntryMode): boolean {
  return modeName(mode) !== undefined;
}

export function validateFileMode(value: unknown, required: boolean): FileModeName | undefined {
  if (value === undefined || value === null || value === "") {
    if (required) throw new ServiceError("FileModeRequiredException", "A file mode is required: use NORMAL, EXECUTABLE or SYMLINK.");
    return undefined;
  }
  if (value !== "NORMAL" && value !== "EXECUTABLE" && value !== "SYMLINK") {
    throw new ServiceError("InvalidFileModeException", `The file mode '${String(value)}' is not valid: use NORMAL, EXECUTABLE or SYMLINK.`);
  }
  return value;
}
