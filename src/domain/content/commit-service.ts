import { ServiceError } from "../../errors.js";
import { EMPTY_TREE_OID, hashObject, isTree, type TreeEntry } from "../../git/objects.js";
import type { Caller } from "../context.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import { resolveBranchTarget, type BranchTarget } from "./branch-target.js";
import { MAX_FILE_BYTES, parseChangeSet, tooLarge, type ChangeSetInput } from "./change-set.js";
import { contentErrors } from "./errors.js";
import { commitAuthor, commitMessage } from "./identity.js";
import { gitMode, isFileMode, modeName, validateFileMode, type FileModeName } from "./modes.js";
import type { ObjectCache, ObjectReader } from "./object-reader.js";
import { validateFilePath } from "./paths.js";
import { GITKEEP, EMPTY_BLOB_OID, TreeEditor } from "./tree-editor.js";
import { writeCommit } from "./write-commit.js";

export interface PutFileRequest {
  repositoryName: unknown;
  branchName: unknown;
  filePath: unknown;
  /** decoded by the protocol edge; undefined when absent */
  fileContent?: Buffer;
  fileMode?: unknown;
  parentCommitId?: unknown;
  commitMessage?: unknown;
  name?: unknown;
  email?: unknown;
}

export interface DeleteFileRequest {
  repositoryName: unknown;
  branchName: unknown;
  filePath: unknown;
  parentCommitId?: unknown;
  keepEmptyFolders?: unknown;
  commitMessage?: unknown;
  name?: unknown;
  email?: unknown;
}

export interface CreateCommitRequest extends ChangeSetInput {
  repositoryName: unknown;
  branchName: unknown;
  parentCommitId?: unknown;
  authorName?: unknown;
  email?: unknown;
  commitMessage?: unknown;
  keepEmptyFolders?: unknown;
}

export interface FileMetadata {
  absolutePath: string;
  blobId: string;
  fileMode?: FileModeName;
}

export interface CreateCommitResult {
  commitId: string;
  treeId: string;
  filesAdded: FileMetadata[];
  filesUpdated: FileMetadata[];
  filesDeleted: FileMetadata[];
}

function optionalBoolean(value: unknown, member: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new ServiceError("SerializationException", `${member} must be a boolean.`);
  return value;
}

function noChange(): ServiceError {
  return new ServiceError(
    "NoChangeException",
    "The commit would not change anything: the files already have this content and these modes.",
  );
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** CreateCommit's message when none is given: what it did, e.g. "Added 2 files, deleted 1 file". */
function summary(r: Pick<CreateCommitResult, "filesAdded" | "filesUpdated" | "filesDeleted">): string {
  const parts = [
    r.filesAdded.length ? `added ${plural(r.filesAdded.length, "file")}` : "",
    r.filesUpdated.length ? `updated ${plural(r.filesUpdated.length, "file")}` : "",
    r.filesDeleted.length ? `deleted ${plural(r.filesDeleted.length, "file")}` : "",
  ].filter(Boolean);
  const text = parts.join(", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Commits made through the API: PutFile, DeleteFile and CreateCommit. Each edits the parent's
 * tree in memory, writes the new objects with one git process, and moves the branch with a
 * compare-and-swap through the ref ledger (see write-commit.ts).
 */
export class CommitService {
  constructor(
    private readonly repos: RepositoryService,
    private readonly cache: ObjectCache,
  ) {}

  private async open(repoName: unknown): Promise<{ repo: Repository; reader: ObjectReader }> {
    const repo = await this.repos.require(repoName);
    return { repo, reader: this.cache.reader(repo.id, this.repos.git(repo)) };
  }

  private editor(reader: ObjectReader, target: BranchTarget): TreeEditor {
    return new TreeEditor(reader, target.parent?.tree ?? null);
  }

  async putFile(caller: Caller, req: PutFileRequest): Promise<{ commitId: string; blobId: string; treeId: string }> {
    const { repo, reader } = await this.open(req.repositoryName);
    const path = validateFilePath(req.filePath);
    if (req.fileContent === undefined || req.fileContent.length === 0) {
      throw new ServiceError(
        "FileContentRequiredException",
        "The file content is required and cannot be empty: PutFile cannot add empty files.",
      );
    }
    if (req.fileContent.length > MAX_FILE_BYTES) throw tooLarge(`The file '${path.path}'`);
    const requestedMode = validateFileMode(req.fileMode, false);
    const author = commitAuthor(caller.principal, req.name, req.email);
    const target = await resolveBranchTarget(reader, reader.git, repo.name, req.branchName, req.parentCommitId);

    const editor = this.editor(reader, target);
    const existing = await editor.get(path.parts);
    const blobId = hashObject("blob", req.fileContent);
    const existingMode = existing && isFileMode(existing.mode) ? existing.mode : undefined;
    const mode = requestedMode ? gitMode(requestedMode) : (existingMode ?? "100644");
    if (existing && existing.oid === blobId && existing.mode === mode) {
      throw new ServiceError(
        "SameFileContentException",
        `The file '${path.path}' already has this content${requestedMode ? " and mode" : ""} on branch ${target.branchName}; nothing was committed.`,
      );
    }
    await editor.put(path.parts, mode, blobId);
    const tree = await editor.build(false);
    const message = commitMessage(req.commitMessage, () => `${existing ? "Updated" : "Added"} ${path.path}`);
    const commitId = await writeCommit(this.repos, repo, reader, caller, { target, tree, blobs: [req.fileContent], author, message });
    return { commitId, blobId, treeId: tree.oid };
  }

  async deleteFile(
    caller: Caller,
    req: DeleteFileRequest,
  ): Promise<{ commitId: string; blobId: string; treeId: string; filePath: string }> {
    const { repo, reader } = await this.open(req.repositoryName);
    const path = validateFilePath(req.filePath);
    const keep = optionalBoolean(req.keepEmptyFolders, "keepEmptyFolders");
    const author = commitAuthor(caller.principal, req.name, req.email);
    const target = await resolveBranchTarget(reader, reader.git, repo.name, req.branchName, req.parentCommitId, {
      parentRequired: true,
    });
    const editor = this.editor(reader, target);
    const removed = await editor.remove(path.parts);
    if (!removed) throw contentErrors.fileDoesNotExist(path.path, `branch ${target.branchName}`);
    const tree = await editor.build(keep);
    const message = commitMessage(req.commitMessage, () => `Deleted ${path.path}`);
    const commitId = await writeCommit(this.repos, repo, reader, caller, { target, tree, blobs: [], author, message });
    return { commitId, blobId: removed.oid, treeId: tree.oid, filePath: path.path };
  }

  async createCommit(caller: Caller, req: CreateCommitRequest): Promise<CreateCommitResult> {
    const { repo, reader } = await this.open(req.repositoryName);
    const changes = parseChangeSet(req);
    const keep = optionalBoolean(req.keepEmptyFolders, "keepEmptyFolders");
    const author = commitAuthor(caller.principal, req.authorName, req.email);
    // checked now, before any work; the default needs the result, so it comes at the end
    const givenMessage = commitMessage(req.commitMessage, () => "");
    const target = await resolveBranchTarget(reader, reader.git, repo.name, req.branchName, req.parentCommitId);
    const where = `branch ${target.branchName}`;
    const before = (parts: string[]) => (target.parent ? reader.entryAt(target.parent.tree, parts) : Promise.resolve(null));

    const filesAdded: FileMetadata[] = [];
    const filesUpdated: FileMetadata[] = [];
    const filesDeleted: FileMetadata[] = [];
    const meta = (path: string, e: { oid: string; mode: TreeEntry["mode"] }): FileMetadata => ({
      absolutePath: path,
      blobId: e.oid,
      fileMode: modeName(e.mode),
    });

    // sources are read from the parent, before anything in this commit moves them
    const sources = await Promise.all(
      changes.puts.map(async (p) => {
        if (!p.source) return null;
        const e = await before(p.source.path.parts);
        if (!e || !isFileMode(e.mode)) throw contentErrors.fileDoesNotExist(p.source.path.path, where);
        return e;
      }),
    );

    const editor = this.editor(reader, target);
    for (const d of changes.deletes) {
      const removed = await editor.remove(d.parts);
      if (!removed) throw contentErrors.fileDoesNotExist(d.path, where);
      filesDeleted.push(meta(d.path, removed));
    }
    for (const [i, p] of changes.puts.entries()) {
      if (p.source?.isMove) {
        await editor.remove(p.source.path.parts);
        filesDeleted.push(meta(p.source.path.path, sources[i]!));
      }
    }
    const blobs: Buffer[] = [];
    for (const [i, p] of changes.puts.entries()) {
      const old = await before(p.path.parts);
      const oldFile = old && isFileMode(old.mode) ? old : null;
      const source = sources[i];
      const oid = p.content ? hashObject("blob", p.content) : source!.oid;
      const mode = p.mode ? gitMode(p.mode) : (oldFile?.mode ?? source?.mode ?? "100644");
      await editor.put(p.path.parts, mode, oid);
      if (p.content) blobs.push(p.content);
      if (!oldFile) filesAdded.push(meta(p.path.path, { oid, mode }));
      else if (oldFile.oid !== oid || oldFile.mode !== mode) filesUpdated.push(meta(p.path.path, { oid, mode }));
    }
    for (const m of changes.modes) {
      const e = await editor.get(m.path.parts);
      if (!e || !isFileMode(e.mode)) throw contentErrors.fileDoesNotExist(m.path.path, where);
      const mode = gitMode(m.mode);
      if (mode === e.mode) continue;
      await editor.put(m.path.parts, mode, e.oid);
      filesUpdated.push(meta(m.path.path, { oid: e.oid, mode }));
    }

    const tree = await editor.build(keep);
    if (tree.oid === (target.parent?.tree ?? EMPTY_TREE_OID)) throw noChange();
    for (const folder of tree.keptFolders) {
      filesAdded.push({ absolutePath: `${folder}/${GITKEEP}`, blobId: EMPTY_BLOB_OID, fileMode: "NORMAL" });
    }
    const message = givenMessage || summary({ filesAdded, filesUpdated, filesDeleted });
    const commitId = await writeCommit(this.repos, repo, reader, caller, { target, tree, blobs, author, message });
    return { commitId, treeId: tree.oid, filesAdded, filesUpdated, filesDeleted };
  }
}
