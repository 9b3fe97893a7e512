import crypto from "node:crypto";
import { ServiceError } from "../../errors.js";
import { commitThatMerged } from "../../git/merge.js";
import type { Caller } from "../context.js";
import { contentErrors } from "../content/errors.js";
import { commitAuthor, commitMessage } from "../content/identity.js";
import type { Commit, ObjectCache, ObjectReader } from "../content/object-reader.js";
import { validateFilePath } from "../content/paths.js";
import { resolveCommit } from "../content/specifiers.js";
import { decodeToken, encodeToken } from "../paging.js";
import { branchDoesNotExist } from "../repos/branches.js";
import { branchNameProblem, validateBranchName } from "../repos/names.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import { analyzeMerge, describeConflict, type ConflictMetadata, type MergeAnalysis } from "./conflicts.js";
import type { MergeHunk } from "./hunks.js";
import { concurrentUpdate, moveBranch, writeMergeCommit } from "./make.js";
import {
  DEFAULT_CONFLICT_FILES,
  DEFAULT_MERGE_HUNKS,
  detailLevel,
  isEmptyResolution,
  mergeOption,
  optionalBoolean,
  pageLimit,
  parseConflictResolution,
  resolutionStrategy,
  type ConflictDetailLevel,
  type ConflictResolution,
  type ConflictResolutionStrategy,
  type MergeOption,
} from "./options.js";
import { resolveMerge } from "./resolve.js";

/** The commit pair every merge operation names, as the protocol edge hands it over. */
export interface MergeSpecifiers {
  repositoryName: unknown;
  sourceCommitSpecifier?: unknown;
  destinationCommitSpecifier?: unknown;
  conflictDetailLevel?: unknown;
  conflictResolutionStrategy?: unknown;
}

export interface MergeCommitInputs {
  authorName?: unknown;
  email?: unknown;
  commitMessage?: unknown;
  keepEmptyFolders?: unknown;
  /** replaceContents[].content already decoded from base64 */
  conflictResolution?: unknown;
}

export interface MergeBranchesRequest extends MergeSpecifiers, MergeCommitInputs {
  targetBranch?: unknown;
}

/**
 * What the pull request merges call (MergePullRequestByFastForward/Squash/ThreeWay): merge a
 * source commit into a destination branch by one strategy, moving the branch with a
 * compare-and-swap from `expectedDestinationCommitId` (default: its tip when the merge starts).
 */
export interface MergeIntoRequest extends MergeCommitInputs {
  repositoryName: string;
  sourceCommitId: string;
  destinationBranch: string;
  strategy: MergeOption;
  conflictDetailLevel?: unknown;
  conflictResolutionStrategy?: unknown;
  expectedDestinationCommitId?: string;
}

export interface MergeResult {
  commitId: string;
  treeId: string;
}

interface Hunk {
  isConflict: boolean;
  source: { startLine: number; endLine: number; hunkContent: string };
  destination: { startLine: number; endLine: number; hunkContent: string };
  base: { startLine: number; endLine: number; hunkContent: string };
}

const wireHunk = (h: MergeHunk): Hunk => {
  const side = (s: MergeHunk["source"]) => ({ startLine: s.startLine, endLine: s.endLine, hunkContent: s.content.toString("base64") });
  return { isConflict: h.isConflict, source: side(h.source), destination: side(h.destination), base: side(h.base) };
};

const manualMergeRequired = (paths: string[]) =>
  new ServiceError(
    "ManualMergeRequiredException",
    `The branches cannot be merged automatically: ${paths.length} file${paths.length === 1 ? "" : "s"} conflict (${paths.slice(0, 5).join(", ")}${paths.length > 5 ? ", …" : ""}). ` +
      "Resolve them with conflictResolution or a conflict resolution strategy (GetMergeConflicts lists them), or merge with git.",
  );

const notFastForward = (source: string, destination: string) =>
  new ServiceError(
    "ManualMergeRequiredException",
    `The destination ${destination} cannot be fast-forwarded to ${source}: it has commits the source does not. Merge by squash or three-way instead.`,
  );

/** The nine merge operations of CodeCommit, and the merge the pull request operations make. */
export class MergeService {
  constructor(
    private readonly repos: RepositoryService,
    private readonly cache: ObjectCache,
  ) {}

  private async open(name: unknown): Promise<{ repo: Repository; reader: ObjectReader }> {
    const repo = await this.repos.require(name);
    return { repo, reader: this.cache.reader(repo.id, this.repos.git(repo)) };
  }

  /** Both commits, or the model's errors; `specifierErrors` for the operations that model their own. */
  private async commits(
    reader: ObjectReader,
    repo: Repository,
    input: MergeSpecifiers,
    specifierErrors = false,
  ): Promise<{ source: Commit; destination: Commit }> {
    const one = async (value: unknown, code: string) => {
      try {
        return await resolveCommit(reader, repo.name, value, { required: true });
      } catch (e) {
        if (specifierErrors && e instanceof ServiceError && e.code === "InvalidCommitException") throw new ServiceError(code, e.message);
        throw e;
      }
    };
    const [source, destination] = await Promise.all([
      one(input.sourceCommitSpecifier, "InvalidSourceCommitSpecifierException"),
      one(input.destinationCommitSpecifier, "InvalidDestinationCommitSpecifierException"),
    ]);
    return { source, destination };
  }

  private requireSpecifiers(input: MergeSpecifiers): void {
    for (const v of [input.sourceCommitSpecifier, input.destinationCommitSpecifier]) {
      if (v === undefined || v === null || v === "") throw contentErrors.commitRequired();
    }
  }

  private async analysis(repo: Repository, reader: ObjectReader, input: MergeSpecifiers, opts: { specifierErrors?: boolean } = {}) {
    this.requireSpecifiers(input);
    const level = detailLevel(input.conflictDetailLevel);
    const strategy = resolutionStrategy(input.conflictResolutionStrategy);
    const { source, destination } = await this.commits(reader, repo, input, opts.specifierErrors);
    const a = await analyzeMerge(reader, source, destination, level);
    return { a, level, strategy };
  }

  /** Whether the strategy (with no resolution entries) settles every conflict. */
  private async mergeable(reader: ObjectReader, a: MergeAnalysis, strategy: ConflictResolutionStrategy): Promise<boolean> {
    if (a.conflicts.length === 0) return true;
    const r = await resolveMerge(reader, a, strategy, { replaceContents: [], deleteFiles: [], setFileModes: [] }, false);
    return r.unresolved.length === 0;
  }

  async getMergeOptions(input: MergeSpecifiers) {
    const { repo, reader } = await this.open(input.repositoryName);
    const { a, strategy } = await this.analysis(repo, reader, input);
    const mergeOptions: MergeOption[] = [];
    if (a.fastForward) mergeOptions.push("FAST_FORWARD_MERGE");
    if (await this.mergeable(reader, a, strategy)) mergeOptions.push("SQUASH_MERGE", "THREE_WAY_MERGE");
    return { mergeOptions, sourceCommitId: a.source.oid, destinationCommitId: a.destination.oid, baseCommitId: a.baseCommitId ?? undefined };
  }

  /**
   * The commit that merged the source into the destination: the source itself when the
   * destination's first-parent line passes through it (a fast-forward), else the merge commit on
   * that line; none while the source is not merged.
   */
  async getMergeCommit(input: MergeSpecifiers) {
    const { repo, reader } = await this.open(input.repositoryName);
    this.requireSpecifiers(input);
    detailLevel(input.conflictDetailLevel);
    resolutionStrategy(input.conflictResolutionStrategy);
    const { source, destination } = await this.commits(reader, repo, input);
    const git = reader.git;
    const [base, merged] = await Promise.all([git.mergeBase(destination.oid, source.oid), commitThatMerged(git, source.oid, destination.oid)]);
    return {
      sourceCommitId: source.oid,
      destinationCommitId: destination.oid,
      baseCommitId: base ?? undefined,
      mergedCommitId: merged ?? undefined,
    };
  }

  /** What a token belongs to: the commits, options and files of the request, hashed to keep tokens short. */
  private query(a: MergeAnalysis, option: MergeOption, strategy: string, extra = ""): string {
    const what = `${a.destination.oid}:${a.source.oid}:${option}:${a.level}:${strategy}:${extra}`;
    return crypto.createHash("sha256").update(what).digest("base64url").slice(0, 22);
  }

  private position(token: unknown, query: string): number {
    if (token === undefined || token === null || token === "") return 0;
    if (typeof token !== "string") throw new ServiceError("SerializationException", "nextToken must be a string.");
    const p = decodeToken<unknown>(token, query);
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0) throw contentErrors.invalidContinuationToken();
    return p;
  }

  async getMergeConflicts(input: MergeSpecifiers & { mergeOption?: unknown; maxConflictFiles?: unknown; nextToken?: unknown }) {
    const { repo, reader } = await this.open(input.repositoryName);
    const option = mergeOption(input.mergeOption);
    const max = pageLimit(input.maxConflictFiles, DEFAULT_CONFLICT_FILES, "InvalidMaxConflictFilesException");
    const { a, strategy } = await this.analysis(repo, reader, input, { specifierErrors: true });
    const ids = { destinationCommitId: a.destination.oid, sourceCommitId: a.source.oid, baseCommitId: a.baseCommitId ?? undefined };
    if (option === "FAST_FORWARD_MERGE") return { mergeable: a.fastForward, ...ids, conflictMetadataList: [] as ConflictMetadata[] };
    const query = this.query(a, option, strategy);
    const start = this.position(input.nextToken, query);
    const page = a.conflicts.slice(start, start + max);
    const conflictMetadataList = await Promise.all(page.map(async (p) => (await describeConflict(reader, a, p)).metadata));
    const more = start + max < a.conflicts.length;
    return {
      mergeable: await this.mergeable(reader, a, strategy),
      ...ids,
      conflictMetadataList,
      nextToken: more ? encodeToken(query, start + max) : undefined,
    };
  }

  async describeMergeConflicts(
    input: MergeSpecifiers & { mergeOption?: unknown; maxMergeHunks?: unknown; filePath?: unknown; nextToken?: unknown },
  ) {
    const { repo, reader } = await this.open(input.repositoryName);
    mergeOption(input.mergeOption, ["SQUASH_MERGE", "THREE_WAY_MERGE"]);
    const option = input.mergeOption as MergeOption;
    const path = validateFilePath(input.filePath);
    const max = pageLimit(input.maxMergeHunks, DEFAULT_MERGE_HUNKS, "InvalidMaxMergeHunksException");
    const { a, strategy } = await this.analysis(repo, reader, input);
    const binaryPath = path.parts.join("/");
    const detail = await describeConflict(reader, a, binaryPath);
    if (!detail.metadata.objectTypes.source && !detail.metadata.objectTypes.destination && !detail.metadata.objectTypes.base) {
      throw contentErrors.fileDoesNotExist(path.path, "the source, the destination or their merge base");
    }
    const query = this.query(a, option, strategy, binaryPath);
    const start = this.position(input.nextToken, query);
    const hunks = detail.hunks.slice(start, start + max).map(wireHunk);
    return {
      conflictMetadata: detail.metadata,
      mergeHunks: hunks,
      nextToken: start + max < detail.hunks.length ? encodeToken(query, start + max) : undefined,
      destinationCommitId: a.destination.oid,
      sourceCommitId: a.source.oid,
      baseCommitId: a.baseCommitId ?? undefined,
    };
  }

  async batchDescribeMergeConflicts(
    input: MergeSpecifiers & { mergeOption?: unknown; maxMergeHunks?: unknown; maxConflictFiles?: unknown; filePaths?: unknown; nextToken?: unknown },
  ) {
    const { repo, reader } = await this.open(input.repositoryName);
    mergeOption(input.mergeOption, ["SQUASH_MERGE", "THREE_WAY_MERGE"]);
    const option = input.mergeOption as MergeOption;
    const maxFiles = pageLimit(input.maxConflictFiles, DEFAULT_CONFLICT_FILES, "InvalidMaxConflictFilesException");
    const maxHunks = pageLimit(input.maxMergeHunks, DEFAULT_MERGE_HUNKS, "InvalidMaxMergeHunksException");
    if (input.filePaths !== undefined && input.filePaths !== null && !Array.isArray(input.filePaths)) {
      throw new ServiceError("SerializationException", "filePaths must be a list of paths.");
    }
    const wanted = Array.isArray(input.filePaths) && input.filePaths.length ? input.filePaths.map((p) => validateFilePath(p)) : undefined;
    const { a, strategy } = await this.analysis(repo, reader, input);

    const errors: { filePath: string; exceptionName: string; message: string }[] = [];
    let paths = a.conflicts;
    if (wanted) {
      const conflicting = new Set(a.conflicts);
      paths = [];
      for (const p of wanted) {
        const bin = p.parts.join("/");
        if (conflicting.has(bin)) {
          if (!paths.includes(bin)) paths.push(bin);
          continue;
        }
        const entries = await Promise.all([a.baseTree, a.source.tree, a.destination.tree].map((t) => reader.entryAt(t, p.parts)));
        if (entries.every((e) => !e)) {
          const e = contentErrors.fileDoesNotExist(p.path, "the source, the destination or their merge base");
          errors.push({ filePath: p.path, exceptionName: e.code, message: e.message });
        }
      }
    }
    const query = this.query(a, option, strategy, `batch:${paths.join("\0")}:${maxHunks}`);
    const start = this.position(input.nextToken, query);
    const page = paths.slice(start, start + maxFiles);
    const conflicts = await Promise.all(
      page.map(async (p) => {
        const d = await describeConflict(reader, a, p);
        return { conflictMetadata: d.metadata, mergeHunks: d.hunks.slice(0, maxHunks).map(wireHunk) };
      }),
    );
    return {
      conflicts,
      nextToken: start + maxFiles < paths.length ? encodeToken(query, start + maxFiles) : undefined,
      errors,
      destinationCommitId: a.destination.oid,
      sourceCommitId: a.source.oid,
      baseCommitId: a.baseCommitId ?? undefined,
    };
  }

  /** Validates what a merge commit is made of, before anything is read. */
  private commitInputs(caller: Caller, input: MergeCommitInputs) {
    const author = commitAuthor(caller.principal, input.authorName, input.email);
    const message = commitMessage(input.commitMessage, () => "");
    const keep = optionalBoolean(input.keepEmptyFolders, "keepEmptyFolders");
    const resolution = parseConflictResolution(input.conflictResolution);
    return { author, message, keep, resolution };
  }

  /** The tree of a squash or three-way merge, or ManualMergeRequiredException. */
  private async resolved(reader: ObjectReader, a: MergeAnalysis, strategy: ConflictResolutionStrategy, resolution: ConflictResolution, keep: boolean) {
    if (a.conflicts.length === 0 && !isEmptyResolution(resolution)) {
      throw new ServiceError("InvalidConflictResolutionException", "The conflict resolution resolves nothing: this merge has no conflicts.");
    }
    const r = await resolveMerge(reader, a, strategy, resolution, keep);
    if (!r.tree) throw manualMergeRequired(r.unresolved);
    return { tree: r.tree, blobs: r.blobs };
  }

  async createUnreferencedMergeCommit(caller: Caller, input: MergeSpecifiers & MergeCommitInputs & { mergeOption?: unknown }): Promise<MergeResult> {
    const { repo, reader } = await this.open(input.repositoryName);
    this.requireSpecifiers(input);
    const option = mergeOption(input.mergeOption, ["SQUASH_MERGE", "THREE_WAY_MERGE"]);
    const c = this.commitInputs(caller, input);
    const { a, strategy } = await this.analysis(repo, reader, input);
    const { tree, blobs } = await this.resolved(reader, a, strategy, c.resolution, c.keep);
    const parents = option === "THREE_WAY_MERGE" ? [a.destination.oid, a.source.oid] : [a.destination.oid];
    const message = c.message || defaultMessage(option, String(input.sourceCommitSpecifier), String(input.destinationCommitSpecifier));
    const commitId = await writeMergeCommit(reader, { tree, blobs, parents, author: c.author, message });
    return { commitId, treeId: tree.oid };
  }

  async mergeBranches(caller: Caller, option: MergeOption, input: MergeBranchesRequest): Promise<MergeResult> {
    const { repo, reader } = await this.open(input.repositoryName);
    this.requireSpecifiers(input);
    const target = await this.target(reader, repo, input.targetBranch, input.destinationCommitSpecifier);
    return this.merge(caller, repo, reader, option, { ...input, target });
  }

  /** See MergeIntoRequest: the lead's entry point for the pull request merges. */
  async mergeInto(caller: Caller, req: MergeIntoRequest): Promise<MergeResult> {
    const { repo, reader } = await this.open(req.repositoryName);
    const strategy = mergeOption(req.strategy);
    const branch = validateBranchName(req.destinationBranch);
    const tip = await reader.git.refTarget(`refs/heads/${branch}`);
    if (!tip) throw branchDoesNotExist(branch, repo.name);
    const expected = req.expectedDestinationCommitId?.toLowerCase() ?? tip;
    if (expected !== tip) throw concurrentUpdate(branch, expected, tip);
    return this.merge(caller, repo, reader, strategy, {
      ...req,
      sourceCommitSpecifier: req.sourceCommitId,
      destinationCommitSpecifier: expected,
      target: { branch, tip: expected },
      sourceName: req.sourceCommitId,
    });
  }

  /**
   * The branch a MergeBranchesBy* moves: targetBranch, else the branch the destination names.
   * Its tip is read now; the merge moves it from there or not at all.
   */
  private async target(reader: ObjectReader, repo: Repository, targetInput: unknown, destination: unknown): Promise<{ branch: string; tip: string }> {
    let name: string;
    // an empty targetBranch is refused, not taken as absent: authorization saw no branch in it
    if (targetInput !== undefined && targetInput !== null) {
      if (typeof targetInput !== "string") throw new ServiceError("SerializationException", "targetBranch must be a string.");
      if (targetInput.startsWith("refs/") && !targetInput.startsWith("refs/heads/")) {
        throw new ServiceError("InvalidTargetBranchException", `The target branch '${targetInput}' is not valid: name a branch (refs/heads/…).`);
      }
      name = validateBranchName(targetInput.replace(/^refs\/heads\//, ""));
    } else {
      // Only a branch named outright: HEAD or a commit ID would move a branch that
      // authorization (codecommit:References, from the request) never saw named.
      const spec = String(destination);
      const bare = spec.replace(/^refs\/heads\//, "");
      if (bare === "HEAD" || /^[0-9a-fA-F]{40}$/.test(bare) || bare.startsWith("refs/") || branchNameProblem(bare)) {
        throw new ServiceError(
          "InvalidTargetBranchException",
          `The destination '${spec}' is not a branch name, so the merge has no branch to move: give targetBranch.`,
        );
      }
      name = bare;
    }
    const tip = await reader.git.refTarget(`refs/heads/${name}`);
    if (!tip) {
      if (await reader.git.refTarget(`refs/tags/${name}`)) {
        throw new ServiceError("BranchNameIsTagNameException", `${name} is a tag, not a branch, in repository ${repo.name}. Name a branch as the target.`);
      }
      throw branchDoesNotExist(name, repo.name);
    }
    return { branch: name, tip };
  }

  private async merge(
    caller: Caller,
    repo: Repository,
    reader: ObjectReader,
    option: MergeOption,
    input: MergeSpecifiers & MergeCommitInputs & { target: { branch: string; tip: string }; sourceName?: string },
  ): Promise<MergeResult> {
    const level = detailLevel(input.conflictDetailLevel);
    const strategy = resolutionStrategy(input.conflictResolutionStrategy);
    const c = option === "FAST_FORWARD_MERGE" ? undefined : this.commitInputs(caller, input);
    const { source, destination } = await this.commits(reader, repo, input);
    const { branch, tip } = input.target;

    if (option === "FAST_FORWARD_MERGE") {
      if (!(await reader.git.isAncestor(destination.oid, source.oid))) throw notFastForward(source.oid, destination.oid);
      await moveBranch(this.repos, repo, caller, branch, tip, source.oid);
      return { commitId: source.oid, treeId: source.tree };
    }
    const a = await analyzeMerge(reader, source, destination, level);
    if (a.upToDate && destination.oid === tip) {
      // git's "Already up to date": the destination has everything; nothing is made or moved
      return { commitId: destination.oid, treeId: destination.tree };
    }
    const { tree, blobs } = await this.resolved(reader, a, strategy, c!.resolution, c!.keep);
    const parents = option === "THREE_WAY_MERGE" ? [destination.oid, source.oid] : [destination.oid];
    const message = c!.message || defaultMessage(option, input.sourceName ?? String(input.sourceCommitSpecifier), branch);
    const commitId = await writeMergeCommit(reader, { tree, blobs, parents, author: c!.author, message });
    await moveBranch(this.repos, repo, caller, branch, tip, commitId);
    return { commitId, treeId: tree.oid };
  }
}

/** The message when none is given; CodeCommit documents none of its own, so git's wording. */
function defaultMessage(option: MergeOption, source: string, into: string): string {
  return option === "SQUASH_MERGE" ? `Squash merge of ${source} into ${into}` : `Merge ${source} into ${into}`;
}
