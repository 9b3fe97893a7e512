import type { AccessControl } from "../../../domain/iam/access.js";
import type { IamDeps } from "../../../domain/iam/deps.js";
import * as sts from "../../../domain/iam/sessions.js";
import { ServiceError } from "../../../errors.js";
import { rule, str, type AuthzTable } from "../../authz.js";
import type { AwsService, OperationHandler } from "../../service.js";

type Op = OperationHandler<Record<string, unknown>, Record<string, unknown>>;

function stsAccessDenied(message: string): ServiceError {
  return new ServiceError("AccessDenied", message, { status: 403 });
}

const credentialsOut = (c: sts.TemporaryCredentials) => ({
  AccessKeyId: c.accessKeyId,
  SecretAccessKey: c.secretAccessKey,
  SessionToken: c.sessionToken,
  Expiration: c.expiration,
});

/** STS (awsQuery): who am I, session tokens, and roles. */
export function stsService(deps: IamDeps, access: AccessControl): AwsService {
  const operations: Record<string, Op> = {
    GetCallerIdentity: async (c) => ({ UserId: c.principal.userId, Account: c.principal.accountId, Arn: c.principal.arn }),
    GetSessionToken: async (c, i) => ({ Credentials: credentialsOut(await sts.getSessionToken(deps, c.principal, i.DurationSeconds)) }),
    AssumeRole: async (c, i) => {
      const out = await sts.assumeRole(deps, access, c, { roleArn: i.RoleArn, sessionName: i.RoleSessionName, duration: i.DurationSeconds, policy: i.Policy });
      return {
        Credentials: credentialsOut(out.credentials),
        AssumedRoleUser: { AssumedRoleId: out.assumedRoleId, Arn: out.assumedRoleArn },
        PackedPolicySize: out.packedPolicySize,
      };
    },
  };
  const authz: AuthzTable = {
    // No permission is needed to ask who you are, nor for a session token of your own.
    GetCallerIdentity: { ...rule("sts:GetCallerIdentity", () => "*"), decidedBy: "none" },
    GetSessionToken: { ...rule("sts:GetSessionToken", () => "*"), decidedBy: "none" },
    AssumeRole: { ...rule("sts:AssumeRole", (i) => str(i.RoleArn)), decidedBy: "handler" },
  };
  return {
    signingName: "sts",
    protocol: { kind: "query", apiVersion: "2011-06-15", xmlNamespace: "https://sts.amazonaws.com/doc/2011-06-15/" },
    operations,
    authz,
    accessDenied: stsAccessDenied,
  };
}
