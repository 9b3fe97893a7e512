/**
 * The checks IAM makes when a policy is stored, with IAM's own wording where it is known
 * ("Policy statement must contain actions.", "Policy document should not specify a
 * principal.", …). Where IAM only says "Syntax errors in policy." we say so too, followed by
 * what exactly is wrong, so that a person can fix it.
 */

import { ServiceError } from "../../../errors.js";
import type { JsonObject, JsonValue } from "./json.js";
import type { PolicyKind } from "./types.js";

export function malformed(reason: string): ServiceError {
  return new ServiceError("MalformedPolicyDocument", reason);
}

export function syntaxError(detail: string): ServiceError {
  return malformed(`Syntax errors in policy. ${detail}`);
}

const VERSIONS = ["2012-10-17", "2008-10-17"] as const;

const TOP_ELEMENTS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_ELEMENTS = new Set([
  "Sid",
  "Effect",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Principal",
  "NotPrincipal",
  "Condition",
]);
const PRINCIPAL_TYPES = new Set(["AWS", "Service", "Federated", "CanonicalUser"]);
const PARTITIONS = new Set(["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"]);

export function checkTopLevel(doc: JsonValue): asserts doc is JsonObject {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw syntaxError("The policy document must be a JSON object.");
  }
  for (const key of Object.keys(doc)) {
    if (!TOP_ELEMENTS.has(key)) throw syntaxError(`Unknown element ${key}: a policy has only Version, Id and Statement.`);
  }
  const version = doc.Version;
  if (version !== undefined && !VERSIONS.includes(version as (typeof VERSIONS)[number])) {
    throw syntaxError(`Unsupported version: ${JSON.stringify(version)}. Version must be "2012-10-17" (or the old "2008-10-17").`);
  }
  if (doc.Id !== undefined && typeof doc.Id !== "string") throw syntaxError("Id must be a string.");
  const st = doc.Statement;
  if (st === undefined) throw syntaxError("Policy document is missing required element: Statement.");
  if (typeof st !== "object" || st === null) throw syntaxError("Statement must be an object or a list of objects.");
  if (Array.isArray(st) && st.length === 0) throw syntaxError("Statement must not be an empty list.");
}

export function checkStatementShape(st: JsonValue, n: number): asserts st is JsonObject {
  const where = `Statement ${n + 1}`;
  if (typeof st !== "object" || st === null || Array.isArray(st)) throw syntaxError(`${where} must be a JSON object.`);
  for (const key of Object.keys(st)) {
    if (!STATEMENT_ELEMENTS.has(key)) {
      throw syntaxError(
        `${where} has the unknown element ${key}. A statement has Sid, Effect, Action or NotAction, ` +
          "Resource or NotResource, Principal or NotPrincipal (resource and trust policies only), and Condition.",
      );
    }
  }
  if (st.Sid !== undefined && typeof st.Sid !== "string") throw syntaxError(`${where}: Sid must be a string.`);
  if (st.Effect === undefined) throw syntaxError(`${where} is missing required element: Effect.`);
  if (st.Effect !== "Allow" && st.Effect !== "Deny") {
    throw syntaxError(`Invalid Effect: ${JSON.stringify(st.Effect)} in ${where}. Effect must be "Allow" or "Deny" (case matters).`);
  }
  for (const [a, b] of [
    ["Action", "NotAction"],
    ["Resource", "NotResource"],
    ["Principal", "NotPrincipal"],
  ] as const) {
    if (st[a] !== undefined && st[b] !== undefined) throw syntaxError(`${where} has both ${a} and ${b}; use one or the other.`);
  }
  for (const element of ["Action", "NotAction", "Resource", "NotResource"]) {
    const v = st[element];
    if (v === undefined) continue;
    if (typeof v === "string") continue;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) continue;
    throw syntaxError(`${where}: ${element} must be a string or a list of strings.`);
  }
  if (st.Condition !== undefined && (typeof st.Condition !== "object" || st.Condition === null || Array.isArray(st.Condition))) {
    throw syntaxError(`${where}: Condition must be an object of operators, e.g. {"StringEquals": {"aws:username": "alice"}}.`);
  }
}

/** What the kind of document allows: principals, resources, actions. */
export function checkKindRules(statements: readonly JsonObject[], kind: PolicyKind): void {
  for (const st of statements) {
    const hasPrincipal = st.Principal !== undefined || st.NotPrincipal !== undefined;
    const hasResource = st.Resource !== undefined || st.NotResource !== undefined;
    if (kind === "identity" || kind === "managed") {
      if (hasPrincipal) throw malformed("Policy document should not specify a principal.");
    } else {
      if (!hasPrincipal) throw malformed("Missing required field Principal");
      if (kind === "trust" && hasResource) {
        throw malformed(`Has prohibited field ${st.Resource !== undefined ? "Resource" : "NotResource"}`);
      }
    }
  }
}

const SID = /^[0-9A-Za-z]*$/;

export function checkSids(statements: readonly JsonObject[], kind: PolicyKind): void {
  const seen = new Set<string>();
  for (const st of statements) {
    const sid = st.Sid as string | undefined;
    if (!sid) continue;
    // IAM's own policies take letters and digits only; resource policies of other services are freer
    if (kind !== "resource" && !SID.test(sid)) {
      throw malformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*");
    }
    if (seen.has(sid)) throw malformed("Statement IDs (SID) in a single policy must be unique.");
    seen.add(sid);
  }
}

export function listOf(v: JsonValue | undefined): string[] {
  if (v === undefined) return [];
  return typeof v === "string" ? [v] : (v as string[]);
}

export function checkActionsPresent(statements: readonly JsonObject[]): void {
  for (const st of statements) {
    if (listOf(st.Action ?? st.NotAction).length === 0) throw malformed("Policy statement must contain actions.");
  }
}

export function checkResourcesPresent(statements: readonly JsonObject[]): void {
  for (const st of statements) {
    if (listOf(st.Resource ?? st.NotResource).length === 0) throw malformed("Policy statement must contain resources.");
  }
}

/** `*`, or an ARN with a known partition and a literal service. */
export function checkResource(resource: string): void {
  if (resource === "*") return;
  const parts = resource.split(":");
  if (parts.length < 2 || parts[0] !== "arn") throw malformed(`Resource ${resource} must be in ARN format or "*".`);
  const partition = parts[1]!;
  if (!PARTITIONS.has(partition)) {
    const p = (i: number): string => (parts[i] !== undefined && (parts[i] !== "" || i < parts.length - 1) ? parts[i]! : "*");
    const shown = `arn:${partition}:${p(2)}:${p(3)}:${p(4)}:${parts.slice(5).join(":") || "*"}`;
    throw malformed(`Partition "${partition}" is not valid for resource "${shown}".`);
  }
  const service = parts[2];
  if (!service || /[*?]/.test(service) || service.includes("${")) {
    throw malformed("Resource vendor must be fully qualified and cannot contain regexes.");
  }
  const region = parts[3] ?? "";
  if (service === "iam" && region !== "") throw malformed(`IAM resource ${resource} cannot contain region information.`);
  if (service === "s3" && region !== "") throw malformed(`Resource ${resource} can not contain region information.`);
}

const VENDOR = /^[a-zA-Z0-9.-]+$/;

/** `*` or `vendor:Name` with a literal vendor. */
export function checkAction(action: string): void {
  if (action === "*") return;
  const parts = action.split(":");
  if (parts.length === 1) throw malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  if (parts.length > 2) throw malformed("Actions/Condition can contain only one colon.");
  if (!VENDOR.test(parts[0]!)) throw malformed(`Vendor ${parts[0]} is not valid`);
}

/** Trust policies may only say who can assume the role (and tag or name the session). */
export function checkTrustAction(action: string): void {
  if (!action.toLowerCase().startsWith("sts:")) throw malformed("AssumeRole policy may only specify STS AssumeRole actions.");
}

/** Condition keys must name their service (`aws:`, `codecommit:`, …). */
export function checkConditionKey(key: string): void {
  if (!key.includes(":") || key.startsWith(":")) {
    throw malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  }
}

/** Condition values as text: a string, number or boolean, or a non-empty list of them. */
export function conditionValues(operator: string, key: string, v: JsonValue): string[] {
  const scalar = (x: JsonValue): string => {
    if (typeof x === "string") return x;
    if (typeof x === "number" || typeof x === "boolean") return String(x);
    throw syntaxError(`Condition ${operator} ${key}: values must be strings, numbers or booleans.`);
  };
  if (Array.isArray(v)) {
    if (v.length === 0) throw syntaxError(`Condition ${operator} ${key} has an empty list of values.`);
    return v.map(scalar);
  }
  return [scalar(v)];
}

export interface PrincipalLists {
  anyone: boolean;
  aws: string[];
  service: string[];
  federated: string[];
  canonicalUser: string[];
}

const ACCOUNT = /^\d{12}$/;
const PRINCIPAL_ARN =
  /^arn:[a-z-]+:(iam::\d{12}:(root|user\/.+|role\/.+|federated-user\/.+)|sts::\d{12}:(assumed-role\/.+\/.+|federated-user\/.+))$/;

/** `"*"` or `{"AWS": …, "Service": …, "Federated": …, "CanonicalUser": …}`. */
export function parsePrincipal(v: JsonValue): PrincipalLists {
  const out: PrincipalLists = { anyone: false, aws: [], service: [], federated: [], canonicalUser: [] };
  if (v === "*") return { ...out, anyone: true };
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw syntaxError('Principal must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}.');
  }
  for (const [type, value] of Object.entries(v)) {
    if (!PRINCIPAL_TYPES.has(type)) throw malformed(`Invalid principal in policy: "${type}"`);
    const values =
      typeof value === "string"
        ? [value]
        : Array.isArray(value) && value.every((x) => typeof x === "string")
          ? (value as string[])
          : undefined;
    if (!values || values.length === 0) throw malformed(`Invalid principal in policy: "${type}"`);
    for (const p of values) {
      if (type === "AWS") {
        if (p === "*") out.anyone = true;
        else if (ACCOUNT.test(p)) out.aws.push(`arn:aws:iam::${p}:root`);
        else if (PRINCIPAL_ARN.test(p)) out.aws.push(p);
        else throw malformed(`Invalid principal in policy: "AWS":"${p}"`);
      } else if (p === "" || /[*?]/.test(p)) {
        throw malformed(`Invalid principal in policy: "${type}":"${p}"`);
      } else if (type === "Service") out.service.push(p);
      else if (type === "Federated") out.federated.push(p);
      else out.canonicalUser.push(p);
    }
  }
  return out;
}
