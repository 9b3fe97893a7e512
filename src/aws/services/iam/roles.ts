import type { IamDeps } from "../../../domain/iam/deps.js";
import * as roles from "../../../domain/iam/roles.js";
import { asList } from "../../query-protocol.js";
import type { OperationHandler } from "../../service.js";
import { pageIn, pageOut, roleOut, tagsOut, type IamInput } from "./shapes.js";

type Op = OperationHandler<IamInput, Record<string, unknown> | undefined>;

export function roleOperations(deps: IamDeps): Record<string, Op> {
  return {
    CreateRole: async (_c, i) => ({
      Role: roleOut(
        await roles.createRole(deps, {
          name: i.RoleName,
          path: i.Path,
          trustPolicy: i.AssumeRolePolicyDocument,
          description: i.Description,
          maxSessionDuration: i.MaxSessionDuration,
          permissionsBoundary: i.PermissionsBoundary,
          tags: asList(i.Tags),
        }),
      ),
    }),
    GetRole: async (_c, i) => ({ Role: roleOut(await roles.getRole(deps, i.RoleName)) }),
    ListRoles: async (_c, i) => {
      const page = await roles.listRoles(deps, { pathPrefix: i.PathPrefix, ...pageIn(i) });
      return { Roles: page.items.map((r) => ({ ...roleOut(r), Tags: undefined })), ...pageOut(page) };
    },
    UpdateRole: async (_c, i) => {
      await roles.updateRole(deps, i.RoleName, i.Description, i.MaxSessionDuration);
      return {};
    },
    UpdateAssumeRolePolicy: async (_c, i) => {
      await roles.updateAssumeRolePolicy(deps, i.RoleName, i.PolicyDocument);
      return undefined;
    },
    DeleteRole: async (_c, i) => {
      await roles.deleteRole(deps, i.RoleName);
      return undefined;
    },
    TagRole: async (_c, i) => {
      await roles.tagRole(deps, i.RoleName, asList(i.Tags));
      return undefined;
    },
    UntagRole: async (_c, i) => {
      await roles.untagRole(deps, i.RoleName, (asList<string>(i.TagKeys) ?? []).map(String));
      return undefined;
    },
    ListRoleTags: async (_c, i) => ({ Tags: tagsOut(await roles.roleTags(deps, i.RoleName)) ?? [], IsTruncated: false }),
  };
}
