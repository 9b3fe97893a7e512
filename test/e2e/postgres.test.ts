import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callService } from "../helpers/api.js";
import { aws, cliErrorCode, git, gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { startPostgres, type Postgres } from "../helpers/postgres.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

/** The same server on PostgreSQL (`--database-url`): the journeys of the embedded default. */
let pg: Postgres;
let server: ServerHandle;
beforeAll(async () => {
  pg = await startPostgres();
  pg.createDatabase("headwater");
  server = await startServer({ args: ["--database-url", pg.url("headwater")] });
});
afterAll(async () => {
  await server?.stop();
  pg?.stop();
});

describe("on PostgreSQL", () => {
  it("creates and lists repositories (byte order), pushes, changes branches and tags, and restarts", async () => {
    for (const n of ["pg-b", "pg-a", "Pg-c"]) expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: n })).error).toBeUndefined();
    expect((await call(server.url, "cli", "CreateRepository", { repositoryName: "pg-a" })).error).toBe("RepositoryNameExistsException");
    const listed = (await call(server.url, "cli", "ListRepositories", {})).out.repositories.map((r: { repositoryName: string }) => r.repositoryName);
    expect(listed).toEqual(["Pg-c", "pg-a", "pg-b"]); // byte order, as on SQLite
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/pg-a`, "main", "main:dev"], { cwd: work, env });
    expect((await call(server.url, "sdk", "GetRepository", { repositoryName: "pg-a" })).out.repositoryMetadata.defaultBranch).toBe("main");
    expect((await call(server.url, "sdk", "ListBranches", { repositoryName: "pg-a" })).out.branches.sort()).toEqual(["dev", "main"]);
    expect((await call(server.url, "sdk", "DeleteBranch", { repositoryName: "pg-a", branchName: "dev" })).out.deletedBranch.branchName).toBe("dev");
    await call(server.url, "sdk", "TagResource", { resourceArn: "arn:aws:codecommit:us-east-1:000000000000:pg-a", tags: { k: "v" } });
    await server.stop();
    server = await startServer({ dataDir: server.dataDir, args: ["--database-url", pg.url("headwater")] });
    expect((await call(server.url, "sdk", "ListTagsForResource", { resourceArn: "arn:aws:codecommit:us-east-1:000000000000:pg-a" })).out.tags).toEqual({ k: "v" });
    const dir = tmpDir("pgclone");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/pg-a`, dir], { env });
  });

  it("enforces IAM policies", async () => {
    const creds = await userWith(server.url, "pg-reader", { managed: [managed("AWSCodeCommitReadOnly")] });
    expect((await aws(server.url, ["codecommit", "get-repository", "--repository-name", "pg-a"], { creds })).code).toBe(0);
    expect(cliErrorCode(await aws(server.url, ["codecommit", "delete-repository", "--repository-name", "pg-a"], { creds }))).toBe("AccessDeniedException");
    const r = await git(["clone", "-q", `${server.url}/v1/repos/pg-a`, tmpDir("pgr")], { env: gitHome(creds) });
    expect(r.code).toBe(0);
    const p = await callService("iam", server.url, "sdk", "CreatePolicy", {
      PolicyName: "pgp",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:Get*", Resource: "*" }] }),
    });
    expect(p.out.Policy.Arn).toBe("arn:aws:iam::000000000000:policy/pgp");
    expect((await callService("iam", server.url, "cli", "CreatePolicyVersion", { PolicyArn: p.out.Policy.Arn, PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:List*", Resource: "*" }] }), SetAsDefault: true })).out.PolicyVersion.VersionId).toBe("v2");
  });
});
