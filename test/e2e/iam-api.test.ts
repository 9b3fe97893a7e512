import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callService, type ClientKind } from "../helpers/api.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

const iam = (client: ClientKind, op: string, input: Record<string, unknown> = {}) => callService("iam", server.url, client, op, input);
/** The CLI decodes policy documents; the SDK returns them URL-encoded, as IAM sends them. */
const doc = (v: unknown) => (typeof v === "string" ? JSON.parse(decodeURIComponent(v)) : v);
const ACCOUNT = "000000000000";
const POLICY = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:Get*", Resource: "*" }] };

function sshKey(type: "rsa" | "ed25519" | "ecdsa", bits?: number): { pub: string; md5: string } {
  const dir = tmpDir("sshkey");
  const file = path.join(dir, "key");
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", String(bits)] : []), "-N", "", "-f", file]);
  const md5 = execFileSync("ssh-keygen", ["-l", "-E", "md5", "-f", `${file}.pub`], { encoding: "utf8" }).split(" ")[1]!.replace(/^MD5:/, "");
  return { pub: fs.readFileSync(`${file}.pub`, "utf8").trim(), md5 };
}

describe.each<ClientKind>(["cli", "sdk"])("IAM with the %s", (client) => {
  const u = `alice-${client}`;
  const g = `devs-${client}`;

  it("creates, gets, lists, renames and deletes users, with tags", async () => {
    const created = await iam(client, "CreateUser", { UserName: u, Path: "/team/", Tags: [{ Key: "dept", Value: "eng" }] });
    expect(created.error).toBeUndefined();
    expect(created.out.User).toMatchObject({ UserName: u, Path: "/team/", Arn: `arn:aws:iam::${ACCOUNT}:user/team/${u}` });
    expect(created.out.User.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect((await iam(client, "CreateUser", { UserName: u.toUpperCase() })).error).toBe("EntityAlreadyExists");
    expect((await iam(client, "CreateUser", { UserName: "bad name!" })).error).toBe("ValidationError");
    const got = await iam(client, "GetUser", { UserName: u });
    expect(got.out.User.Tags).toEqual([{ Key: "dept", Value: "eng" }]);
    expect((await iam(client, "GetUser", {})).out.User.UserName).toBe("admin");
    expect((await iam(client, "GetUser", { UserName: "nobody" })).error).toBe("NoSuchEntity");
    const listed = await iam(client, "ListUsers", { PathPrefix: "/team/" });
    expect(listed.out.Users.map((x: { UserName: string }) => x.UserName)).toContain(u);
    await iam(client, "TagUser", { UserName: u, Tags: [{ Key: "owner", Value: "me" }] });
    expect((await iam(client, "ListUserTags", { UserName: u })).out.Tags).toEqual([
      { Key: "dept", Value: "eng" },
      { Key: "owner", Value: "me" },
    ]);
    await iam(client, "UntagUser", { UserName: u, TagKeys: ["dept"] });
    expect((await iam(client, "ListUserTags", { UserName: u })).out.Tags).toEqual([{ Key: "owner", Value: "me" }]);
    expect((await iam(client, "UpdateUser", { UserName: u, NewUserName: `${u}-2` })).error).toBeUndefined();
    expect((await iam(client, "GetUser", { UserName: `${u}-2` })).out.User.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/team/${u}-2`);
    expect((await iam(client, "UpdateUser", { UserName: `${u}-2`, NewUserName: u })).error).toBeUndefined();
  });

  it("manages groups and membership", async () => {
    expect((await iam(client, "CreateGroup", { GroupName: g })).out.Group.Arn).toBe(`arn:aws:iam::${ACCOUNT}:group/${g}`);
    expect((await iam(client, "CreateGroup", { GroupName: g })).error).toBe("EntityAlreadyExists");
    await iam(client, "AddUserToGroup", { GroupName: g, UserName: u });
    const got = await iam(client, "GetGroup", { GroupName: g });
    expect(got.out.Users.map((x: { UserName: string }) => x.UserName)).toEqual([u]);
    expect((await iam(client, "ListGroupsForUser", { UserName: u })).out.Groups.map((x: { GroupName: string }) => x.GroupName)).toEqual([g]);
    expect((await iam(client, "ListGroups", {})).out.Groups.map((x: { GroupName: string }) => x.GroupName)).toContain(g);
    expect((await iam(client, "DeleteGroup", { GroupName: g })).error).toBe("DeleteConflict");
    await iam(client, "RemoveUserFromGroup", { GroupName: g, UserName: u });
    expect((await iam(client, "RemoveUserFromGroup", { GroupName: g, UserName: u })).error).toBe("NoSuchEntity");
  });

  it("issues at most two access keys per user, and reports their last use", async () => {
    const k1 = await iam(client, "CreateAccessKey", { UserName: u });
    expect(k1.out.AccessKey.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(k1.out.AccessKey.SecretAccessKey).toHaveLength(40);
    await iam(client, "CreateAccessKey", { UserName: u });
    expect((await iam(client, "CreateAccessKey", { UserName: u })).error).toBe("LimitExceeded");
    const listed = await iam(client, "ListAccessKeys", { UserName: u });
    expect(listed.out.AccessKeyMetadata).toHaveLength(2);
    expect(listed.out.AccessKeyMetadata[0].SecretAccessKey).toBeUndefined();
    const id = k1.out.AccessKey.AccessKeyId;
    expect((await iam(client, "UpdateAccessKey", { UserName: u, AccessKeyId: id, Status: "Inactive" })).error).toBeUndefined();
    expect((await iam(client, "UpdateAccessKey", { UserName: u, AccessKeyId: id, Status: "Sleeping" })).error).toBe("ValidationError");
    const last = await iam(client, "GetAccessKeyLastUsed", { AccessKeyId: id });
    expect(last.out).toMatchObject({ UserName: u, AccessKeyLastUsed: { ServiceName: "N/A", Region: "N/A" } });
    for (const k of listed.out.AccessKeyMetadata) await iam(client, "DeleteAccessKey", { UserName: u, AccessKeyId: k.AccessKeyId });
    expect((await iam(client, "DeleteAccessKey", { UserName: u, AccessKeyId: id })).error).toBe("NoSuchEntity");
  });

  it("stores inline policies and returns them URL-encoded, as IAM does", async () => {
    expect((await iam(client, "PutUserPolicy", { UserName: u, PolicyName: "read", PolicyDocument: JSON.stringify(POLICY) })).error).toBeUndefined();
    const got = await iam(client, "GetUserPolicy", { UserName: u, PolicyName: "read" });
    expect(doc(got.out.PolicyDocument)).toEqual(POLICY);
    if (client === "sdk") expect(got.out.PolicyDocument).toBe(encodeURIComponent(JSON.stringify(POLICY)));
    expect((await iam(client, "ListUserPolicies", { UserName: u })).out.PolicyNames).toEqual(["read"]);
    expect((await iam(client, "PutUserPolicy", { UserName: u, PolicyName: "bad", PolicyDocument: "{not json" })).error).toBe(
      "MalformedPolicyDocument",
    );
    const big = { Version: "2012-10-17", Statement: Array.from({ length: 40 }, (_, i) => ({ Effect: "Allow", Action: `codecommit:GetRepository`, Resource: `arn:aws:codecommit:us-east-1:${ACCOUNT}:repository-number-${i}` })) };
    const tooBig = await iam(client, "PutUserPolicy", { UserName: u, PolicyName: "big", PolicyDocument: JSON.stringify(big) });
    expect(tooBig.error).toBe("LimitExceeded");
    const role = `inline-role-${client}`;
    await iam(client, "CreateRole", {
      RoleName: role,
      AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] }),
    });
    for (const [type, name] of [["Group", g], ["Role", role]] as const) {
      await iam(client, `Put${type}Policy`, { [`${type}Name`]: name, PolicyName: "p", PolicyDocument: JSON.stringify(POLICY) });
      expect(doc((await iam(client, `Get${type}Policy`, { [`${type}Name`]: name, PolicyName: "p" })).out.PolicyDocument)).toEqual(POLICY);
      expect((await iam(client, `List${type}Policies`, { [`${type}Name`]: name })).out.PolicyNames).toEqual(["p"]);
      await iam(client, `Delete${type}Policy`, { [`${type}Name`]: name, PolicyName: "p" });
      expect((await iam(client, `Get${type}Policy`, { [`${type}Name`]: name, PolicyName: "p" })).error).toBe("NoSuchEntity");
    }
    await iam(client, "DeleteRole", { RoleName: role });
  });

  it("creates managed policies with versions, attaches and detaches them", async () => {
    const name = `repo-readers-${client}`;
    const p = await iam(client, "CreatePolicy", { PolicyName: name, PolicyDocument: JSON.stringify(POLICY), Description: "readers" });
    expect(p.error).toBeUndefined();
    const arn = p.out.Policy.Arn;
    expect(arn).toBe(`arn:aws:iam::${ACCOUNT}:policy/${name}`);
    expect(p.out.Policy).toMatchObject({ DefaultVersionId: "v1", AttachmentCount: 0, IsAttachable: true });
    expect((await iam(client, "CreatePolicy", { PolicyName: name, PolicyDocument: JSON.stringify(POLICY) })).error).toBe("EntityAlreadyExists");
    for (let n = 2; n <= 5; n++) {
      const v = await iam(client, "CreatePolicyVersion", { PolicyArn: arn, PolicyDocument: JSON.stringify(POLICY), SetAsDefault: n === 3 });
      expect(v.out.PolicyVersion.VersionId).toBe(`v${n}`);
    }
    expect((await iam(client, "CreatePolicyVersion", { PolicyArn: arn, PolicyDocument: JSON.stringify(POLICY) })).error).toBe("LimitExceeded");
    expect((await iam(client, "GetPolicy", { PolicyArn: arn })).out.Policy.DefaultVersionId).toBe("v3");
    expect((await iam(client, "ListPolicyVersions", { PolicyArn: arn })).out.Versions).toHaveLength(5);
    expect((await iam(client, "DeletePolicyVersion", { PolicyArn: arn, VersionId: "v3" })).error).toBe("DeleteConflict");
    await iam(client, "SetDefaultPolicyVersion", { PolicyArn: arn, VersionId: "v1" });
    for (const v of ["v2", "v3", "v4", "v5"]) await iam(client, "DeletePolicyVersion", { PolicyArn: arn, VersionId: v });
    expect(doc((await iam(client, "GetPolicyVersion", { PolicyArn: arn, VersionId: "v1" })).out.PolicyVersion.Document)).toEqual(POLICY);

    await iam(client, "AttachUserPolicy", { UserName: u, PolicyArn: arn });
    await iam(client, "AttachGroupPolicy", { GroupName: g, PolicyArn: arn });
    expect((await iam(client, "ListAttachedUserPolicies", { UserName: u })).out.AttachedPolicies).toEqual([{ PolicyName: name, PolicyArn: arn }]);
    expect((await iam(client, "ListAttachedGroupPolicies", { GroupName: g })).out.AttachedPolicies).toHaveLength(1);
    const entities = await iam(client, "ListEntitiesForPolicy", { PolicyArn: arn });
    expect(entities.out.PolicyUsers.map((x: { UserName: string }) => x.UserName)).toEqual([u]);
    expect(entities.out.PolicyGroups.map((x: { GroupName: string }) => x.GroupName)).toEqual([g]);
    expect((await iam(client, "GetPolicy", { PolicyArn: arn })).out.Policy.AttachmentCount).toBe(2);
    expect((await iam(client, "DeletePolicy", { PolicyArn: arn })).error).toBe("DeleteConflict");
    expect((await iam(client, "AttachUserPolicy", { UserName: u, PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/ghost` })).error).toBe("NoSuchEntity");
    await iam(client, "DetachGroupPolicy", { GroupName: g, PolicyArn: arn });
    expect((await iam(client, "DetachGroupPolicy", { GroupName: g, PolicyArn: arn })).error).toBe("NoSuchEntity");
    expect((await iam(client, "ListPolicies", { Scope: "Local" })).out.Policies.map((x: { PolicyName: string }) => x.PolicyName)).toContain(name);
    await iam(client, "DetachUserPolicy", { UserName: u, PolicyArn: arn });
    expect((await iam(client, "DeletePolicy", { PolicyArn: arn })).error).toBeUndefined();
  });

  it("has the AWS managed policies built in at their real ARNs, with their real documents", async () => {
    const listed = await iam(client, "ListPolicies", { Scope: "AWS" });
    const names = listed.out.Policies.map((x: { PolicyName: string }) => x.PolicyName);
    for (const n of ["AdministratorAccess", "AWSCodeCommitFullAccess", "AWSCodeCommitPowerUser", "AWSCodeCommitReadOnly", "IAMFullAccess", "IAMReadOnlyAccess"]) {
      expect(names).toContain(n);
    }
    const power = await iam(client, "GetPolicy", { PolicyArn: "arn:aws:iam::aws:policy/AWSCodeCommitPowerUser" });
    expect(power.out.Policy.PolicyId).toBe("ANPAI4UIINUVGB5SEC57G");
    const v = await iam(client, "GetPolicyVersion", { PolicyArn: "arn:aws:iam::aws:policy/AWSCodeCommitReadOnly", VersionId: power.out.Policy.DefaultVersionId === "v18" ? "v14" : "v14" });
    expect(doc(v.out.PolicyVersion.Document).Statement[0].Action).toContain("codecommit:GitPull");
  });

  it("manages roles and their trust policies", async () => {
    const r = `deployer-${client}`;
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };
    const created = await iam(client, "CreateRole", { RoleName: r, AssumeRolePolicyDocument: JSON.stringify(trust), Description: "deploys" });
    expect(created.out.Role.Arn).toBe(`arn:aws:iam::${ACCOUNT}:role/${r}`);
    expect(created.out.Role.RoleId).toMatch(/^AROA/);
    expect(doc((await iam(client, "GetRole", { RoleName: r })).out.Role.AssumeRolePolicyDocument)).toEqual(trust);
    expect((await iam(client, "ListRoles", {})).out.Roles.map((x: { RoleName: string }) => x.RoleName)).toContain(r);
    const trust2 = { ...trust, Statement: [{ ...trust.Statement[0], Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/admin` } }] };
    await iam(client, "UpdateAssumeRolePolicy", { RoleName: r, PolicyDocument: JSON.stringify(trust2) });
    expect(doc((await iam(client, "GetRole", { RoleName: r })).out.Role.AssumeRolePolicyDocument)).toEqual(trust2);
    await iam(client, "AttachRolePolicy", { RoleName: r, PolicyArn: "arn:aws:iam::aws:policy/AWSCodeCommitReadOnly" });
    expect((await iam(client, "ListAttachedRolePolicies", { RoleName: r })).out.AttachedPolicies).toHaveLength(1);
    expect((await iam(client, "DeleteRole", { RoleName: r })).error).toBe("DeleteConflict");
    await iam(client, "DetachRolePolicy", { RoleName: r, PolicyArn: "arn:aws:iam::aws:policy/AWSCodeCommitReadOnly" });
    expect((await iam(client, "DeleteRole", { RoleName: r })).error).toBeUndefined();
    expect((await iam(client, "GetRole", { RoleName: r })).error).toBe("NoSuchEntity");
  });

  it("accepts RSA (2048+), ed25519 and ECDSA SSH keys with APKA IDs and MD5 fingerprints", async () => {
    const keys = [sshKey("rsa", 2048), sshKey("ed25519"), sshKey("ecdsa", 256)];
    const ids: string[] = [];
    for (const k of keys) {
      const up = await iam(client, "UploadSSHPublicKey", { UserName: u, SSHPublicKeyBody: k.pub });
      expect(up.error).toBeUndefined();
      expect(up.out.SSHPublicKey.SSHPublicKeyId).toMatch(/^APKA[A-Z2-7]{16}$/);
      expect(up.out.SSHPublicKey.Fingerprint).toBe(k.md5);
      expect(up.out.SSHPublicKey.Status).toBe("Active");
      ids.push(up.out.SSHPublicKey.SSHPublicKeyId);
    }
    expect((await iam(client, "UploadSSHPublicKey", { UserName: u, SSHPublicKeyBody: keys[0]!.pub })).error).toBe("DuplicateSSHPublicKey");
    expect((await iam(client, "UploadSSHPublicKey", { UserName: u, SSHPublicKeyBody: sshKey("rsa", 1024).pub })).error).toBe("InvalidPublicKey");
    expect((await iam(client, "UploadSSHPublicKey", { UserName: u, SSHPublicKeyBody: "not a key" })).error).toBe("UnrecognizedPublicKeyEncoding");
    const asSsh = await iam(client, "GetSSHPublicKey", { UserName: u, SSHPublicKeyId: ids[0], Encoding: "SSH" });
    expect(asSsh.out.SSHPublicKey.SSHPublicKeyBody).toBe(keys[0]!.pub.split(" ").slice(0, 2).join(" "));
    const asPem = await iam(client, "GetSSHPublicKey", { UserName: u, SSHPublicKeyId: ids[0], Encoding: "PEM" });
    expect(asPem.out.SSHPublicKey.SSHPublicKeyBody).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(crypto.createPublicKey(asPem.out.SSHPublicKey.SSHPublicKeyBody).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const listed = await iam(client, "ListSSHPublicKeys", { UserName: u });
    expect(listed.out.SSHPublicKeys).toHaveLength(3);
    expect(listed.out.SSHPublicKeys[0].SSHPublicKeyBody).toBeUndefined();
    await iam(client, "UpdateSSHPublicKey", { UserName: u, SSHPublicKeyId: ids[1], Status: "Inactive" });
    expect((await iam(client, "GetSSHPublicKey", { UserName: u, SSHPublicKeyId: ids[1], Encoding: "SSH" })).out.SSHPublicKey.Status).toBe("Inactive");
    expect((await iam(client, "DeleteUser", { UserName: u })).error).toBe("DeleteConflict");
    for (const id of ids) await iam(client, "DeleteSSHPublicKey", { UserName: u, SSHPublicKeyId: id });
    expect((await iam(client, "GetSSHPublicKey", { UserName: u, SSHPublicKeyId: ids[0], Encoding: "SSH" })).error).toBe("NoSuchEntity");
  });

  it("issues HTTPS Git credentials as user-at-account, at most two per user", async () => {
    const c1 = await iam(client, "CreateServiceSpecificCredential", { UserName: u, ServiceName: "codecommit.amazonaws.com" });
    expect(c1.out.ServiceSpecificCredential).toMatchObject({ ServiceUserName: `${u}-at-${ACCOUNT}`, Status: "Active", UserName: u });
    expect(c1.out.ServiceSpecificCredential.ServicePassword).toMatch(/^[A-Za-z0-9+/]{59}=$/);
    expect(c1.out.ServiceSpecificCredential.ServiceSpecificCredentialId).toMatch(/^ACCA/);
    const c2 = await iam(client, "CreateServiceSpecificCredential", { UserName: u, ServiceName: "codecommit.amazonaws.com" });
    expect(c2.out.ServiceSpecificCredential.ServiceUserName).toBe(`${u}+1-at-${ACCOUNT}`);
    expect((await iam(client, "CreateServiceSpecificCredential", { UserName: u, ServiceName: "codecommit.amazonaws.com" })).error).toBe("LimitExceeded");
    expect((await iam(client, "CreateServiceSpecificCredential", { UserName: u, ServiceName: "s3.amazonaws.com" })).error).toBe("NoSuchEntity");
    const listed = await iam(client, "ListServiceSpecificCredentials", { UserName: u });
    expect(listed.out.ServiceSpecificCredentials).toHaveLength(2);
    expect(listed.out.ServiceSpecificCredentials[0].ServicePassword).toBeUndefined();
    const id = c1.out.ServiceSpecificCredential.ServiceSpecificCredentialId;
    const reset = await iam(client, "ResetServiceSpecificCredential", { UserName: u, ServiceSpecificCredentialId: id });
    expect(reset.out.ServiceSpecificCredential.ServiceSpecificCredentialId).toBe(id);
    expect(reset.out.ServiceSpecificCredential.ServicePassword).not.toBe(c1.out.ServiceSpecificCredential.ServicePassword);
    await iam(client, "UpdateServiceSpecificCredential", { UserName: u, ServiceSpecificCredentialId: id, Status: "Inactive" });
    expect((await iam(client, "DeleteUser", { UserName: u })).error).toBe("DeleteConflict");
    for (const c of listed.out.ServiceSpecificCredentials) {
      await iam(client, "DeleteServiceSpecificCredential", { UserName: u, ServiceSpecificCredentialId: c.ServiceSpecificCredentialId });
    }
    expect((await iam(client, "DeleteServiceSpecificCredential", { UserName: u, ServiceSpecificCredentialId: id })).error).toBe("NoSuchEntity");
  });

  it("keeps login profiles for the console", async () => {
    expect((await iam(client, "CreateLoginProfile", { UserName: u, Password: "short" })).error).toBe("PasswordPolicyViolation");
    const p = await iam(client, "CreateLoginProfile", { UserName: u, Password: "correct horse battery", PasswordResetRequired: true });
    expect(p.out.LoginProfile).toMatchObject({ UserName: u, PasswordResetRequired: true });
    expect((await iam(client, "CreateLoginProfile", { UserName: u, Password: "another long one" })).error).toBe("EntityAlreadyExists");
    await iam(client, "UpdateLoginProfile", { UserName: u, PasswordResetRequired: false });
    expect((await iam(client, "GetLoginProfile", { UserName: u })).out.LoginProfile.PasswordResetRequired).toBe(false);
    expect((await iam(client, "DeleteUser", { UserName: u })).error).toBe("DeleteConflict");
    await iam(client, "DeleteLoginProfile", { UserName: u });
    expect((await iam(client, "GetLoginProfile", { UserName: u })).error).toBe("NoSuchEntity");
  });

  it("simulates, with context entries", async () => {
    await iam(client, "AttachUserPolicy", { UserName: u, PolicyArn: "arn:aws:iam::aws:policy/AWSCodeCommitReadOnly" });
    const sim = await iam(client, "SimulatePrincipalPolicy", {
      PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/team/${u}`,
      ActionNames: ["codecommit:GetRepository", "codecommit:DeleteRepository", "codecommit:GitPull"],
      ResourceArns: [`arn:aws:codecommit:us-east-1:${ACCOUNT}:repo`],
    });
    expect(sim.error).toBeUndefined();
    expect(sim.out.EvaluationResults.map((r: { EvalDecision: string }) => r.EvalDecision)).toEqual(["allowed", "implicitDeny", "allowed"]);
    // the user's inline "read" policy (codecommit:Get*) matches too; each is reported with its type
    expect(sim.out.EvaluationResults[0].MatchedStatements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ SourcePolicyId: "AWSCodeCommitReadOnly", SourcePolicyType: "aws-managed" }),
        expect.objectContaining({ SourcePolicyId: "read", SourcePolicyType: "user" }),
      ]),
    );
    const custom = await iam(client, "SimulateCustomPolicy", {
      PolicyInputList: [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }] })],
      ActionNames: ["codecommit:GetBranch"],
      ContextEntries: [{ ContextKeyName: "aws:SourceIp", ContextKeyValues: ["10.1.2.3"], ContextKeyType: "ip" }],
    });
    expect(custom.out.EvaluationResults[0].EvalDecision).toBe("allowed");
    const outside = await iam(client, "SimulateCustomPolicy", {
      PolicyInputList: [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }] })],
      ActionNames: ["codecommit:GetBranch"],
      ContextEntries: [{ ContextKeyName: "aws:SourceIp", ContextKeyValues: ["192.168.1.1"], ContextKeyType: "ip" }],
    });
    expect(outside.out.EvaluationResults[0].EvalDecision).toBe("implicitDeny");
    await iam(client, "DetachUserPolicy", { UserName: u, PolicyArn: "arn:aws:iam::aws:policy/AWSCodeCommitReadOnly" });
  });

  it("refuses to delete a user who still has anything, then deletes it", async () => {
    await iam(client, "PutUserPolicy", { UserName: u, PolicyName: "read", PolicyDocument: JSON.stringify(POLICY) });
    await iam(client, "AddUserToGroup", { GroupName: g, UserName: u });
    expect((await iam(client, "DeleteUser", { UserName: u })).error).toBe("DeleteConflict");
    await iam(client, "RemoveUserFromGroup", { GroupName: g, UserName: u });
    expect((await iam(client, "DeleteUser", { UserName: u })).error).toBe("DeleteConflict");
    await iam(client, "DeleteUserPolicy", { UserName: u, PolicyName: "read" });
    expect((await iam(client, "DeleteUser", { UserName: u })).error).toBeUndefined();
    expect((await iam(client, "DeleteGroup", { GroupName: g })).error).toBeUndefined();
  });
});

describe("IAM under concurrent writes", () => {
  it("a policy put or attached while its role is deleted never passes to a later role of the same name", async () => {
    const sdk = (op: string, input: Record<string, unknown>) => iam("sdk", op, input);
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] });
    for (let round = 0; round < 15; round++) {
      expect((await sdk("CreateRole", { RoleName: "racer", AssumeRolePolicyDocument: trust })).error).toBeUndefined();
      const [del, put, attach] = await Promise.all([
        sdk("DeleteRole", { RoleName: "racer" }),
        sdk("PutRolePolicy", { RoleName: "racer", PolicyName: "admin", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) }),
        sdk("AttachRolePolicy", { RoleName: "racer", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
      ]);
      if (del.error) {
        // the writes won: the role keeps them and is refused deletion, as AWS refuses it
        expect(del.error).toBe("DeleteConflict");
        await sdk("DeleteRolePolicy", { RoleName: "racer", PolicyName: "admin" });
        await sdk("DetachRolePolicy", { RoleName: "racer", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
        expect((await sdk("DeleteRole", { RoleName: "racer" })).error).toBeUndefined();
      } else {
        for (const w of [put, attach]) expect([undefined, "NoSuchEntity"]).toContain(w.error);
      }
      expect((await sdk("CreateRole", { RoleName: "racer", AssumeRolePolicyDocument: trust })).error).toBeUndefined();
      expect((await sdk("ListRolePolicies", { RoleName: "racer" })).out.PolicyNames ?? []).toEqual([]);
      expect((await sdk("ListAttachedRolePolicies", { RoleName: "racer" })).out.AttachedPolicies ?? []).toEqual([]);
      expect((await sdk("DeleteRole", { RoleName: "racer" })).error).toBeUndefined();
    }
  });

  it("names differing only in case, created at once: one user, the other hears EntityAlreadyExists", async () => {
    const sdk = (op: string, input: Record<string, unknown>) => iam("sdk", op, input);
    for (const [op, member] of [["CreateUser", "UserName"], ["CreateGroup", "GroupName"]] as const) {
      const results = await Promise.all(["CaseRacer", "caseracer", "CASERACER"].map((n) => sdk(op, { [member]: `${n}-${op}` })));
      expect(results.filter((r) => !r.error), op).toHaveLength(1);
      expect(results.filter((r) => r.error).map((r) => r.error), op).toEqual(["EntityAlreadyExists", "EntityAlreadyExists"]);
    }
  });

  it("concurrent CreatePolicyVersion calls get distinct versions, and the quota holds", async () => {
    const sdk = (op: string, input: Record<string, unknown>) => iam("sdk", op, input);
    const arn = (await sdk("CreatePolicy", { PolicyName: "versioned-race", PolicyDocument: JSON.stringify(POLICY) })).out.Policy.Arn;
    const results = await Promise.all(
      Array.from({ length: 6 }, () => sdk("CreatePolicyVersion", { PolicyArn: arn, PolicyDocument: JSON.stringify(POLICY), SetAsDefault: true })),
    );
    const made = results.filter((r) => !r.error).map((r) => r.out.PolicyVersion.VersionId);
    expect(made.sort()).toEqual(["v2", "v3", "v4", "v5"]);
    expect(results.filter((r) => r.error).map((r) => r.error)).toEqual(["LimitExceeded", "LimitExceeded"]);
    const listed = (await sdk("ListPolicyVersions", { PolicyArn: arn })).out.Versions;
    expect(listed.filter((x: { IsDefaultVersion: boolean }) => x.IsDefaultVersion)).toHaveLength(1);
  });
});
