/**
 * `npm run bench`: every benchmark, in one run, printed as the markdown bench/RESULTS.md keeps.
 * Options: --quick (a smaller repository, fewer runs), --only=git|ssh|api|logging|content|merges|events|s3,
 * --ssh-ciphers (the SSH section also times clones per cipher).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CodeCommitClient, CreateBranchCommand, CreateRepositoryCommand, GetBranchCommand } from "@aws-sdk/client-codecommit";
import { ADMIN, ROOT, startServer } from "../test/helpers/server.js";
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { benchApi, type ApiResult } from "./api.js";
import { benchContent } from "./content.js";
import { benchHistory } from "./content-history.js";
import { benchEvents } from "./events.js";
import { benchMerges } from "./merges.js";
import { benchRequestLog } from "./request-log.js";
import { benchS3, type S3BenchResult } from "./s3.js";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { benchGitTransfer, headwaterUrl } from "./git-transfer.js";
import { benchSsh } from "./ssh.js";
import { run } from "./lib/gen-repo.js";
import { fmt } from "./lib/stats.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.find((a) => a.startsWith("--only="))?.slice(7);
const work = path.join(ROOT, "bench", ".work");
fs.mkdirSync(work, { recursive: true });
const out: string[] = [];
const say = (s = "") => {
  out.push(s);
  console.log(s);
};

say(`## ${new Date().toISOString().slice(0, 10)}: \`npm run bench${args.length ? " -- " + args.join(" ") : ""}\``);
say();
say(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${(await gitVersion()).trim()}.`);
say();

if (!only || only === "git") {
  const commits = quick ? 2000 : 20000;
  const megabytes = quick ? 10 : 100;
  const runs = quick ? 1 : 3;
  const t = await benchGitTransfer(path.join(work, quick ? "quick" : "full"), { commits, megabytes, runs });
  say(`### Git over HTTP: ${t.repo.commits} commits, ${fmt(t.repo.packedMB, 0)} MB packed (median of ${t.runs})`);
  say();
  say("| operation | file:// | git http-backend | Headwater | Headwater ÷ http-backend | Headwater ÷ file:// |");
  say("|---|---|---|---|---|---|");
  for (const [op, s] of Object.entries(t.seconds)) {
    say(`| ${op} | ${fmt(s.file!)} s | ${fmt(s["http-backend"]!)} s | ${fmt(s.headwater!)} s | **${fmt(s.headwater! / s["http-backend"]!)}×** | ${fmt(s.headwater! / s.file!)}× |`);
  }
  say();
  say("Clone and push of everything; fetch of the last 200 commits into a clone that has the rest. Target: clone within 1.3× of git http-backend.");
  say();
}

if (!only || only === "ssh") {
  const commits = quick ? 2000 : 20000;
  const megabytes = quick ? 10 : 100;
  const runs = quick ? 1 : 3;
  const t = await benchSsh(path.join(work, quick ? "quick" : "full"), { commits, megabytes, runs, cipherTable: args.includes("--ssh-ciphers") });
  say(`### Git over SSH: ${t.repo.commits} commits, ${fmt(t.repo.packedMB, 0)} MB packed (median of ${t.runs})`);
  say();
  say("| operation | OpenSSH sshd | Headwater SSH | Headwater HTTP | Headwater SSH ÷ OpenSSH | Headwater SSH ÷ HTTP |");
  say("|---|---|---|---|---|---|");
  for (const [op, s] of Object.entries(t.seconds)) {
    const o = s["openssh-sshd"]!;
    const h = s["headwater-ssh"]!;
    const w = s["headwater-http"]!;
    say(`| ${op} | ${fmt(o)} s | ${fmt(h)} s | ${fmt(w)} s | **${fmt(h / o)}×** | ${fmt(h / w)}× |`);
  }
  say();
  say(
    "Same OpenSSH client and options for both SSH servers, the key exchange pinned to curve25519-sha256 for clone, fetch and push; " +
      `with the client's defaults OpenSSH sshd negotiates ${t.negotiated["openssh-sshd"]} and Headwater ${t.negotiated["headwater-ssh"]} (the last row, median of 5 ls-remotes per run). ` +
      `Clone (bare) and push of everything; fetch of the last 200 commits into a clone that has the rest; ${t.sshdNote}. Target: within 1.3× of OpenSSH.`,
  );
  say();
  if (t.ciphers) {
    say("| clone with cipher | OpenSSH sshd | Headwater SSH | ratio |");
    say("|---|---|---|---|");
    for (const [cipher, s] of Object.entries(t.ciphers)) {
      say(`| ${cipher} | ${fmt(s["openssh-sshd"]!)} s | ${fmt(s["headwater-ssh"]!)} s | ${fmt(s["headwater-ssh"]! / s["openssh-sshd"]!)}× |`);
    }
    say();
  }
}

if (!only || only === "api") {
  // the log (a line per call) to a file, not through a pipe into this process: see request-log.ts
  const server = await startServer({ logFile: path.join(work, "api-server.log") });
  try {
    const sdk = new CodeCommitClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN });
    for (let i = 0; i < 50; i++) await sdk.send(new CreateRepositoryCommand({ repositoryName: `api-${String(i).padStart(2, "0")}` }));
    // one commit to point a branch at
    const seed = path.join(work, "api-seed");
    fs.rmSync(seed, { recursive: true, force: true });
    await run("git", ["init", "-q", "-b", "main", seed]);
    await run("git", ["-C", seed, "-c", "user.name=b", "-c", "user.email=b@e", "commit", "-q", "--allow-empty", "-m", "seed"]);
    await run("git", ["-C", seed, "push", "-q", headwaterUrl(server, "api-00"), "main"]);
    const main = await sdk.send(new GetBranchCommand({ repositoryName: "api-00", branchName: "main" }));
    await sdk.send(new CreateBranchCommand({ repositoryName: "api-00", branchName: "feature", commitId: main.branch!.commitId! }));

    const seconds = quick ? 5 : 15;
    const results: ApiResult[] = [];
    results.push(await benchApi(server, "GetBranch", { repositoryName: "api-00", branchName: "feature" }, { seconds, connections: 16 }));
    results.push(await benchApi(server, "ListRepositories", {}, { seconds, connections: 16 }));
    say(`### Signed API requests (autocannon, 16 connections, ${seconds} s, client and server on the same machine)`);
    say();
    say("| operation | requests/s | p50 | p99 | errors |");
    say("|---|---|---|---|---|");
    for (const r of results) say(`| ${r.operation} | **${Math.round(r.requestsPerSecond)}** | ${r.p50ms} ms | ${r.p99ms} ms | ${r.errors + r.non2xx} |`);
    say();
    say("ListRepositories returns the account's 50 repositories. Target: at least 2,000 signed requests per second.");
    say();

    // Authorization cost: the same GetBranch as a user with ten attached policies.
    const iam = new IAMClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN });
    await iam.send(new CreateUserCommand({ UserName: "ten-policies" }));
    for (let i = 0; i < 10; i++) {
      const doc = {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: [`codecommit:Get*`, `codecommit:List*`], Resource: `arn:aws:codecommit:us-east-1:000000000000:api-${String(i).padStart(2, "0")}` },
          { Effect: "Deny", Action: "codecommit:DeleteRepository", Resource: "*", Condition: { StringNotEquals: { "aws:username": "nobody" } } },
        ],
      };
      const p = await iam.send(new CreatePolicyCommand({ PolicyName: `p${i}`, PolicyDocument: JSON.stringify(doc) }));
      await iam.send(new AttachUserPolicyCommand({ UserName: "ten-policies", PolicyArn: p.Policy!.Arn }));
    }
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "ten-policies" }))).AccessKey!;
    const user = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    const input = { repositoryName: "api-00", branchName: "feature" };
    const rounds: Array<{ admin: ApiResult; user: ApiResult }> = [];
    for (let i = 0; i < 3; i++) {
      rounds.push({
        admin: await benchApi(server, "GetBranch", input, { seconds: quick ? 3 : 8, connections: 16 }),
        user: await benchApi(server, "GetBranch", input, { seconds: quick ? 3 : 8, connections: 16, creds: user }),
      });
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const adminRps = med(rounds.map((r) => r.admin.requestsPerSecond));
    const userRps = med(rounds.map((r) => r.user.requestsPerSecond));
    say(`### Authorization cost (GetBranch, alternating runs, median of 3)`);
    say();
    say("| caller | requests/s | cost per request vs. administrator |");
    say("|---|---|---|");
    say(`| administrator (AdministratorAccess) | ${Math.round(adminRps)} | 1.00× |`);
    say(`| user with 10 attached customer policies | ${Math.round(userRps)} | **${fmt(adminRps / userRps)}×** |`);
    say();
    say("Target: at most 1.10× (10% more per request).");
    say();
  } finally {
    await server.stop();
  }
}

if (!only || only === "logging") {
  const r = await benchRequestLog(work, { seconds: quick ? 3 : 6, rounds: quick ? 1 : 5 });
  say(`### Request log cost (GetRepository, --log-level info vs. warn, alternating runs, median of ${r.rounds})`);
  say();
  say("| log level | requests/s | p50 | p99 | cost per request vs. warn |");
  say("|---|---|---|---|---|");
  const w = r.warnRun;
  const i = r.infoRun;
  say(`| warn (refusals only) | ${Math.round(w.requestsPerSecond)} | ${w.p50ms} ms | ${w.p99ms} ms | 1.00× |`);
  say(`| info (a line per call) | ${Math.round(i.requestsPerSecond)} | ${i.p50ms} ms | ${i.p99ms} ms | ${fmt(w.requestsPerSecond / i.requestsPerSecond)}× (medians); **${fmt(r.pairedRatio)}×** (median of the rounds' ratios) |`);
  say();
  say(
    `Runs (req/s, round by round): info ${r.info.map((x) => Math.round(x.requestsPerSecond)).join(", ")}; warn ${r.warn.map((x) => Math.round(x.requestsPerSecond)).join(", ")}. ` +
      `${fmt(r.linesPerRequest)} log lines per request at info, ${Math.round(r.bytesPerRequest)} bytes each, written to a file. ` +
      `Errors or non-2xx answers: ${[...r.info, ...r.warn].reduce((n, x) => n + x.errors + x.non2xx, 0)}.`,
  );
  say();
}

if (!only || only === "content") {
  const seconds = quick ? 5 : 15;
  const loadBefore = os.loadavg()[0]!;
  const c = await benchContent(work, { seconds });
  const loadAfter = os.loadavg()[0]!;
  say(`### Content API: GetFile and GetCommit on ${c.files.toLocaleString("en")} files (autocannon, 16 connections, ${seconds} s each)`);
  say();
  say("| operation | load | Headwater req/s | p50 | p99 | git process per request req/s | p50 | p99 | Headwater ÷ per-process |");
  say("|---|---|---|---|---|---|---|---|---|");
  for (const op of ["GetFile", "GetCommit"]) {
    const hw = c.rows.find((r) => r.operation === op && r.target === "Headwater" && r.mode === "max")!;
    const base = c.rows.find((r) => r.operation === op && r.target !== "Headwater")!;
    say(`| ${op} | as fast as possible | **${Math.round(hw.requestsPerSecond)}** | ${hw.p50ms} ms | ${hw.p99ms} ms | ${Math.round(base.requestsPerSecond)} | ${base.p50ms} ms | ${base.p99ms} ms | **${fmt(hw.requestsPerSecond / base.requestsPerSecond, 1)}×** |`);
  }
  for (const op of ["GetFile", "GetCommit"]) {
    const r = c.rows.find((x) => x.operation === op && x.mode === "200/s")!;
    say(`| ${op} | 200 req/s | ${Math.round(r.requestsPerSecond)} | ${r.p50ms} ms | **${r.p99ms} ms** | | | | |`);
  }
  const errors = c.rows.reduce((n, r) => n + r.errors, 0);
  say();
  say(
    `GetFile cycles through ${c.samples} files in as many folders at \`main\` (of ${c.files.toLocaleString("en")} files in 250 folders); GetCommit through ${c.samples} of the repository's ${c.commits} commits. Headwater verifies SigV4 on every request; the per-process baseline (\`bench/lib/git-per-request.ts\`: one \`git cat-file\` per request, no signature check) runs in its own process like Headwater. Errors or non-2xx answers: ${errors}. Load average (1 min) before and after: ${fmt(loadBefore)} / ${fmt(loadAfter)}: the machine is shared, and autocannon runs on it too. Target: at least 5× the per-process baseline, p99 under 20 ms at 200 requests per second.`,
  );
  say();
  const h = await benchHistory(work, { seconds });
  say(`### Content API: ListFileCommitHistory and GetBlobDifferences on ${h.commits.toLocaleString("en")} commits`);
  say();
  say("| operation | load | Headwater | p50 | p99 | git process per request | p50 | p99 | Headwater ÷ per-process |");
  say("|---|---|---|---|---|---|---|---|---|");
  const [hwWalk, baseWalk] = h.newWalks;
  say(`| ListFileCommitHistory, a path not asked before | ${hwWalk!.requests} sequential requests | — | **${hwWalk!.p50ms} ms** | ${hwWalk!.p99ms} ms | — | ${baseWalk!.p50ms} ms | ${baseWalk!.p99ms} ms | **${fmt(baseWalk!.p50ms / hwWalk!.p50ms, 1)}×** faster (p50) |`);
  for (const op of ["ListFileCommitHistory", "GetBlobDifferences"]) {
    const hw = h.rows.find((r) => r.operation === op && r.target === "Headwater")!;
    const base = h.rows.find((r) => r.operation === op && r.target !== "Headwater")!;
    const what = op === "ListFileCommitHistory" ? "ListFileCommitHistory, 20 paths again (cached walks)" : "GetBlobDifferences, 20 pairs of versions";
    say(`| ${what} | as fast as possible, ${hw.connections} connections | **${Math.round(hw.requestsPerSecond)} req/s** | ${hw.p50ms} ms | ${hw.p99ms} ms | ${Math.round(base.requestsPerSecond)} req/s | ${base.p50ms} ms | ${base.p99ms} ms | **${fmt(hw.requestsPerSecond / base.requestsPerSecond, 1)}×** |`);
  }
  const historyErrors = h.rows.reduce((n, r) => n + r.errors, 0) + h.newWalks.reduce((n, r) => n + r.errors, 0);
  say();
  say(
    `Each of the 500 files has 40 versions among the ${h.commits.toLocaleString("en")} commits. A new walk is \`git rev-list --topo-order --parents -- PATH\`, run by Headwater over the commit-graph with changed-path Bloom filters it writes in the background (the very first walk, before that graph existed, took ${h.firstWalkMs} ms; the graph was there ${h.graphReadyMs} ms later), and by the baseline on a repository without one. Repeated requests, and the later pages of a history, are answered from Headwater's cached walks without a process. GetBlobDifferences compares the blobs in Headwater's process (jsdiff). Errors or non-2xx answers: ${historyErrors}.`,
  );

}

if (!only || only === "merges") {
  const m = await benchMerges(work, { runs: quick ? 3 : 5, seconds: quick ? 5 : 15 });
  const s = m.seconds;
  say(`### Merges: ${m.commits.toLocaleString("en")} commits, ${m.files.toLocaleString("en")} files, branches differing by 100 files (median of ${m.runs})`);
  say();
  say("| operation | Headwater | checkout + git merge, cold | ratio | checkout + git merge, warm work tree | ratio |");
  say("|---|---|---|---|---|---|");
  say(`| MergeBranchesByThreeWay (clean) | ${fmt(s.mergeThreeWay)} s | ${fmt(s.coldCheckoutMerge)} s | **${fmt(s.coldCheckoutMerge / s.mergeThreeWay, 1)}× faster** | ${fmt(s.warmCheckoutMerge)} s | **${fmt(s.warmCheckoutMerge / s.mergeThreeWay, 1)}× faster** |`);
  say(`| GetMergeConflicts (THREE_WAY_MERGE) | ${fmt(s.getMergeConflicts)} s | | ${fmt(s.coldCheckoutMerge / s.getMergeConflicts, 1)}× | | ${fmt(s.warmCheckoutMerge / s.getMergeConflicts, 1)}× |`);
  say();
  say("| GetPullRequest, 16 connections | req/s | p50 | p99 |");
  say("|---|---|---|---|");
  for (const r of m.getPullRequest) say(`| ${r.mode === "max" ? "as fast as possible" : r.mode} | ${Math.round(r.requestsPerSecond)} | ${r.p50ms} ms | **${r.p99ms} ms** |`);
  say();
  say("Cold: a clone with no checkout, so the checkout writes every file (a bot merging for you); warm: a work tree already at main. Targets: a clean merge at least 5× faster than checkout + git merge; GetPullRequest p99 under 20 ms.");
  say();
}

if (!only || only === "events") {
  const r = await benchEvents({ pushes: quick ? 30 : 100, events: 1000, subscribers: 10 });
  const ms = (x: number) => `${Math.round(x)} ms`;
  say(`### Events: push → notification (${r.pushes} sequential pushes, one HTTP subscriber on loopback)`);
  say();
  say("| from | to | p50 | p99 | max |");
  say("|---|---|---|---|---|");
  say(`| event recorded (its eventTime) | notification received | **${ms(r.eventToNotification.p50)}** | **${ms(r.eventToNotification.p99)}** | ${ms(r.eventToNotification.max)} |`);
  say(`| \`git push\` acknowledged (git exited) | notification received | ${ms(r.ackToNotification.p50)} | ${ms(r.ackToNotification.p99)} | ${ms(r.ackToNotification.max)} |`);
  say(`| \`git push\` started | notification received | ${ms(r.pushToNotification.p50)} | ${ms(r.pushToNotification.p99)} | ${ms(r.pushToNotification.max)} |`);
  say();
  say(`A push itself takes ${fmt(r.pushSeconds.p50 * 1000, 0)} ms (p50). Each notification is a signed SNS message (SHA1withRSA) POSTed to the subscriber; the trigger's event is fanned out from the ref_events outbox. Target: p99 under 250 ms.`);
  say();
  const f = r.fanout;
  say(`### Events: fan-out of ${f.events} events to ${f.subscribers} subscribers (${f.events * f.subscribers} signed deliveries)`);
  say();
  say("| run | seconds | deliveries/s |");
  say("|---|---|---|");
  say(`| live: ${f.events} CreateBranch calls (8 at a time) while delivering, first call → last delivery | **${fmt(f.live.seconds)} s** | ${Math.round(f.live.deliveriesPerSecond)} |`);
  say(`| backlog: ${f.events} events recorded by a server without delivery workers, server start → last delivery | **${fmt(f.backlog.seconds)} s** | ${Math.round(f.backlog.deliveriesPerSecond)} |`);
  say(`| ${f.events} SNS Publish calls to the same topic (8 at a time), first call → last delivery | **${fmt(f.publish.seconds)} s** | ${Math.round(f.publish.deliveriesPerSecond)} |`);
  say();
  say(`The CreateBranch calls alone took ${fmt(f.live.callSeconds)} s (each moves a ref with git under the repository's lock), the Publish calls ${fmt(f.publish.callSeconds)} s. Subscribers, API client and server share the machine's two cores. Target: within 10 s.`);
  say();
}

if (!only || only === "s3") {
  const local = await benchS3(path.join(work, "s3"), { megabytes: quick ? 100 : 1024, smallObjects: quick ? 1000 : 10000, runs: quick ? 1 : 3 });
  sayS3(local, "bytes on local disk (the default)");
  // the same requests to a server whose bytes go to a second Headwater acting as S3
  const backend = await startServer({ dataDir: path.join(work, "s3-backend-store"), logFile: path.join(work, "s3-backend-store.log") });
  try {
    const admin = new S3Client({ endpoint: backend.url, region: "us-east-1", credentials: ADMIN, forcePathStyle: true });
    await admin.send(new CreateBucketCommand({ Bucket: "headwater-bytes" }));
    admin.destroy();
    const viaS3 = await benchS3(path.join(work, "s3-front"), {
      megabytes: quick ? 100 : 1024,
      smallObjects: quick ? 200 : 2000,
      runs: 1,
      serverArgs: ["--object-store", "s3://headwater-bytes/objects", "--object-store-endpoint", backend.url],
      serverEnv: { AWS_ACCESS_KEY_ID: ADMIN.accessKeyId, AWS_SECRET_ACCESS_KEY: ADMIN.secretAccessKey, AWS_REGION: "us-east-1" },
    });
    sayS3(viaS3, "bytes in S3 (`--object-store`, a second Headwater on the same machine as the S3)");
  } finally {
    await backend.stop();
  }
}

function sayS3(r: S3BenchResult, store: string): void {
  const mb = r.megabytes;
  const mib = (b: number) => `${fmt(b / 2 ** 20, 0)} MiB`;
  const rate = (s: number) => `${fmt(mb / s, 0)} MiB/s`;
  say(`### Buckets (S3), ${store}: one ${mb} MiB object, and ${r.smallObjects} objects of 1 to 4 KiB (${mib(r.smallBytes)}) (median of ${r.runs})`);
  say();
  say("| operation | cp | cp + sync | Headwater | Headwater ÷ cp + sync (throughput) | Headwater ÷ cp | server peak RSS |");
  say("|---|---|---|---|---|---|---|");
  say(`| PUT ${mb} MiB (curl -T) | ${fmt(r.large.cp)} s (${rate(r.large.cp)}) | ${fmt(r.large.cpSync)} s (${rate(r.large.cpSync)}) | ${fmt(r.large.put)} s (${rate(r.large.put)}) | **${fmt((100 * r.large.cpSync) / r.large.put, 0)}%** | ${fmt((100 * r.large.cp) / r.large.put, 0)}% | ${mib(r.peakRss.largePut)} |`);
  say(`| GET ${mb} MiB (curl -o) | ${fmt(r.large.cp)} s | ${fmt(r.large.cpSync)} s | ${fmt(r.large.get)} s (${rate(r.large.get)}) | **${fmt((100 * r.large.cpSync) / r.large.get, 0)}%** | ${fmt((100 * r.large.cp) / r.large.get, 0)}% | ${mib(r.peakRss.largeGet)} |`);
  say(`| bare Node server: PUT with MD5 + fsync | | | ${fmt(r.large.barePut)} s (${rate(r.large.barePut)}) | ${fmt((100 * r.large.cpSync) / r.large.barePut, 0)}% | | |`);
  say(`| bare Node server: PUT without MD5 | | | ${fmt(r.large.barePutNoMd5)} s (${rate(r.large.barePutNoMd5)}) | ${fmt((100 * r.large.cpSync) / r.large.barePutNoMd5, 0)}% | | |`);
  say(`| bare Node server: GET | | | ${fmt(r.large.bareGet)} s (${rate(r.large.bareGet)}) | ${fmt((100 * r.large.cpSync) / r.large.bareGet, 0)}% | | |`);
  say(`| PUT ${r.smallObjects} small (SDK, 16 in flight) | ${fmt(r.small.cp)} s (cp -r) | ${fmt(r.small.cpSync)} s | ${fmt(r.small.put)} s (${fmt(r.smallObjects / r.small.put, 0)}/s) | ${fmt((100 * r.small.cpSync) / r.small.put, 0)}% | ${fmt((100 * r.small.cp) / r.small.put, 0)}% | ${mib(r.peakRss.small)} |`);
  say(`| GET ${r.smallObjects} small | | | ${fmt(r.small.get)} s (${fmt(r.smallObjects / r.small.get, 0)}/s) | ${fmt((100 * r.small.cpSync) / r.small.get, 0)}% | ${fmt((100 * r.small.cp) / r.small.get, 0)}% | (with PUT) |`);
  say();
  say(`Server RSS at start ${mib(r.startRss)}. Every PUT is durable when acknowledged (bytes and directory fsynced, the version row committed); \`cp + sync\` is cp followed by a sync of what it wrote, the fair limit for that. Targets: large-object PUT and GET at least 70% of cp's throughput; server RSS under 150 MB throughout.`);
  say();
}

fs.writeFileSync(path.join(work, "last-run.md"), out.join("\n") + "\n");
console.error(`\n(written to ${path.join(work, "last-run.md")}; copy it into bench/RESULTS.md)`);

async function gitVersion(): Promise<string> {
  const { execFileSync } = await import("node:child_process");
  return execFileSync("git", ["--version"], { encoding: "utf8" });
}
