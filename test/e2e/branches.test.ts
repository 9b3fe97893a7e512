import { paginateListBranches } from "@aws-sdk/client-codecommit";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { aws, cliErrorCode, codecommit, gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { startServer, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
let env: Record<string, string>;
let work: string;
let first: string;
let second: string;

beforeAll(async () => {
  server = await startServer();
  env = gitHome();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "br" })).error).toBeUndefined();
  work = await makeWorkRepo(env);
  first = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
  fs.writeFileSync(path.join(work, "second.txt"), "two\n");
  await gitOk(["add", "."], { cwd: work, env });
  await gitOk(["commit", "-qm", "second"], { cwd: work, env });
  second = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
  await gitOk(["push", "-q", `${server.url}/v1/repos/br`, "main"], { cwd: work, env });
});
afterAll(async () => {
  await server?.stop();
});

const clients: ClientKind[] = ["cli", "sdk"];

describe.each(clients)("branches with the %s", (client) => {
  const feature = `feature/${client}`;

  it("creates a branch at a commit and gets it back", async () => {
    expect((await call(server.url, client, "CreateBranch", { repositoryName: "br", branchName: feature, commitId: first })).error).toBeUndefined();
    const got = await call(server.url, client, "GetBranch", { repositoryName: "br", branchName: feature });
    expect(got.out).toEqual({ branch: { branchName: feature, commitId: first } });
    const remote = await gitOk(["ls-remote", `${server.url}/v1/repos/br`, `refs/heads/${feature}`], { env });
    expect(remote.trim()).toBe(`${first}\trefs/heads/${feature}`);
  });

  it("refuses a branch that exists, a bad name, and commits that are not there", async () => {
    const c = (input: Record<string, unknown>) => call(server.url, client, "CreateBranch", { repositoryName: "br", ...input });
    expect((await c({ branchName: feature, commitId: second })).error).toBe("BranchNameExistsException");
    expect((await c({ branchName: "bad..name", commitId: second })).error).toBe("InvalidBranchNameException");
    expect((await c({ branchName: "a".repeat(40).replace(/a/g, "f"), commitId: second })).error).toBe("InvalidBranchNameException");
    expect((await c({ branchName: "has space", commitId: second })).error).toBe("InvalidBranchNameException");
    expect((await c({ branchName: `x-${client}`, commitId: "0123456789abcdef0123456789abcdef01234567" })).error).toBe(
      "CommitDoesNotExistException",
    );
    expect((await c({ branchName: `x-${client}`, commitId: "not-a-sha" })).error).toBe("InvalidCommitIdException");
    expect((await call(server.url, client, "CreateBranch", { repositoryName: "ghost", branchName: "b", commitId: first })).error).toBe(
      "RepositoryDoesNotExistException",
    );
    // the tree of the first commit is an object, but not a commit
    const tree = (await gitOk(["rev-parse", `${first}^{tree}`], { cwd: work, env })).trim();
    expect((await c({ branchName: `x-${client}`, commitId: tree })).error).toBe("CommitDoesNotExistException");
  });

  it("says which branch does not exist", async () => {
    const r = await call(server.url, client, "GetBranch", { repositoryName: "br", branchName: "nope" });
    expect(r.error).toBe("BranchDoesNotExistException");
    expect(r.message).toContain("nope");
    expect((await call(server.url, client, "GetBranch", { repositoryName: "br", branchName: "bad..name" })).error).toBe(
      "InvalidBranchNameException",
    );
  });

  it("lists branches by short name", async () => {
    const r = await call(server.url, client, "ListBranches", { repositoryName: "br" });
    expect(r.out.branches).toEqual(expect.arrayContaining(["main", feature]));
    expect((await call(server.url, client, "ListBranches", { repositoryName: "ghost" })).error).toBe("RepositoryDoesNotExistException");
  });

  it("changes the default branch, and HEAD follows", async () => {
    expect((await call(server.url, client, "UpdateDefaultBranch", { repositoryName: "br", defaultBranchName: feature })).error).toBeUndefined();
    expect((await call(server.url, client, "GetRepository", { repositoryName: "br" })).out.repositoryMetadata.defaultBranch).toBe(feature);
    const head = await gitOk(["ls-remote", "--symref", `${server.url}/v1/repos/br`, "HEAD"], { env });
    expect(head).toContain(`ref: refs/heads/${feature}\tHEAD`);
    expect((await call(server.url, client, "UpdateDefaultBranch", { repositoryName: "br", defaultBranchName: "nope" })).error).toBe(
      "BranchDoesNotExistException",
    );
    expect((await call(server.url, client, "UpdateDefaultBranch", { repositoryName: "br", defaultBranchName: "main" })).error).toBeUndefined();
    // setting the same default again is fine
    expect((await call(server.url, client, "UpdateDefaultBranch", { repositoryName: "br", defaultBranchName: "main" })).error).toBeUndefined();
  });

  it("deletes a branch, returns what it pointed at, and never deletes the default", async () => {
    const r = await call(server.url, client, "DeleteBranch", { repositoryName: "br", branchName: feature });
    expect(r.out).toEqual({ deletedBranch: { branchName: feature, commitId: first } });
    const again = await call(server.url, client, "DeleteBranch", { repositoryName: "br", branchName: feature });
    expect(again.error).toBeUndefined();
    expect(again.out.deletedBranch).toBeUndefined();
    const def = await call(server.url, client, "DeleteBranch", { repositoryName: "br", branchName: "main" });
    expect(def.error).toBe("DefaultBranchCannotBeDeletedException");
    expect((await call(server.url, client, "GetBranch", { repositoryName: "br", branchName: "main" })).out.branch.commitId).toBe(second);
  });
  it("answers each modeled error that applies, for every branch operation", async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["GetBranch", { repositoryName: "ghost", branchName: "main" }, "RepositoryDoesNotExistException"],
      ["GetBranch", { repositoryName: "bad name!", branchName: "main" }, "InvalidRepositoryNameException"],
      ["ListBranches", { repositoryName: "bad name!" }, "InvalidRepositoryNameException"],
      ["DeleteBranch", { repositoryName: "br", branchName: "bad..name" }, "InvalidBranchNameException"],
      ["DeleteBranch", { repositoryName: "ghost", branchName: "x" }, "RepositoryDoesNotExistException"],
      ["DeleteBranch", { repositoryName: "bad name!", branchName: "x" }, "InvalidRepositoryNameException"],
      ["UpdateDefaultBranch", { repositoryName: "br", defaultBranchName: "bad..name" }, "InvalidBranchNameException"],
      ["UpdateDefaultBranch", { repositoryName: "ghost", defaultBranchName: "main" }, "RepositoryDoesNotExistException"],
      ["UpdateDefaultBranch", { repositoryName: "bad name!", defaultBranchName: "main" }, "InvalidRepositoryNameException"],
      ["CreateBranch", { repositoryName: "bad name!", branchName: "x", commitId: first }, "InvalidRepositoryNameException"],
    ];
    for (const [op, input, error] of cases) {
      const r = await call(server.url, client, op, input);
      expect({ op, input, error: r.error }).toEqual({ op, input, error });
      expect(r.message).toBeTruthy();
    }
    // none of it changed anything
    expect((await call(server.url, client, "GetRepository", { repositoryName: "br" })).out.repositoryMetadata.defaultBranch).toBe("main");
  });
});

describe("branch names git refuses", () => {
  // names git reads as options, or refuses as refs (git check-ref-format --branch); the unit
  // test test/unit/branch-names.test.ts holds our rule against git's over many more
  const optionLike = ["-x", "--output=/tmp/headwater-branch-probe"];
  const refused = [...optionLike, "HEAD", "x.lock", "a/.b", "a:b", "a\\b", "a..b"];

  it("are refused by every operation that takes a branch name, with the CLI, and nothing is created", async () => {
    const cc = (args: string[]) => aws(server.url, ["codecommit", ...args]);
    const b64 = Buffer.from("x\n").toString("base64");
    for (const name of refused) {
      // `--flag=value`, so that the CLI takes a leading - as the value
      const calls: Array<[string[], string]> = [
        [["create-branch", "--repository-name", "br", `--branch-name=${name}`, "--commit-id", first], "InvalidBranchNameException"],
        [["get-branch", "--repository-name", "br", `--branch-name=${name}`], "InvalidBranchNameException"],
        [["delete-branch", "--repository-name", "br", `--branch-name=${name}`], "InvalidBranchNameException"],
        [["update-default-branch", "--repository-name", "br", `--default-branch-name=${name}`], "InvalidBranchNameException"],
        [["put-file", "--repository-name", "br", `--branch-name=${name}`, "--file-path", "x.txt", "--file-content", b64, "--parent-commit-id", second], "InvalidBranchNameException"],
        [["delete-file", "--repository-name", "br", `--branch-name=${name}`, "--file-path", "second.txt", "--parent-commit-id", second], "InvalidBranchNameException"],
        [["create-commit", "--repository-name", "br", `--branch-name=${name}`, "--parent-commit-id", second, "--put-files", JSON.stringify([{ filePath: "x.txt", fileContent: b64 }])], "InvalidBranchNameException"],
        [["get-file", "--repository-name", "br", `--commit-specifier=${name}`, "--file-path", "README.md"], "InvalidCommitException"],
      ];
      // every operation for the names git reads as options; CreateBranch alone for the others
      for (const [args, code] of optionLike.includes(name) ? calls : calls.slice(0, 1)) {
        const r = await cc(args);
        expect({ args, code: cliErrorCode(r) }).toEqual({ args, code });
        expect(r.stderr).toContain(`'${name}'`);
      }
    }
    const remote = await gitOk(["ls-remote", `${server.url}/v1/repos/br`], { env });
    expect(remote).not.toMatch(/refs\/heads\/(-|HEAD$|x\.lock|a\/\.b|a:b|a\\b)/m);
    expect(fs.existsSync("/tmp/headwater-branch-probe")).toBe(false);
    expect((await call(server.url, "sdk", "GetRepository", { repositoryName: "br" })).out.repositoryMetadata.defaultBranch).toBe("main");
  });

  it("leaves names git accepts alone, @ and non-ASCII ones included", async () => {
    for (const name of ["@", "a-", "naïve/café", "x.lockx", "a{b}"]) {
      const r = await aws(server.url, ["codecommit", "create-branch", "--repository-name", "br", `--branch-name=${name}`, "--commit-id", first]);
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: "" });
      const remote = await gitOk(["ls-remote", `${server.url}/v1/repos/br`, `refs/heads/${name}`], { env });
      expect(remote.trim()).toBe(`${first}\trefs/heads/${name}`);
    }
  });
});

describe("branch errors only the SDK can send", () => {
  it("names missing members", async () => {
    expect((await call(server.url, "sdk", "GetBranch", { repositoryName: "br" })).error).toBe("BranchNameRequiredException");
    expect((await call(server.url, "sdk", "GetBranch", { branchName: "main" })).error).toBe("RepositoryNameRequiredException");
    expect((await call(server.url, "sdk", "CreateBranch", { repositoryName: "br", branchName: "x" })).error).toBe("CommitIdRequiredException");
    expect((await call(server.url, "sdk", "UpdateDefaultBranch", { repositoryName: "br" })).error).toBe("BranchNameRequiredException");
    expect((await call(server.url, "sdk", "ListBranches", { repositoryName: "br", nextToken: "zzz" })).error).toBe(
      "InvalidContinuationTokenException",
    );
    expect((await call(server.url, "sdk", "DeleteBranch", { repositoryName: "br" })).error).toBe("BranchNameRequiredException");
    expect((await call(server.url, "sdk", "DeleteBranch", { branchName: "x" })).error).toBe("RepositoryNameRequiredException");
    expect((await call(server.url, "sdk", "ListBranches", {})).error).toBe("RepositoryNameRequiredException");
  });
});

describe("ListBranches paging", () => {
  it("pages past 1,000 branches; the SDK paginator and the CLI both collect every one", async () => {
    const refspecs = Array.from({ length: 1200 }, (_, i) => `main:refs/heads/many/b${String(i).padStart(4, "0")}`);
    await gitOk(["push", "-q", `${server.url}/v1/repos/br`, ...refspecs], { cwd: work, env });
    const names: string[] = [];
    for await (const page of paginateListBranches({ client: codecommit(server.url) }, { repositoryName: "br" })) {
      expect(page.branches!.length).toBeLessThanOrEqual(1000);
      names.push(...page.branches!);
    }
    expect(names.filter((n) => n.startsWith("many/"))).toHaveLength(1200);
    expect(new Set(names).size).toBe(names.length);
    const cli = await aws(server.url, ["codecommit", "list-branches", "--repository-name", "br"]);
    expect(cli.json.branches.filter((n: string) => n.startsWith("many/"))).toHaveLength(1200);
  });
});
