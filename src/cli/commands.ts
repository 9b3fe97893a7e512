import { type Config, ConfigError, FLAGS, loadConfig } from "../config.js";
import { VERSION } from "../version.js";

/**
 * Every command of `headwater`, in one tree: the dispatcher walks it, the parser accepts exactly
 * the flags a command declares, and its `--help` is made from the same declaration. A command's
 * code is imported only when it runs, so `--help` loads nothing else.
 */

export interface Option {
  /** without the dashes */
  flag: string;
  /** what the value is; none: a flag without a value */
  value?: string;
  help: string;
  required?: boolean;
  repeatable?: boolean;
  /** one of the server's FLAGS, read with loadConfig (and from its HEADWATER_* variable) */
  server?: boolean;
}

export interface RunArgs {
  /** the command's own flags' values, in the order given (a flag without a value: "true") */
  own: Map<string, string[]>;
  positionals: string[];
  /** the server flags given, over the HEADWATER_* variables; throws ConfigError */
  config(): Config;
}

interface Base {
  name: string;
  /** one line, in the parent's list of commands */
  summary: string;
  /** more about it, for its own help */
  about: string;
}

export interface Leaf extends Base {
  options: Option[];
  /** the positional arguments it takes, for the usage line; none: it takes none */
  args?: string;
  /** the exit code; undefined when the process lives on (serve) */
  run(args: RunArgs): Promise<number | undefined>;
}

export interface Group extends Base {
  /** flags of the group itself (only the top level has one: --version) */
  options: Option[];
  subcommands: Command[];
}

export type Command = Leaf | Group;

/** A mistake in the command line (exit 2); `see` names the command whose help to point to. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly see?: string[],
  ) {
    super(message);
  }
}

const HELP: Option = { flag: "help", help: "print this help and exit" };

/** One of the server's FLAGS, as a command takes it, with the command's own description if given. */
function serverFlag(flag: string, help?: string): Option {
  const spec = FLAGS.find((f) => f.flag === flag);
  if (!spec) throw new Error(`no server flag --${flag}`);
  return { flag, ...(spec.boolean ? {} : { value: spec.value ?? "VALUE" }), help: help ?? spec.help, server: true };
}

const DATA_DIR = serverFlag("data-dir", "the server's data directory (default ./.headwater)");
const DATABASE_URL = serverFlag("database-url", "the server's PostgreSQL database (postgres://…), when it keeps its data there");

function out(text: string): void {
  process.stdout.write(text);
}

/** An admin command: its code, run against the data directory or database, prints JSON. */
function admin(name: string): Leaf["run"] {
  return async ({ own, config }) => {
    const { runAdmin } = await import("./admin.js");
    out(JSON.stringify(await runAdmin(name, own, config()), null, 2) + "\n");
    return 0;
  };
}

export const CLI: Group = {
  name: "headwater",
  summary: "a self-hosted Git service that speaks AWS CodeCommit's language",
  about: "",
  options: [{ flag: "version", help: "print the version and exit" }],
  subcommands: [
    {
      name: "serve",
      summary: "start the server",
      about: `Starts the server: the AWS API and Git's smart HTTP on one port, Git over SSH on another,
until SIGTERM or SIGINT.

Bootstrap administrator: set HEADWATER_ADMIN_ACCESS_KEY_ID and HEADWATER_ADMIN_SECRET_ACCESS_KEY
to choose its key pair; otherwise one is generated on first start into
<data-dir>/admin-credentials.json.`,
      options: FLAGS.map((f) => serverFlag(f.flag)),
      async run({ config }) {
        const cfg = config();
        const { serve } = await import("./serve.js");
        await serve(cfg);
        return undefined;
      },
    },
    {
      name: "host-keys",
      summary: "print the SSH host keys' fingerprints and known_hosts lines",
      about: `Prints the SSH host keys' SHA256 fingerprints (as comments) and known_hosts lines for the host
and port clients connect to: give it the --data-dir, --host and --ssh-port (or --public-ssh-url)
of serve. Append the output to ~/.ssh/known_hosts.`,
      options: [
        serverFlag("data-dir", "serve's data directory, which holds the keys (default ./.headwater)"),
        serverFlag("host", "serve's --host, the host in the lines; 0.0.0.0 and :: become localhost (default 127.0.0.1)"),
        serverFlag("ssh-port", "serve's --ssh-port, the port in the lines (default 4722)"),
        serverFlag("public-ssh-url", "serve's --public-ssh-url; its host and port (default 22) win over --host and --ssh-port"),
      ],
      async run({ config }) {
        const cfg = config();
        const { hostKeysCommand } = await import("./host-keys.js");
        return hostKeysCommand(cfg);
      },
    },
    {
      name: "admin",
      summary: "administration: Lambda function endpoints, the delivery log",
      about: `Administration, on the data directory or database directly (the server may be running).
Every command prints JSON.`,
      options: [],
      subcommands: [
        {
          name: "register-function",
          summary: "accept a Lambda function ARN as a trigger destination",
          about: `Accepts a Lambda function as a trigger destination: the events of triggers naming its ARN are
POSTed (JSON) to the URL. The function must be in the region the server answers as.`,
          options: [
            { flag: "function-arn", value: "ARN", required: true, help: "the function: arn:aws:lambda:REGION:ACCOUNT:function:NAME" },
            { flag: "url", value: "URL", required: true, help: "where its events are POSTed" },
            DATA_DIR,
            DATABASE_URL,
            serverFlag("region", "the region the server answers as, the function's (default us-east-1)"),
          ],
          run: admin("register-function"),
        },
        {
          name: "deregister-function",
          summary: "stop accepting a Lambda function as a trigger destination",
          about: "Stops accepting the function: triggers already naming it skip their events.",
          options: [{ flag: "function-arn", value: "ARN", required: true, help: "the function's ARN, as registered" }, DATA_DIR, DATABASE_URL],
          run: admin("deregister-function"),
        },
        {
          name: "list-functions",
          summary: "the registered Lambda function endpoints",
          about: "Lists the registered Lambda function endpoints.",
          options: [DATA_DIR, DATABASE_URL],
          run: admin("list-functions"),
        },
        {
          name: "list-deliveries",
          summary: "the delivery log, newest first, with every attempt",
          about: "Lists the delivery log (events and SNS messages), newest first, with every attempt.",
          options: [
            { flag: "status", value: "STATUS", help: "only deliveries in this state: pending, delivered, failed or cancelled" },
            { flag: "limit", value: "N", help: "at most N deliveries (default 100)" },
            DATA_DIR,
            DATABASE_URL,
          ],
          run: admin("list-deliveries"),
        },
        {
          name: "redeliver",
          summary: "put failed deliveries back in the queue",
          about: "Puts failed deliveries back in the queue for a new round of attempts: those named, or all.",
          options: [
            { flag: "delivery-id", value: "N", repeatable: true, help: "a failed delivery's id (from list-deliveries); repeatable" },
            { flag: "all-failed", help: "every failed delivery instead" },
            DATA_DIR,
            DATABASE_URL,
          ],
          run: admin("redeliver"),
        },
      ],
    },
    {
      name: "version",
      summary: "print the version",
      about: "Prints the version (as headwater --version does).",
      options: [],
      async run() {
        out(`${VERSION}\n`);
        return 0;
      },
    },
    {
      name: "help",
      summary: "print a command's help",
      about: "Prints a command's help: `headwater help admin redeliver` is `headwater admin redeliver --help`.",
      options: [],
      args: "[COMMAND...]",
      async run({ positionals }) {
        const found = find(positionals);
        if (!found) throw new UsageError(`unknown command "${positionals.join(" ")}"`, []);
        out(helpText(found, positionals));
        return 0;
      },
    },
  ],
};

export function isGroup(c: Command): c is Group {
  return "subcommands" in c;
}

/** The command the words name (none: the top level), if there is one. */
export function find(words: string[]): Command | undefined {
  let c: Command = CLI;
  for (const w of words) {
    const sub: Command | undefined = isGroup(c) ? c.subcommands.find((s) => s.name === w) : undefined;
    if (!sub) return undefined;
    c = sub;
  }
  return c;
}

/** Every command with the words that name it, the top level ([]) first. */
export function allCommands(): Array<{ words: string[]; command: Command }> {
  const all: Array<{ words: string[]; command: Command }> = [];
  const walk = (c: Command, words: string[]) => {
    all.push({ words, command: c });
    if (isGroup(c)) for (const s of c.subcommands) walk(s, [...words, s.name]);
  };
  walk(CLI, []);
  return all;
}

export interface Parsed {
  help: boolean;
  own: Map<string, string[]>;
  positionals: string[];
  /** the server flags as given, for loadConfig */
  serverArgv: string[];
}

/**
 * Reads a command's arguments: `--flag value`, `--flag=value`, a flag without a value alone (a
 * server one also as `--flag=false`), and `-h`/`--help` anywhere a flag can be. Only the flags
 * the command declares; with help asked for, mistakes are not reported.
 */
export function parse(command: Leaf, argv: string[]): Parsed {
  const own = new Map<string, string[]>();
  const positionals: string[] = [];
  const serverArgv: string[] = [];
  let help = false;
  let mistake: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (command.args) positionals.push(arg);
      else mistake ??= `unexpected argument "${arg}"`;
      continue;
    }
    const [name, inline] = arg.replace(/^--?/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    const opt = arg.startsWith("--") ? command.options.find((o) => o.flag === name) : undefined;
    if (!opt) {
      mistake ??= `unknown flag ${arg.split("=")[0]}`;
      continue;
    }
    let value = inline;
    if (opt.value && value === undefined) {
      value = argv[++i];
      if (value === undefined) {
        mistake ??= `--${name} needs a value`;
        continue;
      }
    }
    if (opt.server) {
      serverArgv.push(...(opt.value && inline === undefined ? [arg, value!] : [arg]));
    } else if (!opt.value && value !== undefined) {
      mistake ??= `--${name} takes no value`;
    } else {
      own.set(name, [...(own.get(name) ?? []), value ?? "true"]);
    }
  }
  for (const o of command.options) if (o.required && !own.has(o.flag)) mistake ??= `--${o.flag} is required`;
  if (mistake && !help) throw new UsageError(mistake);
  return { help, own, positionals, serverArgv };
}

function optionLines(options: Option[]): string {
  const rows: Array<[string, string]> = [...options, HELP].map((o) => [
    o === HELP ? "-h, --help" : `--${o.flag}${o.value ? ` ${o.value}` : ""}`,
    o.help + (o.required ? " (required)" : ""),
  ]);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, h]) => `  ${l.padEnd(width)}${h}`).join("\n");
}

/** The usage text of a command, from its declaration. */
export function helpText(command: Command, words: string[]): string {
  const name = ["headwater", ...words].join(" ");
  const parts: string[] = [];
  if (command === CLI) parts.push(`headwater ${VERSION}: ${CLI.summary}`);
  if (isGroup(command)) {
    parts.push(`Usage: ${name} COMMAND [flags]`);
    if (command.about) parts.push(command.about);
    const rows: Array<[string, string]> = [];
    for (const s of command.subcommands) {
      rows.push([isGroup(s) ? `${s.name} COMMAND` : s.args ? `${s.name} ${s.args}` : s.name, s.summary]);
      // the top level lists the commands of its groups too
      if (command === CLI && isGroup(s)) for (const t of s.subcommands) rows.push([`  ${t.name}`, t.summary]);
    }
    const width = Math.max(...rows.map(([l]) => l.length)) + 2;
    parts.push("Commands:\n" + rows.map(([l, h]) => `  ${l.padEnd(width)}${h}`).join("\n"));
    parts.push("Flags:\n" + optionLines(command.options));
    parts.push(`Run '${name} COMMAND --help' for what a command does and the flags it takes.`);
  } else {
    const required = command.options.filter((o) => o.required).map((o) => `--${o.flag} ${o.value}`);
    parts.push(`Usage: ${[name, ...required, ...(command.args ? [command.args] : []), "[flags]"].join(" ")}`);
    parts.push(command.about);
    parts.push("Flags:\n" + optionLines(command.options));
    const server = command.options.filter((o) => o.server);
    const notes: string[] = [];
    const variable = (o: Option) => `HEADWATER_${o.flag.toUpperCase().replace(/-/g, "_")}`;
    if (server.length && server.length === command.options.length) {
      notes.push(`Each flag can also be set as the environment variable HEADWATER_<FLAG> (--${server[0]!.flag} as`);
      notes.push(`${variable(server[0]!)}); flags win.`);
    } else if (server.length) {
      notes.push(`From the environment too: ${server.map(variable).join(", ")} (flags win).`);
    }
    const yesNo = server.filter((o) => !o.value);
    const example = yesNo.find((o) => o.help.includes("(default true)")) ?? yesNo[0];
    if (example) notes.push(`Flags without a value are on when given alone; --${example.flag}=false turns one off.`);
    if (notes.length) parts.push(notes.join("\n"));
  }
  return parts.join("\n\n") + "\n";
}

/** Runs a command line (the arguments after `headwater`); the exit code, or undefined for serve. */
export async function runCli(argv: string[]): Promise<number | undefined> {
  const words: string[] = [];
  let command: Command = CLI;
  let rest = argv;
  try {
    while (isGroup(command)) {
      const [next, ...more] = rest;
      if (next === "--help" || next === "-h" || (next === undefined && command === CLI)) {
        out(helpText(command, words));
        return 0;
      }
      if (next === "--version" && command === CLI) {
        out(`${VERSION}\n`);
        return 0;
      }
      if (next === undefined) throw new UsageError(`name a command: ${command.subcommands.map((s) => s.name).join(", ")}`);
      const sub: Command | undefined = command.subcommands.find((s) => s.name === next);
      if (!sub && next.startsWith("-")) {
        const flag = next.split("=")[0]!;
        const later = allCommands().some(({ command: c }) => !isGroup(c) && c.options.some((o) => `--${o.flag}` === flag));
        throw new UsageError(later ? `${flag} before the command: name the command first, then its flags` : `unknown flag ${flag}`);
      }
      if (!sub) throw new UsageError(`unknown command "${next}"`);
      words.push(next);
      command = sub;
      rest = more;
    }
    const { help, own, positionals, serverArgv } = parse(command, rest);
    if (help) {
      out(helpText(command, words));
      return 0;
    }
    return await command.run({ own, positionals, config: () => loadConfig(serverArgv) });
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      const see = ["headwater", ...((e instanceof UsageError && e.see) || words)].join(" ");
      process.stderr.write(`${["headwater", ...words].join(" ")}: ${e.message}\nSee '${see} --help'.\n`);
      return 2;
    }
    throw e;
  }
}
