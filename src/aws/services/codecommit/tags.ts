import type * as CC from "@aws-sdk/client-codecommit";
import type { RepositoryService } from "../../../domain/repos/repositories.js";
import type { OperationHandler } from "../../service.js";

type Op<I, O> = OperationHandler<I, O>;

/** Tags on repository ARNs. All tags fit one page (at most 50), so there is never a nextToken. */
export function tagOperations(repos: RepositoryService) {
  const TagResource: Op<CC.TagResourceInput, Record<string, never>> = async (_c, input) => {
    await repos.tag(await repos.requireByArn(input.resourceArn), input.tags);
    return {};
  };

  const UntagResource: Op<CC.UntagResourceInput, Record<string, never>> = async (_c, input) => {
    await repos.untag(await repos.requireByArn(input.resourceArn), input.tagKeys);
    return {};
  };

  const ListTagsForResource: Op<CC.ListTagsForResourceInput, CC.ListTagsForResourceOutput> = async (_c, input) => {
    return { tags: await repos.tags(await repos.requireByArn(input.resourceArn)) };
  };

  return { TagResource, UntagResource, ListTagsForResource };
}
