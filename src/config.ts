import path from "node:path";
import { z } from "zod";

/**
 * One typed configuration. Precedence: command-line flags, then HEADWATER_* environment
 * variables, then defaults. Every flag `--some-flag` has the variable `HEADWATER_SOME_FLAG`.
 */
const schema = z.object({
  dataDir: z.string().min(1).default("./.headwater"),
  host: z.string().min(1).default("127.0.0.1"),
  httpPort: z.coerce.number().int().min(0).max(65535).default(4720),
  sshPort: z.coerce.number().int().min(0).max(65535).default(4722),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "a region name such as us-east-1").default("us-east-1"),
  accountId: z.string().regex(/^\d{12}$/, "12 digits").default("000000000000"),
  publicUrl: z.string().url().optional(),
  publicSshUrl: z.string().optional(),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  tlsSelfSigned: z.coerce.boolean().default(false),
  databaseUrl: z.string().optional(),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  repositoryLimit: z.coerce.number().int().min(1).default(1000),
  gitTimeoutSeconds: z.coerce.number().int().min(1).default(3600),
  stopTimeoutSeconds: z.coerce.number().min(0).default(60),
  sshMaxConnections: z.coerce.number().int().min(1).default(200),
  sshMaxChannels: z.coerce.number().int().min(1).default(10),
  sshMaxUnauthenticated: z.coerce.number().int().min(1).default(100),
  sshMaxUnauthenticatedPerSource: z.coerce.number().int().min(1).default(20),
  sshAuthTimeoutSeconds: z.coerce.number().positive().default(30),
  sshIdleTimeoutSeconds: z.coerce.number().positive().default(300),
  deliveryWorkers: z.coerce.boolean().default(true),
  deliveryTimeoutSeconds: z.coerce.number().min(0.01).max(900).default(15),
  deliveryDelayScale: z.coerce.number().min(0).max(100).default(1),
  deliveryConcurrency: z.coerce.number().int().min(1).max(1024).default(32),
  deliveryRetentionDays: z.coerce.number().min(0).default(7),
  bucketLifecycleIntervalSeconds: z.coerce.number().min(0.01).default(3600),
  bucketLifecycleDayMs: z.coerce.number().int().min(1).default(86_400_000),
  objectStore: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, "an address such as s3://my-bucket/headwater").optional(),
  objectStoreEndpoint: z.string().url().optional(),
  objectStoreGraceSeconds: z.coerce.number().min(0).default(86400),
});

export type Config = z.infer<typeof schema> & {
  /** Absolute data directory. */
  dataDir: string;
};

export interface FlagSpec {
  key: keyof z.infer<typeof schema>;
  flag: string;
  boolean?: boolean;
  /** what the value is, in usage texts (a flag without one is a boolean) */
  value?: string;
  help: string;
}

export const FLAGS: FlagSpec[] = [
  { key: "dataDir", flag: "data-dir", value: "DIR", help: "where the database, repositories and keys live (default ./.headwater)" },
  { key: "host", flag: "host", value: "HOST", help: "address to listen on (default 127.0.0.1)" },
  { key: "httpPort", flag: "http-port", value: "PORT", help: "HTTP(S) port for the AWS API and Git (default 4720)" },
  { key: "sshPort", flag: "ssh-port", value: "PORT", help: "SSH port for Git (default 4722)" },
  { key: "region", flag: "region", value: "REGION", help: "AWS region the server answers as (default us-east-1)" },
  { key: "accountId", flag: "account-id", value: "ID", help: "12-digit account ID in ARNs (default 000000000000)" },
  { key: "publicUrl", flag: "public-url", value: "URL", help: "base URL used in cloneUrlHttp (default: the listener's own URL)" },
  { key: "publicSshUrl", flag: "public-ssh-url", value: "URL", help: "base URL used in cloneUrlSsh, e.g. ssh://git.example.com:22" },
  { key: "tlsCert", flag: "tls-cert", value: "FILE", help: "PEM certificate file: serve HTTPS" },
  { key: "tlsKey", flag: "tls-key", value: "FILE", help: "PEM private key file for --tls-cert" },
  { key: "tlsSelfSigned", flag: "tls-self-signed", boolean: true, help: "serve HTTPS with a certificate generated on first start" },
  { key: "databaseUrl", flag: "database-url", value: "URL", help: "postgres://… to use PostgreSQL (default: SQLite in the data dir)" },
  { key: "logLevel", flag: "log-level", value: "LEVEL", help: "fatal, error, warn, info, debug, trace or silent (default info)" },
  { key: "repositoryLimit", flag: "repository-limit", value: "N", help: "repositories per account, as CodeCommit's quota (default 1000)" },
  { key: "gitTimeoutSeconds", flag: "git-timeout-seconds", value: "SECONDS", help: "longest a single git transfer may run (default 3600)" },
  {
    key: "stopTimeoutSeconds",
    flag: "stop-timeout-seconds",
    value: "SECONDS",
    help: "on SIGTERM/SIGINT, longest to wait for git transfers under way before cutting them (default 60)",
  },
  { key: "sshMaxConnections", flag: "ssh-max-connections", value: "N", help: "SSH connections open at once; more are refused (default 200)" },
  { key: "sshMaxChannels", flag: "ssh-max-channels", value: "N", help: "SSH sessions open at once on one connection (default 10)" },
  {
    key: "sshMaxUnauthenticated",
    flag: "ssh-max-unauthenticated",
    value: "N",
    help: "SSH connections not yet authenticated, at once; more are refused (default 100)",
  },
  {
    key: "sshMaxUnauthenticatedPerSource",
    flag: "ssh-max-unauthenticated-per-source",
    value: "N",
    help: "SSH connections not yet authenticated from one address, at once (default 20)",
  },
  {
    key: "sshAuthTimeoutSeconds",
    flag: "ssh-auth-timeout-seconds",
    value: "SECONDS",
    help: "SSH connections not authenticated by then are dropped (default 30)",
  },
  {
    key: "sshIdleTimeoutSeconds",
    flag: "ssh-idle-timeout-seconds",
    value: "SECONDS",
    help: "SSH connections with no git data moving for this long are closed (default 300)",
  },
  { key: "deliveryWorkers", flag: "delivery-workers", boolean: true, help: "deliver events and SNS messages from this process (default true)" },
  { key: "deliveryTimeoutSeconds", flag: "delivery-timeout-seconds", value: "SECONDS", help: "deadline of one delivery attempt, as SNS's (default 15)" },
  { key: "deliveryDelayScale", flag: "delivery-delay-scale", value: "FACTOR", help: "multiplies every retry delay of the delivery policies (default 1)" },
  { key: "deliveryConcurrency", flag: "delivery-concurrency", value: "N", help: "most endpoints delivered to at once (default 32)" },
  { key: "deliveryRetentionDays", flag: "delivery-retention-days", value: "DAYS", help: "days delivered messages stay in the delivery log (default 7)" },
  {
    key: "bucketLifecycleIntervalSeconds",
    flag: "bucket-lifecycle-interval-seconds",
    value: "SECONDS",
    help: "how often bucket lifecycle rules are applied (default 3600)",
  },
  {
    key: "bucketLifecycleDayMs",
    flag: "bucket-lifecycle-day-ms",
    value: "MS",
    help: "the length of a lifecycle rule's day, for tests (default 86400000; the rules' midnights are multiples of it)",
  },
  {
    key: "objectStore",
    flag: "object-store",
    value: "URL",
    help: "s3://BUCKET/PREFIX: keep object bytes in that S3 bucket, keys from the AWS environment or profile (default: files in the data dir)",
  },
  { key: "objectStoreEndpoint", flag: "object-store-endpoint", value: "URL", help: "the S3-compatible endpoint for --object-store, path-style (default: AWS's)" },
  {
    key: "objectStoreGraceSeconds",
    flag: "object-store-grace-seconds",
    value: "SECONDS",
    help: "with --object-store, bytes and uploads no object names are swept at start once this old (default 86400)",
  },
];

export class ConfigError extends Error {}

function envName(flag: string): string {
  return "HEADWATER_" + flag.toUpperCase().replace(/-/g, "_");
}

function parseBool(v: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`expected true or false, got "${v}"`);
}

/** Reads flags (`--name value`, `--name=value`, bare `--bool-flag`) over the environment. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const spec of FLAGS) {
    const v = env[envName(spec.flag)];
    if (v !== undefined && v !== "") raw[spec.key] = spec.boolean ? parseBool(v) : v;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = FLAGS.find((f) => f.flag === name);
    if (!spec) throw new ConfigError(`unknown flag --${name}`);
    if (spec.boolean) {
      raw[spec.key] = inline === undefined ? true : parseBool(inline);
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new ConfigError(`--${name} needs a value`);
      raw[spec.key] = value;
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const spec = FLAGS.find((f) => f.key === issue.path[0]);
    throw new ConfigError(`--${spec?.flag ?? String(issue.path[0])}: ${issue.message}`);
  }
  const cfg = parsed.data;
  if ((cfg.tlsCert === undefined) !== (cfg.tlsKey === undefined)) {
    throw new ConfigError("--tls-cert and --tls-key go together");
  }
  if (cfg.tlsCert && cfg.tlsSelfSigned) throw new ConfigError("choose --tls-cert/--tls-key or --tls-self-signed, not both");
  if (cfg.objectStoreEndpoint !== undefined && cfg.objectStore === undefined) throw new ConfigError("--object-store-endpoint needs --object-store");
  if (cfg.objectStoreEndpoint !== undefined) {
    const u = new URL(cfg.objectStoreEndpoint);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new ConfigError("--object-store-endpoint: an http:// or https:// URL");
    // the URL is logged and shown in errors: credentials come from the AWS environment, never from it
    if (u.username || u.password) throw new ConfigError("--object-store-endpoint: no credentials in the URL (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
  }
  return { ...cfg, dataDir: path.resolve(cfg.dataDir) };
}

export function usesTls(cfg: Config): boolean {
  return Boolean(cfg.tlsCert || cfg.tlsSelfSigned);
}
