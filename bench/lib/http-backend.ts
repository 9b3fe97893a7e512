/**
 * The baseline for Git over HTTP: git's own `git http-backend` (CGI) behind a minimal Node HTTP
 * server, run as its own process. Usage: tsx bench/lib/http-backend.ts <project-root> <port-file>
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";

const [root, portFile] = process.argv.slice(2);
if (!root || !portFile) throw new Error("usage: http-backend.ts <project-root> <port-file>");

const server = http.createServer((req, res) => {
  const url = new URL(req.url!, "http://x");
  const env: Record<string, string> = {
    PATH: process.env.PATH!,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    REQUEST_METHOD: req.method!,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_USER: "bench",
    REMOTE_ADDR: req.socket.remoteAddress ?? "",
  };
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
  if (req.headers["git-protocol"]) env.GIT_PROTOCOL = req.headers["git-protocol"] as string;
  const cgi = spawn("git", ["http-backend"], { env });
  req.pipe(cgi.stdin);
  cgi.stdin.on("error", () => {});
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      if (!res.write(chunk)) {
        cgi.stdout.pause();
        res.once("drain", () => cgi.stdout.resume());
      }
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (/^status$/i.test(name)) status = parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    res.write(head.subarray(end + 4));
  });
  cgi.on("close", () => res.end());
});
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(portFile, String((server.address() as { port: number }).port));
});
