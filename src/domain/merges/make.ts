import { ServiceError } from "../../errors.js";
import { writeObjects, type NewObject } from "../../git/object-writer.js";
import { hashObject, serializeCommit, type Ident } from "../../git/objects.js";
import { RefUpdateConflict } from "../../git/repository.js";
import type { Caller } from "../context.js";
import type { ObjectReader } from "../content/object-reader.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import type { BuiltTree } from "../content/tree-editor.js";

export interface MergeCommitToWrite {
  tree: BuiltTree;
  blobs: Buffer[];
  parents: string[];
  author: Ident;
  message: string;
}

/** Writes a merge's new objects (contents, trees, the commit) with one git process; returns the commit ID. */
export async function writeMergeCommit(reader: ObjectReader, c: MergeCommitToWrite): Promise<string> {
  const objects: NewObject[] = [];
  const seen = new Set<string>();
  for (const body of c.blobs) {
    const oid = hashObject("blob", body);
    if (seen.has(oid) || (await reader.info(oid))) continue;
    seen.add(oid);
    objects.push({ type: "blob", body });
  }
  const body = serializeCommit({ tree: c.tree.oid, parents: c.parents, author: c.author, committer: c.author, message: c.message });
  objects.push(...c.tree.objects, { type: "commit", body });
  const ids = await writeObjects(reader.git, objects);
  return ids[ids.length - 1]!;
}

export function concurrentUpdate(branch: string, expected: string, now: string | null): ServiceError {
  return new ServiceError(
    "ConcurrentReferenceUpdateException",
    `The merge cannot be completed because branch ${branch} has been modified: it was at ${expected} when the merge started` +
      (now ? ` and is now at ${now}` : " and no longer exists") +
      ". Nothing was changed; merge again from the new tip.",
  );
}

/**
 * Moves a branch from the tip the merge was computed on to the merge's result: a compare-and-swap
 * under the repository's ref lock, recorded in the ref ledger (so triggers and every other outbox
 * reader see it). A writer that moved the branch first wins; this one gets
 * ConcurrentReferenceUpdateException and changes nothing but unreferenced objects.
 */
export async function moveBranch(
  repos: RepositoryService,
  repo: Repository,
  caller: Caller,
  branch: string,
  from: string,
  to: string,
): Promise<void> {
  if (from === to) return;
  const git = repos.git(repo);
  const ref = `refs/heads/${branch}`;
  try {
    await repos.ledger.change(repos.handle(repo), caller.principal.arn, [ref], () => git.updateRefs([{ ref, newOid: to, oldOid: from }]));
  } catch (e) {
    if (e instanceof RefUpdateConflict) throw concurrentUpdate(branch, from, await git.refTarget(ref));
    throw e;
  }
}
