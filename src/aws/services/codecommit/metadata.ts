import type { RepositoryMetadata } from "@aws-sdk/client-codecommit";
import type { Repository } from "../../../domain/repos/repositories.js";

/** Where clients clone from: the public HTTP(S) and SSH bases, without a trailing slash. */
export interface CloneBases {
  http: string;
  ssh: string;
}

export function cloneUrls(bases: CloneBases, name: string): { cloneUrlHttp: string; cloneUrlSsh: string } {
  return { cloneUrlHttp: `${bases.http}/v1/repos/${name}`, cloneUrlSsh: `${bases.ssh}/v1/repos/${name}` };
}

/** RepositoryMetadata with every member CodeCommit returns (defaultBranch only once one exists). */
export function repositoryMetadata(repo: Repository, bases: CloneBases): RepositoryMetadata {
  return {
    accountId: repo.accountId,
    repositoryId: repo.id,
    repositoryName: repo.name,
    repositoryDescription: repo.description,
    defaultBranch: repo.defaultBranch,
    lastModifiedDate: repo.updatedAt,
    creationDate: repo.createdAt,
    ...cloneUrls(bases, repo.name),
    Arn: repo.arn,
    kmsKeyId: repo.kmsKeyId,
  };
}
