import type { Caller } from "../../../domain/context.js";
import type { AccessControl } from "../../../domain/iam/access.js";
import { accessKeyOwner } from "../../../domain/iam/access-keys.js";
import type { IamDeps } from "../../../domain/iam/deps.js";
import { findGroup } from "../../../domain/iam/groups.js";
import { findRole } from "../../../domain/iam/roles.js";
import { findUser, userOrCaller } from "../../../domain/iam/users.js";
import type { ContextInput } from "../../../domain/iam/policy/index.js";
import { ServiceError } from "../../../errors.js";
import { queryTagContext, rule, str, type AuthzRule, type AuthzTable } from "../../authz.js";
import { asList } from "../../query-protocol.js";
import type { AwsService } from "../../service.js";
import { credentialOperations } from "./credentials.js";
import { policyOperations } from "./policies.js";
import { roleOperations } from "./roles.js";
import { simulateOperations } from "./simulate.js";
import { userOperations } from "./users.js";

export function iamAccessDenied(message: string): ServiceError {
  return new ServiceError("AccessDenied", message, { status: 403 });
}

type Kind = "user" | "callerUser" | "keyOwner" | "group" | "role" | "policy" | "any";

/** Which resource each IAM operation acts on (the Service Authorization Reference's resource types). */
const RESOURCE_OF: Record<string, Kind> = {
  CreateUser: "user", GetUser: "callerUser", UpdateUser: "user", DeleteUser: "user", ListUsers: "any",
  TagUser: "user", UntagUser: "user", ListUserTags: "user",
  CreateGroup: "group", GetGroup: "group", ListGroups: "any", ListGroupsForUser: "user", UpdateGroup: "group",
  DeleteGroup: "group", AddUserToGroup: "group", RemoveUserFromGroup: "group",
  CreateAccessKey: "callerUser", ListAccessKeys: "callerUser", UpdateAccessKey: "callerUser", DeleteAccessKey: "callerUser",
  GetAccessKeyLastUsed: "keyOwner",
  PutUserPolicy: "user", GetUserPolicy: "user", ListUserPolicies: "user", DeleteUserPolicy: "user",
  PutGroupPolicy: "group", GetGroupPolicy: "group", ListGroupPolicies: "group", DeleteGroupPolicy: "group",
  PutRolePolicy: "role", GetRolePolicy: "role", ListRolePolicies: "role", DeleteRolePolicy: "role",
  AttachUserPolicy: "user", DetachUserPolicy: "user", ListAttachedUserPolicies: "user",
  AttachGroupPolicy: "group", DetachGroupPolicy: "group", ListAttachedGroupPolicies: "group",
  AttachRolePolicy: "role", DetachRolePolicy: "role", ListAttachedRolePolicies: "role",
  CreatePolicy: "policy", GetPolicy: "policy", ListPolicies: "any", DeletePolicy: "policy",
  CreatePolicyVersion: "policy", GetPolicyVersion: "policy", ListPolicyVersions: "policy", DeletePolicyVersion: "policy",
  SetDefaultPolicyVersion: "policy", ListEntitiesForPolicy: "policy", TagPolicy: "policy", UntagPolicy: "policy", ListPolicyTags: "policy",
  CreateRole: "role", GetRole: "role", ListRoles: "any", UpdateRole: "role", UpdateAssumeRolePolicy: "role", DeleteRole: "role",
  TagRole: "role", UntagRole: "role", ListRoleTags: "role",
  UploadSSHPublicKey: "user", GetSSHPublicKey: "user", ListSSHPublicKeys: "callerUser", UpdateSSHPublicKey: "user", DeleteSSHPublicKey: "user",
  CreateServiceSpecificCredential: "user", ListServiceSpecificCredentials: "callerUser", ResetServiceSpecificCredential: "callerUser",
  UpdateServiceSpecificCredential: "callerUser", DeleteServiceSpecificCredential: "callerUser",
  CreateLoginProfile: "user", GetLoginProfile: "callerUser", UpdateLoginProfile: "user", DeleteLoginProfile: "user",
  SimulatePrincipalPolicy: "any", SimulateCustomPolicy: "any",
};

/** The IAM authorization table: action iam:<Operation>, on the user, group, role or policy it names. */
export function iamAuthz(deps: IamDeps): AuthzTable {
  const userArn = async (name: string) => (await findUser(deps, name))?.arn ?? deps.arn("user", "/", name);
  const resource = async (kind: Kind, op: string, i: Record<string, unknown>, c: Caller): Promise<string> => {
    switch (kind) {
      case "any":
        return op === "SimulatePrincipalPolicy" ? str(i.PolicySourceArn) || "*" : "*";
      case "callerUser":
        return userArn(userOrCaller(i.UserName, c.principal));
      case "keyOwner": {
        // the key's user, as AWS has it; an unknown key needs iam:GetAccessKeyLastUsed on *
        const owner = await accessKeyOwner(deps, i.AccessKeyId);
        return owner ? userArn(owner) : "*";
      }
      case "user":
        return op === "CreateUser" ? deps.arn("user", str(i.Path) || "/", str(i.UserName)) : userArn(str(i.UserName));
      case "group": {
        const name = str(i.GroupName);
        return (await findGroup(deps, name))?.arn ?? deps.arn("group", str(i.Path) || "/", name);
      }
      case "role": {
        const name = str(i.RoleName);
        return (await findRole(deps, name))?.arn ?? deps.arn("role", str(i.Path) || "/", name);
      }
      case "policy":
        return op === "CreatePolicy" ? deps.arn("policy", str(i.Path) || "/", str(i.PolicyName)) : str(i.PolicyArn);
    }
  };
  const table: AuthzTable = {};
  for (const [op, kind] of Object.entries(RESOURCE_OF)) {
    const keys = (i: Record<string, unknown>): ContextInput => {
      const k: Record<string, string | string[]> = { ...(queryTagContext(i) as Record<string, string | string[]>) };
      if (/^(Attach|Detach)(User|Group|Role)Policy$/.test(op) && typeof i.PolicyArn === "string") k["iam:PolicyARN"] = i.PolicyArn;
      if (typeof i.PermissionsBoundary === "string") k["iam:PermissionsBoundary"] = i.PermissionsBoundary;
      if (op.endsWith("ServiceSpecificCredential") && typeof i.ServiceName === "string") k["iam:ServiceSpecificCredentialServiceName"] = i.ServiceName;
      return k;
    };
    const row: AuthzRule = rule(`iam:${op}`, (i, c) => resource(kind, op, i, c), { keys });
    table[op] = row;
  }
  return table;
}

/** IAM (awsQuery, global: signed for us-east-1). */
export function iamService(deps: IamDeps, access: AccessControl): AwsService {
  return {
    signingName: "iam",
    global: true,
    protocol: { kind: "query", apiVersion: "2010-05-08", xmlNamespace: "https://iam.amazonaws.com/doc/2010-05-08/" },
    operations: {
      ...userOperations(deps),
      ...policyOperations(deps),
      ...roleOperations(deps),
      ...credentialOperations(deps),
      ...simulateOperations(deps, access),
    },
    authz: iamAuthz(deps),
    accessDenied: iamAccessDenied,
  };
}
