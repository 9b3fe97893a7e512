import type * as CC from "@aws-sdk/client-codecommit";
import type { RepositoryService } from "../../../domain/repos/repositories.js";
import type { OperationHandler } from "../../service.js";
import { repositoryMetadata, type CloneBases } from "./metadata.js";

type Op<I, O> = OperationHandler<I, O>;

/** Repository operations: thin translations between the wire shapes and the domain. */
export function repositoryOperations(repos: RepositoryService, bases: CloneBases) {
  const CreateRepository: Op<CC.CreateRepositoryInput, CC.CreateRepositoryOutput> = async (_c, input) => {
    const repo = await repos.create({
      name: input.repositoryName,
      description: input.repositoryDescription,
      tags: input.tags,
      kmsKeyId: input.kmsKeyId,
    });
    return { repositoryMetadata: repositoryMetadata(repo, bases) };
  };

  const GetRepository: Op<CC.GetRepositoryInput, CC.GetRepositoryOutput> = async (_c, input) => {
    const repo = await repos.require(input.repositoryName);
    return { repositoryMetadata: repositoryMetadata(repo, bases) };
  };

  const ListRepositories: Op<CC.ListRepositoriesInput, CC.ListRepositoriesOutput> = async (_c, input) => {
    const page = await repos.list(input);
    return {
      repositories: page.repositories.map((r) => ({ repositoryName: r.name, repositoryId: r.id })),
      nextToken: page.nextToken,
    };
  };

  const BatchGetRepositories: Op<CC.BatchGetRepositoriesInput, CC.BatchGetRepositoriesOutput> = async (_c, input) => {
    const { found, notFound } = await repos.batchGet(input.repositoryNames);
    return {
      repositories: found.map((r) => repositoryMetadata(r, bases)),
      repositoriesNotFound: notFound,
      errors: notFound.map((name) => ({
        repositoryName: name,
        errorCode: "RepositoryDoesNotExistException",
        errorMessage: `${name} does not exist`,
      })),
    };
  };

  const DeleteRepository: Op<CC.DeleteRepositoryInput, CC.DeleteRepositoryOutput> = async (_c, input) => {
    return { repositoryId: await repos.delete(input.repositoryName) };
  };

  const UpdateRepositoryName: Op<CC.UpdateRepositoryNameInput, Record<string, never>> = async (_c, input) => {
    await repos.rename(input.oldName, input.newName);
    return {};
  };

  const UpdateRepositoryDescription: Op<CC.UpdateRepositoryDescriptionInput, Record<string, never>> = async (_c, input) => {
    await repos.updateDescription(input.repositoryName, input.repositoryDescription);
    return {};
  };

  const UpdateRepositoryEncryptionKey: Op<CC.UpdateRepositoryEncryptionKeyInput, CC.UpdateRepositoryEncryptionKeyOutput> = async (
    _c,
    input,
  ) => {
    const r = await repos.updateKmsKey(input.repositoryName, input.kmsKeyId);
    return { repositoryId: r.id, kmsKeyId: r.kmsKeyId, originalKmsKeyId: r.original };
  };

  return {
    CreateRepository,
    GetRepository,
    ListRepositories,
    BatchGetRepositories,
    DeleteRepository,
    UpdateRepositoryName,
    UpdateRepositoryDescription,
    UpdateRepositoryEncryptionKey,
  };
}
