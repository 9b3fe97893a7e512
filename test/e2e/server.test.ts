import { GetRepositoryCommand, ListRepositoriesCommand } from "@aws-sdk/client-codecommit";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { gitPassword } from "../../src/transport/git-auth.js";
import { aws, codecommit, git, gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { rawRequest } from "../helpers/signed.js";
import { ADMIN, startServer, tmpDir } from "../helpers/server.js";
import { serversPerTest } from "../helpers/servers-per-test.js";

const start = serversPerTest();

function gitTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").slice(0, 15);
}

describe("starting the server", () => {
  it("answers /health with JSON once ready", async () => {
    const s = await start();
    const r = await rawRequest(s.url, { method: "GET", path: "/health" });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ status: "ok", region: "us-east-1", accountId: "000000000000" });
  });

  it("generates the administrator's keys on first start into admin-credentials.json (0600), and keeps them", async () => {
    const dataDir = tmpDir("bootstrap");
    let s = await start({ dataDir, noAdminEnv: true });
    const file = path.join(dataDir, "admin-credentials.json");
    expect(s.logs.join("\n")).toContain(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(creds.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(creds.secretAccessKey).toHaveLength(40);
    const r = await aws(s.url, ["codecommit", "create-repository", "--repository-name", "boot"], { creds });
    expect(r.code).toBe(0);
    await s.stop();
    s = await start({ dataDir, noAdminEnv: true });
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(creds);
    expect((await codecommit(s.url, creds).send(new GetRepositoryCommand({ repositoryName: "boot" }))).repositoryMetadata?.repositoryName).toBe(
      "boot",
    );
    // nothing secret is printed
    expect(s.logs.join("\n")).not.toContain(creds.secretAccessKey);
    // and the secret is not stored in the clear
    expect(fs.readFileSync(path.join(dataDir, "headwater.db")).includes(Buffer.from(creds.secretAccessKey))).toBe(false);
  });

  it("uses exactly the key pair from the environment, replacing a generated one", async () => {
    const dataDir = tmpDir("envkeys");
    await (await start({ dataDir, noAdminEnv: true })).stop();
    const file = path.join(dataDir, "admin-credentials.json");
    const old = JSON.parse(fs.readFileSync(file, "utf8"));
    const s = await start({ dataDir });
    await codecommit(s.url).send(new ListRepositoriesCommand({}));
    await expect(codecommit(s.url, old).send(new ListRepositoriesCommand({}))).rejects.toMatchObject({ name: "UnrecognizedClientException" });
    // the file named a key that no longer works: it is gone, not left to mislead
    expect(fs.existsSync(file)).toBe(false);
    await s.stop();
    // a later start without the environment makes a new pair, and the file it writes works
    const later = await start({ dataDir, noAdminEnv: true });
    expect(later.logs.join("\n")).toContain(file);
    const fresh = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(fresh.accessKeyId).not.toBe(ADMIN.accessKeyId);
    expect((await codecommit(later.url, fresh).send(new ListRepositoriesCommand({}))).repositories).toBeDefined();
    await expect(codecommit(later.url).send(new ListRepositoriesCommand({}))).rejects.toMatchObject({ name: "UnrecognizedClientException" });
  });

  it("takes every flag from HEADWATER_* variables too", async () => {
    const s = await start({ env: { HEADWATER_REGION: "eu-west-1", HEADWATER_ACCOUNT_ID: "123456789012" } });
    const r = await aws(s.url, ["codecommit", "create-repository", "--repository-name", "envs"], { region: "eu-west-1" });
    expect(r.json.repositoryMetadata.Arn).toBe("arn:aws:codecommit:eu-west-1:123456789012:envs");
  });

  it("refuses bad flags with a usage message", async () => {
    await expect(startServer({ args: ["--region", "mars"] })).rejects.toThrow(/--region: a region name such as us-east-1/);
    await expect(startServer({ args: ["--no-such-flag"] })).rejects.toThrow(/unknown flag --no-such-flag/);
  });

  it("serves HTTPS from --tls-cert and --tls-key", async () => {
    const first = await start({ args: ["--tls-self-signed"] });
    const cert = path.join(first.dataDir, "tls", "self-signed.crt");
    const key = path.join(first.dataDir, "tls", "self-signed.key");
    const s = await start({ args: ["--tls-cert", cert, "--tls-key", key] });
    expect(s.url).toMatch(/^https:/);
    const r = await rawRequest(s.url, { method: "GET", path: "/health", ca: fs.readFileSync(cert, "utf8") });
    expect(r.status).toBe(200);
  });

  it("uses --public-url in clone URLs", async () => {
    const s = await start({ args: ["--public-url", "https://git.example.com", "--public-ssh-url", "ssh://git.example.com:2222"] });
    const r = await aws(s.url, ["codecommit", "create-repository", "--repository-name", "pub"]);
    expect(r.json.repositoryMetadata.cloneUrlHttp).toBe("https://git.example.com/v1/repos/pub");
    expect(r.json.repositoryMetadata.cloneUrlSsh).toBe("ssh://git.example.com:2222/v1/repos/pub");
  });
});

describe("git details", () => {
  it("inflates gzip request bodies", async () => {
    const s = await start();
    const env = gitHome();
    await aws(s.url, ["codecommit", "create-repository", "--repository-name", "gz"]);
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${s.url}/v1/repos/gz`, "main"], { cwd: work, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    const pkt = (line: string) => (line.length + 4).toString(16).padStart(4, "0") + line;
    const body = zlib.gzipSync(pkt("command=ls-refs\n") + pkt("agent=test\n") + "0001" + "0000");
    const host = new URL(s.url).host;
    const pw = gitPassword(ADMIN.secretAccessKey, gitTimestamp(Date.now()), "us-east-1", host, "/v1/repos/gz");
    const r = await rawRequest(s.url, {
      path: "/v1/repos/gz/git-upload-pack",
      headers: {
        authorization: "Basic " + Buffer.from(`${ADMIN.accessKeyId}:${pw}`).toString("base64"),
        "content-type": "application/x-git-upload-pack-request",
        "content-encoding": "gzip",
        "git-protocol": "version=2",
      },
      body,
    });
    expect(r.status).toBe(200);
    expect(r.body).toContain(`${tip} refs/heads/main`);
  });

  it("refuses a git password older than 15 minutes", async () => {
    const s = await start();
    await aws(s.url, ["codecommit", "create-repository", "--repository-name", "stale"]);
    const host = new URL(s.url).hostname;
    const env = gitHome(ADMIN, { helper: false });
    const url = (ms: number) =>
      `http://${ADMIN.accessKeyId}:${gitPassword(ADMIN.secretAccessKey, gitTimestamp(ms), "us-east-1", host, "/v1/repos/stale")}@${new URL(s.url).host}/v1/repos/stale`;
    expect((await git(["ls-remote", url(Date.now() - 5 * 60_000)], { env })).code).toBe(0);
    const old = await git(["ls-remote", url(Date.now() - 20 * 60_000)], { env });
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain("remote: The git password has expired");
    // a password signed for another region is still recognised (the region is not sent)
    const other = `http://${ADMIN.accessKeyId}:${gitPassword(ADMIN.secretAccessKey, gitTimestamp(Date.now()), "eu-central-1", host, "/v1/repos/stale")}@${new URL(s.url).host}/v1/repos/stale`;
    expect((await git(["ls-remote", other], { env })).code).toBe(0);
    // but not one signed for another repository's path
    const wrongPath = `http://${ADMIN.accessKeyId}:${gitPassword(ADMIN.secretAccessKey, gitTimestamp(Date.now()), "us-east-1", host, "/v1/repos/other")}@${new URL(s.url).host}/v1/repos/stale`;
    expect((await git(["ls-remote", wrongPath], { env })).code).not.toBe(0);
  });

  it("only serves the smart protocol", async () => {
    const s = await start();
    const r = await rawRequest(s.url, { method: "GET", path: "/v1/repos/x/info/refs" });
    expect(r.status).toBe(403);
  });
});
