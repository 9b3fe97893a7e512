import type * as CC from "@aws-sdk/client-codecommit";
import type { MergeService } from "../../../domain/merges/merge-service.js";
import type { OperationHandler } from "../../service.js";
import { blobInput } from "./blob-input.js";

type Op<I, O> = OperationHandler<I, O>;

/** conflictResolution with each replaceContents entry's content decoded from base64. */
export function decoded(resolution: unknown): unknown {
  if (!resolution || typeof resolution !== "object") return resolution;
  const r = resolution as { replaceContents?: unknown };
  if (!Array.isArray(r.replaceContents)) return resolution;
  return {
    ...r,
    replaceContents: r.replaceContents.map((e, i) =>
      e && typeof e === "object" ? { ...e, content: blobInput((e as { content?: unknown }).content, `conflictResolution.replaceContents[${i}].content`) } : e,
    ),
  };
}

/** The merge operations: thin translations to the merges domain. */
export function mergeOperations(merges: MergeService) {
  const GetMergeOptions: Op<CC.GetMergeOptionsInput, CC.GetMergeOptionsOutput> = async (_c, input) =>
    merges.getMergeOptions(input) as Promise<CC.GetMergeOptionsOutput>;

  const GetMergeCommit: Op<CC.GetMergeCommitInput, CC.GetMergeCommitOutput> = async (_c, input) => merges.getMergeCommit(input);

  const GetMergeConflicts: Op<CC.GetMergeConflictsInput, CC.GetMergeConflictsOutput> = async (_c, input) =>
    merges.getMergeConflicts(input) as Promise<CC.GetMergeConflictsOutput>;

  const DescribeMergeConflicts: Op<CC.DescribeMergeConflictsInput, unknown> = async (_c, input) => merges.describeMergeConflicts(input);

  const BatchDescribeMergeConflicts: Op<CC.BatchDescribeMergeConflictsInput, unknown> = async (_c, input) =>
    merges.batchDescribeMergeConflicts(input);

  const CreateUnreferencedMergeCommit: Op<CC.CreateUnreferencedMergeCommitInput, CC.CreateUnreferencedMergeCommitOutput> = async (caller, input) =>
    merges.createUnreferencedMergeCommit(caller, { ...input, conflictResolution: decoded(input.conflictResolution) });

  const MergeBranchesByFastForward: Op<CC.MergeBranchesByFastForwardInput, CC.MergeBranchesByFastForwardOutput> = async (caller, input) =>
    merges.mergeBranches(caller, "FAST_FORWARD_MERGE", input);

  const MergeBranchesBySquash: Op<CC.MergeBranchesBySquashInput, CC.MergeBranchesBySquashOutput> = async (caller, input) =>
    merges.mergeBranches(caller, "SQUASH_MERGE", { ...input, conflictResolution: decoded(input.conflictResolution) });

  const MergeBranchesByThreeWay: Op<CC.MergeBranchesByThreeWayInput, CC.MergeBranchesByThreeWayOutput> = async (caller, input) =>
    merges.mergeBranches(caller, "THREE_WAY_MERGE", { ...input, conflictResolution: decoded(input.conflictResolution) });

  return {
    GetMergeOptions,
    GetMergeCommit,
    GetMergeConflicts,
    DescribeMergeConflicts,
    BatchDescribeMergeConflicts,
    CreateUnreferencedMergeCommit,
    MergeBranchesByFastForward,
    MergeBranchesBySquash,
    MergeBranchesByThreeWay,
  };
}
