import { ServiceError } from "../../errors.js";
import { fromBinary, isTree } from "../../git/objects.js";
import type { ChangeBus } from "../change-bus.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import { MAX_FILE_BYTES } from "./change-set.js";
import { commitInfo, type CommitInfo } from "./commit-info.js";
import { contentErrors } from "./errors.js";
import type { HistoryWalks } from "./history-walks.js";
import { isFileMode, modeName, type FileModeName } from "./modes.js";
import type { ObjectCache, ObjectReader } from "./object-reader.js";
import { joinPath, validateFilePath, validateFolderPath } from "./paths.js";
import { RepositoryCache } from "./repository-cache.js";
import { isFullCommitId, resolveCommit } from "./specifiers.js";

export const MAX_BATCH_COMMITS = 100;

export interface FileContent {
  commitId: string;
  blobId: string;
  filePath: string;
  fileMode: FileModeName;
  fileSize: number;
  fileContent: Buffer;
}

export interface FolderContent {
  commitId: string;
  folderPath: string;
  treeId: string;
  subFolders: Array<{ treeId: string; absolutePath: string; relativePath: string }>;
  files: Array<{ blobId: string; absolutePath: string; relativePath: string; fileMode: FileModeName }>;
  symbolicLinks: Array<{ blobId: string; absolutePath: string; relativePath: string; fileMode: FileModeName }>;
  subModules: Array<{ commitId: string; absolutePath: string; relativePath: string }>;
}

export interface BatchCommitError {
  commitId: string;
  errorCode: string;
  errorMessage: string;
}

function requireObjectId(value: unknown, required: () => ServiceError, invalid: (id: string) => ServiceError): string {
  if (value === undefined || value === null || value === "") throw required();
  if (typeof value !== "string" || !isFullCommitId(value)) throw invalid(String(value));
  return value.toLowerCase();
}

/**
 * Reading repository content: commits, blobs, files and folders. Everything is read through
 * the repository's long-lived cat-file process and the object cache; no call starts a process
 * (file history's walks are git's, cached: see history-walks.ts).
 */
export class ContentService {
  private readonly known: RepositoryCache;

  constructor(
    private readonly repos: RepositoryService,
    private readonly cache: ObjectCache,
    bus: ChangeBus,
    /** git's path-limited walks for ListFileCommitHistory, cached */
    readonly walks: HistoryWalks,
  ) {
    this.known = new RepositoryCache(repos, bus);
  }

  async open(repoName: unknown): Promise<{ repo: Repository; reader: ObjectReader }> {
    const repo = await this.known.require(repoName);
    return { repo, reader: this.cache.reader(repo.id, this.repos.git(repo)) };
  }

  async getCommit(repoName: unknown, commitIdInput: unknown): Promise<CommitInfo> {
    const { repo, reader } = await this.open(repoName);
    const id = requireObjectId(commitIdInput, contentErrors.commitIdRequired, contentErrors.invalidCommitId);
    const commit = await reader.commit(id);
    if (!commit) throw contentErrors.commitIdDoesNotExist(id, repo.name);
    return commitInfo(commit);
  }

  /** Each ID is looked up on its own; the ones that fail are reported in `errors`, in order. */
  async batchGetCommits(repoName: unknown, idsInput: unknown): Promise<{ commits: CommitInfo[]; errors: BatchCommitError[] }> {
    const { repo, reader } = await this.open(repoName);
    if (idsInput === undefined || idsInput === null || (Array.isArray(idsInput) && idsInput.length === 0)) {
      throw new ServiceError("CommitIdsListRequiredException", "A list of commit IDs is required.");
    }
    if (!Array.isArray(idsInput)) throw new ServiceError("SerializationException", "commitIds must be a list of strings.");
    if (idsInput.length > MAX_BATCH_COMMITS) {
      throw new ServiceError(
        "CommitIdsLimitExceededException",
        `The request names ${idsInput.length} commits; at most ${MAX_BATCH_COMMITS} can be asked for at once.`,
      );
    }
    // Commit IDs are hexadecimal, so an upper-case ID names the same commit (GetCommit takes
    // either, and answers with git's lower-case ID): asking for one in two spellings returns it
    // once, like asking twice in one spelling. Errors echo the ID as first given.
    const byCommit = new Map<string, string>();
    for (const v of idsInput) {
      const id = String(v);
      const key = isFullCommitId(id) ? id.toLowerCase() : id;
      if (!byCommit.has(key)) byCommit.set(key, id);
    }
    const ids = [...byCommit.values()];
    const found = await Promise.all(ids.map((id) => (isFullCommitId(id) ? reader.commit(id.toLowerCase()) : Promise.resolve(undefined))));
    const commits: CommitInfo[] = [];
    const errors: BatchCommitError[] = [];
    ids.forEach((id, i) => {
      const c = found[i];
      if (c) commits.push(commitInfo(c));
      else if (c === undefined) errors.push({ commitId: id, errorCode: "InvalidCommitIdException", errorMessage: contentErrors.invalidCommitId(id).message });
      else errors.push({ commitId: id, errorCode: "CommitIdDoesNotExistException", errorMessage: contentErrors.commitIdDoesNotExist(id, repo.name).message });
    });
    return { commits, errors };
  }

  async getBlob(repoName: unknown, blobIdInput: unknown): Promise<Buffer> {
    const { repo, reader } = await this.open(repoName);
    const id = requireObjectId(blobIdInput, contentErrors.blobIdRequired, contentErrors.invalidBlobId);
    return this.readBlob(reader, id, `The blob ${id}`, () => contentErrors.blobIdDoesNotExist(id, repo.name));
  }

  /** A blob's content, refused before it is read when it is over the API's 6 MB. */
  private async readBlob(reader: ObjectReader, oid: string, what: string, missing: () => ServiceError): Promise<Buffer> {
    const content = await reader.blob(oid, MAX_FILE_BYTES, (size) => contentErrors.fileTooLarge(what, size, MAX_FILE_BYTES));
    if (!content) throw missing();
    return content;
  }

  async getFile(repoName: unknown, specInput: unknown, pathInput: unknown): Promise<FileContent> {
    const { repo, reader } = await this.open(repoName);
    const path = validateFilePath(pathInput);
    const commit = await resolveCommit(reader, repo.name, specInput);
    const entry = await reader.entryAt(commit.tree, path.parts);
    const missing = () => contentErrors.fileDoesNotExist(path.path, `commit ${commit.oid}`);
    if (!entry || !isFileMode(entry.mode)) throw missing();
    const content = await this.readBlob(reader, entry.oid, `The file '${path.path}'`, missing);
    return {
      commitId: commit.oid,
      blobId: entry.oid,
      filePath: path.path,
      fileMode: modeName(entry.mode)!,
      fileSize: content.length,
      fileContent: content,
    };
  }

  /** A folder's direct entries, sorted as git sorts them, each kind in its own list. */
  async getFolder(repoName: unknown, specInput: unknown, pathInput: unknown): Promise<FolderContent> {
    const { repo, reader } = await this.open(repoName);
    const path = validateFolderPath(pathInput);
    const commit = await resolveCommit(reader, repo.name, specInput);
    const entry = await reader.entryAt(commit.tree, path.parts);
    const tree = entry && isTree(entry) ? await reader.tree(entry.oid) : null;
    if (!tree) throw contentErrors.folderDoesNotExist(path.path, `commit ${commit.oid}`);
    const out: FolderContent = {
      commitId: commit.oid,
      folderPath: path.path,
      treeId: tree.oid,
      subFolders: [],
      files: [],
      symbolicLinks: [],
      subModules: [],
    };
    for (const e of tree.entries) {
      const relativePath = fromBinary(e.name);
      const absolutePath = joinPath(path.path, relativePath);
      if (isTree(e)) out.subFolders.push({ treeId: e.oid, absolutePath, relativePath });
      else if (e.mode === "160000") out.subModules.push({ commitId: e.oid, absolutePath, relativePath });
      else if (e.mode === "120000") out.symbolicLinks.push({ blobId: e.oid, absolutePath, relativePath, fileMode: "SYMLINK" });
      else out.files.push({ blobId: e.oid, absolutePath, relativePath, fileMode: modeName(e.mode)! });
    }
    return out;
  }
}
