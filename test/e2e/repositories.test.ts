import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, seconds, type ClientKind } from "../helpers/api.js";
import { aws, codecommit } from "../helpers/clients.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { ListRepositoriesCommand, paginateListRepositories } from "@aws-sdk/client-codecommit";

let server: ServerHandle;
beforeAll(async () => {
  // room for the paging test's 1,000+ repositories (the default quota is CodeCommit's 1,000)
  server = await startServer({ args: ["--repository-limit", "5000"] });
});
afterAll(async () => {
  await server?.stop();
});

const clients: ClientKind[] = ["cli", "sdk"];

describe.each(clients)("repositories with the %s", (client) => {
  const name = `repo-${client}`;

  it("creates a repository with a description and tags, with every metadata member", async () => {
    const before = Date.now() / 1000;
    const r = await call(server.url, client, "CreateRepository", {
      repositoryName: name,
      repositoryDescription: "<b>HTML is kept</b>",
      tags: { team: "core", "cost-center": "42" },
    });
    expect(r.error).toBeUndefined();
    const m = r.out.repositoryMetadata;
    expect(m.repositoryName).toBe(name);
    expect(m.accountId).toBe("000000000000");
    expect(m.repositoryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.repositoryDescription).toBe("<b>HTML is kept</b>");
    expect(m.Arn).toBe(`arn:aws:codecommit:us-east-1:000000000000:${name}`);
    expect(m.cloneUrlHttp).toBe(`${server.url}/v1/repos/${name}`);
    expect(m.cloneUrlSsh).toMatch(new RegExp(`^ssh://127\\.0\\.0\\.1:\\d+/v1/repos/${name}$`));
    expect(m.defaultBranch).toBeUndefined();
    expect(seconds(m.creationDate)).toBeGreaterThanOrEqual(before - 1);
    expect(seconds(m.lastModifiedDate)).toBeGreaterThanOrEqual(before - 1);
    const tags = await call(server.url, client, "ListTagsForResource", { resourceArn: m.Arn });
    expect(tags.out.tags).toEqual({ team: "core", "cost-center": "42" });
  });

  it("refuses a second repository of the same name", async () => {
    const r = await call(server.url, client, "CreateRepository", { repositoryName: name });
    expect(r.error).toBe("RepositoryNameExistsException");
    expect(r.message).toContain(name);
  });

  it.each([
    ["bad/name", "InvalidRepositoryNameException"],
    ["ends.git", "InvalidRepositoryNameException"],
    ["x".repeat(101), "InvalidRepositoryNameException"],
    ["spaces are bad", "InvalidRepositoryNameException"],
  ])("refuses the repository name %j with %s", async (bad, code) => {
    const r = await call(server.url, client, "CreateRepository", { repositoryName: bad });
    expect(r.error).toBe(code);
  });

  it("refuses bad descriptions and tags without creating anything", async () => {
    const n = `${name}-bad`;
    expect((await call(server.url, client, "CreateRepository", { repositoryName: n, repositoryDescription: "d".repeat(1001) })).error).toBe(
      "InvalidRepositoryDescriptionException",
    );
    expect((await call(server.url, client, "CreateRepository", { repositoryName: n, tags: { "aws:owner": "x" } })).error).toBe(
      "InvalidSystemTagUsageException",
    );
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]));
    expect((await call(server.url, client, "CreateRepository", { repositoryName: n, tags: many })).error).toBe("TooManyTagsException");
    expect((await call(server.url, client, "CreateRepository", { repositoryName: n, tags: { "bad<key>": "v" } })).error).toBe(
      "InvalidTagsMapException",
    );
    expect((await call(server.url, client, "GetRepository", { repositoryName: n })).error).toBe("RepositoryDoesNotExistException");
  });

  it("gets a repository, and says which one does not exist", async () => {
    const r = await call(server.url, client, "GetRepository", { repositoryName: name });
    expect(r.out.repositoryMetadata.repositoryName).toBe(name);
    // Debian's CLI v2 (2.9.19) predates kmsKeyId and drops it; the SDK shows it
    if (client === "sdk") expect(r.out.repositoryMetadata.kmsKeyId).toBe("alias/aws/codecommit");
    const missing = await call(server.url, client, "GetRepository", { repositoryName: "no-such-repo" });
    expect(missing.error).toBe("RepositoryDoesNotExistException");
    expect(missing.message).toContain("no-such-repo does not exist");
    expect((await call(server.url, client, "GetRepository", { repositoryName: "a:b" })).error).toBe("InvalidRepositoryNameException");
  });

  it("updates the description", async () => {
    expect((await call(server.url, client, "UpdateRepositoryDescription", { repositoryName: name, repositoryDescription: "new words" })).error).toBeUndefined();
    const r = await call(server.url, client, "GetRepository", { repositoryName: name });
    expect(r.out.repositoryMetadata.repositoryDescription).toBe("new words");
    expect(
      (await call(server.url, client, "UpdateRepositoryDescription", { repositoryName: name, repositoryDescription: "x".repeat(1001) })).error,
    ).toBe("InvalidRepositoryDescriptionException");
    expect((await call(server.url, client, "UpdateRepositoryDescription", { repositoryName: "nope", repositoryDescription: "x" })).error).toBe(
      "RepositoryDoesNotExistException",
    );
  });

  it("batch-gets repositories, with repositoriesNotFound and errors", async () => {
    const r = await call(server.url, client, "BatchGetRepositories", { repositoryNames: [name, "missing-one"] });
    expect(r.out.repositories.map((m: { repositoryName: string }) => m.repositoryName)).toEqual([name]);
    expect(r.out.repositoriesNotFound).toEqual(["missing-one"]);
    // Debian's CLI v2 (2.9.19) predates the errors member and drops it; the SDK shows it
    if (client === "sdk") expect(r.out.errors).toEqual([
      { repositoryName: "missing-one", errorCode: "RepositoryDoesNotExistException", errorMessage: "missing-one does not exist" },
    ]);
    // a name asked for twice is answered once
    const twice = await call(server.url, client, "BatchGetRepositories", { repositoryNames: [name, "missing-one", name, "missing-one"] });
    expect(twice.out.repositories.map((m: { repositoryName: string }) => m.repositoryName)).toEqual([name]);
    expect(twice.out.repositoriesNotFound).toEqual(["missing-one"]);
    const empty = await call(server.url, client, "BatchGetRepositories", { repositoryNames: [] });
    expect(empty.out.repositories ?? []).toEqual([]);
    const tooMany = Array.from({ length: 101 }, (_, i) => `r${i}`);
    expect((await call(server.url, client, "BatchGetRepositories", { repositoryNames: tooMany })).error).toBe(
      "MaximumRepositoryNamesExceededException",
    );
    expect((await call(server.url, client, "BatchGetRepositories", { repositoryNames: ["bad name"] })).error).toBe(
      "InvalidRepositoryNameException",
    );
  });

  it("renames a repository: clone URLs and ARN change, the ID stays", async () => {
    const before = (await call(server.url, client, "GetRepository", { repositoryName: name })).out.repositoryMetadata;
    const newName = `${name}-renamed`;
    expect((await call(server.url, client, "UpdateRepositoryName", { oldName: name, newName })).error).toBeUndefined();
    const after = (await call(server.url, client, "GetRepository", { repositoryName: newName })).out.repositoryMetadata;
    expect(after.repositoryId).toBe(before.repositoryId);
    expect(after.cloneUrlHttp).toBe(`${server.url}/v1/repos/${newName}`);
    expect(after.Arn).toMatch(new RegExp(`:${newName}$`));
    expect((await call(server.url, client, "GetRepository", { repositoryName: name })).error).toBe("RepositoryDoesNotExistException");
    expect((await call(server.url, client, "UpdateRepositoryName", { oldName: "nope", newName: "nope2" })).error).toBe(
      "RepositoryDoesNotExistException",
    );
    await call(server.url, client, "CreateRepository", { repositoryName: `${name}-other` });
    expect((await call(server.url, client, "UpdateRepositoryName", { oldName: newName, newName: `${name}-other` })).error).toBe(
      "RepositoryNameExistsException",
    );
    expect((await call(server.url, client, "UpdateRepositoryName", { oldName: newName, newName: "bad name" })).error).toBe(
      "InvalidRepositoryNameException",
    );
    // rename back for the tests that follow
    expect((await call(server.url, client, "UpdateRepositoryName", { oldName: newName, newName: name })).error).toBeUndefined();
  });

  it("tags, lists and untags by ARN", async () => {
    const arn = `arn:aws:codecommit:us-east-1:000000000000:${name}`;
    expect((await call(server.url, client, "TagResource", { resourceArn: arn, tags: { env: "prod", team: "platform" } })).error).toBeUndefined();
    expect((await call(server.url, client, "ListTagsForResource", { resourceArn: arn })).out.tags).toEqual({
      "cost-center": "42",
      env: "prod",
      team: "platform",
    });
    expect((await call(server.url, client, "UntagResource", { resourceArn: arn, tagKeys: ["env", "cost-center"] })).error).toBeUndefined();
    expect((await call(server.url, client, "ListTagsForResource", { resourceArn: arn })).out.tags).toEqual({ team: "platform" });

    expect((await call(server.url, client, "TagResource", { resourceArn: "arn:aws:s3:::bucket", tags: { a: "b" } })).error).toBe(
      "InvalidResourceArnException",
    );
    expect((await call(server.url, client, "TagResource", { resourceArn: "not-an-arn", tags: { a: "b" } })).error).toBe(
      "InvalidResourceArnException",
    );
    expect(
      (await call(server.url, client, "ListTagsForResource", { resourceArn: "arn:aws:codecommit:us-east-1:000000000000:ghost" })).error,
    ).toBe("RepositoryDoesNotExistException");
    expect((await call(server.url, client, "TagResource", { resourceArn: arn, tags: { "aws:x": "y" } })).error).toBe(
      "InvalidSystemTagUsageException",
    );
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, "v"]));
    expect((await call(server.url, client, "TagResource", { resourceArn: arn, tags: many })).error).toBe("TooManyTagsException");
    expect((await call(server.url, client, "UntagResource", { resourceArn: arn, tagKeys: ["aws:x"] })).error).toBe(
      "InvalidSystemTagUsageException",
    );
    expect((await call(server.url, client, "ListTagsForResource", { resourceArn: arn })).out.tags).toEqual({ team: "platform" });
  });

  it("answers each modeled tagging error that applies, and changes nothing", async () => {
    const arn = `arn:aws:codecommit:us-east-1:000000000000:${name}`;
    const badName = "arn:aws:codecommit:us-east-1:000000000000:bad name!";
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["TagResource", { resourceArn: badName, tags: { a: "b" } }, "InvalidRepositoryNameException"],
      ["ListTagsForResource", { resourceArn: badName }, "InvalidRepositoryNameException"],
      ["ListTagsForResource", { resourceArn: "arn:aws:s3:::bucket" }, "InvalidResourceArnException"],
      ["ListTagsForResource", { resourceArn: "not-an-arn" }, "InvalidResourceArnException"],
      ["UntagResource", { resourceArn: "not-an-arn", tagKeys: ["a"] }, "InvalidResourceArnException"],
      ["UntagResource", { resourceArn: "arn:aws:codecommit:us-east-1:000000000000:ghost", tagKeys: ["a"] }, "RepositoryDoesNotExistException"],
      ["UntagResource", { resourceArn: arn, tagKeys: ["k".repeat(129)] }, "InvalidTagKeysListException"],
    ];
    for (const [op, input, error] of cases) {
      const r = await call(server.url, client, op, input);
      expect({ op, error: r.error }).toEqual({ op, error });
    }
    expect((await call(server.url, client, "ListTagsForResource", { resourceArn: arn })).out.tags).toEqual({ team: "platform" });
  });

  it("refuses unknown sort criteria and orders", async () => {
    expect((await call(server.url, client, "ListRepositories", { sortBy: "size" })).error).toBe("InvalidSortByException");
    expect((await call(server.url, client, "ListRepositories", { order: "sideways" })).error).toBe("InvalidOrderException");
    expect((await call(server.url, client, "ListRepositories", { nextToken: "garbage" })).error).toBe("InvalidContinuationTokenException");
  });

  it("sorts by name, both orders", async () => {
    const names = async (input: Record<string, unknown>) =>
      ((await call(server.url, client, "ListRepositories", input)).out.repositories as Array<{ repositoryName: string }>).map((r) => r.repositoryName);
    const ascending = await names({ sortBy: "repositoryName", order: "ascending" });
    expect(ascending).toEqual([...ascending].sort());
    expect(await names({ sortBy: "repositoryName", order: "descending" })).toEqual([...ascending].reverse());
  });

  it("deletes a repository, and answers a second delete with no ID", async () => {
    const n = `${name}-doomed`;
    const created = await call(server.url, client, "CreateRepository", { repositoryName: n });
    const id = created.out.repositoryMetadata.repositoryId;
    expect((await call(server.url, client, "DeleteRepository", { repositoryName: n })).out.repositoryId).toBe(id);
    const again = await call(server.url, client, "DeleteRepository", { repositoryName: n });
    expect(again.error).toBeUndefined();
    expect(again.out.repositoryId).toBeUndefined();
    expect((await call(server.url, client, "DeleteRepository", { repositoryName: "bad name" })).error).toBe("InvalidRepositoryNameException");
  });
});

describe("errors only the SDK can send (the CLI refuses missing or empty required members itself)", () => {
  it("names missing required members with CodeCommit's exceptions", async () => {
    for (const op of ["DeleteRepository", "UpdateRepositoryName", "UpdateRepositoryDescription", "UpdateRepositoryEncryptionKey"]) {
      expect({ op, error: (await call(server.url, "sdk", op, {})).error }).toEqual({ op, error: "RepositoryNameRequiredException" });
    }
    expect((await call(server.url, "sdk", "ListTagsForResource", {})).error).toBe("ResourceArnRequiredException");
    expect((await call(server.url, "sdk", "UntagResource", { tagKeys: ["a"] })).error).toBe("ResourceArnRequiredException");
    expect(
      (await call(server.url, "sdk", "UntagResource", { resourceArn: "arn:aws:codecommit:us-east-1:000000000000:repo-sdk", tagKeys: [""] })).error,
    ).toBe("InvalidTagKeysListException");
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "" })).error).toBe("RepositoryNameRequiredException");
    expect((await call(server.url, "sdk", "GetRepository", {})).error).toBe("RepositoryNameRequiredException");
    expect((await call(server.url, "sdk", "BatchGetRepositories", {})).error).toBe("RepositoryNamesRequiredException");
    expect((await call(server.url, "sdk", "TagResource", { tags: { a: "b" } })).error).toBe("ResourceArnRequiredException");
    expect((await call(server.url, "sdk", "TagResource", { resourceArn: "arn:aws:codecommit:us-east-1:000000000000:repo-sdk" })).error).toBe(
      "TagsMapRequiredException",
    );
    expect(
      (await call(server.url, "sdk", "UntagResource", { resourceArn: "arn:aws:codecommit:us-east-1:000000000000:repo-sdk" })).error,
    ).toBe("TagKeysListRequiredException");
    expect((await call(server.url, "sdk", "UpdateRepositoryEncryptionKey", { repositoryName: "repo-sdk" })).error).toBe(
      "EncryptionKeyRequiredException",
    );
  });

});

describe("UpdateRepositoryEncryptionKey (newer than Debian's CLI v2: the CLI v1 and the SDK)", () => {
  it("records the key and reports the original", async () => {
    await call(server.url, "sdk", "CreateRepository", { repositoryName: "kms-repo" });
    const sdk = await call(server.url, "sdk", "UpdateRepositoryEncryptionKey", { repositoryName: "kms-repo", kmsKeyId: "alias/my-key" });
    expect(sdk.out).toMatchObject({ kmsKeyId: "alias/my-key", originalKmsKeyId: "alias/aws/codecommit" });
    expect(sdk.out.repositoryId).toMatch(/^[0-9a-f-]{36}$/);
    const v1 = await aws(server.url, ["codecommit", "update-repository-encryption-key", "--repository-name", "kms-repo", "--kms-key-id",
      "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"], { version: 1 });
    expect(v1.code).toBe(0);
    expect(v1.json.originalKmsKeyId).toBe("alias/my-key");
    const got = await call(server.url, "sdk", "GetRepository", { repositoryName: "kms-repo" });
    expect(got.out.repositoryMetadata.kmsKeyId).toBe("arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    expect((await call(server.url, "sdk", "UpdateRepositoryEncryptionKey", { repositoryName: "kms-repo", kmsKeyId: "bad key!" })).error).toBe(
      "EncryptionKeyInvalidIdException",
    );
    expect((await call(server.url, "sdk", "UpdateRepositoryEncryptionKey", { repositoryName: "ghost", kmsKeyId: "alias/x" })).error).toBe(
      "RepositoryDoesNotExistException",
    );
    for (const client of ["sdk", "cli1"] as const) {
      expect((await call(server.url, client, "UpdateRepositoryEncryptionKey", { repositoryName: "bad name!", kmsKeyId: "alias/x" })).error).toBe(
        "InvalidRepositoryNameException",
      );
    }
  });
});

describe("ListRepositories", () => {
  it("sorts by name or last modification, both orders", async () => {
    for (const n of ["sort-b", "sort-a", "sort-c"]) await call(server.url, "sdk", "CreateRepository", { repositoryName: n });
    await call(server.url, "sdk", "UpdateRepositoryDescription", { repositoryName: "sort-a", repositoryDescription: "touched last" });
    const names = async (input: Record<string, unknown>) =>
      ((await call(server.url, "sdk", "ListRepositories", input)).out.repositories as Array<{ repositoryName: string }>)
        .map((r) => r.repositoryName)
        .filter((n) => n.startsWith("sort-"));
    expect(await names({})).toEqual(["sort-a", "sort-b", "sort-c"]);
    expect(await names({ sortBy: "repositoryName", order: "descending" })).toEqual(["sort-c", "sort-b", "sort-a"]);
    expect(await names({ sortBy: "lastModifiedDate", order: "ascending" })).toEqual(["sort-b", "sort-c", "sort-a"]);
    expect(await names({ sortBy: "lastModifiedDate", order: "descending" })).toEqual(["sort-a", "sort-c", "sort-b"]);
  });

  it("pages by 1,000 with a nextToken that both clients follow", async () => {
    const sdk = codecommit(server.url);
    const existing = (await sdk.send(new ListRepositoriesCommand({}))).repositories!.length;
    const toCreate = 1001 - existing + 5;
    const names = Array.from({ length: toCreate }, (_, i) => `page-${String(i).padStart(4, "0")}`);
    for (let i = 0; i < names.length; i += 8) {
      const results = await Promise.all(names.slice(i, i + 8).map((n) => call(server.url, "sdk", "CreateRepository", { repositoryName: n })));
      expect(results.map((r) => r.error).filter(Boolean)).toEqual([]);
    }
    const first = await sdk.send(new ListRepositoriesCommand({}));
    expect(first.repositories).toHaveLength(1000);
    expect(first.nextToken).toBeTruthy();
    const all: string[] = [];
    for await (const page of paginateListRepositories({ client: sdk }, {})) all.push(...page.repositories!.map((r) => r.repositoryName!));
    expect(all.length).toBe(existing + toCreate);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort((a, b) => (a < b ? -1 : 1))).toEqual(all);
    // the CLI follows the token itself
    const cli = await aws(server.url, ["codecommit", "list-repositories"]);
    expect(cli.json.repositories).toHaveLength(all.length);
    const limited = await startServer({ args: ["--repository-limit", "2"] });
    try {
      await call(limited.url, "sdk", "CreateRepository", { repositoryName: "one" });
      await call(limited.url, "sdk", "CreateRepository", { repositoryName: "two" });
      expect((await call(limited.url, "cli", "CreateRepository", { repositoryName: "three" })).error).toBe("RepositoryLimitExceededException");
    } finally {
      await limited.stop();
    }
  });
});
