import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Principal } from "../../src/domain/context.js";
import type { AccessKeyLookup } from "../../src/domain/iam/identities.js";
import { tokenDigest } from "../../src/domain/iam/sessions.js";
import { CODECOMMIT_REGIONS, GitAuthError, gitPassword, hostCandidates, parseBasic, signedGitPath, verifySigV4GitPassword } from "../../src/transport/git-auth.js";
import { parseGitCommand, sqDequote } from "../../src/transport/ssh-command.js";
import { fuzzParams, withinMs } from "../helpers/fuzz.js";

/**
 * What git sends before it is anyone: over HTTP the Basic credentials (a SigV4-derived password
 * with the access key ID, and `%token`, as the user name; or HTTPS Git credentials), the Host
 * and X-Forwarded-Host the password was signed for and the repository path; over SSH the exec
 * command. Whatever they hold, the readers give a value or nothing (never a throw), and
 * verification gives the key's principal or a GitAuthError (403); a password the credential
 * helper made is accepted while in time, and nothing else is.
 */

const ACCOUNT = "000000000000";
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const principal = (name: string): Principal => ({ kind: "user", arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, userId: `AIDA${name.toUpperCase()}`, accountId: ACCOUNT, userName: name });
const KEYS: Record<string, AccessKeyLookup & { sessionToken?: string }> = {
  AKIAGITGITGITGITGIT1: { accessKeyId: "AKIAGITGITGITGITGIT1", secretAccessKey: "git/secret+key/EXAMPLEKEYEXAMPLEKEY000", active: true, principal: principal("git1") },
  ASIAGITGITGITGITGIT2: {
    accessKeyId: "ASIAGITGITGITGITGIT2",
    secretAccessKey: "session/secret/EXAMPLEKEYEXAMPLEKEY0001",
    active: true,
    principal: principal("git2"),
    sessionToken: "IQoJb3JpZ2luX2VjEFUZZ/tok%en+=",
    sessionTokenSha256: tokenDigest("IQoJb3JpZ2luX2VjEFUZZ/tok%en+="),
    expiresAt: NOW + 3600_000,
  },
  AKIAGITGITGITGITGIT3: { accessKeyId: "AKIAGITGITGITGITGIT3", secretAccessKey: "inactive/secret/EXAMPLEKEYEXAMPLEKEY02", active: false, principal: principal("git3") },
};
/** null mostly: `arb` one time in `1 + nulls` */
const sometimes = <T>(arb: fc.Arbitrary<T>, nulls = 3) => fc.oneof({ weight: nulls, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
const auth = { lookup: async (id: string) => KEYS[id] ?? null, region: "us-east-1" };

const anyText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(":", "%", "@", "/", " ", "\0", "=", "+", "Z", "T", "0", "a"), maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => ":".repeat(n) + "1".repeat(n)) },
);

describe("HTTP Basic credentials, on any header", () => {
  const header = fc.oneof(
    anyText,
    fc.tuple(fc.constantFrom("Basic ", "basic ", "BASIC  ", "Basic", "Bearer ", "Basic\t"), anyText).map(([s, t]) => s + t),
    fc.tuple(fc.constantFrom("Basic ", "basic "), anyText, fc.boolean()).map(([s, t, b64]) => s + (b64 ? Buffer.from(t, "utf8").toString("base64") : t)),
  );

  it("gives a user name without a colon and a password, or nothing", () => {
    fc.assert(
      fc.property(fc.option(header, { freq: 10 }), (h) => {
        const basic = parseBasic(h ?? undefined);
        if (basic) expect(basic.username).not.toContain(":");
      }),
      fuzzParams,
    );
  });

  it("gives back the user name and password git encoded", () => {
    // what a credential helper can hand git: well-formed text; a user name without a colon
    const userName = fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !s.includes(":"));
    fc.assert(
      fc.property(userName, fc.string({ unit: "grapheme", maxLength: 80 }), fc.constantFrom("Basic ", "basic ", "BASIC "), (u, p, scheme) => {
        expect(parseBasic(scheme + Buffer.from(`${u}:${p}`, "utf8").toString("base64"))).toEqual({ username: u, password: p });
      }),
      fuzzParams,
    );
  });
});

describe("the SigV4 git password, on any user name, password, host and path", () => {
  const host = fc.oneof(fc.constantFrom("git.example.com", "git.example.com:8443", "localhost:4720", "127.0.0.1", "[::1]:4720", ""), anyText);
  const urlPath = fc.oneof(
    fc.constantFrom("/v1/repos/demo/info/refs", "/v1/repos/demo.git/git-upload-pack", "/v1/repos/demo/git-receive-pack", "/v1/repos/demo//", "/v1/repos/%2e%2e"),
    anyText.map((t) => `/v1/repos/${t}`),
  );
  /** a password the credential helper would make, for one of the keys, region, host and path; maybe changed after */
  const made = fc.record({
    key: fc.constantFrom(...Object.keys(KEYS), "AKIAGITGITGITGITGIT1", "ASIAGITGITGITGITGIT2", "AKIAUNKNOWNUNKNOWN00"),
    token: fc.constantFrom("right", "right", "none", "wrong"),
    region: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...CODECOMMIT_REGIONS) }, { weight: 1, arbitrary: fc.constantFrom("us-east-7", "") }),
    signedHost: fc.nat(),
    hosts: fc.array(fc.option(host, { freq: 6 }), { minLength: 1, maxLength: 3 }),
    forwarded: fc.option(host),
    path: urlPath,
    signedPath: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    skew: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: -15 * 60_000, max: 15 * 60_000 }) }, { weight: 1, arbitrary: fc.integer({ min: -86400_000, max: 86400_000 }) }),
    change: sometimes(fc.oneof(fc.record({ at: fc.nat(), to: fc.constantFrom("0", "f", "Z", "T", "G", "", "00") }), fc.record({ at: fc.nat(), to: fc.constant("upper") }))),
  });
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, "").slice(0, 15);

  /** any password: mostly of the SigV4 shape, some with impossible dates */
  const odd = fc.oneof(
    anyText,
    fc.tuple(fc.stringMatching(/^\d{8}T\d{6}$/), fc.stringMatching(/^[0-9a-f]{64}$/)).map(([t, s]) => `${t}Z${s}`),
    fc.constantFrom("99999999T999999Z" + "a".repeat(64), "00000000T000000Z" + "0".repeat(64), "20261399T256199Z" + "f".repeat(64)),
  );

  it("the key's principal or GitAuthError 403, and the principal exactly for an unchanged password, in time, of an active key with its token", async () => {
    await fc.assert(
      fc.asyncProperty(made, sometimes(odd), sometimes(anyText), async (m, oddPassword, oddUser) => {
        const hosts = hostCandidates([...m.hosts.map((h) => h ?? undefined), m.forwarded ?? undefined]);
        for (const h of hosts) expect(typeof h).toBe("string");
        const signed = signedGitPath(m.path);
        expect(typeof signed).toBe("string");
        const key = KEYS[m.key];
        const secret = key?.secretAccessKey ?? "unknown";
        const signedHost = hosts.length ? hosts[m.signedHost % hosts.length]! : "nowhere";
        let password = gitPassword(secret, stamp(NOW), m.region, signedHost, m.signedPath ? signed : `${signed}/other`);
        if (m.change) {
          const at = 16 + (m.change.at % 64);
          password = m.change.to === "upper" ? password.toUpperCase() : password.slice(0, at) + m.change.to + password.slice(at + 1);
        }
        const token = m.token === "right" ? key?.sessionToken : m.token === "wrong" ? "not-the-token" : undefined;
        const user = oddUser ?? (token === undefined ? m.key : `${m.key}%${token}`);
        const pw = oddPassword ?? password;

        let out: { principal: Principal } | { refused: GitAuthError };
        try {
          out = { principal: await withinMs(1000, () => verifySigV4GitPassword(auth, user, pw, hosts, signed, NOW + m.skew)) };
        } catch (e) {
          if (!(e instanceof GitAuthError)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
          expect(e.status).toBe(403);
          out = { refused: e };
        }

        const acceptable =
          oddPassword === null &&
          oddUser === null &&
          key !== undefined &&
          key.active &&
          (key.sessionToken === undefined ? m.token !== "wrong" && token === undefined : m.token === "right") &&
          (key.expiresAt === undefined || NOW + m.skew < key.expiresAt) &&
          CODECOMMIT_REGIONS.includes(m.region) &&
          hosts.length > 0 &&
          m.signedPath &&
          m.change === null &&
          Math.abs(m.skew) <= 15 * 60_000;
        if (acceptable) expect(out).toEqual({ principal: key.principal });
        else if ("principal" in out) {
          // accepted anyway: only a change that changed nothing (the same character put back) or another name for the same key
          expect(oddPassword === null || oddPassword === password).toBe(true);
          expect(out.principal).toEqual(key?.principal);
        }
      }),
      fuzzParams,
    );
  });
});

describe("SSH exec commands, on any text", () => {
  const SERVICES = ["git-upload-pack", "git-receive-pack", "git-upload-archive"];
  /** git's sq_quote */
  const sqQuote = (s: string) => `'${s.replace(/'/g, "'\\''").replace(/!/g, "'\\!'")}'`;
  const name = fc.string({ unit: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(..."abcXYZ019-_.") }, { weight: 1, arbitrary: fc.constantFrom("'", "!", "\\", " ", '"', "$", "é", "\n", "/", "\0") }), minLength: 1, maxLength: 30 });
  const command = fc.oneof(
    anyText,
    fc.tuple(fc.constantFrom(...SERVICES, "git upload-pack", "git-upload-pack ", "scp"), fc.constantFrom(" ", "  ", "\t"), anyText).map(([s, sep, t]) => s + sep + t),
    fc.tuple(fc.constantFrom(...SERVICES), fc.constantFrom("/v1/repos/", "v1/repos/", "//v1/repos/", "/v1/repos/../", ""), name, fc.constantFrom("", ".git", "/", "'", "' x")).map(([s, pre, n, post]) => `${s} ${sqQuote(pre + n)}${post}`),
    fc.tuple(fc.constantFrom(...SERVICES), fc.integer({ min: 1000, max: 50_000 })).map(([s, n]) => `${s} '${"'\\''".repeat(n)}'`),
  );

  it("a service and a repository name without a slash or NUL, or nothing", () => {
    fc.assert(
      fc.property(command, (c) => {
        expect(() => sqDequote(c.slice(c.indexOf(" ") + 1))).not.toThrow();
        const cmd = parseGitCommand(c);
        if (cmd === null) return;
        expect(SERVICES).toContain(cmd.service);
        expect(cmd.repository).toMatch(/^[^/\0]+$/);
      }),
      fuzzParams,
    );
  });

  it("gives back the name git quoted", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SERVICES), fc.constantFrom("/v1/repos/", "v1/repos/"), name.filter((n) => !/[/\0]/.test(n)), (service, pre, n) => {
        expect(parseGitCommand(`${service} ${sqQuote(pre + n)}`)).toEqual({ service, repository: n });
      }),
      fuzzParams,
    );
  });
});
