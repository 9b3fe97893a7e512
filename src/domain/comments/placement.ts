import { isTree, type TreeEntry } from "../../git/objects.js";
import { ServiceError } from "../../errors.js";
import { contentErrors } from "../content/errors.js";
import type { Commit, ObjectReader } from "../content/object-reader.js";
import type { CommentLocation } from "./validate.js";
import type { PlacementView } from "./view.js";

/** Files larger than this are not read to check a line number: any positive one is taken. */
const MAX_LINE_CHECK_BYTES = 8 * 1024 * 1024;

async function commitIn(reader: ObjectReader, repoName: string, id: string): Promise<Commit> {
  const commit = await reader.commit(id);
  if (!commit) throw contentErrors.commitDoesNotExist(id, repoName);
  return commit;
}

/** Each commit named exists in the repository (CommitDoesNotExistException otherwise); undefined ones are skipped. */
export async function commitsExist(reader: ObjectReader, repoName: string, ids: Array<string | undefined>): Promise<void> {
  await Promise.all([...new Set(ids)].map((id) => (id === undefined ? undefined : commitIn(reader, repoName, id))));
}

const isFile = (e: TreeEntry | null): e is TreeEntry => e !== null && !isTree(e) && e.mode !== "160000";

function lineCount(content: Buffer): number {
  if (content.length === 0) return 0;
  let n = 0;
  for (let i = content.indexOf(10); i !== -1; i = content.indexOf(10, i + 1)) n++;
  return content[content.length - 1] === 10 ? n : n + 1;
}

/**
 * Where a comment goes, checked against git: both commits exist, and a location names a file
 * of the version it is on (BEFORE: the before commit, AFTER: the after commit) with the line
 * in it. The file's blob in each commit is recorded, as CodeCommit reports beforeBlobId and
 * afterBlobId.
 */
export async function place(
  reader: ObjectReader,
  repoName: string,
  beforeId: string | undefined,
  afterId: string,
  location: CommentLocation | undefined,
): Promise<PlacementView> {
  if (beforeId !== undefined && beforeId === afterId) {
    throw new ServiceError(
      "BeforeCommitIdAndAfterCommitIdAreSameException",
      `The before and after commits are both ${afterId}: a comparison needs two different commits (leave beforeCommitId out to comment on one commit).`,
    );
  }
  const [before, after] = await Promise.all([beforeId === undefined ? undefined : commitIn(reader, repoName, beforeId), commitIn(reader, repoName, afterId)]);
  if (!location) return { beforeCommitId: beforeId, afterCommitId: afterId };
  if (location.version === "BEFORE" && !before) {
    throw new ServiceError("InvalidFileLocationException", "The location is on the BEFORE version of the file, but no beforeCommitId was given: give it, or comment on the AFTER version.");
  }
  const [beforeEntry, afterEntry] = await Promise.all([before ? reader.entryAt(before.tree, location.path.parts) : null, reader.entryAt(after.tree, location.path.parts)]);
  const entry = location.version === "BEFORE" ? beforeEntry : afterEntry;
  const commitId = location.version === "BEFORE" ? beforeId : afterId;
  if (!entry) {
    throw new ServiceError("PathDoesNotExistException", `The file '${location.path.path}' does not exist in the ${location.version.toLowerCase()} commit ${commitId}.`);
  }
  if (!isFile(entry)) {
    throw new ServiceError(
      "InvalidFileLocationException",
      `'${location.path.path}' is a ${isTree(entry) ? "folder" : "submodule"} in commit ${commitId}, not a file: comment on a file, with its name and extension.`,
    );
  }
  if (location.position !== undefined) {
    const info = await reader.info(entry.oid);
    if (info && info.size <= MAX_LINE_CHECK_BYTES) {
      const content = await reader.blob(entry.oid, MAX_LINE_CHECK_BYTES, () => new Error("unreachable: size checked"));
      const lines = content ? lineCount(content) : 0;
      if (location.position > lines) {
        throw new ServiceError(
          "InvalidFilePositionException",
          `Line ${location.position} does not exist in '${location.path.path}' at commit ${commitId}: that version of the file has ${lines} line${lines === 1 ? "" : "s"}.`,
        );
      }
    }
  }
  return {
    beforeCommitId: beforeId,
    afterCommitId: afterId,
    beforeBlobId: isFile(beforeEntry) ? beforeEntry.oid : undefined,
    afterBlobId: isFile(afterEntry) ? afterEntry.oid : undefined,
    location: { filePath: location.path.path, filePosition: location.position, relativeFileVersion: location.version },
  };
}
