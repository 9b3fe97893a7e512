import { ObjectCheckError, writeObjects, type NewObject } from "../../git/object-writer.js";
import { hashObject, serializeCommit, type Ident } from "../../git/objects.js";
import { RefUpdateConflict, ZERO_OID } from "../../git/repository.js";
import type { Caller } from "../context.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import { parentOutdated, type BranchTarget } from "./branch-target.js";
import type { ObjectReader } from "./object-reader.js";
import { refusedObjectsError } from "./refused-objects.js";
import type { BuiltTree } from "./tree-editor.js";

export interface CommitToWrite {
  target: BranchTarget;
  tree: BuiltTree;
  /** contents of new files; those the repository already has are not sent again */
  blobs: Buffer[];
  author: Ident;
  message: string;
}

/**
 * Writes a commit and moves its branch: every new object in one `git unpack-objects`, then a
 * compare-and-swap of the branch from the tip the request was based on, through the ref
 * ledger (which records the change in ref_events and makes a first branch the default).
 * No lock is held while objects are written: a writer that loses the race leaves only
 * unreferenced objects behind, and gets ParentCommitIdOutdatedException.
 */
export async function writeCommit(repos: RepositoryService, repo: Repository, reader: ObjectReader, caller: Caller, c: CommitToWrite): Promise<string> {
  const git = reader.git;
  const blobs = new Map<string, Buffer>();
  for (const body of c.blobs) blobs.set(hashObject("blob", body), body);
  const known = await Promise.all([...blobs.keys()].map((oid) => reader.info(oid)));
  const objects: NewObject[] = [];
  [...blobs.values()].forEach((body, i) => {
    if (!known[i]) objects.push({ type: "blob", body });
  });
  const body = serializeCommit({
    tree: c.tree.oid,
    parents: c.target.parent ? [c.target.parent.oid] : [],
    author: c.author,
    committer: c.author,
    message: c.message,
  });
  objects.push(...c.tree.objects, { type: "commit", body });
  const ids = await writeObjects(git, objects).catch((e: unknown) => {
    throw e instanceof ObjectCheckError ? refusedObjectsError(e, c.tree, c.target.branchName) : e;
  });
  const commitId = ids[ids.length - 1]!;

  const { ref, tip, branchName } = c.target;
  try {
    await repos.ledger.change(repos.handle(repo), caller.principal.arn, [ref], () =>
      git.updateRefs([{ ref, newOid: commitId, oldOid: tip ?? ZERO_OID }]),
    );
  } catch (e) {
    if (e instanceof RefUpdateConflict) {
      throw parentOutdated(branchName, c.target.parent?.oid ?? "(none)", await git.refTarget(ref));
    }
    throw e;
  }
  return commitId;
}
