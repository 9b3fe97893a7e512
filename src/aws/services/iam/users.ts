import * as keys from "../../../domain/iam/access-keys.js";
import type { IamDeps } from "../../../domain/iam/deps.js";
import * as groups from "../../../domain/iam/groups.js";
import * as users from "../../../domain/iam/users.js";
import { asList } from "../../query-protocol.js";
import type { OperationHandler } from "../../service.js";
import { groupOut, pageIn, pageOut, tagsOut, userOut, type IamInput } from "./shapes.js";

type Op = OperationHandler<IamInput, Record<string, unknown> | undefined>;

/** Users, groups and access keys. */
export function userOperations(deps: IamDeps): Record<string, Op> {
  return {
    CreateUser: async (_c, i) => ({
      User: userOut(await users.createUser(deps, { name: i.UserName, path: i.Path, permissionsBoundary: i.PermissionsBoundary, tags: asList(i.Tags) })),
    }),
    GetUser: async (c, i) => ({ User: userOut(await users.getUser(deps, users.userOrCaller(i.UserName, c.principal))) }),
    ListUsers: async (_c, i) => {
      const page = await users.listUsers(deps, { pathPrefix: i.PathPrefix, ...pageIn(i) });
      return { Users: page.items.map(userOut), ...pageOut(page) };
    },
    UpdateUser: async (_c, i) => {
      await users.updateUser(deps, { name: i.UserName, newName: i.NewUserName, newPath: i.NewPath });
      return undefined;
    },
    DeleteUser: async (_c, i) => {
      await users.deleteUser(deps, i.UserName);
      return undefined;
    },
    TagUser: async (_c, i) => {
      await users.tagUser(deps, i.UserName, asList(i.Tags));
      return undefined;
    },
    UntagUser: async (_c, i) => {
      await users.untagUser(deps, i.UserName, (asList<string>(i.TagKeys) ?? []).map(String));
      return undefined;
    },
    ListUserTags: async (_c, i) => ({ Tags: tagsOut(await users.userTags(deps, i.UserName)) ?? [], IsTruncated: false }),

    CreateGroup: async (_c, i) => ({ Group: groupOut(await groups.createGroup(deps, { name: i.GroupName, path: i.Path })) }),
    GetGroup: async (_c, i) => {
      const r = await groups.getGroup(deps, { name: i.GroupName, ...pageIn(i) });
      return { Group: groupOut(r.group), Users: r.users.items.map(userOut), ...pageOut(r.users) };
    },
    ListGroups: async (_c, i) => {
      const page = await groups.listGroups(deps, { pathPrefix: i.PathPrefix, ...pageIn(i) });
      return { Groups: page.items.map(groupOut), ...pageOut(page) };
    },
    ListGroupsForUser: async (_c, i) => {
      const page = await groups.listGroupsForUser(deps, { userName: i.UserName, ...pageIn(i) });
      return { Groups: page.items.map(groupOut), ...pageOut(page) };
    },
    UpdateGroup: async (_c, i) => {
      await groups.updateGroup(deps, { name: i.GroupName, newName: i.NewGroupName, newPath: i.NewPath });
      return undefined;
    },
    DeleteGroup: async (_c, i) => {
      await groups.deleteGroup(deps, i.GroupName);
      return undefined;
    },
    AddUserToGroup: async (_c, i) => {
      await groups.addUserToGroup(deps, i.GroupName, i.UserName);
      return undefined;
    },
    RemoveUserFromGroup: async (_c, i) => {
      await groups.removeUserFromGroup(deps, i.GroupName, i.UserName);
      return undefined;
    },

    CreateAccessKey: async (c, i) => {
      const k = await keys.createAccessKey(deps, users.userOrCaller(i.UserName, c.principal));
      return {
        AccessKey: { UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, SecretAccessKey: k.secretAccessKey, CreateDate: k.createdAt },
      };
    },
    ListAccessKeys: async (c, i) => {
      const page = await keys.listAccessKeys(deps, { userName: users.userOrCaller(i.UserName, c.principal), ...pageIn(i) });
      return {
        AccessKeyMetadata: page.items.map((k) => ({ UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: k.createdAt })),
        ...pageOut(page),
      };
    },
    UpdateAccessKey: async (c, i) => {
      await keys.updateAccessKey(deps, users.userOrCaller(i.UserName, c.principal), i.AccessKeyId, i.Status);
      return undefined;
    },
    DeleteAccessKey: async (c, i) => {
      await keys.deleteAccessKey(deps, users.userOrCaller(i.UserName, c.principal), i.AccessKeyId);
      return undefined;
    },
    GetAccessKeyLastUsed: async (_c, i) => {
      const r = await keys.accessKeyLastUsed(deps, i.AccessKeyId);
      return { UserName: r.userName, AccessKeyLastUsed: { LastUsedDate: r.lastUsedDate, ServiceName: r.serviceName, Region: r.region } };
    },
  };
}
