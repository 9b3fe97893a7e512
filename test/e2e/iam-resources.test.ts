import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callService } from "../helpers/api.js";
import { iamClient, userWith } from "../helpers/iam.js";
import { ADMIN, startServer, type ServerHandle } from "../helpers/server.js";

/** Which resource an operation is authorized on, and listings that filter and page. */
let server: ServerHandle;
const ACCOUNT = "000000000000";

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

describe("authorization resources", () => {
  it("GetAccessKeyLastUsed is decided on the key owner's user ARN, not on *", async () => {
    const ownOnly = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "iam:GetAccessKeyLastUsed", Resource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}` }],
    };
    const creds = await userWith(server.url, "key-watcher", { inline: ownOnly });
    const own = await callService("iam", server.url, "cli", "GetAccessKeyLastUsed", { AccessKeyId: creds.accessKeyId }, creds);
    expect(own.error).toBeUndefined();
    expect(own.out.UserName).toBe("key-watcher");
    const others = await callService("iam", server.url, "cli", "GetAccessKeyLastUsed", { AccessKeyId: ADMIN.accessKeyId }, creds);
    expect(others.error).toBe("AccessDenied");
    expect(others.message).toContain(`not authorized to perform: iam:GetAccessKeyLastUsed on resource: arn:aws:iam::${ACCOUNT}:user/admin`);
  });

  it("a batch call naming no resources fails closed: it needs the action on *", async () => {
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "batched" })).error).toBeUndefined();
    const oneRepo = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "codecommit:BatchGetRepositories", Resource: `arn:aws:codecommit:us-east-1:${ACCOUNT}:batched` }],
    };
    const creds = await userWith(server.url, "batcher", { inline: oneRepo });
    expect((await call(server.url, "sdk", "BatchGetRepositories", { repositoryNames: ["batched"] }, creds)).error).toBeUndefined();
    const empty = await call(server.url, "sdk", "BatchGetRepositories", { repositoryNames: [] }, creds);
    expect(empty.error).toBe("AccessDeniedException");
    expect(empty.message).toContain("codecommit:BatchGetRepositories on resource: *");
    // with the action allowed everywhere, the handler sees the input and refuses it
    expect((await call(server.url, "sdk", "BatchGetRepositories", { repositoryNames: [] })).error).not.toBe("AccessDeniedException");
  });
});

describe("ListEntitiesForPolicy", () => {
  it("filters by entity type, path prefix and usage, and pages with Marker and MaxItems", async () => {
    const iam = iamClient(server.url);
    const doc = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:Get*", Resource: "*" }] });
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: "listed", PolicyDocument: doc }))).Policy!.Arn!;
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] });
    for (const [name, path] of [["u-a", "/eng/"], ["u-b", "/eng/"], ["u-c", "/ops/"]]) {
      await iam.send(new CreateUserCommand({ UserName: name, Path: path }));
      await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
    }
    await iam.send(new CreateUserCommand({ UserName: "u-bounded", Path: "/eng/", PermissionsBoundary: arn }));
    await iam.send(new CreateGroupCommand({ GroupName: "g-a", Path: "/eng/" }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: "g-a", PolicyArn: arn }));
    await iam.send(new CreateRoleCommand({ RoleName: "r-a", Path: "/ops/", AssumeRolePolicyDocument: trust }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "r-a", PolicyArn: arn }));

    const list = async (input: Record<string, unknown>) => {
      const r = await callService("iam", server.url, "sdk", "ListEntitiesForPolicy", { PolicyArn: arn, ...input });
      expect(r.error).toBeUndefined();
      return r.out;
    };
    const names = (out: { PolicyGroups?: { GroupName: string }[]; PolicyUsers?: { UserName: string }[]; PolicyRoles?: { RoleName: string }[] }) => [
      ...(out.PolicyGroups ?? []).map((g) => g.GroupName),
      ...(out.PolicyUsers ?? []).map((u) => u.UserName),
      ...(out.PolicyRoles ?? []).map((x) => x.RoleName),
    ];
    expect(names(await list({}))).toEqual(["g-a", "u-a", "u-b", "u-bounded", "u-c", "r-a"]);
    expect(names(await list({ PathPrefix: "/eng/" }))).toEqual(["g-a", "u-a", "u-b", "u-bounded"]);
    expect(names(await list({ EntityFilter: "User", PathPrefix: "/eng/" }))).toEqual(["u-a", "u-b", "u-bounded"]);
    expect(names(await list({ PolicyUsageFilter: "PermissionsPolicy", EntityFilter: "User" }))).toEqual(["u-a", "u-b", "u-c"]);
    expect(names(await list({ PolicyUsageFilter: "PermissionsBoundary" }))).toEqual(["u-bounded"]);
    // pages of two, in the same order, to the end
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await list({ MaxItems: 2, ...(marker ? { Marker: marker } : {}) });
      seen.push(...names(out));
      expect(names(out).length).toBeLessThanOrEqual(2);
      marker = out.IsTruncated ? out.Marker : undefined;
      if (out.IsTruncated) expect(out.Marker).toBeTruthy();
      pages++;
    } while (marker);
    expect(pages).toBe(3);
    expect(seen).toEqual(["g-a", "u-a", "u-b", "u-bounded", "u-c", "r-a"]);
    const bad = await callService("iam", server.url, "sdk", "ListEntitiesForPolicy", { PolicyArn: arn, EntityFilter: "Robot" });
    expect(bad.error).toBe("ValidationError");
  });
});
