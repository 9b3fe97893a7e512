import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import crypto from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authenticate, jsonAuthError, queryAuthError } from "../../src/aws/auth.js";
import type { AwsService } from "../../src/aws/service.js";
import { AuthFailure, SKEW_MS, type SignedRequest } from "../../src/aws/sigv4.js";
import type { Principal } from "../../src/domain/context.js";
import type { AccessKeyLookup } from "../../src/domain/iam/identities.js";
import { tokenDigest } from "../../src/domain/iam/sessions.js";
import { ServiceError } from "../../src/errors.js";
import { fuzzParams, withinMs } from "../helpers/fuzz.js";

/**
 * SigV4 is read from every API request before anything else knows who sent it: the
 * Authorization header (with X-Amz-Date or Date, the security token and the declared payload
 * hash) or the presigned query (X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
 * -Signature, -Security-Token). Requests signed by the SDK's own signer (@smithy/signature-v4),
 * then changed in the places a client's mistake or an attacker would change them: whatever
 * comes in, authentication gives the key's principal or an AuthFailure, which both protocols
 * answer with a 4xx; an unchanged request signed in time is accepted, and one whose body or
 * signature changed is not.
 */

const ACCOUNT = "000000000000";
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const principal = (name: string): Principal => ({ kind: "user", arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, userId: `AIDA${name.toUpperCase()}`, accountId: ACCOUNT, userName: name });

const KEYS: Record<string, AccessKeyLookup & { sessionToken?: string }> = {
  AKIAFUZZFUZZFUZZFUZZ: { accessKeyId: "AKIAFUZZFUZZFUZZFUZZ", secretAccessKey: "fuzz/secret+key/EXAMPLEKEYEXAMPLEKEY00", active: true, principal: principal("fuzz") },
  ASIAFUZZFUZZFUZZFUZZ: {
    accessKeyId: "ASIAFUZZFUZZFUZZFUZZ",
    secretAccessKey: "temporary/secret/EXAMPLEKEYEXAMPLEKEY01",
    active: true,
    principal: principal("temp"),
    sessionToken: "FwoGZXIvYXdzEFUZZ//token+with/slashes==",
    sessionTokenSha256: tokenDigest("FwoGZXIvYXdzEFUZZ//token+with/slashes=="),
    expiresAt: NOW + 3600_000,
  },
  AKIAINACTIVEINACTIVE: { accessKeyId: "AKIAINACTIVEINACTIVE", secretAccessKey: "inactive/secret/EXAMPLEKEYEXAMPLEKEY02", active: false, principal: principal("gone") },
};
const lookup = async (id: string) => KEYS[id] ?? null;

const service = (signingName: string, kind: "json" | "query", global = false): AwsService => ({
  signingName,
  global,
  protocol: kind === "json" ? { kind, version: "1.1", targetPrefixes: ["CodeCommit_20150413"] } : { kind, apiVersion: "2010-05-08", xmlNamespace: "https://iam.amazonaws.com/doc/2010-05-08/" },
  operations: {},
  authz: {},
  accessDenied: (m) => new ServiceError("AccessDenied", m),
});
const SERVICES = [service("codecommit", "json"), service("iam", "query", true), service("sns", "query")];
const REGION = "us-east-1";

/** RFC 3986, as SigV4 encodes query parameters. */
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 24 });
const original = fc.record({
  service: fc.constantFrom(...SERVICES),
  key: fc.constantFrom(...Object.keys(KEYS)),
  region: fc.constantFrom(REGION, REGION, "eu-west-1"),
  presign: fc.boolean(),
  expiresIn: fc.constantFrom(1, 60, 900, 3600, 604800),
  path: fc.constantFrom("/", "/", "/v1/x", "/a/./b/../c/", "/~user/x%20y"),
  query: fc.dictionary(fc.constantFrom("Action", "Version", "a", "b c", "é", "*", "x-amz-foo"), headerText, { maxKeys: 3 }),
  headers: fc.dictionary(fc.constantFrom("content-type", "x-amz-target", "x-custom", "X-Mixed-Case"), headerText, { maxKeys: 3 }),
  body: fc.oneof(fc.constant(""), fc.json({ maxDepth: 2 }), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))),
  unsignedPayload: fc.boolean(),
  declaredHash: fc.boolean(),
  /** how far the server's clock is from the signing time */
  skew: fc.oneof(fc.integer({ min: -SKEW_MS, max: SKEW_MS }), fc.integer({ min: -2 * SKEW_MS, max: 2 * SKEW_MS }), fc.integer({ min: -8 * 86400_000, max: 8 * 86400_000 })),
});
type Original = typeof original extends fc.Arbitrary<infer T> ? T : never;

/** Signs the request with the SDK's signer, as a client would send it. */
async function sign(o: Original): Promise<SignedRequest> {
  const key = KEYS[o.key]!;
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken: key.sessionToken },
    region: o.region,
    service: o.service.signingName,
    sha256: Hash.bind(null, "sha256"),
  });
  const headers: Record<string, string> = { host: "api.example.com", ...o.headers };
  // (presigned: the SDK would hoist the header into the query, which the server does not read it from)
  if (o.unsignedPayload && !o.presign) headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  else if (o.declaredHash && !o.presign) headers["x-amz-content-sha256"] = crypto.createHash("sha256").update(o.body).digest("hex");
  const request = new HttpRequest({ method: "POST", protocol: "https:", hostname: "api.example.com", path: o.path, query: { ...o.query }, headers, body: o.body });
  const signingDate = new Date(NOW);
  const signed = o.presign ? await signer.presign(request, { signingDate, expiresIn: o.expiresIn }) : await signer.sign(request, { signingDate });
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(signed.headers)) out.set(k.toLowerCase(), [v]);
  const query = Object.entries(signed.query ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v ?? ""]).map((one) => `${enc(k)}=${enc(one ?? "")}`));
  return { method: "POST", url: query.length ? `${o.path}?${query.join("&")}` : o.path, headers: out, body: Buffer.from(o.body) };
}

/** Text a signature's parts may be changed into. */
const PIECES = [",", "=", " ", "  ", "/", ";", ";;", "Credential=", "SignedHeaders=", "Signature=", "%", "%zz", "%E0%A4%A", "+", "\t", "aws4_request", "AKIA", "é", "\u0000", "\ud800", "AWS4-HMAC-SHA256 "];
const oddValue = fc.oneof(
  headerText,
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom(
    "",
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 ",
    "AWS4-HMAC-SHA256 Credential=",
    "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, SignedHeaders=, Signature=",
    "AWS4-HMAC-SHA256 Credential=AKIAFUZZFUZZFUZZFUZZ/20260615/us-east-1/codecommit/aws4_request, SignedHeaders=host, Signature=zz",
    "AWS4-HMAC-SHA1 Credential=x",
    "20261301T000000Z",
    "99999999T999999Z",
    "20260615T120000",
    "+0275760913T000000Z",
    "Tue, 01 Jan 2030 00:00:00 GMT",
    "Sat, 13 Sep 275760 00:00:00 GMT",
    "UNSIGNED-PAYLOAD",
    "0",
    "-1",
    "604801",
    "1e3",
    "99999999999999999999",
    "NaN",
  ),
);
const HEADERS = ["authorization", "x-amz-date", "date", "host", "x-amz-content-sha256", "x-amz-security-token", "content-type", "x-amz-target"];
const PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token", "Action"];

type Tweak =
  | { kind: "header"; name: string; value: string | null; splice: [number, string] | null; twice: boolean }
  | { kind: "param"; name: string; value: string | null; splice: [number, string] | null; raw: boolean }
  | { kind: "path"; text: string }
  | { kind: "body"; byte: number }
  | { kind: "method"; method: string };

const splice = fc.option(fc.tuple(fc.nat(), fc.constantFrom(...PIECES)), { freq: 2 });
const tweak: fc.Arbitrary<Tweak> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("header" as const), name: fc.constantFrom(...HEADERS), value: fc.option(oddValue), splice, twice: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("param" as const), name: fc.constantFrom(...PARAMS), value: fc.option(oddValue), splice, raw: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("path" as const), text: fc.constantFrom("/..", "/./", "//", "/%", "/%2F", "/a b", "/é", "?", "#x") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("body" as const), byte: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("method" as const), method: fc.constantFrom("post", "GET", "PUT", "", "P\u0000ST") }) },
);

function spliced(text: string, s: [number, string] | null): string {
  if (!s) return text;
  const at = s[0] % (text.length + 1);
  return text.slice(0, at) + s[1] + text.slice(at);
}

function applyTweak(req: SignedRequest, t: Tweak): SignedRequest {
  const headers = new Map([...req.headers].map(([k, v]) => [k, [...v]]));
  switch (t.kind) {
    case "header": {
      const now = headers.get(t.name)?.[0];
      const value = spliced(t.value ?? now ?? "", t.splice);
      if (t.value === null && t.splice === null) headers.delete(t.name);
      else if (t.twice) headers.set(t.name, [...(headers.get(t.name) ?? []), value]);
      else headers.set(t.name, [value]);
      return { ...req, headers };
    }
    case "param": {
      const q = req.url.indexOf("?");
      const path = q < 0 ? req.url : req.url.slice(0, q);
      const parts = q < 0 ? [] : req.url.slice(q + 1).split("&");
      const at = parts.findIndex((p) => p.startsWith(`${t.name}=`));
      const old = at < 0 ? "" : decodeURIComponentSafe(parts[at]!.slice(t.name.length + 1));
      const value = spliced(t.value ?? old, t.splice);
      const part = `${t.name}=${t.raw ? value : enc(toWellFormed(value))}`;
      if (t.value === null && t.splice === null) {
        if (at >= 0) parts.splice(at, 1);
      } else if (at >= 0 && !t.raw) parts[at] = part;
      else parts.push(part);
      return { ...req, url: parts.length ? `${path}?${parts.join("&")}` : path };
    }
    case "path": {
      const q = req.url.indexOf("?");
      return { ...req, url: q < 0 ? req.url + t.text : req.url.slice(0, q) + t.text + req.url.slice(q) };
    }
    case "body":
      return { ...req, body: Buffer.concat([req.body, Buffer.from([t.byte])]) };
    case "method":
      return { ...req, method: t.method };
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** encodeURIComponent throws on a lone surrogate: a client would have sent U+FFFD's bytes. */
function toWellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

type Outcome = { principal: Principal } | { failure: AuthFailure };

async function attempt(req: SignedRequest, svc: AwsService, now: number): Promise<Outcome> {
  try {
    return { principal: await withinMs(1000, () => authenticate(req, svc, REGION, lookup, now)) };
  } catch (e) {
    if (!(e instanceof AuthFailure)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
    // both protocols answer it as the client's fault
    for (const err of [jsonAuthError(e), queryAuthError(e)]) {
      expect(err).toBeInstanceOf(ServiceError);
      expect(err.status).toBeGreaterThanOrEqual(400);
      expect(err.status).toBeLessThan(500);
    }
    return { failure: e };
  }
}

/**
 * Whether the server should take the request unchanged: the key active and its session not
 * expired, the scope the server's region, and the signing time 15 minutes either way of the
 * server's clock (or, presigned, from 15 minutes ahead to its expiry).
 */
function acceptable(o: Original): boolean {
  const key = KEYS[o.key]!;
  const now = NOW + o.skew;
  const inTime = o.presign ? now >= NOW - SKEW_MS && now <= NOW + o.expiresIn * 1000 : Math.abs(o.skew) <= SKEW_MS;
  // every service here is signed for the server's region (IAM, global, for us-east-1, which it is)
  return key.active && (key.expiresAt === undefined || now < key.expiresAt) && o.region === REGION && inTime;
}

describe("SigV4 authentication, on any request", () => {
  it("an SDK-signed request, changed anywhere: the key's principal, or an AuthFailure answered with a 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(original, fc.array(tweak, { maxLength: 3 }), async (o, tweaks) => {
        const req = tweaks.reduce(applyTweak, await sign(o));
        const out = await attempt(req, o.service, NOW + o.skew);
        if ("principal" in out) expect(Object.values(KEYS).map((k) => k.principal)).toContain(out.principal);
      }),
      fuzzParams,
    );
  });

  it("an unchanged request is accepted exactly when its key is active, its scope is the service's and its time is in the window", async () => {
    await fc.assert(
      fc.asyncProperty(original, async (o) => {
        const out = await attempt(await sign(o), o.service, NOW + o.skew);
        if (acceptable(o)) expect(out).toEqual({ principal: KEYS[o.key]!.principal });
        else expect("failure" in out).toBe(true);
      }),
      fuzzParams,
    );
  });

  it("a changed body (when the payload is signed) or signature is refused", async () => {
    await fc.assert(
      fc.asyncProperty(
        original.filter((o) => acceptable(o) && !o.unsignedPayload),
        fc.nat(),
        fc.integer({ min: 1, max: 15 }),
        fc.boolean(),
        async (o, n, flip, body) => {
          const req = await sign(o);
          if (body) req.body = Buffer.concat([req.body, Buffer.from(" ")]);
          else if (o.presign) {
            req.url = req.url.replace(/X-Amz-Signature=([0-9a-f]+)/, (_, sig: string) => `X-Amz-Signature=${flipHex(sig, n, flip)}`);
          } else {
            const auth = req.headers.get("authorization")![0]!;
            req.headers.set("authorization", [auth.replace(/Signature=([0-9a-f]+)/, (_, sig: string) => `Signature=${flipHex(sig, n, flip)}`)]);
          }
          const out = await attempt(req, o.service, NOW + o.skew);
          expect("failure" in out && out.failure.kind).toBe("badSignature");
        },
      ),
      fuzzParams,
    );
  });
});

function flipHex(sig: string, n: number, by: number): string {
  const at = n % sig.length;
  return sig.slice(0, at) + ((parseInt(sig[at]!, 16) + by) % 16).toString(16) + sig.slice(at + 1);
}
