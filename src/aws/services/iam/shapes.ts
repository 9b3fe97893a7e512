import type { Tag } from "../../../domain/iam/deps.js";
import type { Group } from "../../../domain/iam/groups.js";
import type { ManagedPolicy, PolicyVersion } from "../../../domain/iam/policies.js";
import type { Role } from "../../../domain/iam/roles.js";
import type { User } from "../../../domain/iam/users.js";
import type { Page } from "../../../domain/iam/paging.js";
import { asInt } from "../../query-protocol.js";

/** IAM's wire shapes (PascalCase, as the model names them) from the domain's objects. */

export const tagsOut = (tags?: Tag[]) => (tags && tags.length ? tags.map((t) => ({ Key: t.key, Value: t.value })) : undefined);

export function userOut(u: User) {
  return {
    Path: u.path,
    UserName: u.name,
    UserId: u.id,
    Arn: u.arn,
    CreateDate: u.createdAt,
    PermissionsBoundary: u.permissionsBoundary
      ? { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: u.permissionsBoundary }
      : undefined,
    Tags: tagsOut(u.tags),
  };
}

export function groupOut(g: Group) {
  return { Path: g.path, GroupName: g.name, GroupId: g.id, Arn: g.arn, CreateDate: g.createdAt };
}

/** IAM returns policy documents URL-encoded (the CLI decodes them, the JS SDK does not). */
export const encodeDocument = (doc: string) => encodeURIComponent(doc);

export function roleOut(r: Role) {
  return {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.id,
    Arn: r.arn,
    CreateDate: r.createdAt,
    AssumeRolePolicyDocument: encodeDocument(r.trustPolicy),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    PermissionsBoundary: r.permissionsBoundary
      ? { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: r.permissionsBoundary }
      : undefined,
    Tags: tagsOut(r.tags),
  };
}

export function policyOut(p: ManagedPolicy) {
  return {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: p.attachmentCount,
    PermissionsBoundaryUsageCount: p.permissionsBoundaryUsageCount,
    IsAttachable: p.isAttachable,
    Description: p.description,
    CreateDate: p.createdAt,
    UpdateDate: p.updatedAt,
    Tags: tagsOut(p.tags),
  };
}

export function versionOut(v: PolicyVersion, withDocument = true) {
  return {
    Document: withDocument ? encodeDocument(v.document) : undefined,
    VersionId: v.versionId,
    IsDefaultVersion: v.isDefaultVersion,
    CreateDate: v.createdAt,
  };
}

/** `IsTruncated` and `Marker` of a page. */
export function pageOut<T>(page: Page<T>) {
  return { IsTruncated: page.isTruncated, Marker: page.marker };
}

/** The `Marker`/`MaxItems` of a request. */
export function pageIn(input: Record<string, unknown>): { marker?: string; maxItems?: number } {
  return { marker: typeof input.Marker === "string" && input.Marker ? input.Marker : undefined, maxItems: asInt(input.MaxItems, "maxItems") };
}

export type IamInput = Record<string, unknown> & { Tags?: Array<{ Key?: unknown; Value?: unknown }> };
