import { ServiceError } from "../../errors.js";
import { branchNameProblem, refNameProblem } from "../repos/names.js";
import { contentErrors } from "./errors.js";
import type { Commit, ObjectReader } from "./object-reader.js";

const FULL_SHA = /^[0-9a-fA-F]{40}$/;

export function isFullCommitId(value: string): boolean {
  return FULL_SHA.test(value);
}

/**
 * Resolves a commit specifier as CodeCommit accepts them: a full commit ID, `HEAD`, a fully
 * qualified ref (`refs/heads/main`, `refs/tags/v1`), or a branch or tag name (a tag wins over a
 * branch of the same name, as in git). Nothing else: no abbreviations, no `main~2` or `:/text`
 * revision syntax, which would let a request make git search history. An absent specifier
 * means the head of the default branch (HEAD), unless `required`.
 */
export async function resolveCommit(
  reader: ObjectReader,
  repoName: string,
  value: unknown,
  opts: { required?: boolean } = {},
): Promise<Commit> {
  if (value === undefined || value === null || value === "") {
    if (opts.required) throw contentErrors.commitRequired();
    return resolveHead(reader, repoName);
  }
  if (typeof value !== "string") throw new ServiceError("SerializationException", "A commit specifier must be a string.");
  const spec = value;
  if (spec === "HEAD") return resolveHead(reader, repoName);

  if (isFullCommitId(spec)) {
    const oid = spec.toLowerCase();
    const info = await reader.info(oid);
    if (!info) throw contentErrors.commitDoesNotExist(spec, repoName);
    if (info.type === "tag") return peeled(reader, `${oid}^{commit}`, spec, repoName);
    if (info.type !== "commit") throw contentErrors.invalidCommit(spec, `it names a ${info.type}, not a commit`);
    return load(reader, oid, spec, repoName);
  }

  // a full ref by git's rules; a short name as a branch or tag name (neither begins with -)
  const problem = spec.startsWith("refs/") ? refNameProblem(spec) : branchNameProblem(spec);
  if (problem) throw contentErrors.invalidCommit(spec, `as a reference name it ${problem}`);
  const candidates = spec.startsWith("refs/") ? [spec] : [`refs/tags/${spec}`, `refs/heads/${spec}`];
  // ask for every candidate at once: the requests are pipelined to one cat-file process
  const found = await Promise.all(candidates.map((ref) => reader.info(`${ref}^{commit}`)));
  const hit = found.find((f) => f !== null);
  if (!hit) throw contentErrors.commitDoesNotExist(spec, repoName);
  return load(reader, hit.oid, spec, repoName);
}

async function resolveHead(reader: ObjectReader, repoName: string): Promise<Commit> {
  const info = await reader.info("HEAD^{commit}");
  if (!info) throw contentErrors.noDefaultBranch(repoName);
  return load(reader, info.oid, "HEAD", repoName);
}

async function peeled(reader: ObjectReader, rev: string, spec: string, repoName: string): Promise<Commit> {
  const info = await reader.info(rev);
  if (!info) throw contentErrors.invalidCommit(spec, "it names a tag that does not point at a commit");
  return load(reader, info.oid, spec, repoName);
}

async function load(reader: ObjectReader, oid: string, spec: string, repoName: string): Promise<Commit> {
  const commit = await reader.commit(oid);
  if (!commit) throw contentErrors.commitDoesNotExist(spec, repoName);
  return commit;
}
