import { ServiceError } from "../../errors.js";
import type { ObjectCheckError } from "../../git/object-writer.js";
import { fromBinary, hashObject, isTree, parseTree } from "../../git/objects.js";
import { contentErrors } from "./errors.js";
import { joinPath, treeEntryNameProblem } from "./paths.js";
import type { BuiltTree } from "./tree-editor.js";

const FIX = "push a commit that removes or renames it with git (the API cannot name it); nothing was committed";

/**
 * The answer when `git unpack-objects --strict` refuses a commit's new objects. The API only
 * writes names it validated, so what git refuses is something the branch already held (from a
 * push made before pushes were checked): a `.git`, `..` or `a/b` entry, or a malformed tree,
 * carried into every tree rebuilt above it. The answer names the path, and fsck's reason.
 *
 * InvalidPathException, the closest error the model gives PutFile, CreateCommit and DeleteFile
 * alike: what git refuses is a path (the same error a request naming such a path gets), while
 * the parent commit ID is valid and current, so InvalidParentCommitIdException would send the
 * caller looking at the wrong thing.
 */
export function refusedObjectsError(e: ObjectCheckError, tree: BuiltTree, branchName: string): ServiceError {
  const finding = e.findings[0];
  const folders = folderPaths(tree);
  const folder = finding ? folders.get(finding.oid) : undefined;
  if (finding && folder) {
    const why = `${finding.id}: ${finding.message}`;
    const entry = parseTree(folder.body).find((en) => treeEntryNameProblem(en.name));
    if (entry) {
      return contentErrors.invalidPath(
        fromBinary(joinPath(folder.path, entry.name)),
        `branch ${branchName} holds it, and git refuses it in any new commit (${why}); ${FIX}`,
      );
    }
    const where = folder.path ? `the folder '${fromBinary(folder.path)}'` : "the root folder";
    return new ServiceError(
      "InvalidPathException",
      `On branch ${branchName}, ${where} holds an entry git refuses in any new commit (${why}); ${FIX}.`,
    );
  }
  const why = finding ? `${finding.id}: ${finding.message}` : e.reason;
  return new ServiceError(
    "InvalidPathException",
    `Git refuses a commit on branch ${branchName} built on its current files (${why}). Fix the branch with git; nothing was committed.`,
  );
}

/** Each new tree of the commit, by object ID, with its folder path (binary) and body. */
function folderPaths(tree: BuiltTree): Map<string, { path: string; body: Buffer }> {
  const bodies = new Map(tree.objects.filter((o) => o.type === "tree").map((o) => [hashObject("tree", o.body), o.body]));
  const found = new Map<string, { path: string; body: Buffer }>();
  const visit = (oid: string, path: string) => {
    const body = bodies.get(oid);
    if (!body || found.has(oid)) return;
    found.set(oid, { path, body });
    for (const e of parseTree(body)) if (isTree(e)) visit(e.oid, joinPath(path, e.name));
  };
  visit(tree.oid, "");
  return found;
}
