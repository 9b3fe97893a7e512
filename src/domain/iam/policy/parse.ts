/**
 * Policy document text → validated, normalised, pre-compiled `Policy`, or a
 * `MalformedPolicyDocument` ServiceError saying what to fix. Size limits are the caller's.
 */

import { compileArnPattern } from "./arn-pattern.js";
import { compileCondition, parseOperator, type Condition } from "./conditions.js";
import { JsonSyntaxError, parseJson, type JsonObject, type JsonValue, type Span } from "./json.js";
import { compilePattern, type Pattern } from "./pattern.js";
import type { Policy, PolicyKind, PolicyVersion, PrincipalElement, ResourceElement, Statement } from "./types.js";
import {
  checkAction,
  checkActionsPresent,
  checkConditionKey,
  checkKindRules,
  checkResource,
  checkResourcesPresent,
  checkSids,
  checkStatementShape,
  checkTopLevel,
  checkTrustAction,
  conditionValues,
  listOf,
  malformed,
  parsePrincipal,
  syntaxError,
} from "./validate.js";

export interface ParseOptions {
  /** what the document is for; decides Principal/Resource rules (default `identity`) */
  kind?: PolicyKind;
}

export function parsePolicy(document: string, options: ParseOptions = {}): Policy {
  const kind = options.kind ?? "identity";
  let value: JsonValue;
  let spans: WeakMap<object, Span>;
  try {
    ({ value, spans } = parseJson(document));
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw malformed(`This policy contains invalid Json: ${e.message} ${where(document, e.offset)}.`);
    throw e;
  }

  checkTopLevel(value);
  const doc = value;
  const rawStatements: JsonValue[] = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement!];
  rawStatements.forEach((st, n) => checkStatementShape(st, n));
  const statements = rawStatements as JsonObject[];

  if (kind === "managed" && doc.Version !== "2012-10-17") throw malformed("Policy document must be version 2012-10-17 or greater.");
  checkKindRules(statements, kind);
  checkSids(statements, kind);
  checkActionsPresent(statements);
  if (kind !== "trust") checkResourcesPresent(statements);
  for (const st of statements) listOf(st.Resource ?? st.NotResource).forEach(checkResource);
  for (const st of statements) {
    for (const action of listOf(st.Action ?? st.NotAction)) {
      checkAction(action);
      if (kind === "trust") checkTrustAction(action);
    }
  }

  const versionGiven = doc.Version !== undefined;
  const version: PolicyVersion = doc.Version === "2012-10-17" ? "2012-10-17" : "2008-10-17";
  const variables = version === "2012-10-17";
  const compiled = statements.map((st, index) => compileStatement(st, index, variables, spans.get(st)));
  const { byService, otherServices } = indexByService(compiled);
  return {
    kind,
    version,
    versionGiven,
    id: typeof doc.Id === "string" ? doc.Id : undefined,
    statements: compiled,
    byService,
    otherServices,
  };
}

function where(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `at line ${line}, column ${column}`;
}

function compileStatement(st: JsonObject, index: number, variables: boolean, span: Span | undefined): Statement {
  const actionNegated = st.Action === undefined;
  const actions = listOf(actionNegated ? st.NotAction : st.Action);
  const resourceValue = st.Resource ?? st.NotResource;
  const resource: ResourceElement | undefined =
    resourceValue === undefined
      ? undefined
      : { negated: st.Resource === undefined, patterns: listOf(resourceValue).map((r) => compileArnPattern(r, variables)) };
  const principalValue = st.Principal ?? st.NotPrincipal;
  const principal: PrincipalElement | undefined =
    principalValue === undefined ? undefined : { negated: st.Principal === undefined, ...parsePrincipal(principalValue) };
  return {
    index,
    sid: typeof st.Sid === "string" ? st.Sid : undefined,
    effect: st.Effect as "Allow" | "Deny",
    action: {
      negated: actionNegated,
      // actions are case-insensitive: compare lower-cased
      patterns: actions.map((a) => compilePattern(a.toLowerCase(), { variables: false, wildcards: true })),
    },
    resource,
    principal,
    conditions: compileConditions(st.Condition as JsonObject | undefined, variables),
    span,
  };
}

function compileConditions(block: JsonObject | undefined, variables: boolean): Condition[] {
  if (!block) return [];
  const out: Condition[] = [];
  for (const [operatorName, entries] of Object.entries(block)) {
    const op = parseOperator(operatorName);
    if (!op) {
      throw syntaxError(
        `Unknown condition operator ${operatorName}. Operators are String*, Numeric*, Date*, Bool, BinaryEquals, ` +
          "IpAddress, NotIpAddress, Arn* and Null, optionally ending in IfExists and prefixed by ForAllValues: or ForAnyValue:.",
      );
    }
    if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
      throw syntaxError(`Condition ${operatorName} must be an object of context keys and values, e.g. {"aws:username": "alice"}.`);
    }
    for (const [key, raw] of Object.entries(entries)) {
      checkConditionKey(key);
      out.push(compileCondition(op, key, conditionValues(operatorName, key, raw), variables));
    }
  }
  return out;
}

function serviceOf(p: Pattern): string | undefined {
  const colon = p.source.indexOf(":");
  return colon < 0 ? undefined : p.source.slice(0, colon);
}

/** Which statements can concern which service (see Policy.byService). */
function indexByService(statements: readonly Statement[]): Pick<Policy, "byService" | "otherServices"> {
  const anyService = (st: Statement): boolean => st.action.negated || st.action.patterns.some((p) => serviceOf(p) === undefined);
  const services = new Set<string>();
  for (const st of statements) {
    for (const p of st.action.patterns) {
      const s = serviceOf(p);
      if (s !== undefined) services.add(s);
    }
  }
  const byService = new Map<string, readonly Statement[]>();
  for (const service of services) {
    byService.set(
      service,
      statements.filter((st) => anyService(st) || st.action.patterns.some((p) => serviceOf(p) === service)),
    );
  }
  return { byService, otherServices: statements.filter(anyService) };
}
