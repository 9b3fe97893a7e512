import type * as CC from "@aws-sdk/client-codecommit";
import { getBlobDifferences } from "../../../domain/content/blob-differences.js";
import type { ContentService } from "../../../domain/content/content-service.js";
import { getDifferences } from "../../../domain/content/differences.js";
import type { OperationHandler } from "../../service.js";

type Op<I, O> = OperationHandler<I, O>;

/** Reading files, folders, blobs and differences: thin translations to the content domain. */
export function contentOperations(content: ContentService) {
  const GetBlob: Op<CC.GetBlobInput, CC.GetBlobOutput> = async (_c, input) => {
    return { content: await content.getBlob(input.repositoryName, input.blobId) };
  };

  const GetFile: Op<CC.GetFileInput, CC.GetFileOutput> = async (_c, input) => {
    return content.getFile(input.repositoryName, input.commitSpecifier, input.filePath);
  };

  const GetFolder: Op<CC.GetFolderInput, CC.GetFolderOutput> = async (_c, input) => {
    return content.getFolder(input.repositoryName, input.commitSpecifier, input.folderPath);
  };

  const GetDifferences: Op<CC.GetDifferencesInput, CC.GetDifferencesOutput> = async (_c, input) => {
    const { repo, reader } = await content.open(input.repositoryName);
    return getDifferences(reader, repo, input);
  };

  /** Only in the newest model (the JS SDK's); botocore, and so both CLIs, do not have it yet. */
  const GetBlobDifferences: Op<CC.GetBlobDifferencesInput, CC.GetBlobDifferencesOutput> = async (_c, input) => {
    const { repo, reader } = await content.open(input.repositoryName);
    return getBlobDifferences(reader, repo, input);
  };

  return { GetBlob, GetFile, GetFolder, GetDifferences, GetBlobDifferences };
}
