import crypto from "node:crypto";
import { ServiceError } from "../../errors.js";
import { compilePattern, globMatch, type Pattern } from "../iam/policy/pattern.js";
import { compilePoolMember, type PoolMember } from "./pool.js";

/** The rule content syntax CodeCommit knows (its only Version). */
export const RULE_CONTENT_VERSION = "2018-11-08";
export const MAX_CONTENT = 3000;
export const MAX_POOL_MEMBERS = 50;
export const MAX_DESTINATION_REFERENCES = 100;
export const MAX_APPROVALS_NEEDED = 200;

export interface ApprovalStatement {
  numberOfApprovalsNeeded: number;
  /** undefined: any approver counts */
  pool: PoolMember[] | undefined;
}

export interface RuleContent {
  /** templates: the destination branches the template applies to (undefined: all) */
  destinationReferences: Pattern[] | undefined;
  statements: ApprovalStatement[];
}

export type ContentKind = "rule" | "template";

const CODES: Record<ContentKind, { required: string; invalid: string; what: string }> = {
  rule: { required: "ApprovalRuleContentRequiredException", invalid: "InvalidApprovalRuleContentException", what: "approval rule content" },
  template: {
    required: "ApprovalRuleTemplateContentRequiredException",
    invalid: "InvalidApprovalRuleTemplateContentException",
    what: "approval rule template content",
  },
};

export function ruleContentSha256(content: string): string {
  return crypto.createHash("sha256").update(content, "utf8").digest("hex");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function unknownKeys(o: Record<string, unknown>, known: string[]): string | undefined {
  return Object.keys(o).find((k) => !known.includes(k));
}

/**
 * Parses approval rule (or template) content as CodeCommit does, refusing what it would refuse
 * with a message that says what is wrong and where:
 *
 *   {"Version": "2018-11-08", "DestinationReferences": ["refs/heads/main"],
 *    "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1,
 *                    "ApprovalPoolMembers": ["arn:aws:iam::123456789012:user/Mary_Major"]}]}
 */
export function parseRuleContent(value: unknown, kind: ContentKind): RuleContent {
  const codes = CODES[kind];
  if (value === undefined || value === null || value === "") throw new ServiceError(codes.required, `The ${codes.what} is required.`);
  const bad = (problem: string) => new ServiceError(codes.invalid, `The ${codes.what} is not valid: ${problem}.`);
  if (typeof value !== "string") throw bad("it must be a string holding a JSON document");
  if (value.length > MAX_CONTENT) throw bad(`it is ${value.length.toLocaleString("en-US")} characters long; the most is ${MAX_CONTENT.toLocaleString("en-US")}`);
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch (e) {
    throw bad(`it is not JSON (${(e as Error).message})`);
  }
  if (!isObject(doc)) throw bad("it must be a JSON object with Version and Statements");
  const extra = unknownKeys(doc, ["Version", "DestinationReferences", "Statements"]);
  if (extra !== undefined) throw bad(`'${extra}' is not a member of rule content (it has Version, DestinationReferences and Statements)`);
  if (doc.Version === undefined) throw bad(`Version is required: use "${RULE_CONTENT_VERSION}"`);
  if (doc.Version !== RULE_CONTENT_VERSION) throw bad(`Version ${JSON.stringify(doc.Version)} is not known: use "${RULE_CONTENT_VERSION}"`);

  let destinationReferences: Pattern[] | undefined;
  if (doc.DestinationReferences !== undefined) {
    const refs = doc.DestinationReferences;
    if (!Array.isArray(refs)) throw bad('DestinationReferences must be a list of branch references, such as ["refs/heads/main"]');
    if (refs.length > MAX_DESTINATION_REFERENCES) throw bad(`DestinationReferences has ${refs.length} references; the most is ${MAX_DESTINATION_REFERENCES}`);
    destinationReferences = refs.map((ref, i) => {
      if (typeof ref !== "string" || !ref.startsWith("refs/heads/") || ref.length === "refs/heads/".length) {
        throw bad(`DestinationReferences[${i}] ${JSON.stringify(ref)} is not a branch reference: write refs/heads/NAME, such as refs/heads/main`);
      }
      if (ref.startsWith("refs/heads/*") || ref.startsWith("refs/heads/?")) {
        throw bad(`DestinationReferences[${i}] ${JSON.stringify(ref)} starts the branch name with a wildcard, which CodeCommit does not allow`);
      }
      return compilePattern(ref, { variables: false, wildcards: true });
    });
  }

  const statements = doc.Statements;
  if (statements === undefined) throw bad('Statements is required: a list with one {"Type": "Approvers", "NumberOfApprovalsNeeded": N} statement');
  if (!Array.isArray(statements) || statements.length === 0) throw bad("Statements must be a list of at least one statement");
  let members = 0;
  const parsed = statements.map((s, i): ApprovalStatement => {
    const at = `Statements[${i}]`;
    if (!isObject(s)) throw bad(`${at} must be an object`);
    const extraKey = unknownKeys(s, ["Type", "NumberOfApprovalsNeeded", "ApprovalPoolMembers"]);
    if (extraKey !== undefined) throw bad(`${at}.${extraKey} is not a member of a statement (it has Type, NumberOfApprovalsNeeded and ApprovalPoolMembers)`);
    if (s.Type !== "Approvers") throw bad(`${at}.Type must be "Approvers"${s.Type === undefined ? "" : `, not ${JSON.stringify(s.Type)}`}`);
    const needed = s.NumberOfApprovalsNeeded;
    if (needed === undefined) throw bad(`${at}.NumberOfApprovalsNeeded is required`);
    if (typeof needed !== "number" || !Number.isInteger(needed) || needed < 1 || needed > MAX_APPROVALS_NEEDED) {
      throw bad(`${at}.NumberOfApprovalsNeeded must be a whole number from 1 to ${MAX_APPROVALS_NEEDED}, not ${JSON.stringify(needed)}`);
    }
    let pool: PoolMember[] | undefined;
    if (s.ApprovalPoolMembers !== undefined) {
      if (!Array.isArray(s.ApprovalPoolMembers)) throw bad(`${at}.ApprovalPoolMembers must be a list of ARNs`);
      members += s.ApprovalPoolMembers.length;
      if (members > MAX_POOL_MEMBERS) throw bad(`an approval pool can have at most ${MAX_POOL_MEMBERS} members`);
      pool = s.ApprovalPoolMembers.map((m, j) => {
        if (typeof m !== "string" || m === "") throw bad(`${at}.ApprovalPoolMembers[${j}] must be a non-empty string`);
        const member = compilePoolMember(m);
        if (typeof member === "string") throw bad(`${at}.ApprovalPoolMembers[${j}] ${member}`);
        return member;
      });
    }
    return { numberOfApprovalsNeeded: needed, pool };
  });
  return { destinationReferences, statements: parsed };
}

/** A template applies to a pull request whose destination one of its DestinationReferences matches (or to all, without any). */
export function appliesToDestination(content: RuleContent, destinationRef: string): boolean {
  return content.destinationReferences === undefined || content.destinationReferences.some((p) => globMatch(p.parts, destinationRef));
}
