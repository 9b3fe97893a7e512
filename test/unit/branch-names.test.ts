import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { branchNameProblem, refNameProblem } from "../../src/domain/repos/names.js";

/**
 * Our branch-name rule against the real `git check-ref-format --branch`, name by name: every
 * name git refuses we refuse, and every name git accepts we accept, except for CodeCommit's own
 * rules (at most 256 characters, not 40 hex digits).
 */

/** Whether git accepts each name as a branch name, from one shell running git per name. */
function gitAccepts(names: string[]): boolean[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hw-refnames-"));
  const out = execFileSync("sh", ["-c", 'for n; do git check-ref-format --branch "$n" >/dev/null 2>&1 && echo 1 || echo 0; done', "sh", ...names], {
    cwd: dir,
    // outside any repository: --branch would otherwise expand @{-1} and the like against it
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GIT_CONFIG_NOSYSTEM: "1", GIT_CEILING_DIRECTORIES: path.dirname(dir) },
    encoding: "utf8",
  });
  return out.trim().split("\n").map((l) => l === "1");
}

const handPicked = [
  // the names: git reads them as options
  "-x", "--output=/tmp/x", "-", "a-", "a-b",
  "HEAD", "HEAD/x", "x/HEAD", "heads/HEAD", "FETCH_HEAD", "refs/heads/x",
  "@", "@a", "a@", "a@b", "@{", "a@{b", "@{-1}", "a@{u}", "@@", "{", "}", "a{b}",
  "main", "feature/login", "release/1.2.3", "a.b", "a./b", "a/b.", "a.", ".a", "a/.b", "a..b", "a...b",
  "a.lock", "a.lock/b", "a/.lock", ".lock", "lock", "a/b.lock.x", "a.lockx", "a/b.lock",
  "/a", "a/", "a//b", "a/b/c/d/e",
  "a b", "a\tb", "a\x7fb", "a~", "a~1", "a^", "a^{}", "a:b", "a?", "a*", "a[", "a]", "a\\b",
  "é", "日本語", "emoji-😀", "naïve/café",
  "a!b", 'a"b', "a'b", "a#b", "a%b", "a&b", "a(b)", "a+b", "a,b", "a;b", "a<b>", "a=b", "a|b", "a`b", "a$b",
];

/** Every string of up to three characters over the characters the rules are about. */
function combinations(alphabet: string[], maxLength: number): string[] {
  let level = [""];
  const all: string[] = [];
  for (let n = 1; n <= maxLength; n++) {
    level = level.flatMap((s) => alphabet.map((c) => s + c));
    all.push(...level);
  }
  return all;
}

/** Each printable and control ASCII character alone, leading, inside and trailing (NUL cannot be an argument). */
const everyAscii = Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1)).flatMap((c) => [c, `${c}a`, `a${c}b`, `a${c}`]);

const names = [...new Set([...handPicked, ...combinations(["a", ".", "/", "@", "{", "-", "*"], 3), ...everyAscii, "x".repeat(256)])];

describe("branch names follow git check-ref-format --branch", () => {
  it(`agrees with git on ${names.length} names`, () => {
    const verdicts = gitAccepts(names);
    expect(verdicts).toHaveLength(names.length);
    const disagreements = names
      .map((name, i) => ({ name, git: verdicts[i] ? "accepts" : "refuses", ours: branchNameProblem(name) ?? "accepts" }))
      .filter((d) => (d.git === "accepts") !== (d.ours === "accepts"));
    expect(disagreements).toEqual([]);
  });

  it("adds CodeCommit's rules to git's: at most 256 characters, not 40 hex digits", () => {
    expect(gitAccepts(["x".repeat(257), "0123456789abcdef0123456789abcdef01234567"])).toEqual([true, true]);
    expect(branchNameProblem("x".repeat(257))).toBe("must be 1 to 256 characters long");
    expect(branchNameProblem("0123456789abcdef0123456789abcdef01234567")).toMatch(/40 hexadecimal/);
    expect(branchNameProblem("0123456789abcdef0123456789abcdef0123456")).toBeNull();
  });

  it("refuses what no argument can carry: NUL and lone surrogates", () => {
    expect(branchNameProblem("a\0b")).toMatch(/control characters/);
    expect(branchNameProblem("a\ud800b")).toBe("must be valid Unicode text");
    expect(branchNameProblem("a\ud83d\ude00b")).toBeNull();
  });

  it("says why a name is refused", () => {
    expect(branchNameProblem("-x")).toBe("cannot begin with - (git would read it as an option)");
    expect(branchNameProblem("HEAD")).toBe("cannot be HEAD");
    expect(branchNameProblem("a..b")).toBe("cannot contain ..");
    expect(branchNameProblem("a/b.lock")).toBe("cannot have a path component that ends with .lock");
  });
});

describe("full reference names follow git check-ref-format", () => {
  it("agrees with git on full refs", () => {
    const refs = ["refs/heads/main", "refs/tags/v1", "refs/tags/-x", "refs/heads/@", "@", "refs/heads/a..b", "refs/tags/v1.lock", "refs//x", "refs/x/", "refs/x."];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hw-refnames-"));
    const out = execFileSync("sh", ["-c", 'for n; do git check-ref-format "$n" && echo 1 || echo 0; done', "sh", ...refs], { cwd: dir, encoding: "utf8" });
    const git = out.trim().split("\n").map((l) => l === "1");
    expect(refs.map((r) => refNameProblem(r) === null)).toEqual(git);
  });
});
