import type { Ident } from "../../git/objects.js";
import type { Commit } from "./object-reader.js";

/** A person on a commit, as CodeCommit reports one: the date stays git's `1484167798 -0800`. */
export type UserInfo = Ident;

/** A commit as the content operations report it. */
export interface CommitInfo {
  commitId: string;
  treeId: string;
  parents: string[];
  message: string;
  author: UserInfo;
  committer: UserInfo;
  /** CodeCommit always sends it, empty */
  additionalData: string;
}

export function commitInfo(c: Commit): CommitInfo {
  return {
    commitId: c.oid,
    treeId: c.tree,
    parents: [...c.parents],
    message: c.message,
    author: { ...c.author },
    committer: { ...c.committer },
    additionalData: "",
  };
}
