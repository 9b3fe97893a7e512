import { afterEach } from "vitest";
import { startServer, type ServerHandle, type StartOptions } from "./server.js";

/**
 * For a test file whose tests each start their own servers: the start function to use. Every
 * server it started is ended after its test: stopped (SIGTERM), or killed (SIGKILL) for files
 * that crash servers anyway and need not wait for a graceful stop.
 */
export function serversPerTest(end: "stop" | "kill" = "stop"): (opts?: StartOptions) => Promise<ServerHandle> {
  const servers: ServerHandle[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await (end === "kill" ? s.kill() : s.stop());
  });
  return async (opts = {}) => {
    const s = await startServer(opts);
    servers.push(s);
    return s;
  };
}
