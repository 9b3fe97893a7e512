import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callService } from "../helpers/api.js";
import { aws, cliErrorCode, git, gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { startPostgres, type Postgres } from "../helpers/postgres.js";
import { raceAndCheck, type RecordedEvent } from "../helpers/push-race.js";
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

describe("two server processes on one PostgreSQL database and one data directory", () => {
  it("both serve the same repositories, and their ref events form one consistent history per branch", async () => {
    const db = "headwater_two";
    pg.createDatabase(db);
    const a = await startServer({ args: ["--database-url", pg.url(db)] });
    const b = await startServer({ dataDir: a.dataDir, args: ["--database-url", pg.url(db)] });
    try {
      expect((await call(a.url, "sdk", "CreateRepository", { repositoryName: "shared" })).error).toBeUndefined();
      const env = gitHome();
      const work = await makeWorkRepo(env);
      const servers = [a, b];
      // main moves by pushes through both processes in turn, while each creates branches at once
      const pushes = 8;
      for (let i = 0; i < pushes; i++) {
        const s = servers[i % 2]!;
        const pushed = i ? (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim() : undefined;
        await gitOk(["commit", "-q", "--allow-empty", "-m", `change ${i}`], { cwd: work, env });
        await Promise.all([
          gitOk(["push", "-q", `${s.url}/v1/repos/shared`, "HEAD:main"], { cwd: work, env }),
          // a branch at the tip already pushed, made through the other process meanwhile
          pushed && call(servers[(i + 1) % 2]!.url, "sdk", "CreateBranch", { repositoryName: "shared", branchName: `side-${i}`, commitId: pushed }).then((r) => expect(r.error).toBeUndefined()),
        ]);
      }
      // each process sees what the other wrote
      expect((await call(b.url, "sdk", "GetRepository", { repositoryName: "shared" })).out.repositoryMetadata.defaultBranch).toBe("main");
      expect((await call(a.url, "sdk", "ListBranches", { repositoryName: "shared" })).out.branches).toHaveLength(pushes);

      const rows = pg.query(db, "select refs from ref_events order by id") as Array<{ refs: string }>;
      const history = new Map<string, Array<{ oldCommit: string; newCommit: string }>>();
      for (const r of rows) for (const c of JSON.parse(r.refs)) history.set(c.ref, [...(history.get(c.ref) ?? []), c]);
      const main = history.get("refs/heads/main")!;
      expect(main).toHaveLength(pushes);
      for (let i = 1; i < main.length; i++) expect(main[i]!.oldCommit).toBe(main[i - 1]!.newCommit); // no step back, none missing
      for (let i = 1; i < pushes; i++) expect(history.get(`refs/heads/side-${i}`)).toHaveLength(1);

      // caches hear the other process's writes: a repository listing, a deactivated key
      const listNames = async (s: ServerHandle) => (await call(s.url, "sdk", "ListRepositories", {})).out.repositories.map((r: { repositoryName: string }) => r.repositoryName);
      expect(await listNames(b)).toEqual(["shared"]);
      expect((await call(a.url, "sdk", "CreateRepository", { repositoryName: "later" })).error).toBeUndefined();
      expect(await eventually(() => listNames(b), (names) => names.includes("later"))).toEqual(["later", "shared"]);
      const creds = await userWith(a.url, "two-process", { managed: [managed("AWSCodeCommitReadOnly")] });
      expect((await aws(b.url, ["codecommit", "list-repositories"], { creds })).code).toBe(0); // b now holds the key in its cache
      await callService("iam", a.url, "sdk", "UpdateAccessKey", { UserName: "two-process", AccessKeyId: creds.accessKeyId, Status: "Inactive" });
      const refused = await eventually(
        () => aws(b.url, ["codecommit", "list-repositories"], { creds }),
        (r) => r.code !== 0,
      );
      expect(cliErrorCode(refused)).toBe("UnrecognizedClientException");
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});

describe("two server processes racing on one repository", () => {
  it("force-pushes over HTTPS and SSH through both while both make API changes: every acknowledged change is its own event", async () => {
    const db = "headwater_race";
    pg.createDatabase(db);
    const a = await startServer({ args: ["--database-url", pg.url(db)] });
    const b = await startServer({ dataDir: a.dataDir, args: ["--database-url", pg.url(db)] });
    try {
      const r = await raceAndCheck({
        servers: [a, b],
        repo: "race",
        httpsPushers: 4,
        sshPushers: 2,
        pushesEach: 4,
        apiWorkers: 4,
        events: () => pg.query(db, "select source, actor_arn, refs from ref_events where repository_name = 'race' order by id") as unknown as RecordedEvent[],
      });
      expect(r.pushes).toBeGreaterThan(5);
      expect(r.apiWrites).toBeGreaterThan(5);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});

/** Polls for up to two seconds: notices between processes take milliseconds, not zero. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const until = Date.now() + 2000;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
