import { isTree } from "../../git/objects.js";
import { encodeToken } from "../paging.js";
import { commitInfo, type CommitInfo } from "./commit-info.js";
import { contentErrors } from "./errors.js";
import type { HistoryWalks } from "./history-walks.js";
import type { ObjectReader } from "./object-reader.js";
import { pagePosition, pageSize } from "./page.js";
import { validateFilePath } from "./paths.js";
import { isFullCommitId, resolveCommit } from "./specifiers.js";

export const HISTORY_PAGE = 100;
export const MAX_HISTORY_PAGE = 1000;

export interface FileVersion {
  commit: CommitInfo;
  /** the file's blob in that commit; absent in the commit that deleted it */
  blobId?: string;
  path: string;
  /** the commits of the next (newer) versions of the file */
  revisionChildren: string[];
}

export interface FileHistoryRequest {
  commitSpecifier?: unknown;
  filePath?: unknown;
  maxResults?: unknown;
  nextToken?: unknown;
}

/**
 * ListFileCommitHistory: the commits that changed a file, newest first, as a DAG. git does the
 * walk (history-walks.ts: `git rev-list --topo-order --parents -- <path>`, cached, over a
 * commit-graph with changed-path Bloom filters), its rewritten parents give each version's
 * predecessors, and inverting them gives revisionChildren. Commits and blob IDs then come from
 * the object cache. Renames are not followed. Pages hold maxResults versions (100 by default);
 * the token is the position in the walk from the commit the first page resolved.
 */
export async function listFileCommitHistory(
  reader: ObjectReader,
  walks: HistoryWalks,
  repo: { id: string; name: string },
  req: FileHistoryRequest,
): Promise<{ revisionDag: FileVersion[]; nextToken?: string }> {
  const path = validateFilePath(req.filePath);
  const limit = pageSize(req.maxResults, HISTORY_PAGE, MAX_HISTORY_PAGE);
  // the token pins the commit the first page started from, so pages stay consistent as the
  // branch moves; it is checked, since it comes back from the client and reaches git's command line
  const query = ["history", repo.id, path.path, typeof req.commitSpecifier === "string" ? req.commitSpecifier : ""].join("\0");
  const pos = pagePosition<[string, number]>(req.nextToken, query);
  let start: string;
  let offset = 0;
  if (pos !== undefined) {
    if (!Array.isArray(pos) || typeof pos[0] !== "string" || !isFullCommitId(pos[0]) || !Number.isInteger(pos[1]) || pos[1] < 0) {
      throw contentErrors.invalidContinuationToken();
    }
    [start, offset] = [pos[0], pos[1]];
  } else {
    start = (await resolveCommit(reader, repo.name, req.commitSpecifier)).oid;
  }

  // children come before their parents in topological order: the lines up to the end of the
  // page (and one more, to know whether there is a next page) hold every child of the page
  const { lines: walk } = await walks.prefix(reader.git, repo.id, start, path.path, offset + limit + 1);
  const children = new Map<string, string[]>();
  for (const { commit, parents } of walk.slice(0, offset + limit + 1)) {
    for (const p of parents) {
      const list = children.get(p);
      if (list) list.push(commit);
      else children.set(p, [commit]);
    }
  }
  const page = walk.slice(offset, offset + limit);
  const revisionDag = await Promise.all(
    page.map(async ({ commit: id }) => {
      const commit = await reader.commit(id);
      if (!commit) throw new Error(`commit ${id} is missing`);
      const entry = await reader.entryAt(commit.tree, path.parts);
      return {
        commit: commitInfo(commit),
        blobId: entry && !isTree(entry) ? entry.oid : undefined,
        path: path.path,
        revisionChildren: children.get(id) ?? [],
      };
    }),
  );
  const more = walk.length > offset + limit;
  return { revisionDag, nextToken: more ? encodeToken(query, [start, offset + limit]) : undefined };
}
