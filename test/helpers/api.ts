import * as CC from "@aws-sdk/client-codecommit";
import * as IAM from "@aws-sdk/client-iam";
import * as STS from "@aws-sdk/client-sts";
import { aws, cliErrorCode, codecommit, type Creds } from "./clients.js";
import { ADMIN } from "./server.js";

export type ClientKind = "cli" | "sdk";

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
 * Calls one operation of any served service with either client, the same input for both.
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
  const r = await aws(endpoint, [service, cliName(op), "--cli-input-json", JSON.stringify(input)], { creds });
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
