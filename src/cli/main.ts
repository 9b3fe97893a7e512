#!/usr/bin/env node
import { ConfigError, FLAGS, loadConfig } from "../config.js";
import { createLogger } from "../log.js";
import { VERSION, startServer } from "../app.js";
import { hostKeysCommand } from "./host-keys.js";
import { ADMIN_USAGE, AdminError, runAdmin } from "./admin.js";

const USAGE = `headwater ${VERSION}: a self-hosted Git service that speaks AWS CodeCommit's language

Usage:
  headwater serve [flags]     start the server
  headwater host-keys [flags] print the SSH host keys' fingerprints and known_hosts lines
                              (for the --host and --ssh-port, or --public-ssh-url, given)
  headwater admin COMMAND     administration (below)
  headwater --version

Flags (each also as an environment variable HEADWATER_<FLAG>, e.g. HEADWATER_DATA_DIR):
${FLAGS.map((f) => `  --${f.flag.padEnd(Math.max(...FLAGS.map((x) => x.flag.length)) + 1)} ${f.help}`).join("\n")}

Bootstrap administrator: set HEADWATER_ADMIN_ACCESS_KEY_ID and HEADWATER_ADMIN_SECRET_ACCESS_KEY
to choose its key pair; otherwise one is generated on first start into
<data-dir>/admin-credentials.json.

${ADMIN_USAGE}`;

async function serve(argv: string[]): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`headwater: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(cfg.logLevel);
  const server = await startServer(cfg, log);
  log.info(
    {
      url: server.httpUrl,
      dataDir: cfg.dataDir,
      region: cfg.region,
      accountId: cfg.accountId,
      adminAccessKeyId: server.adminAccessKeyId,
      ...(server.tlsFingerprint ? { tlsSha256: server.tlsFingerprint } : {}),
      sshPort: server.sshPort,
      sshHostKeys: server.sshHostKeys,
    },
    "headwater is ready",
  );
  if (server.adminCredentialsFile) {
    process.stderr.write(`Administrator credentials: ${server.adminCredentialsFile}\n`);
  }
  let signalled = false;
  const onSignal = (sig: string) => {
    if (signalled) {
      log.warn({ signal: sig }, "second signal: exiting now");
      process.exit(1);
    }
    signalled = true;
    server.stop().then(
      () => process.exit(0),
      (e) => {
        log.error({ err: e }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case "serve":
      return serve(rest);
    case "host-keys":
      process.exitCode = hostKeysCommand(rest);
      return;
    case "admin":
      try {
        process.stdout.write(JSON.stringify(await runAdmin(rest), null, 2) + "\n");
      } catch (e) {
        if (e instanceof AdminError || e instanceof ConfigError) {
          process.stderr.write(`headwater admin: ${e.message}\n\n${ADMIN_USAGE}`);
          process.exit(2);
        }
        throw e;
      }
      return;
    case "--version":
    case "version":
      process.stdout.write(`${VERSION}\n`);
      return;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`headwater: unknown command "${cmd}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main().catch((e) => {
  process.stderr.write(`headwater: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
