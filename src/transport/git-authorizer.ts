import type { Caller } from "../domain/context.js";
import type { AccessControl } from "../domain/iam/access.js";
import { withDenial } from "../errors.js";
import { resourceTagKeys } from "../domain/iam/policy/index.js";
import type { Repository } from "../domain/repos/repositories.js";
import { GitServeError, type GitAuthorizer } from "./git-service.js";

/**
 * CodeCommit's git permissions: codecommit:GitPull for clone, fetch and ls-remote;
 * codecommit:GitPush once at connection time without codecommit:References (hence the Null
 * condition AWS's branch-protection examples need), then once per ref with it.
 */
export function iamGitAuthorizer(access: AccessControl, repositoryTags: (repo: Repository) => Promise<Record<string, string>>): GitAuthorizer {
  const check = async (caller: Caller, repo: Repository, action: string, refs: Array<string | undefined>) => {
    const policies = await access.policiesOf(caller.principal);
    // aws:ResourceTag/… as the API path gives them, read once per request and only when used
    const tags = policies.usesResourceTags ? resourceTagKeys(await repositoryTags(repo)) : {};
    for (const ref of refs) {
      const r = access.decideWith(policies, caller.principal, { action, resource: repo.arn, keys: ref ? { ...tags, "codecommit:References": ref } : tags }, caller);
      if (r.decision !== "Allow") {
        throw withDenial(new GitServeError(403, r.message ?? `Not authorized to perform ${action}.`), { action, resource: repo.arn, reason: r.reason ?? "denied" });
      }
    }
  };
  return {
    pull: (caller, repo) => check(caller, repo, "codecommit:GitPull", [undefined]),
    push: (caller, repo, refs) => check(caller, repo, "codecommit:GitPush", refs ?? [undefined]),
  };
}
