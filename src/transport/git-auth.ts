import crypto from "node:crypto";
import type { CredentialLookup } from "../aws/auth.js";
import { SKEW_MS, sha256Hex, signingKey } from "../aws/sigv4.js";
import type { Principal } from "../domain/context.js";
import { credentialProblem } from "../domain/iam/sessions.js";
import { safeEqual } from "../secrets/crypto.js";

/**
 * CodeCommit's Git authentication over HTTP Basic. The password is either SigV4-derived
 * (`YYYYMMDDTHHMMSSZ<hex signature>`, made by `aws codecommit credential-helper` or by
 * git-remote-codecommit) with the access key ID (and `%token`) as the user name, or a static
 * HTTPS Git credential.
 */

export class GitAuthError extends Error {
  constructor(
    /** 401 asks git to run its credential helper; 403 tells it the credentials were refused */
    readonly status: 401 | 403,
    message: string,
    /** for the server's log: noCredentials, badSignature, unknownKey, expiredToken, … */
    readonly reason: string,
  ) {
    super(message);
  }
}

/** Regions git-remote-codecommit and the credential helper may have signed for. */
export const CODECOMMIT_REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
  "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "ap-northeast-1", "ap-northeast-2",
  "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-south-1", "ap-south-2", "ap-east-1",
  "sa-east-1", "me-south-1", "me-central-1", "af-south-1", "il-central-1", "cn-north-1", "cn-northwest-1",
  "us-gov-west-1", "us-gov-east-1",
];

export function parseBasic(header: string | undefined): { username: string; password: string } | null {
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The repository path the client signed: the URL path without the smart-HTTP suffix. */
export function signedGitPath(urlPath: string): string {
  return urlPath.replace(/\/(info\/refs|git-upload-pack|git-receive-pack)$/, "").replace(/\/+$/, "");
}

function parseGitTimestamp(ts: string): number {
  return Date.UTC(+ts.slice(0, 4), +ts.slice(4, 6) - 1, +ts.slice(6, 8), +ts.slice(9, 11), +ts.slice(11, 13), +ts.slice(13, 15));
}

/** The SigV4 git password for a path and host, as the credential helper computes it. */
export function gitPassword(secret: string, timestamp: string, region: string, host: string, path: string): string {
  const canonical = `GIT\n${path}\n\nhost:${host}\n\nhost\n`;
  const date = timestamp.slice(0, 8);
  const sts = `AWS4-HMAC-SHA256\n${timestamp}\n${date}/${region}/codecommit/aws4_request\n${sha256Hex(canonical)}`;
  const sig = crypto.createHmac("sha256", signingKey(secret, date, region, "codecommit")).update(sts).digest("hex");
  return `${timestamp}Z${sig}`;
}

export interface GitAuthOptions {
  lookup: CredentialLookup;
  /** the server's region, tried first */
  region: string;
}

/**
 * Verifies a SigV4-derived git password. `hosts` are the host names the client may have signed
 * (with and without port); the region is not transmitted, so every CodeCommit region is tried,
 * the server's own first.
 */
export async function verifySigV4GitPassword(
  opts: GitAuthOptions,
  username: string,
  password: string,
  hosts: string[],
  path: string,
  now = Date.now(),
): Promise<Principal> {
  const m = /^(\d{8}T\d{6})Z([0-9a-f]{64})$/.exec(password);
  if (!m) throw new GitAuthError(403, "The password is not a SigV4 git password.", "notSigV4Password");
  const timestamp = m[1]!;
  const pct = username.indexOf("%");
  const accessKeyId = pct < 0 ? username : username.slice(0, pct);
  const token = pct < 0 ? undefined : username.slice(pct + 1);
  const key = await opts.lookup(accessKeyId);
  const problem = credentialProblem(key, token, now);
  if (problem === "badToken") throw new GitAuthError(403, "The session token is not valid for this access key.", problem);
  if (problem === "expiredToken") throw new GitAuthError(403, "The temporary credentials have expired.", problem);
  if (problem || !key) throw new GitAuthError(403, "The access key is not valid or not active.", problem ?? "unknownKey");
  const t = parseGitTimestamp(timestamp);
  if (Number.isNaN(t) || Math.abs(now - t) > SKEW_MS) {
    throw new GitAuthError(403, "The git password has expired (it is valid for 15 minutes); the credential helper makes a new one each time.", "expired");
  }
  const regions = [opts.region, ...CODECOMMIT_REGIONS.filter((r) => r !== opts.region)];
  for (const region of regions) {
    for (const host of hosts) {
      if (safeEqual(gitPassword(key.secretAccessKey, timestamp, region, host, path), password)) return key.principal;
    }
  }
  throw new GitAuthError(
    403,
    "The git password does not match: it is a signature made with the secret access key, so check that the secret key belongs to this access key ID, that the client's clock is right, and that the credential helper runs with --ignore-host-check and credential.UseHttpPath=true.",
    "badSignature",
  );
}

/** Host names a client may have signed: each given host with and without its port. */
export function hostCandidates(hosts: Array<string | undefined>): string[] {
  const out: string[] = [];
  for (const h of hosts) {
    if (!h) continue;
    for (const candidate of [h.replace(/:\d+$/, ""), h]) if (!out.includes(candidate)) out.push(candidate);
  }
  return out;
}
