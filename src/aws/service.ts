import type { Caller } from "../domain/context.js";
import type { ServiceError } from "../errors.js";
import type { AuthzTable } from "./authz.js";

/** One AWS operation: a typed function of the caller and the decoded input. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OperationHandler<I = any, O = any> = (caller: Caller, input: I) => Promise<O>;

export interface JsonProtocol {
  kind: "json";
  version: "1.0" | "1.1";
  /** X-Amz-Target prefixes this service answers (botocore's and the JS SDK's may differ). */
  targetPrefixes: string[];
}

export interface QueryProtocol {
  kind: "query";
  apiVersion: string;
  xmlNamespace: string;
}

/** An AWS service served on the shared port: how to recognise it and its operations. */
export interface AwsService {
  /** the SigV4 signing name (credential scope service) */
  signingName: string;
  protocol: JsonProtocol | QueryProtocol;
  /** global services (IAM) are signed for us-east-1 whatever the server's region */
  global?: boolean;
  operations: Record<string, OperationHandler>;
  /** how each operation is authorized (see authz.ts) */
  authz: AuthzTable;
  /** the service's own "access denied" error (AccessDeniedException, AccessDenied, AuthorizationError…) */
  accessDenied(message: string): ServiceError;
  /**
   * The modeled error an operation answers when its request body is over the server's limit
   * (refused before it is read); none means the generic RequestEntityTooLargeException (413).
   */
  bodyTooLarge?(operation: string, limitBytes: number): ServiceError | undefined;
}

/**
 * Decides whether the caller may run the operation, before its handler runs. Throws a
 * ServiceError (AccessDeniedException and friends) to refuse.
 */
export type Authorizer = (caller: Caller, service: AwsService, operation: string, input: unknown) => Promise<void>;
