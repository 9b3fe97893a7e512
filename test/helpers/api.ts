import * as CC from "@aws-sdk/client-codecommit";
import * as IAM from "@aws-sdk/client-iam";
import * as STS from "@aws-sdk/client-sts";
import fs from "node:fs";
import path from "node:path";
import { aws, cliErrorCode, codecommit, type Creds } from "./clients.js";
import { ADMIN, tmpDir } from "./server.js";

/** "cli" is the AWS CLI v2 (Debian's 2.9.19); "cli1" the CLI v1, for operations v2 is too old to know. */
export type ClientKind = "cli" | "cli1" | "sdk";

export interface CallResult {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  out?: any;
  error?: string;
  message?: string;
}

function kebab(op: string): string {
  return op.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

type Service = "codecommit" | "iam" | "sts";

function sdkClient(service: Service, endpoint: string, creds: Creds) {
  const common = { endpoint, region: "us-east-1", credentials: creds, maxAttempts: 1 };
  if (service === "iam") return new IAM.IAMClient(common);
  if (service === "sts") return new STS.STSClient(common);
  return codecommit(endpoint, creds);
}

const MODULES: Record<Service, Record<string, unknown>> = { codecommit: CC, iam: IAM, sts: STS };

/** The CLI's command name for an operation (IAM's SSH ones are spelled ssh-public-key). */
function cliName(op: string): string {
  return kebab(op.replace("SSH", "Ssh"));
}

/**
 * Calls one operation of any served service with either client, the same input for both: the
 * SDK's <Op>Command, or `aws <service> <op> --cli-input-json`. Errors come back as their wire
 * code. Blob members: the SDK takes bytes, the CLI v2 base64 text, the CLI v1 plain text (it
 * base64-encodes strings itself).
 */
export async function callService(
  service: Service,
  endpoint: string,
  client: ClientKind,
  op: string,
  input: Record<string, unknown>,
  creds: Creds = ADMIN,
): Promise<CallResult> {
  if (client === "sdk") {
    const Command = MODULES[service][`${op}Command`] as (new (i: unknown) => unknown) | undefined;
    if (!Command) throw new Error(`no SDK command for ${service} ${op}`);
    try {
      const { $metadata: _, ...out } = (await (sdkClient(service, endpoint, creds) as { send(c: unknown): Promise<unknown> }).send(
        new Command(input),
      )) as Record<string, unknown>;
      return { out };
    } catch (e) {
      const err = e as { name: string; message: string };
      // the SDK names a modeled query error by its class (EntityAlreadyExistsException for the
      // wire code EntityAlreadyExists): back to the wire code, so both clients compare alike
      const code = service === "codecommit" ? err.name : err.name.replace(/Exception$/, "");
      return { error: code, message: err.message };
    }
  }
  // one argument may hold at most 128 KiB on Linux: larger inputs go through a file
  let json = JSON.stringify(input);
  if (json.length > 64 * 1024) {
    const file = path.join(tmpDir("cli-input"), "input.json");
    fs.writeFileSync(file, json);
    json = `file://${file}`;
  }
  const r = await aws(endpoint, [service, cliName(op), "--cli-input-json", json], { creds, version: client === "cli1" ? 1 : 2 });
  if (r.code !== 0) {
    return { error: cliErrorCode(r) ?? `exit ${r.code}: ${r.stderr.trim()}`, message: r.stderr.trim() };
  }
  return { out: r.json ?? {} };
}

/** Calls one CodeCommit operation with either client (see callService). */
export function call(endpoint: string, client: ClientKind, op: string, input: Record<string, unknown>, creds: Creds = ADMIN): Promise<CallResult> {
  return callService("codecommit", endpoint, client, op, input, creds);
}

/** Epoch seconds from either client's rendering of a timestamp. */
export function seconds(v: unknown): number {
  if (v instanceof Date) return v.getTime() / 1000;
  if (typeof v === "number") return v;
  return Date.parse(String(v)) / 1000;
}
