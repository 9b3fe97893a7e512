/**
 * The IAM policy engine: parse and validate policy documents, build request contexts, decide
 * requests, and word denials as AWS does. Pure: no I/O, no storage, no HTTP.
 *
 *   const inline = parsePolicy(documentText);                      // throws MalformedPolicyDocument
 *   const ctx = buildRequestContext(principal, { sourceIp, secureTransport: true, region });
 *   const policies = { identity: [{ name: "inline", policy: inline },
 *     { name: "AWSCodeCommitPowerUser", arn, policy: parsedAwsManagedPolicy(arn)! }] };
 *   const request = { action: "codecommit:GitPush", resource: repoArn, context: ctx };
 *   if (evaluate(policies, request).decision !== "Allow") refuse();     // connection-time check
 *   for (const ref of refs) {                                            // then one check per ref
 *     const r = evaluate(policies, { ...request, context: ctx.with({ "codecommit:References": ref }) });
 *     if (r.decision !== "Allow") refuse(explainDenial(principal.arn, request, r));
 *   }
 */

export { parsePolicy, type ParseOptions } from "./parse.js";
export {
  dependsOnContext,
  evaluate,
  type AuthorizationRequest,
  type Decision,
  type DenialReason,
  type EvaluationResult,
  type MatchedStatement,
  type NamedPolicy,
  type PolicySet,
  type PolicySource,
  type RequestPrincipal,
} from "./evaluate.js";
export {
  GLOBAL_CONDITION_KEYS,
  RequestContext,
  buildRequestContext,
  isoSeconds,
  requestTagKeys,
  resourceTagKeys,
  roleArnOf,
  tagKeysOnly,
  type ContextInput,
  type PrincipalInfo,
  type RequestFacts,
  type TagList,
} from "./context.js";
export { denialMessage, explainDenial } from "./explain.js";
export { AWS_MANAGED_POLICIES, awsManagedPolicy, parsedAwsManagedPolicy, type AwsManagedPolicy } from "./managed-policies.js";
export { CONDITION_OPERATORS } from "./conditions.js";
export type { Position, Span } from "./json.js";
export type { ContextValue, Effect, Policy, PolicyKind, PolicyVersion, Statement } from "./types.js";
