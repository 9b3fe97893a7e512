import type { Config } from "../config.js";
import { hostKeyDir, knownHostsLine, readHostKeys } from "../transport/ssh-host-keys.js";

/**
 * `headwater host-keys [--data-dir DIR] [--ssh-port PORT | --public-ssh-url URL] [--host HOST]`:
 * the SSH host keys' fingerprints (as comments) and known_hosts lines for the host and port
 * clients use, so the output can be compared with what ssh shows, or appended to known_hosts.
 */
export function hostKeysCommand(cfg: Config): number {
  const keys = readHostKeys(cfg.dataDir);
  if (!keys) {
    process.stderr.write(
      `headwater host-keys: no SSH host keys in ${hostKeyDir(cfg.dataDir)}; \`headwater serve --data-dir ${cfg.dataDir}\` makes them on its first start\n`,
    );
    return 1;
  }
  let host: string;
  let port: number;
  if (cfg.publicSshUrl) {
    const u = new URL(cfg.publicSshUrl.includes("://") ? cfg.publicSshUrl : `ssh://${cfg.publicSshUrl}`);
    host = u.hostname;
    port = u.port ? Number(u.port) : 22;
  } else {
    host = cfg.host === "0.0.0.0" || cfg.host === "::" ? "localhost" : cfg.host;
    port = cfg.sshPort;
  }
  const out = [`# Headwater SSH host keys (${hostKeyDir(cfg.dataDir)})`];
  for (const k of keys) out.push(`# ${k.fingerprint} (${k.type})`);
  for (const k of keys) out.push(knownHostsLine(host, port, k));
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}
