import type * as CC from "@aws-sdk/client-codecommit";
import type { BranchService } from "../../../domain/repos/branches.js";
import type { OperationHandler } from "../../service.js";

type Op<I, O> = OperationHandler<I, O>;

export function branchOperations(branches: BranchService) {
  const CreateBranch: Op<CC.CreateBranchInput, Record<string, never>> = async (caller, input) => {
    await branches.create(caller, input.repositoryName, input.branchName, input.commitId);
    return {};
  };

  const GetBranch: Op<CC.GetBranchInput, CC.GetBranchOutput> = async (_c, input) => {
    return { branch: await branches.get(input.repositoryName, input.branchName) };
  };

  const ListBranches: Op<CC.ListBranchesInput, CC.ListBranchesOutput> = async (_c, input) => {
    return branches.list(input.repositoryName, input.nextToken);
  };

  const DeleteBranch: Op<CC.DeleteBranchInput, CC.DeleteBranchOutput> = async (caller, input) => {
    return { deletedBranch: await branches.delete(caller, input.repositoryName, input.branchName) };
  };

  const UpdateDefaultBranch: Op<CC.UpdateDefaultBranchInput, Record<string, never>> = async (_c, input) => {
    await branches.setDefault(input.repositoryName, input.defaultBranchName);
    return {};
  };

  return { CreateBranch, GetBranch, ListBranches, DeleteBranch, UpdateDefaultBranch };
}
