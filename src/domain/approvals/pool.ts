import { compileArnPattern, matchArn, type ArnPattern } from "../iam/policy/arn-pattern.js";
import { compilePattern, globMatch, type Pattern } from "../iam/policy/pattern.js";
import type { ContextLookup } from "../iam/policy/types.js";

/**
 * An approval pool member, as CodeCommit reads one: a fully qualified ARN pattern (users,
 * roles, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/*` sessions) or the
 * `CodeCommitApprovers:ACCOUNT:NAME` shorthand, both with `*` and `?` wildcards.
 */
export type PoolMember =
  | { kind: "arn"; source: string; patterns: ArnPattern[] }
  | { kind: "approvers"; source: string; account: Pattern; name: Pattern };

const NO_VARIABLES: ContextLookup = { lookup: () => undefined };
const ROLE_ARN = /^arn:([^:]*):iam::([^:]*):role\/(?:.*\/)?([^/]+)$/;
const APPROVERS = "CodeCommitApprovers:";

/** The member compiled, or a sentence saying what is wrong with it. */
export function compilePoolMember(source: string): PoolMember | string {
  if (source.startsWith(APPROVERS)) {
    const rest = source.slice(APPROVERS.length);
    const colon = rest.indexOf(":");
    if (colon <= 0 || colon === rest.length - 1) {
      return `'${source}' is not a valid CodeCommitApprovers member: write CodeCommitApprovers:ACCOUNT:NAME, such as CodeCommitApprovers:123456789012:Mary_Major`;
    }
    return {
      kind: "approvers",
      source,
      account: compilePattern(rest.slice(0, colon), { variables: false, wildcards: true }),
      name: compilePattern(rest.slice(colon + 1), { variables: false, wildcards: true }),
    };
  }
  const parts = source.split(":");
  if (parts[0] !== "arn" || parts.length < 6 || !["iam", "sts", "*"].includes(parts[2]!) || !parts[4] || !parts.slice(5).join(":")) {
    return (
      `'${source}' is neither an IAM or STS ARN (arn:aws:iam::123456789012:user/Mary_Major, ` +
      "arn:aws:sts::123456789012:assumed-role/CodeCommitReview/*) nor CodeCommitApprovers:123456789012:Mary_Major"
    );
  }
  const patterns = [compileArnPattern(source, false)];
  // a role is named uniquely by its name in an account: its sessions count whatever path the ARN gives
  const role = ROLE_ARN.exec(source);
  if (role) patterns.push(compileArnPattern(`arn:${role[1]}:iam::${role[2]}:role/${role[3]}`, false));
  return { kind: "arn", source, patterns };
}

interface Approver {
  arn: string;
  account: string;
  /** the user's, federated user's, or `ROLE/SESSION` for an assumed role */
  name: string;
  /** for sessions: the ARNs of their role, which a pool member may name instead */
  roleArns: string[];
}

function approverOf(arn: string): Approver | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition, service, , account] = parts;
  const resource = parts.slice(5).join(":");
  if (service === "iam" && resource.startsWith("user/")) {
    return { arn, account: account!, name: resource.slice(resource.lastIndexOf("/") + 1), roleArns: [] };
  }
  if (service === "sts" && resource.startsWith("federated-user/")) {
    return { arn, account: account!, name: resource.slice("federated-user/".length), roleArns: [] };
  }
  if (service === "sts" && resource.startsWith("assumed-role/")) {
    const roleAndSession = resource.slice("assumed-role/".length);
    const role = roleAndSession.slice(0, roleAndSession.indexOf("/"));
    return {
      arn,
      account: account!,
      name: roleAndSession,
      roleArns: [`arn:${partition}:sts::${account}:assumed-role/${role}`, `arn:${partition}:iam::${account}:role/${role}`],
    };
  }
  return { arn, account: account!, name: resource, roleArns: [] };
}

/**
 * Whether an approval by `approverArn` counts for the member. CodeCommitApprovers:A:N matches an
 * IAM user or federated user named N in account A, and an assumed-role session only when N
 * matches ROLE/SESSION (`*Mary_Major`, `CodeCommitReview/*`), as CodeCommit documents; an ARN
 * pattern matches the approver's ARN, or for a session the role's ARN.
 */
export function memberMatches(member: PoolMember, approverArn: string): boolean {
  const approver = approverOf(approverArn);
  if (!approver) return false;
  if (member.kind === "approvers") {
    return globMatch(member.account.parts, approver.account) && globMatch(member.name.parts, approver.name);
  }
  return member.patterns.some(
    (p) => matchArn(p, approver.arn, NO_VARIABLES) || approver.roleArns.some((role) => matchArn(p, role, NO_VARIABLES)),
  );
}
