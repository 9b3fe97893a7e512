/**
 * The baseline for the content API: GetFile, GetCommit, ListFileCommitHistory and
 * GetBlobDifferences answered by spawning one git process per request (`git cat-file`,
 * `git rev-list -- PATH`, `git diff`), the way a thin wrapper around the git CLI would, behind a
 * minimal Node HTTP server in its own process. It checks no signature and returns only git's
 * output, so it is the cheapest a process-per-request design can be.
 * Usage: tsx bench/lib/git-per-request.ts <git-dir> <port-file>
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";

const [gitDir, portFile] = process.argv.slice(2);
if (!gitDir || !portFile) throw new Error("usage: git-per-request.ts <git-dir> <port-file>");

function git(args: string[], okCodes = [0]): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const child = spawn("git", args, { env: { PATH: process.env.PATH!, GIT_DIR: gitDir!, GIT_LITERAL_PATHSPECS: "1" } });
    const out: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.on("close", (code) => resolve(code !== null && okCodes.includes(code) ? Buffer.concat(out) : null));
  });
}
const catFile = (args: string[]) => git(["cat-file", ...args]);

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (d: Buffer) => chunks.push(d));
  req.on("end", async () => {
    const op = String(req.headers["x-amz-target"] ?? "").split(".")[1];
    const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, string>;
    let body: unknown = null;
    if (op === "GetFile") {
      const content = await catFile(["blob", `${input.commitSpecifier ?? "HEAD"}:${input.filePath}`]);
      if (content) body = { filePath: input.filePath, fileSize: content.length, fileContent: content.toString("base64") };
    } else if (op === "GetCommit") {
      const raw = await catFile(["commit", input.commitId!]);
      if (raw) {
        const text = raw.toString("utf8");
        const head = text.slice(0, text.indexOf("\n\n")).split("\n");
        body = {
          commit: {
            commitId: input.commitId,
            treeId: head.find((l) => l.startsWith("tree "))?.slice(5),
            parents: head.filter((l) => l.startsWith("parent ")).map((l) => l.slice(7)),
            message: text.slice(text.indexOf("\n\n") + 2),
          },
        };
      }
    } else if (op === "ListFileCommitHistory") {
      // what Headwater did before it cached walks: the first page, walked by git for this request
      const out = await git(["rev-list", "--topo-order", "--parents", "--max-count=101", input.commitSpecifier ?? "HEAD", "--", input.filePath!]);
      if (out) body = { revisionDag: out.toString().trim().split("\n").slice(0, 100).map((l) => ({ commit: { commitId: l.split(" ")[0] } })) };
    } else if (op === "GetBlobDifferences") {
      const out = await git(["diff", "--no-color", "--no-ext-diff", "--text", "-U3", input.beforeBlobId!, input.afterBlobId!]);
      if (out) body = { diff: out.toString() };
    }
    res.writeHead(body ? 200 : 400, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify(body ?? { __type: "NotFound" }));
  });
});
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(portFile, String((server.address() as { port: number }).port));
});
