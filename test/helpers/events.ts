import { execFile } from "node:child_process";
import https from "node:https";
import path from "node:path";
import { CreateServiceSpecificCredentialCommand, IAMClient } from "@aws-sdk/client-iam";
import Database from "better-sqlite3";
import { aws, type CliResult } from "./clients.js";
import { ADMIN, ROOT } from "./server.js";

/** SDK options that trust the server's self-signed certificate. */
export function tlsOptions(ca?: string): Record<string, unknown> {
  return ca ? { requestHandler: { httpsAgent: new https.Agent({ ca, keepAlive: true }) } } : {};
}

/** `aws sns …` with the CLI v2 (or v1), trusting the certificate when there is one. */
export function sns(endpoint: string, args: string[], opts: { ca?: string; version?: 1 | 2; creds?: typeof ADMIN } = {}): Promise<CliResult> {
  return aws(endpoint, ["sns", ...args, ...(opts.ca ? ["--ca-bundle", opts.ca] : [])], { version: opts.version, creds: opts.creds });
}

export function cc(endpoint: string, args: string[], opts: { ca?: string } = {}): Promise<CliResult> {
  return aws(endpoint, ["codecommit", ...args, ...(opts.ca ? ["--ca-bundle", opts.ca] : [])]);
}

/** `headwater admin …` against a data directory, as an operator runs it. */
export function admin(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, "dist/cli/main.js"), "admin", ...args, "--data-dir", dataDir], (err, stdout, stderr) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, json });
    });
  });
}

/** A repository URL carrying the administrator's static HTTPS Git credentials (no helper). */
export async function gitUrlWithCredentials(server: { url: string }, ca?: string): Promise<(repo: string, base?: string) => string> {
  const iam = new IAMClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN, maxAttempts: 1, ...tlsOptions(ca) });
  const c = (await iam.send(new CreateServiceSpecificCredentialCommand({ UserName: "admin", ServiceName: "codecommit.amazonaws.com" }))).ServiceSpecificCredential!;
  return (repo, base = server.url) => {
    const u = new URL(base);
    return `${u.protocol}//${encodeURIComponent(c.ServiceUserName!)}:${encodeURIComponent(c.ServicePassword!)}@${u.host}/v1/repos/${repo}`;
  };
}

/** Reads the server's SQLite database (read-only) while it runs. */
export function query<T = Record<string, unknown>>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dataDir, "headwater.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** The outbox's recorded ref changes, oldest first. */
export function refEvents(dataDir: string): Array<{ source: string; actor_arn: string; refs: string; repository_name: string }> {
  return query(dataDir, "select source, actor_arn, refs, repository_name from ref_events order by id");
}

/** The parsed CodeCommit records of a Notification (its Message is the records JSON). */
export function recordsOf(notification: { json?: any }): any[] {
  return JSON.parse(notification.json.Message).Records;
}

export const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
