import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * The git hooks Headwater gives receive-pack, so that a push takes the repository's ref lock
 * after its objects have arrived and before git moves any ref, and keeps it until the push is
 * recorded (see PushSession).
 *
 * They talk to the server over the socket receive-pack inherits as fd 3 (git does not close
 * inherited descriptors when it runs hooks): one line asked, one line answered. They are small
 * POSIX sh scripts rather than Node ones, because a hook runs on every push and Node would add
 * tens of milliseconds of start-up to each.
 */

/** Set only in receive-pack's environment as Headwater spawns it: fd 3 is the server's socket. */
export const HOOKS_ENV = "HEADWATER_RECEIVE_HOOKS";

const PREAMBLE = `#!/bin/sh
# Written by Headwater at every start (edits are overwritten). Headwater runs git receive-pack with
# -c core.hooksPath=<this directory>, ${HOOKS_ENV}=1 and a socket to the server on fd 3.
# Run any other way (an operator's own git), the hook does nothing.
[ "$${HOOKS_ENV}" = 1 ] || exit 0
`;

/**
 * git runs pre-receive once the pushed objects are in and before any ref moves; a non-zero exit
 * moves none. It waits until the server holds the repository's ref lock; anything but "ok"
 * (no server on fd 3, a lock that could not be taken) refuses the push: refs never move unlocked.
 */
const PRE_RECEIVE =
  PREAMBLE +
  `if { printf 'pre-receive\\n' >&3 && IFS= read -r answer <&3; } 2>/dev/null && [ "$answer" = ok ]; then
  exit 0
fi
echo "Headwater could not lock the repository's references; nothing was changed. Try the push again." >&2
exit 1
`;

/**
 * git runs post-receive after moving refs. It waits until the server has recorded the push and
 * released the lock, so receive-pack exits only after that. Its exit status changes nothing in
 * git; if it cannot reach the server, the server records the push when receive-pack exits.
 */
const POST_RECEIVE =
  PREAMBLE +
  `{ printf 'post-receive\\n' >&3 && IFS= read -r answer <&3; } 2>/dev/null
exit 0
`;

export interface ReceiveHooks {
  /** the directory git is told to take hooks from */
  dir: string;
  /**
   * git's options before `receive-pack`: our hooks (and no others), and no `gc --auto` run by
   * receive-pack itself, since a detached gc would inherit fd 3 and keep it open long after the
   * push (GitServing runs gc --auto itself once a push is recorded)
   */
  gitArgs: string[];
  /** receive-pack's extra environment */
  env: Record<string, string>;
}

/**
 * Writes the hooks into `<dataDir>/receive-hooks` (each file replaced in one rename, so a
 * process sharing the data directory never runs a half-written one), then checks that they can
 * be run: git skips a hook it cannot execute, which would let pushes move refs unlocked.
 */
export async function installReceiveHooks(dataDir: string): Promise<ReceiveHooks> {
  const dir = path.join(dataDir, "receive-hooks");
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of [
    ["pre-receive", PRE_RECEIVE],
    ["post-receive", POST_RECEIVE],
  ] as const) {
    const file = path.join(dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o755 });
    fs.chmodSync(tmp, 0o755); // whatever the umask
    fs.renameSync(tmp, file);
    await new Promise<void>((resolve, reject) =>
      execFile(file, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }, (err) =>
        err ? reject(new Error(`the git hook ${file} cannot be run (${err.message}); is the data directory mounted noexec?`)) : resolve(),
      ),
    );
  }
  return {
    dir,
    gitArgs: ["-c", `core.hooksPath=${dir}`, "-c", "receive.autoGc=false"],
    env: { [HOOKS_ENV]: "1" },
  };
}
