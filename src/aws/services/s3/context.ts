import type { Caller } from "../../../domain/context.js";
import type { ChangeOrigin, S3Store } from "../../../domain/s3/buckets.js";
import type { S3Notifier } from "../../../domain/s3/notifications.js";
import type { S3AuthzInput } from "./authz.js";
import type { S3Request } from "./http.js";

/** What the S3 handlers share. */
export interface S3Context {
  store: S3Store;
  region: string;
  /** the canonical user ID S3 shows as Owner/ID (one account: one owner) */
  ownerId: string;
  ownerName: string;
  /** bucket notifications (absent: Put/GetBucketNotificationConfiguration answer NotImplemented) */
  notifications?: S3Notifier;
  /** a lifecycle day's length (shortened in tests), for x-amz-expiration */
  lifecycleDayMs: number;
  /** throws AccessDenied unless the caller may run the operation (a row of the S3 table) */
  authorize(caller: Caller, operation: string, input: S3AuthzInput): Promise<void>;
  /** Allow or the denial message, without throwing (DeleteObjects decides per key) */
  decide(caller: Caller, operation: string, input: S3AuthzInput): Promise<string | undefined>;
}

export interface S3Call {
  req: S3Request;
  caller: Caller;
  /** the `x-amz-content-sha256` the request was signed with (or UNSIGNED-PAYLOAD) */
  payloadHash: string;
}

/** The request behind a change, for its event record (S3's principalId is `AWS:` and the user or session ID). */
export function originOf({ req, caller }: S3Call): ChangeOrigin {
  const p = caller.principal;
  return { principalId: `AWS:${p.userId || p.arn}`, sourceIp: caller.sourceIp, requestId: req.id };
}
