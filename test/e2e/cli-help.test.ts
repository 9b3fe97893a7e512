import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allCommands, isGroup, parse, type Command } from "../../src/cli/commands.js";
import { FLAGS } from "../../src/config.js";
import { ROOT, tmpDir } from "../helpers/server.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** what the run left in its working directory (it should touch nothing) */
  left: string[];
}

/** The built CLI, run in an empty directory of its own with no HEADWATER_* variables. */
function headwater(args: string[]): Promise<Run> {
  const cwd = tmpDir("cli-help");
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("HEADWATER_"))) as Record<string, string>;
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, "dist/cli/main.js"), ...args], { cwd, env, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, stderr, left: fs.readdirSync(cwd) });
    });
  });
}

/** The flags a usage text lists, each with its description: "--name" (or "-h, --help") → text. */
function listedFlags(usage: string): Map<string, string> {
  const section = /^Flags:\n((?: {2}.*\n)+)/m.exec(usage)?.[1] ?? "";
  const flags = new Map<string, string>();
  for (const line of section.split("\n").filter(Boolean)) {
    const m = /^ {2}(-h, --help|--[a-z][a-z-]*)(?: [A-Z]+)? {2,}(\S.*)$/.exec(line);
    expect(m, `a flag and its one-line description: ${JSON.stringify(line)}`).not.toBeNull();
    flags.set(m![1]!, m![2]!);
  }
  return flags;
}

/** The commands a group's usage text lists, by name. */
function listedCommands(usage: string): string[] {
  const section = /^Commands:\n((?: {2}.*\n)+)/m.exec(usage)?.[1] ?? "";
  return section
    .split("\n")
    .filter(Boolean)
    .map((line) => /^ +([a-z][a-z-]*)/.exec(line)![1]!);
}

function declared(c: Command): string[] {
  return [...c.options.map((o) => `--${o.flag}`), "-h, --help"];
}

const COMMANDS = allCommands();

describe("the command tree", () => {
  it("holds every command (a new one is added there, or it cannot be run)", () => {
    expect(COMMANDS.map(({ words }) => words.join(" "))).toEqual([
      "",
      "serve",
      "host-keys",
      "admin",
      "admin register-function",
      "admin deregister-function",
      "admin list-functions",
      "admin list-deliveries",
      "admin redeliver",
      "version",
      "help",
    ]);
  });

  it("serve takes every server flag; the others only those they read", () => {
    const leaf = (words: string) => COMMANDS.find((c) => c.words.join(" ") === words)!.command;
    expect(declared(leaf("serve"))).toEqual([...FLAGS.map((f) => `--${f.flag}`), "-h, --help"]);
    expect(declared(leaf("host-keys"))).toEqual(["--data-dir", "--host", "--ssh-port", "--public-ssh-url", "-h, --help"]);
    expect(declared(leaf("admin list-functions"))).toEqual(["--data-dir", "--database-url", "-h, --help"]);
  });
});

describe.concurrent.each(COMMANDS)("headwater $words", ({ words, command }) => {
  const name = ["headwater", ...words].join(" ");

  it("--help and -h (and `headwater help …`) print its usage on stdout, exit 0, touch nothing", async () => {
    const runs = await Promise.all([headwater([...words, "--help"]), headwater([...words, "-h"]), headwater(["help", ...words])]);
    for (const r of runs) {
      expect({ code: r.code, stderr: r.stderr, left: r.left }).toEqual({ code: 0, stderr: "", left: [] });
      expect(r.stdout).toBe(runs[0]!.stdout);
    }
    const usage = runs[0]!.stdout;
    expect(usage).toMatch(new RegExp(`^Usage: ${name} `, "m"));

    // the flags it lists, each with a description, are the ones it declares, which the parser takes
    expect([...listedFlags(usage).keys()]).toEqual(declared(command));
    if (isGroup(command)) {
      expect(listedCommands(usage)).toEqual(
        words.length ? command.subcommands.map((s) => s.name) : COMMANDS.filter((c) => c.words.length).map((c) => c.words.at(-1)),
      );
      return;
    }
    for (const o of command.options) {
      const given = [`--${o.flag}`, ...(o.value ? ["x"] : [])];
      const required = command.options.filter((r) => r.required && r !== o).flatMap((r) => [`--${r.flag}`, "x"]);
      expect(() => parse(command, [...required, ...given])).not.toThrow();
    }
    // and it refuses the server flags it does not list
    for (const f of FLAGS.filter((f) => !command.options.some((o) => o.flag === f.flag))) {
      expect(() => parse(command, [`--${f.flag}`, "x"])).toThrow(`unknown flag --${f.flag}`);
    }
  });

  it("an unknown flag, command or argument exits 2 with a message that points to --help", async () => {
    const wrong = isGroup(command) ? ["--no-such-flag", "no-such-command"] : ["--no-such-flag", ...(command.args ? [] : ["stray"])];
    for (const arg of wrong) {
      const r = await headwater([...words, arg]);
      const what = arg.startsWith("-") ? `unknown flag ${arg}` : isGroup(command) ? `unknown command "${arg}"` : `unexpected argument "${arg}"`;
      expect(r).toEqual({ code: 2, stdout: "", stderr: `${name}: ${what}\nSee '${name} --help'.\n`, left: [] });
    }
  });
});

describe("headwater", () => {
  it("--version and version print package.json's version", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const args of [["--version"], ["version"]]) expect(await headwater(args)).toEqual({ code: 0, stdout: `${version}\n`, stderr: "", left: [] });
  });

  it("with no command prints its usage; admin with none is an error", async () => {
    const none = await headwater([]);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe((await headwater(["--help"])).stdout);
    expect(await headwater(["admin"])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^headwater admin: name a command: register-function, .*\nSee 'headwater admin --help'\.\n$/),
    });
    expect(await headwater(["help", "admin", "nope"])).toMatchObject({
      code: 2,
      stderr: `headwater help: unknown command "admin nope"\nSee 'headwater --help'.\n`,
    });
  });

  it("help wins over the other flags and mistakes; a flag's value is not taken for it", async () => {
    const usage = (await headwater(["serve", "--help"])).stdout;
    expect(await headwater(["serve", "--http-port", "0", "--no-such-flag", "-h"])).toEqual({ code: 0, stdout: usage, stderr: "", left: [] });
    // "--help" is --delivery-id's value here: the command runs (and finds no database)
    expect((await headwater(["admin", "redeliver", "--delivery-id", "--help"])).stderr).toMatch(/^headwater admin redeliver: there is no Headwater database/);
  });

  it("serve's configuration errors, and a flag before the command, point to --help too", async () => {
    const region = await headwater(["serve", "--region", "mars"]);
    expect(region.stderr).toBe(`headwater serve: --region: a region name such as us-east-1\nSee 'headwater serve --help'.\n`);
    const bool = await headwater(["serve", "--tls-self-signed=maybe"]);
    expect(bool.stderr).toMatch(/^headwater serve: expected true or false, got "maybe"\nSee 'headwater serve --help'/);
    expect(await headwater(["admin", "--data-dir", "x", "list-functions"])).toMatchObject({
      code: 2,
      stderr: `headwater admin: --data-dir before the command: name the command first, then its flags\nSee 'headwater admin --help'.\n`,
    });
    expect(await headwater(["host-keys", "--http-port", "1"])).toMatchObject({
      code: 2,
      stderr: `headwater host-keys: unknown flag --http-port\nSee 'headwater host-keys --help'.\n`,
    });
  });

  it("an admin command still runs past the parser, up to the missing database", async () => {
    const r = await headwater(["admin", "list-deliveries", "--status", "failed", "--data-dir", "nowhere"]);
    expect(r).toMatchObject({ code: 2, stdout: "", left: [] });
    expect(r.stderr).toMatch(/^headwater admin list-deliveries: there is no Headwater database in \S+nowhere: give the server's --data-dir/);
  });
});
