import { describe, expect, it } from "vitest";
import { parseGitCommand, sqDequote } from "../../src/transport/ssh-command.js";

describe("SSH exec commands, parsed as git sends them", () => {
  it.each([
    ["git-upload-pack '/v1/repos/demo'", "git-upload-pack", "demo"],
    ["git-receive-pack '/v1/repos/demo.git'", "git-receive-pack", "demo.git"],
    ["git-upload-archive '/v1/repos/a.b-c_d'", "git-upload-archive", "a.b-c_d"],
    // scp-like URLs (KEYID@host:v1/repos/demo) send the path without its leading slash
    ["git-upload-pack 'v1/repos/demo'", "git-upload-pack", "demo"],
    // git's sq_quote of a quote and of ! (the name is then refused as a repository name)
    ["git-upload-pack '/v1/repos/it'\\''s'", "git-upload-pack", "it's"],
    ["git-upload-pack '/v1/repos/wow'\\!''", "git-upload-pack", "wow!"],
  ])("%s", (command, service, repository) => {
    expect(parseGitCommand(command)).toEqual({ service, repository });
  });

  it.each([
    "",
    "ls",
    "git-upload-pack",
    "git-upload-pack /v1/repos/demo", // unquoted
    'git-upload-pack "/v1/repos/demo"', // double quotes
    "git upload-pack '/v1/repos/demo'", // the space form
    "git-upload-pack  '/v1/repos/demo'", // two spaces
    "git-upload-pack '/v1/repos/demo' ", // trailing space
    "git-upload-pack '/v1/repos/demo'; rm -rf /",
    "git-upload-pack '/v1/repos/demo' '/v1/repos/other'",
    "git-upload-pack '/v1/repos/demo'\n",
    "git-upload-pack '/v1/repos/'",
    "git-upload-pack '/v1/repos/demo/'",
    "git-upload-pack '/v1/repos/a/b'",
    "git-upload-pack '/v1/repos/../x'",
    "git-upload-pack '//v1/repos/demo'",
    "git-upload-pack '/v2/repos/demo'",
    "git-upload-pack '/repos/demo'",
    "git-upload-pack '~/v1/repos/demo'",
    "git-upload-pack '/v1/repos/demo",
    "git-upload-pack '/v1/repos/de'mo'",
    "git-upload-pack '/v1/repos/de'\\x'mo'",
    "git-upload-pack '/v1/repos/de\0mo'",
    "git-shell -c \"git-upload-pack '/v1/repos/demo'\"",
    "scp -t /v1/repos/demo",
  ])("refuses %j", (command) => {
    expect(parseGitCommand(command)).toBeNull();
  });

  it("dequotes exactly as git's sq_dequote", () => {
    expect(sqDequote("''")).toBe("");
    expect(sqDequote("'a b'")).toBe("a b");
    expect(sqDequote("'a'\\''b'")).toBe("a'b");
    expect(sqDequote("a")).toBeNull();
    expect(sqDequote("'a'b")).toBeNull();
    expect(sqDequote("'a")).toBeNull();
    expect(sqDequote("'a'\\b'")).toBeNull();
  });
});
