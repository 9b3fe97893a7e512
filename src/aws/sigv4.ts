import crypto from "node:crypto";

/**
 * Verification of AWS Signature Version 4 (header and presigned-query forms) for whatever
 * headers the client chose to sign. Pure functions; the key lookup is the caller's.
 */

export const SKEW_MS = 15 * 60 * 1000;

export type AuthFailureKind =
  | "missing"
  | "incomplete"
  | "unknownKey"
  | "badSignature"
  | "expired"
  | "wrongRegion"
  | "wrongService"
  | "badToken"
  | "expiredToken";

export class AuthFailure extends Error {
  constructor(
    readonly kind: AuthFailureKind,
    message: string,
    /** what S3 adds to its error document (an expired presigned URL's Expires and ServerTime) */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface SignedRequest {
  method: string;
  /** path and query exactly as sent (req.url) */
  url: string;
  /** lower-case header name → raw values in the order received */
  headers: Map<string, string[]>;
  body: Buffer;
  /**
   * S3's rules: the canonical URI is the raw path (no normalisation, no second encoding), and the
   * payload hash is the literal `x-amz-content-sha256` (or the presigned `X-Amz-Content-Sha256`,
   * else `UNSIGNED-PAYLOAD`); the caller checks a hex hash against the body as it streams.
   */
  s3?: boolean;
}

export interface SignatureParts {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** epoch ms of amzDate */
  time: number;
  securityToken?: string;
  presigned: boolean;
  /** presigned URLs: seconds the signature stays valid */
  expires?: number;
}

export function headerMap(rawHeaders: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const k = rawHeaders[i]!.toLowerCase();
    const v = rawHeaders[i + 1]!;
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  }
  return m;
}

function first(h: Map<string, string[]>, name: string): string | undefined {
  return h.get(name)?.[0];
}

function parseAmzDate(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function toAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** `2026-12-07T15:26:20Z`, as S3 writes times in its error documents. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Reads the signature's parts from the Authorization header or the presigned query, or says why not. */
export function parseSignature(req: SignedRequest): SignatureParts {
  const auth = first(req.headers, "authorization");
  const qIndex = req.url.indexOf("?");
  const query = new URLSearchParams(qIndex >= 0 ? req.url.slice(qIndex + 1) : "");
  let credential: string, signedHeaders: string, signature: string, amzDate: string | undefined;
  let securityToken: string | undefined;
  let presigned = false;
  let expires: number | undefined;

  if (auth) {
    if (!auth.startsWith("AWS4-HMAC-SHA256 ")) {
      throw new AuthFailure("incomplete", "Authorization header requires the AWS4-HMAC-SHA256 algorithm.");
    }
    const fields = new Map<string, string>();
    for (const part of auth.slice(17).split(",")) {
      const eq = part.indexOf("=");
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const missing = ["Credential", "SignedHeaders", "Signature"].filter((k) => !fields.get(k));
    if (missing.length) {
      throw new AuthFailure(
        "incomplete",
        `Authorization header requires ${missing.map((k) => `'${k}'`).join(", ")} parameter${missing.length > 1 ? "s" : ""}. Authorization=${auth.split(" ")[0]}`,
      );
    }
    credential = fields.get("Credential")!;
    signedHeaders = fields.get("SignedHeaders")!;
    signature = fields.get("Signature")!;
    amzDate = first(req.headers, "x-amz-date");
    if (!amzDate) {
      const date = first(req.headers, "date");
      if (date && !Number.isNaN(Date.parse(date))) amzDate = toAmzDate(Date.parse(date));
    }
    securityToken = first(req.headers, "x-amz-security-token");
  } else if (query.get("X-Amz-Algorithm")) {
    presigned = true;
    if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") {
      throw new AuthFailure("incomplete", "X-Amz-Algorithm only supports AWS4-HMAC-SHA256.");
    }
    credential = query.get("X-Amz-Credential") ?? "";
    signedHeaders = query.get("X-Amz-SignedHeaders") ?? "";
    signature = query.get("X-Amz-Signature") ?? "";
    amzDate = query.get("X-Amz-Date") ?? undefined;
    securityToken = query.get("X-Amz-Security-Token") ?? undefined;
    const expiresParam = query.get("X-Amz-Expires") ?? "900";
    expires = /^\d{1,12}$/.test(expiresParam) ? Number(expiresParam) : NaN;
    // AWS's bounds: at least a second, at most 7 days (S3's own words for the upper one; the CLI does not enforce it)
    if (expires > 604800) throw new AuthFailure("incomplete", "X-Amz-Expires must be less than a week (in seconds) that is; 604800");
    if (!(expires >= 1)) {
      throw new AuthFailure("incomplete", `X-Amz-Expires must be a whole number of seconds from 1 to 604800; got '${expiresParam}'.`);
    }
    if (!credential || !signedHeaders || !signature) {
      throw new AuthFailure("incomplete", "A presigned request needs X-Amz-Credential, X-Amz-SignedHeaders and X-Amz-Signature.");
    }
  } else {
    throw new AuthFailure("missing", "Missing Authentication Token");
  }

  const scope = credential.split("/");
  if (scope.length !== 5 || scope[4] !== "aws4_request" || !scope[0]) {
    throw new AuthFailure(
      "incomplete",
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  if (!amzDate) {
    throw new AuthFailure("incomplete", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const time = parseAmzDate(amzDate);
  if (time === null) throw new AuthFailure("incomplete", `X-Amz-Date must be in the ISO8601 basic format; got '${amzDate}'.`);
  if (scope[1] !== amzDate.slice(0, 8)) {
    throw new AuthFailure(
      "badSignature",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope[1]}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  return {
    accessKeyId: scope[0],
    scopeDate: scope[1]!,
    region: scope[2]!,
    service: scope[3]!,
    signedHeaders: signedHeaders.split(";"),
    signature,
    amzDate,
    time,
    securityToken,
    presigned,
    expires,
  };
}

/** Refuses signatures made more than 15 minutes away from now (or presigned URLs past their expiry). */
export function checkTime(parts: SignatureParts, now: number): void {
  if (parts.presigned) {
    if (parts.time > now + SKEW_MS) {
      throw new AuthFailure("expired", `Request is not valid yet: ${parts.amzDate} is more than 15 minutes after ${toAmzDate(now)}.`);
    }
    const until = parts.time + (parts.expires ?? 900) * 1000;
    if (now > until) {
      // S3's document names the limit and both times, so whoever holds the URL sees why
      throw new AuthFailure("expired", "Request has expired", {
        "X-Amz-Expires": String(parts.expires ?? 900),
        Expires: isoSeconds(until),
        ServerTime: isoSeconds(now),
      });
    }
    return;
  }
  // what S3 adds to RequestTimeTooSkewed, so a client with a wrong clock sees by how much
  const skew = { RequestTime: parts.amzDate, ServerTime: isoSeconds(now), MaxAllowedSkewMilliseconds: String(SKEW_MS) };
  if (parts.time < now - SKEW_MS) {
    throw new AuthFailure(
      "expired",
      `Signature expired: ${parts.amzDate} is now earlier than ${toAmzDate(now - SKEW_MS)} (${toAmzDate(now)} - 15 min.)`,
      skew,
    );
  }
  if (parts.time > now + SKEW_MS) {
    throw new AuthFailure(
      "expired",
      `Signature not yet current: ${parts.amzDate} is still later than ${toAmzDate(now + SKEW_MS)} (${toAmzDate(now)} + 15 min.)`,
      skew,
    );
  }
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** RFC 3986 encoding as SigV4 wants it; `keepSlash` for paths. */
export function uriEncode(s: string, keepSlash: boolean): string {
  let out = "";
  for (const ch of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(ch);
    if (UNRESERVED.test(c) || (keepSlash && c === "/")) out += c;
    else out += "%" + ch.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, "%20"));
  } catch {
    return s;
  }
}

function canonicalPath(rawPath: string): string {
  // Normalise dot segments, then encode the (already percent-encoded) path once more, as every
  // service except S3 does.
  const segments: string[] = [];
  for (const seg of rawPath.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") segments.pop();
    else segments.push(seg);
  }
  let p = "/" + segments.join("/");
  if (rawPath.endsWith("/") && p !== "/") p += "/";
  return uriEncode(p, true);
}

function canonicalQuery(rawQuery: string, presigned: boolean): string {
  if (!rawQuery) return "";
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const k = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? "" : safeDecode(part.slice(eq + 1));
    if (presigned && k === "X-Amz-Signature") continue;
    pairs.push([uriEncode(k, false), uriEncode(v, false)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

export function sha256Hex(data: string | Buffer): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

/**
 * The payload's hash as signed. Clients either declare it (`x-amz-content-sha256`, which SDK v3
 * sends) or leave it to be computed; a declared hash must be the body's, or a captured
 * signature could be replayed with another body. Presigned URLs for services other than S3 sign
 * the body's hash too (botocore and SDK v3 both do), so a body added to a presigned URL fails.
 * `UNSIGNED-PAYLOAD` is accepted where a client chose to sign without the body.
 */
function payloadHash(req: SignedRequest, parts: SignatureParts): string {
  if (req.s3) return s3PayloadHash(req, parts);
  const declared = first(req.headers, "x-amz-content-sha256");
  if (declared === "UNSIGNED-PAYLOAD") return declared;
  const actual = sha256Hex(req.body);
  if (declared !== undefined && declared.toLowerCase() !== actual) {
    throw new AuthFailure("badSignature", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return actual;
}

/** The payload hash an S3 request was signed with (see SignedRequest.s3). */
export function s3PayloadHash(req: SignedRequest, parts: SignatureParts): string {
  if (parts.presigned) {
    const q = req.url.indexOf("?");
    const query = new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : "");
    return query.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD";
  }
  const declared = first(req.headers, "x-amz-content-sha256");
  if (declared === undefined) throw new AuthFailure("incomplete", "Missing required header for this request: x-amz-content-sha256");
  return declared;
}

export function canonicalRequest(req: SignedRequest, parts: SignatureParts): string {
  const q = req.url.indexOf("?");
  const rawPath = q >= 0 ? req.url.slice(0, q) : req.url;
  const rawQuery = q >= 0 ? req.url.slice(q + 1) : "";
  const headerLines = parts.signedHeaders.map((name) => {
    const values = req.headers.get(name) ?? [];
    return `${name}:${values.map((v) => v.trim().replace(/\s+/g, " ")).join(",")}\n`;
  });
  return [
    req.method.toUpperCase(),
    req.s3 ? rawPath : canonicalPath(rawPath),
    canonicalQuery(rawQuery, parts.presigned),
    headerLines.join(""),
    parts.signedHeaders.join(";"),
    payloadHash(req, parts),
  ].join("\n");
}

const keyCache = new Map<string, Buffer>();

/** kSigning for a secret, day, region and service; cached, since it changes once a day. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${sha256Hex(secret)}/${date}/${region}/${service}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    const kDate = crypto.createHmac("sha256", "AWS4" + secret).update(date).digest();
    const kRegion = crypto.createHmac("sha256", kDate).update(region).digest();
    const kService = crypto.createHmac("sha256", kRegion).update(service).digest();
    key = crypto.createHmac("sha256", kService).update("aws4_request").digest();
    if (keyCache.size > 5000) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/** Checks the signature itself, in constant time (and a declared body hash against the body). */
export function verifySignature(req: SignedRequest, parts: SignatureParts, secret: string): void {
  if (!parts.signedHeaders.includes("host")) {
    throw new AuthFailure("badSignature", "'Host' must be a signed header.");
  }
  const scope = `${parts.scopeDate}/${parts.region}/${parts.service}/aws4_request`;
  const sts = stringToSign(parts.amzDate, scope, canonicalRequest(req, parts));
  const expected = crypto.createHmac("sha256", signingKey(secret, parts.scopeDate, parts.region, parts.service)).update(sts).digest();
  const given = Buffer.from(parts.signature, "hex");
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw new AuthFailure(
      "badSignature",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
}
