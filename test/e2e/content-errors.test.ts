import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { gitHome, gitOk } from "../helpers/clients.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

/**
 * The modeled errors of the 11 content operations, one table: the repository-name errors of
 * every operation, and the branch, parent, author and message errors of the three that commit.
 * Each row is sent with the AWS CLI where the CLI has the operation (v2, or v1 for
 * ListFileCommitHistory, which Debian's v2 predates) and with the SDK; rows for members the
 * CLIs refuse to leave out themselves are the SDK's alone. Nothing a row sends may change the
 * repository.
 */

const REPO = "errors";
let server: ServerHandle;
let head: string;
let blobId: string;

beforeAll(async () => {
  server = await startServer();
  const env = gitHome();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: REPO })).error).toBeUndefined();
  const work = tmpDir("errors-work");
  await gitOk(["init", "-q", "-b", "main", work], { env });
  fs.writeFileSync(path.join(work, "README.md"), "readme\n");
  await gitOk(["add", "-A"], { cwd: work, env });
  await gitOk(["commit", "-qm", "seed"], { cwd: work, env });
  await gitOk(["tag", "release"], { cwd: work, env });
  await gitOk(["push", "-q", `${server.url}/v1/repos/${REPO}`, "main", "release"], { cwd: work, env });
  head = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
  blobId = (await gitOk(["rev-parse", "HEAD:README.md"], { cwd: work, env })).trim();
});
afterAll(async () => {
  await server?.stop();
});

/** A blob member as each client takes it: bytes for the SDK, base64 text for the CLI v2. */
const blob = (client: ClientKind, text: string) => (client === "sdk" ? Buffer.from(text) : Buffer.from(text).toString("base64"));

/** A valid request of each operation (given the client, for blob members) and the CLI that has it. */
const operations: Record<string, { cli?: ClientKind; input: (c: ClientKind) => Record<string, unknown> }> = {
  GetCommit: { cli: "cli", input: () => ({ commitId: head }) },
  BatchGetCommits: { cli: "cli", input: () => ({ commitIds: [head] }) },
  GetBlob: { cli: "cli", input: () => ({ blobId }) },
  GetFile: { cli: "cli", input: () => ({ filePath: "README.md" }) },
  GetFolder: { cli: "cli", input: () => ({ folderPath: "" }) },
  GetDifferences: { cli: "cli", input: () => ({ afterCommitSpecifier: "main" }) },
  GetBlobDifferences: { input: () => ({ afterBlobId: blobId }) }, // only the JS SDK's model has it
  ListFileCommitHistory: { cli: "cli1", input: () => ({ filePath: "README.md" }) },
  PutFile: { cli: "cli", input: (c) => ({ branchName: "main", parentCommitId: head, filePath: "new.txt", fileContent: blob(c, "new\n") }) },
  DeleteFile: { cli: "cli", input: () => ({ branchName: "main", parentCommitId: head, filePath: "README.md" }) },
  CreateCommit: { cli: "cli", input: (c) => ({ branchName: "main", parentCommitId: head, putFiles: [{ filePath: "new.txt", fileContent: blob(c, "new\n") }] }) },
};

interface Row {
  op: string;
  /** what the row changes in the valid request; undefined removes the member */
  change: Record<string, unknown>;
  error: string;
  /** only the SDK can send it (the CLIs check required members before sending) */
  sdkOnly?: boolean;
}

const rows: Row[] = [];
for (const op of Object.keys(operations)) {
  rows.push({ op, change: { repositoryName: "ghost" }, error: "RepositoryDoesNotExistException" });
  rows.push({ op, change: { repositoryName: "bad name!" }, error: "InvalidRepositoryNameException" });
  rows.push({ op, change: { repositoryName: "r".repeat(101) }, error: "InvalidRepositoryNameException" });
  rows.push({ op, change: { repositoryName: undefined }, error: "RepositoryNameRequiredException", sdkOnly: true });
}
for (const op of ["PutFile", "DeleteFile", "CreateCommit"]) {
  const author = op === "CreateCommit" ? "authorName" : "name";
  rows.push(
    { op, change: { parentCommitId: "xyz" }, error: "InvalidParentCommitIdException" },
    { op, change: { parentCommitId: "a".repeat(40) }, error: "ParentCommitDoesNotExistException" },
    { op, change: { branchName: "nope" }, error: "BranchDoesNotExistException" },
    { op, change: { branchName: "bad..name" }, error: "InvalidBranchNameException" },
    { op, change: { branchName: "release" }, error: "BranchNameIsTagNameException" },
    { op, change: { branchName: undefined }, error: "BranchNameRequiredException", sdkOnly: true },
    { op, change: { [author]: "n".repeat(1025) }, error: "NameLengthExceededException" },
    { op, change: { commitMessage: "m".repeat(256 * 1024 + 1) }, error: "CommitMessageLengthExceededException" },
    { op, change: { email: "mary<major>@example.com" }, error: "InvalidEmailException" },
  );
}

describe("modeled errors of the content operations", () => {
  const cases = rows.flatMap((row) => {
    const clients: ClientKind[] = ["sdk"];
    const cli = operations[row.op]!.cli;
    if (cli && !row.sdkOnly) clients.unshift(cli);
    return clients.map((client) => ({ ...row, client, name: `${row.op}, ${client}: ${row.error} for ${JSON.stringify(row.change).slice(0, 50)}` }));
  });

  it.each(cases)("$name", async ({ op, change, error, client }) => {
    const input: Record<string, unknown> = { repositoryName: REPO, ...operations[op]!.input(client), ...change };
    for (const [k, v] of Object.entries(input)) if (v === undefined) delete input[k];
    const r = await call(server.url, client, op, input);
    expect(r.error).toBe(error);
    expect(r.message).toBeTruthy();
  });

  it("changed nothing", async () => {
    const branch = await call(server.url, "sdk", "GetBranch", { repositoryName: REPO, branchName: "main" });
    expect(branch.out.branch.commitId).toBe(head);
    expect((await call(server.url, "sdk", "ListBranches", { repositoryName: REPO })).out.branches).toEqual(["main"]);
  });
});
