import type * as CC from "@aws-sdk/client-codecommit";
import type { CommitService } from "../../../domain/content/commit-service.js";
import type { ContentService } from "../../../domain/content/content-service.js";
import { listFileCommitHistory } from "../../../domain/content/file-history.js";
import type { OperationHandler } from "../../service.js";
import { blobInput } from "./blob-input.js";

type Op<I, O> = OperationHandler<I, O>;

/** Commits: reading them and their history, and making them with PutFile, DeleteFile and CreateCommit. */
export function commitOperations(content: ContentService, commits: CommitService) {
  const GetCommit: Op<CC.GetCommitInput, CC.GetCommitOutput> = async (_c, input) => {
    return { commit: await content.getCommit(input.repositoryName, input.commitId) };
  };

  const BatchGetCommits: Op<CC.BatchGetCommitsInput, CC.BatchGetCommitsOutput> = async (_c, input) => {
    return content.batchGetCommits(input.repositoryName, input.commitIds);
  };

  const ListFileCommitHistory: Op<CC.ListFileCommitHistoryRequest, CC.ListFileCommitHistoryResponse> = async (_c, input) => {
    const { repo, reader } = await content.open(input.repositoryName);
    return listFileCommitHistory(reader, content.walks, repo, input);
  };

  const PutFile: Op<CC.PutFileInput, CC.PutFileOutput> = async (caller, input) => {
    return commits.putFile(caller, { ...input, fileContent: blobInput(input.fileContent, "fileContent") });
  };

  const DeleteFile: Op<CC.DeleteFileInput, CC.DeleteFileOutput> = async (caller, input) => {
    return commits.deleteFile(caller, input);
  };

  const CreateCommit: Op<CC.CreateCommitInput, CC.CreateCommitOutput> = async (caller, input) => {
    const putFiles = Array.isArray(input.putFiles)
      ? input.putFiles.map((e, i) =>
          e && typeof e === "object" ? { ...e, fileContent: blobInput(e.fileContent, `putFiles[${i}].fileContent`) } : e,
        )
      : input.putFiles;
    return commits.createCommit(caller, { ...input, putFiles });
  };

  return { GetCommit, BatchGetCommits, ListFileCommitHistory, PutFile, DeleteFile, CreateCommit };
}
