import { ServiceError } from "../../src/errors.js";
import {
  buildRequestContext,
  evaluate,
  parsedAwsManagedPolicy,
  parsePolicy,
  type ContextInput,
  type EvaluationResult,
  type NamedPolicy,
  type PolicyKind,
  type PrincipalInfo,
  type RequestPrincipal,
  RequestContext,
} from "../../src/domain/iam/policy/index.js";

export const ACCOUNT = "123456789012";
export const alice: PrincipalInfo = {
  kind: "user",
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  userId: "AIDAALICEALICEALICE1",
  accountId: ACCOUNT,
  userName: "alice",
};
export const session: PrincipalInfo = {
  kind: "assumed-role",
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/builder/build-42`,
  userId: "AROABUILDERBUILDER01:build-42",
  accountId: ACCOUNT,
};

/** A statement list, a whole document object, or document text → a named policy. */
export function named(doc: unknown, name = "p", kind: PolicyKind = "identity"): NamedPolicy {
  if (typeof doc === "string" && doc.startsWith("arn:aws:iam::aws:policy/")) {
    return { name: doc.split("/").pop()!, arn: doc, policy: parsedAwsManagedPolicy(doc)! };
  }
  const text =
    typeof doc === "string"
      ? doc
      : JSON.stringify(Array.isArray(doc) ? { Version: "2012-10-17", Statement: doc } : doc);
  return { name, policy: parsePolicy(text, { kind }) };
}

export interface Ask {
  action: string;
  resource?: string;
  /** extra context keys, over alice's (or `who`'s) global keys */
  context?: ContextInput;
  who?: PrincipalInfo;
  /** replace the whole context (no global keys) */
  rawContext?: ContextInput | RequestContext;
  boundary?: unknown[];
  resourcePolicies?: unknown[];
  resourceMustAllow?: boolean;
  principal?: RequestPrincipal;
}

export function decide(policies: unknown[], ask: Ask): EvaluationResult {
  const who = ask.who ?? alice;
  const context =
    ask.rawContext ??
    buildRequestContext(who, { sourceIp: "198.51.100.7", secureTransport: true, region: "us-east-1", time: new Date("2024-05-01T12:00:00Z") }, ask.context);
  return evaluate(
    {
      identity: policies.map((p, i) => named(p, `p${i}`)),
      ...(ask.boundary ? { boundary: ask.boundary.map((p, i) => named(p, `b${i}`, "managed")) } : {}),
      ...(ask.resourcePolicies ? { resource: ask.resourcePolicies.map((p, i) => named(p, `r${i}`, ask.resourceMustAllow ? "trust" : "resource")) } : {}),
      ...(ask.resourceMustAllow ? { resourceMustAllow: true } : {}),
    },
    {
      action: ask.action,
      resource: ask.resource ?? "*",
      context,
      principal: ask.principal ?? { arn: who.arn, accountId: who.accountId, ...(who.kind === "assumed-role" ? { roleArn: `arn:aws:iam::${who.accountId}:role/builder` } : {}) },
    },
  );
}

/** The MalformedPolicyDocument reason for a document, or "" when it parses. */
export function reasonFor(doc: unknown, kind: PolicyKind = "identity"): string {
  const text = typeof doc === "string" ? doc : JSON.stringify(doc);
  try {
    parsePolicy(text, { kind });
    return "";
  } catch (e) {
    if (e instanceof ServiceError && e.code === "MalformedPolicyDocument") return e.message;
    throw e;
  }
}
