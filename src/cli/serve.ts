import { startServer } from "../app.js";
import type { Config } from "../config.js";
import { createLogger } from "../log.js";

/** `headwater serve`: starts the server, which runs until SIGTERM or SIGINT. */
export async function serve(cfg: Config): Promise<void> {
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
