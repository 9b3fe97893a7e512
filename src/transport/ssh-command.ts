import type { GitService } from "./git-service.js";

/** The exec requests git sends over SSH, parsed strictly. */

export interface GitCommand {
  service: GitService;
  /** the repository name as the path gives it (a `.git` suffix is removed by GitServing.open) */
  repository: string;
}

const COMMAND = /^(git-upload-pack|git-receive-pack|git-upload-archive) (.+)$/s;

/**
 * Parses an exec request as git sends it: the dashed service name, one space, and the path in
 * git's shell quoting (`sq_quote`: single quotes, a quote inside as '\'' and `!` as '\!'). The
 * path is `/v1/repos/NAME` or `/v1/repos/NAME.git`; the leading slash may be missing, as in
 * scp-like URLs (`KEYID@host:v1/repos/NAME`). Anything else is not a git command: null.
 */
export function parseGitCommand(command: string): GitCommand | null {
  const m = COMMAND.exec(command);
  if (!m) return null;
  const path = sqDequote(m[2]!);
  if (path === null) return null;
  const p = /^\/?v1\/repos\/([^/\0]+)$/.exec(path);
  if (!p) return null;
  return { service: m[1] as GitService, repository: p[1]! };
}

/** git's `sq_dequote` for one argument: null unless the whole string is one quoted word. */
export function sqDequote(arg: string): string | null {
  if (arg[0] !== "'") return null;
  let out = "";
  let i = 1;
  for (;;) {
    const c = arg[i];
    if (c === undefined) return null;
    if (c !== "'") {
      out += c;
      i++;
      continue;
    }
    // stepped out of the quotes: the end, or a backslashed ' or ! and back in
    const next = arg[i + 1];
    if (next === undefined) return out;
    if (next === "\\" && (arg[i + 2] === "'" || arg[i + 2] === "!") && arg[i + 3] === "'") {
      out += arg[i + 2];
      i += 4;
      continue;
    }
    return null;
  }
}
