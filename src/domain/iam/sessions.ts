import crypto from "node:crypto";
import { ServiceError, withDenial } from "../../errors.js";
import { iamId, newSecretAccessKey, safeEqual } from "../../secrets/crypto.js";
import type { Caller, Principal } from "../context.js";
import type { AccessControl } from "./access.js";
import type { IamDeps } from "./deps.js";
import type { AccessKeyLookup } from "./identities.js";
import { parsePolicy } from "./policy/index.js";
import { checkPolicyDocument } from "./policy-documents.js";
import { requireRole } from "./roles.js";
import * as v from "./validate.js";

/**
 * STS: temporary credentials (ASIA… keys with a session token) for users (GetSessionToken) and
 * for assumed roles (AssumeRole). The secret is sealed like any secret; the token is kept only
 * as a SHA-256 digest, enough to check it.
 */

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export function tokenDigest(token: string): string {
  return crypto.createHash("sha256").update(token).digest("hex");
}

function duration(input: unknown, min: number, max: number, fallback: number): number {
  if (input === undefined || input === null || input === "") return fallback;
  const n = Number(input);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ServiceError(
      "ValidationError",
      `1 validation error detected: Value '${String(input)}' at 'durationSeconds' failed to satisfy constraint: Member must have value ${n < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`,
    );
  }
  return n;
}

async function issue(
  deps: IamDeps,
  kind: "session" | "assumed-role",
  entityName: string,
  seconds: number,
  sessionName: string | null,
  sessionPolicy: string | null,
): Promise<TemporaryCredentials> {
  const creds: TemporaryCredentials = {
    accessKeyId: iamId("ASIA"),
    secretAccessKey: newSecretAccessKey(),
    // what AWS tokens look like: long base64, with / + = in it
    sessionToken: "IQoJb3JpZ2luX2VjE" + crypto.randomBytes(180).toString("base64"),
    expiration: new Date(Math.floor(Date.now() / 1000 + seconds) * 1000),
  };
  await deps.db
    .insertInto("sts_sessions")
    .values({
      access_key_id: creds.accessKeyId,
      secret_sealed: deps.box.seal(creds.secretAccessKey),
      token_sha256: tokenDigest(creds.sessionToken),
      kind,
      entity_name: entityName,
      session_name: sessionName,
      session_policy: sessionPolicy,
      expires_at: creds.expiration.getTime(),
      created_at: Date.now(),
    })
    .execute();
  return creds;
}

export async function getSessionToken(deps: IamDeps, caller: Principal, durationInput: unknown): Promise<TemporaryCredentials> {
  if (caller.temporary) throw new ServiceError("AccessDenied", "Cannot call GetSessionToken with session credentials", { status: 403 });
  if (caller.kind !== "user" || !caller.userName) {
    throw new ServiceError("AccessDenied", "Only IAM users can call GetSessionToken.", { status: 403 });
  }
  return issue(deps, "session", caller.userName, duration(durationInput, 900, 129600, 43200), null, null);
}

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export interface AssumeRoleResult {
  credentials: TemporaryCredentials;
  assumedRoleArn: string;
  assumedRoleId: string;
  packedPolicySize?: number;
}

/**
 * Issues credentials for a role when the caller may assume it: the role's trust policy must allow
 * the caller (and, as AWS has it, the caller's own policies where the trust policy names only the
 * account). The input is validated first, so a malformed request hears what is malformed.
 */
export async function assumeRole(
  deps: IamDeps,
  access: AccessControl,
  caller: Caller,
  input: { roleArn: unknown; sessionName: unknown; duration?: unknown; policy?: unknown },
): Promise<AssumeRoleResult> {
  const roleArn = v.arn(input.roleArn, "roleArn");
  const sessionName = v.required(input.sessionName, "roleSessionName");
  if (!SESSION_NAME.test(sessionName)) {
    throw new ServiceError(
      "ValidationError",
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
    );
  }
  // the length first (a ValidationError, as the model has it), then the document itself
  const policy = input.policy === undefined || input.policy === "" ? null : v.sessionPolicyDocument(input.policy, "policy");
  // a session policy is checked like any identity policy before it is stored, so a bad one is
  // refused here (MalformedPolicyDocument, with the reason) and never reaches a later request
  if (policy !== null) checkPolicyDocument(policy, "identity");
  const role = await roleByArn(deps, roleArn);
  const trust = { name: "trust policy", policy: parsePolicy(role.trust_policy, { kind: "trust" }) };
  const decision = access.decideWith(await access.policiesOf(caller.principal), caller.principal, { action: "sts:AssumeRole", resource: role.arn }, caller, trust);
  if (decision.decision !== "Allow") {
    throw withDenial(
      new ServiceError("AccessDenied", decision.message ?? `User: ${caller.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${role.arn}`, { status: 403 }),
      { action: "sts:AssumeRole", resource: role.arn, reason: decision.reason ?? "denied" },
    );
  }
  const seconds = duration(input.duration, 900, role.max_session_duration, 3600);
  const credentials = await issue(deps, "assumed-role", role.name, seconds, sessionName, policy);
  return {
    credentials,
    assumedRoleArn: `arn:${deps.partition}:sts::${deps.accountId}:assumed-role/${role.name}/${sessionName}`,
    assumedRoleId: `${role.id}:${sessionName}`,
    packedPolicySize: policy ? Math.min(100, Math.ceil((v.policySize(policy) / 2048) * 100)) : undefined,
  };
}

async function roleByArn(deps: IamDeps, roleArn: string) {
  const m = /^arn:[\w-]+:iam::(\d{12}):role\/(?:[\u0021-\u007E]*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  const refuse = (message: string, reason: string) =>
    withDenial(new ServiceError("AccessDenied", message, { status: 403 }), { action: "sts:AssumeRole", resource: roleArn, reason });
  if (!m || m[1] !== deps.accountId) throw refuse(`Not authorized to assume ${roleArn}.`, "other-account");
  const role = await requireRole(deps, m[2]!).catch(() => {
    throw refuse(`Not authorized to assume ${roleArn}: no such role.`, "no-such-role");
  });
  if (role.arn !== roleArn) throw refuse(`Not authorized to assume ${roleArn}: no such role.`, "no-such-role");
  return role;
}

/**
 * Forgets credentials a day after they expired (until then they are still recognised, so a
 * client that uses them hears "expired" rather than "unknown").
 */
export async function sweepExpired(deps: IamDeps): Promise<void> {
  await deps.db.deleteFrom("sts_sessions").where("expires_at", "<", Date.now() - 86_400_000).execute();
}

/**
 * Why a presented access key (and session token, for temporary credentials) cannot be used, or
 * null when it can: the one rule for the API's SigV4 and for git's SigV4-derived passwords.
 */
export function credentialProblem(key: AccessKeyLookup | null, sessionToken: string | undefined, now: number): "unknownKey" | "badToken" | "expiredToken" | null {
  if (!key || !key.active) return "unknownKey";
  if (key.sessionTokenSha256 !== undefined || sessionToken !== undefined) {
    if (key.sessionTokenSha256 === undefined || sessionToken === undefined || !safeEqual(key.sessionTokenSha256, tokenDigest(sessionToken))) return "badToken";
  }
  if (key.expiresAt !== undefined && key.expiresAt <= now) return "expiredToken";
  return null;
}
