/**
 * Clone, fetch and push of a generated repository over Headwater's smart HTTP, against git's own
 * transports in the same run: `file://`, and `git http-backend` behind a plain HTTP server.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CodeCommitClient, CreateRepositoryCommand, DeleteRepositoryCommand } from "@aws-sdk/client-codecommit";
import { gitPassword } from "../src/transport/git-auth.js";
import { ADMIN, startServer, type ServerHandle } from "../test/helpers/server.js";
import { du, generateRepo, run } from "./lib/gen-repo.js";
import { median, timeIt } from "./lib/stats.js";

export interface TransferResult {
  repo: { commits: number; packedMB: number };
  runs: number;
  seconds: Record<string, Record<string, number>>;
}

function gitTimestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
}

export function headwaterUrl(server: ServerHandle, repo: string): string {
  const host = new URL(server.url).hostname;
  const pw = gitPassword(ADMIN.secretAccessKey, gitTimestamp(), "us-east-1", host, `/v1/repos/${repo}`);
  return `http://${ADMIN.accessKeyId}:${pw}@${new URL(server.url).host}/v1/repos/${repo}`;
}

async function startHttpBackend(root: string): Promise<{ url: string; stop(): void }> {
  const portFile = path.join(root, ".port");
  fs.rmSync(portFile, { force: true });
  const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "lib/http-backend.ts"), root, portFile], {
    stdio: "inherit",
  });
  while (!fs.existsSync(portFile)) await new Promise((r) => setTimeout(r, 50));
  return { url: `http://127.0.0.1:${fs.readFileSync(portFile, "utf8")}`, stop: () => child.kill() };
}

export async function benchGitTransfer(work: string, opts: { commits: number; megabytes: number; runs: number }): Promise<TransferResult> {
  const source = path.join(work, "source.git");
  console.error(`generating ${opts.commits} commits, ~${opts.megabytes} MB (cached in ${source}) …`);
  await generateRepo(source, opts.commits, opts.megabytes);
  const packedMB = du(path.join(source, "objects")) / 1024 / 1024;

  const server = await startServer({ dataDir: path.join(work, "headwater-data-" + Date.now()) });
  const sdk = new CodeCommitClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN });
  const backendRoot = path.join(work, "backend-root");
  fs.rmSync(backendRoot, { recursive: true, force: true });
  fs.mkdirSync(backendRoot);
  // --no-local: a real transfer, so the copy has the same pack layout as the one pushed to
  // Headwater (a local clone would hard-link the source's pack and bitmap)
  await run("git", ["clone", "-q", "--bare", "--no-local", source, path.join(backendRoot, "bench.git")]);
  await run("git", ["--git-dir", path.join(backendRoot, "bench.git"), "config", "http.receivepack", "true"]);
  const backend = await startHttpBackend(backendRoot);

  await sdk.send(new CreateRepositoryCommand({ repositoryName: "bench" }));
  await run("git", ["--git-dir", source, "push", "-q", headwaterUrl(server, "bench"), "main", "base"]);

  const seconds: Record<string, Record<string, number[]>> = { clone: {}, fetch: {}, push: {} };
  const add = (op: string, transport: string, s: number) => ((seconds[op]![transport] ??= []).push(s));
  const tmp = path.join(work, "tmp");
  const fresh = () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
  };
  const urls = () => ({
    file: `file://${source}`,
    "http-backend": `${backend.url}/bench.git`,
    headwater: headwaterUrl(server, "bench"),
  });

  try {
    for (let i = 0; i < opts.runs; i++) {
      // clone (bare: the transfer, not the checkout)
      for (const [name, url] of Object.entries(urls())) {
        fresh();
        add("clone", name, await timeIt(() => run("git", ["clone", "-q", "--bare", url, path.join(tmp, "c.git")])));
      }
      // fetch the last 200 commits into a clone that has only the first ones
      for (const [name, url] of Object.entries(urls())) {
        fresh();
        const dest = path.join(tmp, "f.git");
        await run("git", ["clone", "-q", "--bare", "--single-branch", "--branch", "base", `file://${source}`, dest]);
        add("fetch", name, await timeIt(() => run("git", ["--git-dir", dest, "fetch", "-q", url, "main:refs/heads/main"])));
      }
      // push everything into an empty repository
      fresh();
      await run("git", ["init", "-q", "--bare", path.join(tmp, "empty.git")]);
      add("push", "file", await timeIt(() => run("git", ["--git-dir", source, "push", "-q", `file://${path.join(tmp, "empty.git")}`, "main"])));
      await run("git", ["init", "-q", "--bare", path.join(backendRoot, `p${i}.git`)]);
      await run("git", ["--git-dir", path.join(backendRoot, `p${i}.git`), "config", "http.receivepack", "true"]);
      add("push", "http-backend", await timeIt(() => run("git", ["--git-dir", source, "push", "-q", `${backend.url}/p${i}.git`, "main"])));
      await sdk.send(new CreateRepositoryCommand({ repositoryName: `push-${i}` }));
      add("push", "headwater", await timeIt(() => run("git", ["--git-dir", source, "push", "-q", headwaterUrl(server, `push-${i}`), "main"])));
      await sdk.send(new DeleteRepositoryCommand({ repositoryName: `push-${i}` }));
      fs.rmSync(path.join(backendRoot, `p${i}.git`), { recursive: true, force: true });
    }
  } finally {
    backend.stop();
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
  const med: Record<string, Record<string, number>> = {};
  for (const [op, byTransport] of Object.entries(seconds)) {
    med[op] = Object.fromEntries(Object.entries(byTransport).map(([t, xs]) => [t, median(xs)]));
  }
  return { repo: { commits: opts.commits, packedMB }, runs: opts.runs, seconds: med };
}
