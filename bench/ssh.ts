/**
 * Clone, fetch and push of the generated repository over Headwater's SSH, against OpenSSH's own
 * sshd on loopback (Debian's openssh-server, started here on a spare port with its own config
 * and host key, serving plain git-upload-pack/git-receive-pack on a bare copy), and over
 * Headwater's smart HTTP, in the same run. The same OpenSSH client and options for both SSH
 * servers; the cipher is the client's default choice unless a cipher table is asked for.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { CodeCommitClient, CreateRepositoryCommand, DeleteRepositoryCommand } from "@aws-sdk/client-codecommit";
import { IAMClient, UploadSSHPublicKeyCommand } from "@aws-sdk/client-iam";
import { ADMIN, ROOT, startServer } from "../test/helpers/server.js";
import { headwaterUrl } from "./git-transfer.js";
import { du, generateRepo, run } from "./lib/gen-repo.js";
import { median, timeIt } from "./lib/stats.js";

export interface SshBenchResult {
  repo: { commits: number; packedMB: number };
  runs: number;
  /** operation → transport → median seconds */
  seconds: Record<string, Record<string, number>>;
  /** the cipher each SSH server negotiated with the client's defaults */
  negotiated: Record<string, string>;
  /** how the baseline sshd was run */
  sshdNote: string;
  /** cipher → server → median clone seconds (when asked for) */
  ciphers?: Record<string, Record<string, number>>;
}

const SSHD = "/usr/sbin/sshd";

async function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a command and returns its stderr (for ssh -v output). */
function stderrOf(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdin.end("0000");
    child.on("close", () => resolve(err));
  });
}

/** OpenSSH's sshd on a spare loopback port, as the current user, with its own host key and config. */
async function startSshd(dir: string, clientPub: string): Promise<{ port: number; knownHosts: string; note: string; stop(): void }> {
  if (!fs.existsSync(SSHD)) {
    throw new Error(`${SSHD} is missing: install Debian's openssh-server (apt-get install openssh-server) to run this benchmark`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const hostKey = path.join(dir, "ssh_host_ed25519_key");
  if (!fs.existsSync(hostKey)) await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  fs.writeFileSync(path.join(dir, "authorized_keys"), clientPub + "\n", { mode: 0o600 });
  const port = await sparePort();
  const user = os.userInfo().username;
  const config = path.join(dir, "sshd_config");
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      `AllowUsers ${user}`,
      "PrintMotd no",
      "LogLevel QUIET",
      "",
    ].join("\n"),
  );
  let child: ChildProcess;
  let note: string;
  if (process.getuid?.() === 0) {
    // sshd run as root wants its privilege-separation directory. The login shell is the server's
    // business, not OpenSSH's: this machine's root has a bash whose ~/.bashrc (which Debian's bash
    // reads for ssh commands) costs a fifth of a second per connection, where a git hosting user
    // has /bin/sh or git-shell. So sshd runs in a private mount namespace whose /etc/passwd gives
    // root /bin/sh and a clean home, as a dedicated git user would have.
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const passwd = path.join(dir, "passwd");
    const home = path.join(dir, "home");
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(
      passwd,
      fs
        .readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .map((l) => (l.startsWith(`${user}:`) ? [...l.split(":").slice(0, 5), home, "/bin/sh"].join(":") : l))
        .join("\n"),
    );
    const unshared = spawnSync("unshare", ["--mount", "true"]).status === 0;
    if (unshared) {
      child = spawn("unshare", ["--mount", "sh", "-c", `mount --bind ${passwd} /etc/passwd && exec ${SSHD} -D -e -f ${config}`], {
        stdio: ["ignore", "ignore", "inherit"],
      });
      note = "sshd runs as root with /bin/sh as the login shell (a private mount namespace's /etc/passwd)";
    } else {
      child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "inherit"] });
      note = "sshd runs as root with root's own login shell (unshare was not available), which adds its start-up to every connection";
    }
  } else {
    child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "inherit"] });
    note = `sshd runs as ${user} with that user's login shell`;
  }
  await waitForPort(port);
  const knownHosts = path.join(dir, "known_hosts");
  fs.writeFileSync(knownHosts, `[127.0.0.1]:${port} ${fs.readFileSync(hostKey + ".pub", "utf8").split(" ").slice(0, 2).join(" ")}\n`);
  return { port, knownHosts, note, stop: () => child.kill() };
}

export async function benchSsh(
  work: string,
  opts: { commits: number; megabytes: number; runs: number; cipherTable?: boolean },
): Promise<SshBenchResult> {
  const source = path.join(work, "source.git");
  console.error(`generating ${opts.commits} commits, ~${opts.megabytes} MB (cached in ${source}) …`);
  await generateRepo(source, opts.commits, opts.megabytes);
  const packedMB = du(path.join(source, "objects")) / 1024 / 1024;

  const sshWork = path.join(work, "ssh");
  fs.rmSync(sshWork, { recursive: true, force: true });
  fs.mkdirSync(sshWork, { recursive: true });
  const clientKey = path.join(sshWork, "id_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey]);
  const clientPub = fs.readFileSync(clientKey + ".pub", "utf8").trim();

  // OpenSSH's sshd serving a bare copy filled by a real transfer (the same pack layout as Headwater's)
  const sshd = await startSshd(path.join(sshWork, "sshd"), clientPub);
  const root = path.join(sshWork, "openssh-root");
  fs.mkdirSync(root);
  await run("git", ["clone", "-q", "--bare", "--no-local", source, path.join(root, "bench.git")]);

  const server = await startServer({ dataDir: path.join(work, "headwater-ssh-data-" + Date.now()) });
  const sdk = new CodeCommitClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN });
  const iam = new IAMClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN });
  const keyId = (await iam.send(new UploadSSHPublicKeyCommand({ UserName: "admin", SSHPublicKeyBody: clientPub }))).SSHPublicKey!.SSHPublicKeyId!;
  // known_hosts from `headwater host-keys`, as the README tells users to make it
  const hwKnown = path.join(sshWork, "headwater_known_hosts");
  fs.writeFileSync(
    hwKnown,
    execFileSync(process.execPath, [path.join(ROOT, "dist/cli/main.js"), "host-keys", "--data-dir", server.dataDir, "--ssh-port", String(server.sshPort)], {
      encoding: "utf8",
    }),
  );
  await sdk.send(new CreateRepositoryCommand({ repositoryName: "bench" }));
  await run("git", ["--git-dir", source, "push", "-q", headwaterUrl(server, "bench"), "main", "base"]);

  /**
   * The client's options. The key exchange is pinned to curve25519-sha256 for the transfer
   * figures: OpenSSH 9.2 otherwise picks its post-quantum hybrid sntrup761x25519 with its own
   * sshd (about 0.14 s more per connection, client and server together), which ssh2 does not
   * offer; pinned, the figures compare the servers' transfer paths. `defaults` leaves the
   * client's defaults alone (the connection-cost row).
   */
  const sshCommand = (knownHosts: string, opt: { cipher?: string; defaults?: boolean } = {}) =>
    [
      "ssh -F /dev/null",
      `-i ${clientKey}`,
      "-o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes",
      `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`,
      ...(opt.defaults ? [] : ["-o KexAlgorithms=curve25519-sha256"]),
      ...(opt.cipher ? [`-c ${opt.cipher}`] : []),
    ].join(" ");
  const user = os.userInfo().username;
  const transports = (opt: { cipher?: string; defaults?: boolean } = {}) => ({
    "openssh-sshd": {
      url: (repo: string) => `ssh://${user}@127.0.0.1:${sshd.port}${path.join(root, repo)}.git`,
      env: { GIT_SSH_COMMAND: sshCommand(sshd.knownHosts, opt) },
    },
    "headwater-ssh": {
      url: (repo: string) => `ssh://${keyId}@127.0.0.1:${server.sshPort}/v1/repos/${repo}`,
      env: { GIT_SSH_COMMAND: sshCommand(hwKnown, opt) },
    },
    "headwater-http": { url: (repo: string) => headwaterUrl(server, repo), env: {} as Record<string, string> },
  });

  // what each server negotiates with the client's defaults
  const negotiated: Record<string, string> = {};
  for (const [name, t] of Object.entries(transports({ defaults: true }))) {
    if (name === "headwater-http") continue;
    const u = new URL(t.url("bench"));
    const err = await stderrOf("sh", ["-c", `${t.env.GIT_SSH_COMMAND} -v -p ${u.port} ${u.username}@127.0.0.1 "git-upload-pack '${u.pathname}'"`]);
    const kex = /kex: algorithm: (\S+)/.exec(err)?.[1] ?? "?";
    const cipher = /kex: server->client cipher: (\S+)/.exec(err)?.[1] ?? "?";
    negotiated[name] = `${kex}, ${cipher}`;
  }

  const seconds: Record<string, Record<string, number[]>> = { clone: {}, fetch: {}, push: {}, "ls-remote, client defaults": {} };
  const add = (op: string, transport: string, s: number) => ((seconds[op]![transport] ??= []).push(s));
  const tmp = path.join(sshWork, "tmp");
  const fresh = () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
  };
  const cipherSeconds: Record<string, Record<string, number[]>> = {};

  try {
    for (let i = 0; i < opts.runs; i++) {
      // alternate the order between runs, so neither server always goes first
      const entries = Object.entries(transports());
      if (i % 2) entries.reverse();
      for (const [name, t] of entries) {
        fresh();
        add("clone", name, await timeIt(() => run("git", ["clone", "-q", "--bare", t.url("bench"), path.join(tmp, "c.git")], t.env)));
      }
      for (const [name, t] of entries) {
        fresh();
        const dest = path.join(tmp, "f.git");
        await run("git", ["clone", "-q", "--bare", "--single-branch", "--branch", "base", `file://${source}`, dest]);
        add("fetch", name, await timeIt(() => run("git", ["--git-dir", dest, "fetch", "-q", t.url("bench"), "main:refs/heads/main"], t.env)));
      }
      // connection cost: ls-remote with everything at the client's defaults (kex included)
      for (const [name, t] of Object.entries(transports({ defaults: true }))) {
        const one = async () => {
          const xs: number[] = [];
          for (let k = 0; k < 5; k++) xs.push(await timeIt(() => run("git", ["ls-remote", t.url("bench")], t.env)));
          return median(xs);
        };
        add("ls-remote, client defaults", name, await one());
      }
      for (const [name, t] of entries) {
        const repo = `push-${i}`;
        if (name === "openssh-sshd") await run("git", ["init", "-q", "--bare", path.join(root, `${repo}.git`)]);
        else await sdk.send(new CreateRepositoryCommand({ repositoryName: repo }));
        add("push", name, await timeIt(() => run("git", ["--git-dir", source, "push", "-q", t.url(repo), "main"], t.env)));
        if (name === "openssh-sshd") fs.rmSync(path.join(root, `${repo}.git`), { recursive: true, force: true });
        else await sdk.send(new DeleteRepositoryCommand({ repositoryName: repo }));
      }
    }
    if (opts.cipherTable) {
      for (const cipher of ["chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]) {
        for (let i = 0; i < opts.runs; i++) {
          for (const [name, t] of Object.entries(transports({ cipher }))) {
            if (name === "headwater-http") continue;
            fresh();
            const s = await timeIt(() => run("git", ["clone", "-q", "--bare", t.url("bench"), path.join(tmp, "c.git")], t.env));
            ((cipherSeconds[cipher] ??= {})[name] ??= []).push(s);
          }
        }
      }
    }
  } finally {
    sshd.stop();
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(server.dataDir, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
  }
  const med = (m: Record<string, Record<string, number[]>>) => {
    const out: Record<string, Record<string, number>> = {};
    for (const [k, byT] of Object.entries(m)) out[k] = Object.fromEntries(Object.entries(byT).map(([t, xs]) => [t, median(xs)]));
    return out;
  };
  return {
    repo: { commits: opts.commits, packedMB },
    runs: opts.runs,
    seconds: med(seconds),
    negotiated,
    sshdNote: sshd.note,
    ...(opts.cipherTable ? { ciphers: med(cipherSeconds) } : {}),
  };
}
