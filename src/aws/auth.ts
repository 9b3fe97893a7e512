import type { AccessKeyLookup } from "../domain/iam/identities.js";
import type { Principal } from "../domain/context.js";
import { ServiceError } from "../errors.js";
import { credentialProblem } from "../domain/iam/sessions.js";
import {
  AuthFailure,
  checkTime,
  parseSignature,
  signingKey,
  verifySignature,
  type SignatureParts,
  type SignedRequest,
} from "./sigv4.js";
import type { AwsService } from "./service.js";
import { checkTimeV2, parseSigV2, verifySigV2 } from "./sigv2.js";

export type CredentialLookup = (accessKeyId: string) => Promise<AccessKeyLookup | null>;

/**
 * Authenticates one API request for one service: the signature, its scope (service and region)
 * and its time. Returns the principal; throws AuthFailure with the reason.
 */
export async function authenticate(
  req: SignedRequest,
  service: Pick<AwsService, "signingName" | "global">,
  region: string,
  lookup: CredentialLookup,
  now = Date.now(),
): Promise<Principal> {
  return (await authenticateSigned(req, service, region, lookup, now)).principal;
}

/**
 * authenticate(), also giving the signature's parts and its derived signing key (never the
 * secret itself): what a signed aws-chunked body's chunk signatures are checked with.
 */
export async function authenticateSigned(
  req: SignedRequest,
  service: Pick<AwsService, "signingName" | "global">,
  region: string,
  lookup: CredentialLookup,
  now = Date.now(),
): Promise<{ principal: Principal; parts: SignatureParts; signingKey: Buffer }> {
  const parts = parseSignature(req);
  const key = await lookup(parts.accessKeyId);
  const problem = credentialProblem(key, parts.securityToken, now);
  if (problem === "expiredToken") throw new AuthFailure(problem, "The security token included in the request is expired");
  if (problem || !key) throw new AuthFailure(problem ?? "unknownKey", "The security token included in the request is invalid.");
  if (parts.service !== service.signingName) {
    throw new AuthFailure("wrongService", `Credential should be scoped to correct service: '${service.signingName}'. `);
  }
  const expectedRegion = service.global ? "us-east-1" : region;
  if (parts.region !== expectedRegion) {
    throw new AuthFailure("wrongRegion", `Credential should be scoped to a valid region, not '${parts.region}'. `);
  }
  checkTime(parts, now);
  verifySignature(req, parts, key.secretAccessKey);
  return { principal: key.principal, parts, signingKey: signingKey(key.secretAccessKey, parts.scopeDate, parts.region, parts.service) };
}

/**
 * Authenticates an S3 request signed with Signature Version 2: the same key lookup and session
 * token rules as SigV4, with SigV2's string-to-sign over `resourcePath` (`/bucket/key`).
 */
export async function authenticateV2(req: SignedRequest, resourcePath: string, lookup: CredentialLookup, now = Date.now()): Promise<Principal> {
  const parts = parseSigV2(req);
  const key = await lookup(parts.accessKeyId);
  const problem = credentialProblem(key, parts.securityToken, now);
  if (problem === "expiredToken") throw new AuthFailure(problem, "The security token included in the request is expired");
  if (problem || !key) throw new AuthFailure(problem ?? "unknownKey", "The security token included in the request is invalid.");
  checkTimeV2(req, parts, now);
  verifySigV2(req, parts, key.secretAccessKey, resourcePath);
  return key.principal;
}

/** How awsJson services name authentication failures. */
export function jsonAuthError(f: AuthFailure): ServiceError {
  switch (f.kind) {
    case "missing":
      return new ServiceError("MissingAuthenticationTokenException", f.message, { status: 403 });
    case "incomplete":
      return new ServiceError("IncompleteSignatureException", f.message);
    case "unknownKey":
    case "badToken":
      return new ServiceError("UnrecognizedClientException", f.message);
    case "expiredToken":
      return new ServiceError("ExpiredTokenException", f.message);
    default:
      return new ServiceError("InvalidSignatureException", f.message);
  }
}

/** How awsQuery services (IAM, STS, SNS) name them. */
export function queryAuthError(f: AuthFailure): ServiceError {
  switch (f.kind) {
    case "missing":
      return new ServiceError("MissingAuthenticationToken", f.message, { status: 403 });
    case "incomplete":
      return new ServiceError("IncompleteSignature", f.message, { status: 403 });
    case "unknownKey":
    case "badToken":
      return new ServiceError("InvalidClientTokenId", f.message, { status: 403 });
    case "expiredToken":
      return new ServiceError("ExpiredToken", f.message, { status: 403 });
    default:
      return new ServiceError("SignatureDoesNotMatch", f.message, { status: 403 });
  }
}
