import type { IamDeps } from "../../../domain/iam/deps.js";
import { requireGroup } from "../../../domain/iam/groups.js";
import * as inline from "../../../domain/iam/inline-policies.js";
import * as managed from "../../../domain/iam/policies.js";
import { requireRole } from "../../../domain/iam/roles.js";
import { requireUser } from "../../../domain/iam/users.js";
import * as v from "../../../domain/iam/validate.js";
import type { EntityType } from "../../../store/schema.js";
import { asBool, asList } from "../../query-protocol.js";
import type { OperationHandler } from "../../service.js";
import { encodeDocument, pageIn, pageOut, policyOut, tagsOut, versionOut, type IamInput } from "./shapes.js";

type Op = OperationHandler<IamInput, Record<string, unknown> | undefined>;

const ENTITY: Record<EntityType, { label: "User" | "Group" | "Role"; member: "UserName" | "GroupName" | "RoleName" }> = {
  user: { label: "User", member: "UserName" },
  group: { label: "Group", member: "GroupName" },
  role: { label: "Role", member: "RoleName" },
};

/** Inline and managed policies, their versions and attachments, for users, groups and roles. */
export function policyOperations(deps: IamDeps): Record<string, Op> {
  /** The stored name of the entity an input names (names compare without case). */
  const entity = async (type: EntityType, i: IamInput): Promise<string> => {
    const name = i[ENTITY[type].member];
    if (type === "user") return (await requireUser(deps, v.userName(name))).name;
    if (type === "group") return (await requireGroup(deps, v.groupName(name))).name;
    return (await requireRole(deps, v.roleName(name))).name;
  };
  const ops: Record<string, Op> = {};

  for (const type of ["user", "group", "role"] as const) {
    const { label, member } = ENTITY[type];
    ops[`Put${label}Policy`] = async (_c, i) => {
      await inline.putInlinePolicy(deps, type, await entity(type, i), i.PolicyName, i.PolicyDocument);
      return undefined;
    };
    ops[`Get${label}Policy`] = async (_c, i) => {
      const name = await entity(type, i);
      const doc = await inline.getInlinePolicy(deps, type, name, i.PolicyName);
      return { [member]: name, PolicyName: i.PolicyName, PolicyDocument: encodeDocument(doc) };
    };
    ops[`List${label}Policies`] = async (_c, i) => {
      const page = await inline.listInlinePolicies(deps, type, await entity(type, i), pageIn(i).marker, pageIn(i).maxItems);
      return { PolicyNames: page.items, ...pageOut(page) };
    };
    ops[`Delete${label}Policy`] = async (_c, i) => {
      await inline.deleteInlinePolicy(deps, type, await entity(type, i), i.PolicyName);
      return undefined;
    };
    ops[`Attach${label}Policy`] = async (_c, i) => {
      await managed.attachPolicy(deps, type, await entity(type, i), i.PolicyArn);
      return undefined;
    };
    ops[`Detach${label}Policy`] = async (_c, i) => {
      await managed.detachPolicy(deps, type, await entity(type, i), i.PolicyArn);
      return undefined;
    };
    ops[`ListAttached${label}Policies`] = async (_c, i) => {
      const page = await managed.listAttached(deps, type, await entity(type, i), { pathPrefix: i.PathPrefix, ...pageIn(i) });
      return { AttachedPolicies: page.items.map((p) => ({ PolicyName: p.name, PolicyArn: p.arn })), ...pageOut(page) };
    };
  }

  Object.assign(ops, {
    CreatePolicy: async (_c, i) => ({
      Policy: policyOut(
        await managed.createPolicy(deps, { name: i.PolicyName, path: i.Path, document: i.PolicyDocument, description: i.Description, tags: asList(i.Tags) }),
      ),
    }),
    GetPolicy: async (_c, i) => ({ Policy: policyOut(await managed.getPolicy(deps, i.PolicyArn)) }),
    ListPolicies: async (_c, i) => {
      const page = await managed.listPolicies(deps, {
        scope: i.Scope,
        onlyAttached: asBool(i.OnlyAttached),
        pathPrefix: i.PathPrefix,
        usageFilter: i.PolicyUsageFilter,
        ...pageIn(i),
      });
      return { Policies: page.items.map((p) => ({ ...policyOut(p), Description: undefined, Tags: undefined })), ...pageOut(page) };
    },
    DeletePolicy: async (_c, i) => {
      await managed.deletePolicy(deps, i.PolicyArn);
      return undefined;
    },
    CreatePolicyVersion: async (_c, i) => ({
      PolicyVersion: versionOut(await managed.createPolicyVersion(deps, i.PolicyArn, i.PolicyDocument, asBool(i.SetAsDefault) ?? false), false),
    }),
    GetPolicyVersion: async (_c, i) => ({ PolicyVersion: versionOut(await managed.getPolicyVersion(deps, i.PolicyArn, i.VersionId)) }),
    ListPolicyVersions: async (_c, i) => {
      const page = await managed.listPolicyVersions(deps, i.PolicyArn, pageIn(i).marker, pageIn(i).maxItems);
      return { Versions: page.items.map((x) => versionOut(x, false)), ...pageOut(page) };
    },
    DeletePolicyVersion: async (_c, i) => {
      await managed.deletePolicyVersion(deps, i.PolicyArn, i.VersionId);
      return undefined;
    },
    SetDefaultPolicyVersion: async (_c, i) => {
      await managed.setDefaultPolicyVersion(deps, i.PolicyArn, i.VersionId);
      return undefined;
    },
    ListEntitiesForPolicy: async (_c, i) => {
      const page = await managed.entitiesForPolicy(deps, {
        arn: i.PolicyArn,
        entityFilter: i.EntityFilter,
        pathPrefix: i.PathPrefix,
        usage: i.PolicyUsageFilter,
        ...pageIn(i),
      });
      const of = (type: string) => page.items.filter((e) => e.type === type);
      return {
        PolicyGroups: of("Group").map((g) => ({ GroupName: g.name, GroupId: g.id })),
        PolicyUsers: of("User").map((u) => ({ UserName: u.name, UserId: u.id })),
        PolicyRoles: of("Role").map((x) => ({ RoleName: x.name, RoleId: x.id })),
        ...pageOut(page),
      };
    },
    TagPolicy: async (_c, i) => {
      await managed.tagPolicy(deps, i.PolicyArn, asList(i.Tags));
      return undefined;
    },
    UntagPolicy: async (_c, i) => {
      await managed.untagPolicy(deps, i.PolicyArn, (asList<string>(i.TagKeys) ?? []).map(String));
      return undefined;
    },
    ListPolicyTags: async (_c, i) => ({ Tags: tagsOut(await managed.policyTags(deps, i.PolicyArn)) ?? [], IsTruncated: false }),
  } satisfies Record<string, Op>);
  return ops;
}
