/**
 * The normalised, pre-compiled form of a policy document. Produced once by `parsePolicy` when a
 * policy is stored or loaded; `evaluate` only walks it.
 */

import type { ArnPattern } from "./arn-pattern.js";
import type { Condition } from "./conditions.js";
import type { Span } from "./json.js";
import type { Pattern } from "./pattern.js";

/** A context value as AWS passes it: a string, or a list for multivalued keys. */
export type ContextValue = string | readonly string[];

/** Read access to a request context by lower-cased key; empty lists read as absent. */
export interface ContextLookup {
  lookup(lowerCaseKey: string): ContextValue | undefined;
}

export type Effect = "Allow" | "Deny";

/**
 * What a document is for, which decides what it may contain:
 * - `identity`: an inline user, group or role policy (Version optional; no Principal)
 * - `managed`: a customer managed policy or version, also used as a permissions boundary
 *   (as `identity`, and Version must be 2012-10-17)
 * - `trust`: a role's trust policy (Principal required, no Resource, only sts actions)
 * - `resource`: a resource-based policy such as an SNS topic policy (Principal and Resource)
 */
export type PolicyKind = "identity" | "managed" | "trust" | "resource";

export type PolicyVersion = "2012-10-17" | "2008-10-17";

export interface ActionElement {
  /** NotAction */
  readonly negated: boolean;
  /** lower-cased `service:Name` globs; `*` alone is a pattern too */
  readonly patterns: readonly Pattern[];
}

export interface ResourceElement {
  /** NotResource */
  readonly negated: boolean;
  readonly patterns: readonly ArnPattern[];
}

export interface PrincipalElement {
  /** NotPrincipal */
  readonly negated: boolean;
  /** `"Principal": "*"` or `{"AWS": "*"}` */
  readonly anyone: boolean;
  /** account IDs, normalised to their `arn:…:root` form, and user, role and session ARNs */
  readonly aws: readonly string[];
  readonly service: readonly string[];
  readonly federated: readonly string[];
  readonly canonicalUser: readonly string[];
}

export interface Statement {
  /** position in the document's Statement list, from 0 */
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: Effect;
  readonly action: ActionElement;
  /** absent in trust policies, which name no resource */
  readonly resource: ResourceElement | undefined;
  readonly principal: PrincipalElement | undefined;
  /** every one must hold (AND) */
  readonly conditions: readonly Condition[];
  /** where the statement sits in the document text */
  readonly span: Span | undefined;
}

export interface Policy {
  readonly kind: PolicyKind;
  /** the document's Version; `2008-10-17` also when it had none */
  readonly version: PolicyVersion;
  readonly versionGiven: boolean;
  readonly id: string | undefined;
  readonly statements: readonly Statement[];
  /**
   * Statements that can match an action of a service, by lower-cased service prefix, in
   * document order. A service no Action names maps to `otherServices` (statements with `*`
   * or NotAction), so evaluation never looks at statements about other services.
   */
  readonly byService: ReadonlyMap<string, readonly Statement[]>;
  readonly otherServices: readonly Statement[];
}
