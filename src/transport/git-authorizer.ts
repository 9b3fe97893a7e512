import type { Caller } from "../domain/context.js";
import type { AccessControl } from "../domain/iam/access.js";
import type { Repository } from "../domain/repos/repositories.js";
import { GitServeError, type GitAuthorizer } from "./git-service.js";

/**
 * CodeCommit's git permissions: codecommit:GitPull for clone, fetch and ls-remote;
 * codecommit:GitPush once at connection time without codecommit:References (hence the Null
 * condition AWS's branch-protection examples need), then once per ref with it.
 */
export function iamGitAuthorizer(access: AccessControl): GitAuthorizer {
  const check = async (caller: Caller, repo: Repository, action: string, ref?: string) => {
    const r = await access.decide(caller, {
      action,
      resource: repo.arn,
      keys: ref ? { "codecommit:References": ref } : {},
    });
    if (r.decision !== "Allow") throw new GitServeError(403, r.message ?? `Not authorized to perform ${action}.`);
  };
  return {
    pull: (caller, repo) => check(caller, repo, "codecommit:GitPull"),
    push: async (caller, repo, refs) => {
      if (!refs) return check(caller, repo, "codecommit:GitPush");
      for (const ref of refs) await check(caller, repo, "codecommit:GitPush", ref);
    },
  };
}
