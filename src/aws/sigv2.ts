import crypto from "node:crypto";
import { AuthFailure, SKEW_MS, isoSeconds, type SignedRequest } from "./sigv4.js";

/**
 * Verification of S3's Signature Version 2 (HMAC-SHA1): the header form
 * `Authorization: AWS AKID:signature` and the presigned query (`AWSAccessKeyId`, `Expires`,
 * `Signature`), which boto3's generate_presigned_url and the CLI v1's `aws s3 presign` still
 * produce by default. Pure functions; the key lookup is the caller's (auth.ts).
 */

export interface SigV2Parts {
  accessKeyId: string;
  /** base64 as sent */
  signature: string;
  presigned: boolean;
  /** presigned: the epoch seconds the URL is good until, as signed */
  expires?: string;
  securityToken?: string;
}

/**
 * The query parameters S3 signs in the canonical resource (the sub-resources and the response
 * overrides); any other parameter is left out, as S3 and botocore's HmacV1Auth do.
 */
const SUB_RESOURCES = new Set([
  "accelerate",
  "acl",
  "analytics",
  "cors",
  "delete",
  "encryption",
  "intelligent-tiering",
  "inventory",
  "legal-hold",
  "lifecycle",
  "location",
  "logging",
  "metrics",
  "notification",
  "object-lock",
  "ownershipControls",
  "partNumber",
  "policy",
  "policyStatus",
  "publicAccessBlock",
  "replication",
  "requestPayment",
  "response-cache-control",
  "response-content-disposition",
  "response-content-encoding",
  "response-content-language",
  "response-content-type",
  "response-expires",
  "restore",
  "retention",
  "select",
  "select-type",
  "tagging",
  "torrent",
  "uploadId",
  "uploads",
  "versionId",
  "versioning",
  "versions",
  "website",
]);

function queryOf(url: string): URLSearchParams {
  const q = url.indexOf("?");
  return new URLSearchParams(q >= 0 ? url.slice(q + 1) : "");
}

/** Whether a request is signed with SigV2 (either form). */
export function isSigV2(req: Pick<SignedRequest, "url" | "headers">): boolean {
  const auth = req.headers.get("authorization")?.[0];
  if (auth !== undefined) return auth.startsWith("AWS ");
  const query = queryOf(req.url);
  return query.has("AWSAccessKeyId") || (query.has("Signature") && query.has("Expires"));
}

export function parseSigV2(req: SignedRequest): SigV2Parts {
  const auth = req.headers.get("authorization")?.[0];
  const token = req.headers.get("x-amz-security-token")?.[0];
  if (auth !== undefined) {
    const m = /^AWS ([^:\s]+):(\S+)$/.exec(auth.trim());
    if (!m) throw new AuthFailure("incomplete", "The Authorization header of Signature Version 2 must be 'AWS AccessKeyId:Signature'.");
    return { accessKeyId: m[1]!, signature: m[2]!, presigned: false, securityToken: token };
  }
  const query = queryOf(req.url);
  const accessKeyId = query.get("AWSAccessKeyId");
  const expires = query.get("Expires");
  const signature = query.get("Signature");
  if (!accessKeyId || !expires || !signature) {
    throw new AuthFailure("incomplete", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters");
  }
  if (!/^\d{1,12}$/.test(expires)) throw new AuthFailure("incomplete", `Expires must be the epoch seconds the URL is valid until; got '${expires}'.`);
  // a `+` of the base64 signature sent unencoded has become a space
  return { accessKeyId, signature: signature.replace(/ /g, "+"), presigned: true, expires, securityToken: token ?? query.get("x-amz-security-token") ?? undefined };
}

/** Refuses a header signature dated more than 15 minutes from now, and a presigned URL past its Expires. */
export function checkTimeV2(req: SignedRequest, parts: SigV2Parts, now: number): void {
  if (parts.presigned) {
    const until = Number(parts.expires) * 1000;
    if (now > until) throw new AuthFailure("expired", "Request has expired", { Expires: isoSeconds(until), ServerTime: isoSeconds(now) });
    return;
  }
  const date = req.headers.get("x-amz-date")?.[0] ?? req.headers.get("date")?.[0];
  const time = date === undefined ? NaN : Date.parse(date);
  if (Number.isNaN(time)) throw new AuthFailure("missing", "AWS authentication requires a valid Date or x-amz-date header");
  if (Math.abs(time - now) > SKEW_MS) {
    throw new AuthFailure("expired", "The difference between the request time and the current time is too large.", {
      RequestTime: date!,
      ServerTime: isoSeconds(now),
      MaxAllowedSkewMilliseconds: String(SKEW_MS),
    });
  }
}

/**
 * S3's string-to-sign: the method, Content-MD5, Content-Type, the date (Expires for a presigned
 * URL; empty when x-amz-date stands in for Date), the x-amz-* headers (lower-case, sorted, values
 * of a repeated header joined by commas; a presigned URL's x-amz-* query parameters count as
 * headers), then the canonical resource: `/bucket/key` as sent, whatever the addressing style,
 * with the signed sub-resources sorted and decoded.
 */
export function stringToSignV2(req: SignedRequest, parts: SigV2Parts, resourcePath: string, amzDateAsDate = false): string {
  const query = queryOf(req.url);
  const header = (name: string) => req.headers.get(name)?.[0];
  const amz = new Map<string, string[]>();
  for (const [name, values] of req.headers) {
    if (name.startsWith("x-amz-") && !(amzDateAsDate && name === "x-amz-date")) amz.set(name, values.map((v) => v.trim()));
  }
  if (parts.presigned) {
    for (const [name, value] of query) {
      const lower = name.toLowerCase();
      if (lower.startsWith("x-amz-") && !amz.has(lower)) amz.set(lower, [value.trim()]);
    }
  }
  const amzLines = [...amz.keys()].sort().map((name) => `${name}:${amz.get(name)!.join(",")}\n`);
  const date = parts.presigned ? parts.expires! : amzDateAsDate ? header("x-amz-date")! : header("x-amz-date") !== undefined ? "" : (header("date") ?? "");
  const contentMd5 = header("content-md5") ?? (parts.presigned ? query.get("Content-MD5") ?? query.get("content-md5") : undefined) ?? "";
  const contentType = header("content-type") ?? (parts.presigned ? query.get("Content-Type") ?? query.get("content-type") : undefined) ?? "";
  const subs: Array<[string, string | undefined]> = [];
  const q = req.url.indexOf("?");
  for (const part of q >= 0 ? req.url.slice(q + 1).split("&") : []) {
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!SUB_RESOURCES.has(name)) continue;
    subs.push([name, eq < 0 ? undefined : safeDecode(part.slice(eq + 1))]);
  }
  subs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const resource = resourcePath + (subs.length ? "?" + subs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join("&") : "");
  return `${req.method.toUpperCase()}\n${contentMd5.trim()}\n${contentType.trim()}\n${date.trim()}\n${amzLines.join("")}${resource}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, "%20"));
  } catch {
    return s;
  }
}

/**
 * Checks the signature over the string-to-sign, in constant time. With x-amz-date, S3's guide
 * gives two forms: its rule (an empty Date line, x-amz-date among the x-amz-* headers, which the
 * Java SDK and MinIO follow) and its worked Delete example (x-amz-date's value on the Date line);
 * either is accepted.
 */
export function verifySigV2(req: SignedRequest, parts: SigV2Parts, secret: string, resourcePath: string): void {
  const given = Buffer.from(parts.signature, "base64");
  const matches = (amzDateAsDate: boolean) => {
    const expected = crypto.createHmac("sha1", secret).update(stringToSignV2(req, parts, resourcePath, amzDateAsDate), "utf8").digest();
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  };
  const amzDate = !parts.presigned && req.headers.has("x-amz-date");
  if (!matches(false) && !(amzDate && matches(true))) {
    throw new AuthFailure(
      "badSignature",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
}
