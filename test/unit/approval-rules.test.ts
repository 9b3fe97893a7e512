import { describe, expect, it } from "vitest";
import { appliesToDestination, parseRuleContent, ruleContentSha256, type RuleContent } from "../../src/domain/approvals/content.js";
import { evaluateRules, ruleSatisfied } from "../../src/domain/approvals/evaluator.js";
import { compilePoolMember, memberMatches, type PoolMember } from "../../src/domain/approvals/pool.js";
import { validateRuleName, validateTemplateName } from "../../src/domain/approvals/validate.js";
import { ServiceError } from "../../src/errors.js";

const ACCOUNT = "123456789012";
const mary = `arn:aws:iam::${ACCOUNT}:user/Mary_Major`;
const li = `arn:aws:iam::${ACCOUNT}:user/Li_Juan`;
const pathUser = `arn:aws:iam::${ACCOUNT}:user/engineering/Saanvi_Sarkar`;
const reviewSession = (name: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/CodeCommitReview/${name}`;
const federated = `arn:aws:sts::${ACCOUNT}:federated-user/Mary_Major`;

function content(statements: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ Version: "2018-11-08", ...extra, Statements: statements });
}

function refusal(value: unknown, kind: "rule" | "template" = "rule"): ServiceError {
  try {
    parseRuleContent(value, kind);
  } catch (e) {
    if (e instanceof ServiceError) return e;
    throw e;
  }
  throw new Error(`accepted: ${String(value)}`);
}

function member(source: string): PoolMember {
  const m = compilePoolMember(source);
  if (typeof m === "string") throw new Error(m);
  return m;
}

describe("approval rule content", () => {
  it("parses CodeCommit's example: two approvals from a user and a role's sessions", () => {
    const c = parseRuleContent(
      content([{ Type: "Approvers", NumberOfApprovalsNeeded: 2, ApprovalPoolMembers: [`CodeCommitApprovers:${ACCOUNT}:Mary_Major`, `arn:aws:sts::${ACCOUNT}:assumed-role/CodeCommitReview/*`] }], {
        DestinationReferences: ["refs/heads/main"],
      }),
      "rule",
    );
    expect(c.statements).toHaveLength(1);
    expect(c.statements[0]!.numberOfApprovalsNeeded).toBe(2);
    expect(c.statements[0]!.pool).toHaveLength(2);
    expect(c.destinationReferences).toHaveLength(1);
  });

  it("a statement without a pool counts anyone", () => {
    const c = parseRuleContent(content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }]), "rule");
    expect(c.statements[0]!.pool).toBeUndefined();
    expect(ruleSatisfied(c, [li])).toBe(true);
    expect(ruleSatisfied(c, [])).toBe(false);
  });

  it.each([
    ["", "ApprovalRuleContentRequiredException", "required"],
    ["{not json", "InvalidApprovalRuleContentException", "not JSON"],
    ["[]", "InvalidApprovalRuleContentException", "JSON object"],
    [JSON.stringify({ Statements: [] }), "InvalidApprovalRuleContentException", "Version is required"],
    [JSON.stringify({ Version: "2012-10-17", Statements: [] }), "InvalidApprovalRuleContentException", 'Version "2012-10-17" is not known'],
    [JSON.stringify({ Version: "2018-11-08" }), "InvalidApprovalRuleContentException", "Statements is required"],
    [content([]), "InvalidApprovalRuleContentException", "at least one statement"],
    [content([{ Type: "Reviewers", NumberOfApprovalsNeeded: 1 }]), "InvalidApprovalRuleContentException", 'Statements[0].Type must be "Approvers", not "Reviewers"'],
    [content([{ Type: "Approvers" }]), "InvalidApprovalRuleContentException", "Statements[0].NumberOfApprovalsNeeded is required"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 0 }]), "InvalidApprovalRuleContentException", "whole number from 1 to 200, not 0"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: "2" }]), "InvalidApprovalRuleContentException", 'not "2"'],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1.5 }]), "InvalidApprovalRuleContentException", "not 1.5"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1, Approvers: [] }]), "InvalidApprovalRuleContentException", "Statements[0].Approvers is not a member"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }], { Effect: "Allow" }), "InvalidApprovalRuleContentException", "'Effect' is not a member"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: "x" }]), "InvalidApprovalRuleContentException", "must be a list"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: ["Mary_Major"] }]), "InvalidApprovalRuleContentException", "ApprovalPoolMembers[0] 'Mary_Major' is neither"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: ["arn:aws:s3:::bucket"] }]), "InvalidApprovalRuleContentException", "neither an IAM or STS ARN"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: ["CodeCommitApprovers:123456789012"] }]), "InvalidApprovalRuleContentException", "CodeCommitApprovers:ACCOUNT:NAME"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }], { DestinationReferences: "refs/heads/main" }), "InvalidApprovalRuleContentException", "DestinationReferences must be a list"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }], { DestinationReferences: ["main"] }), "InvalidApprovalRuleContentException", "write refs/heads/NAME"],
    [content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }], { DestinationReferences: ["refs/heads/*-release"] }), "InvalidApprovalRuleContentException", "wildcard"],
  ])("refuses %s with %s saying what is wrong", (text, code, says) => {
    const e = refusal(text);
    expect(e.code).toBe(code);
    expect(e.message).toContain(says);
  });

  it("counts its limits: 3,000 characters, 50 pool members, 100 destination references", () => {
    const long = content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: [`arn:aws:iam::${ACCOUNT}:user/${"a".repeat(3000)}`] }]);
    expect(refusal(long).message).toContain("the most is 3,000");
    const members = (n: number) => Array.from({ length: n }, (_, i) => `CodeCommitApprovers:${ACCOUNT}:u${i}`);
    expect(() => parseRuleContent(content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: members(50) }]), "rule")).not.toThrow();
    expect(refusal(content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: members(51) }])).message).toContain("at most 50 members");
    const refs = (n: number) => Array.from({ length: n }, (_, i) => `refs/heads/b${i}`);
    expect(() => parseRuleContent(content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }], { DestinationReferences: refs(100) }), "template")).not.toThrow();
    expect(refusal(content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }], { DestinationReferences: refs(101) }), "template").message).toContain("the most is 100");
  });

  it("template content is refused with the template's codes", () => {
    expect(refusal("", "template").code).toBe("ApprovalRuleTemplateContentRequiredException");
    expect(refusal("{}", "template").code).toBe("InvalidApprovalRuleTemplateContentException");
  });

  it("ruleContentSha256 is the SHA-256 of the content as given", () => {
    expect(ruleContentSha256("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("a template applies to the destinations its DestinationReferences match, or to all without any", () => {
    const some = parseRuleContent(content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }], { DestinationReferences: ["refs/heads/main", "refs/heads/release/*"] }), "template");
    expect(appliesToDestination(some, "refs/heads/main")).toBe(true);
    expect(appliesToDestination(some, "refs/heads/release/1.0")).toBe(true);
    expect(appliesToDestination(some, "refs/heads/mainline")).toBe(false);
    expect(appliesToDestination(some, "refs/heads/feature")).toBe(false);
    const all = parseRuleContent(content([{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }]), "template");
    expect(appliesToDestination(all, "refs/heads/anything")).toBe(true);
  });
});

describe("approval pool members", () => {
  it("a user's ARN matches that user only", () => {
    const m = member(mary);
    expect(memberMatches(m, mary)).toBe(true);
    expect(memberMatches(m, li)).toBe(false);
    expect(memberMatches(m, reviewSession("Mary_Major"))).toBe(false);
  });

  it("ARN patterns take wildcards in the resource, and never across the account", () => {
    const m = member(`arn:aws:iam::${ACCOUNT}:user/*`);
    expect(memberMatches(m, mary)).toBe(true);
    expect(memberMatches(m, pathUser)).toBe(true);
    expect(memberMatches(m, "arn:aws:iam::999999999999:user/Mary_Major")).toBe(false);
    expect(memberMatches(m, reviewSession("x"))).toBe(false);
  });

  it("assumed-role/ROLE/* matches every session of the role, each on its own", () => {
    const m = member(`arn:aws:sts::${ACCOUNT}:assumed-role/CodeCommitReview/*`);
    expect(memberMatches(m, reviewSession("Mary_Major"))).toBe(true);
    expect(memberMatches(m, reviewSession("Li_Juan"))).toBe(true);
    expect(memberMatches(m, `arn:aws:sts::${ACCOUNT}:assumed-role/Other/Mary_Major`)).toBe(false);
    const statement = parseRuleContent(content([{ Type: "Approvers", NumberOfApprovalsNeeded: 2, ApprovalPoolMembers: [m.source] }]), "rule");
    expect(ruleSatisfied(statement, [reviewSession("Mary_Major")])).toBe(false);
    expect(ruleSatisfied(statement, [reviewSession("Mary_Major"), reviewSession("Li_Juan")])).toBe(true);
  });

  it("a session counts for the role named without a session, as an STS or an IAM ARN, paths included", () => {
    for (const source of [
      `arn:aws:sts::${ACCOUNT}:assumed-role/CodeCommitReview`,
      `arn:aws:iam::${ACCOUNT}:role/CodeCommitReview`,
      `arn:aws:iam::${ACCOUNT}:role/teams/review/CodeCommitReview`,
    ]) {
      const m = member(source);
      expect(memberMatches(m, reviewSession("Mary_Major")), source).toBe(true);
      expect(memberMatches(m, `arn:aws:sts::${ACCOUNT}:assumed-role/CodeCommitReviewers/Mary_Major`), source).toBe(false);
      expect(memberMatches(m, mary), source).toBe(false);
    }
  });

  it("CodeCommitApprovers:ACCOUNT:NAME matches the IAM user and the federated user, a session only with a wildcard", () => {
    const exact = member(`CodeCommitApprovers:${ACCOUNT}:Mary_Major`);
    expect(memberMatches(exact, mary)).toBe(true);
    expect(memberMatches(exact, federated)).toBe(true);
    expect(memberMatches(exact, reviewSession("Mary_Major"))).toBe(false);
    expect(memberMatches(exact, "arn:aws:iam::999999999999:user/Mary_Major")).toBe(false);
    expect(memberMatches(exact, li)).toBe(false);
    const wild = member(`CodeCommitApprovers:${ACCOUNT}:*Mary_Major`);
    expect(memberMatches(wild, reviewSession("Mary_Major"))).toBe(true);
    expect(memberMatches(wild, mary)).toBe(true);
    const roleSession = member(`CodeCommitApprovers:${ACCOUNT}:CodeCommitReview/*`);
    expect(memberMatches(roleSession, reviewSession("anyone"))).toBe(true);
    expect(memberMatches(roleSession, mary)).toBe(false);
  });
});

describe("evaluating rules", () => {
  const rule = (name: string, needed: number, pool?: string[]): { name: string; content: RuleContent } => ({
    name,
    content: parseRuleContent(content([{ Type: "Approvers", NumberOfApprovalsNeeded: needed, ...(pool ? { ApprovalPoolMembers: pool } : {}) }]), "rule"),
  });

  it("names the rules satisfied and not satisfied; approvals outside a rule's pool do not count for it", () => {
    const rules = [rule("any one", 1), rule("two reviewers", 2, [`arn:aws:sts::${ACCOUNT}:assumed-role/CodeCommitReview/*`]), rule("Mary", 1, [mary])];
    expect(evaluateRules(rules, [])).toEqual({ approvalRulesSatisfied: [], approvalRulesNotSatisfied: ["any one", "two reviewers", "Mary"] });
    expect(evaluateRules(rules, [li, reviewSession("a")])).toEqual({ approvalRulesSatisfied: ["any one"], approvalRulesNotSatisfied: ["two reviewers", "Mary"] });
    expect(evaluateRules(rules, [mary, reviewSession("a"), reviewSession("b")])).toEqual({ approvalRulesSatisfied: ["any one", "two reviewers", "Mary"], approvalRulesNotSatisfied: [] });
  });

  it("no rules: nothing to satisfy", () => {
    expect(evaluateRules([], [])).toEqual({ approvalRulesSatisfied: [], approvalRulesNotSatisfied: [] });
  });
});

describe("approval rule and template names", () => {
  it("takes letters, digits, periods, spaces, underscores and dashes, up to 100", () => {
    expect(validateRuleName("Require 2 approvers_v1.2-x")).toBe("Require 2 approvers_v1.2-x");
    expect(validateTemplateName("a".repeat(100))).toBe("a".repeat(100));
  });

  it.each([
    ["", "ApprovalRuleNameRequiredException"],
    ["a".repeat(101), "InvalidApprovalRuleNameException"],
    ["needs: two", "InvalidApprovalRuleNameException"],
    ["a/b", "InvalidApprovalRuleNameException"],
    ["rule.git", "InvalidApprovalRuleNameException"],
  ])("refuses rule name %j with %s", (name, code) => {
    expect(() => validateRuleName(name)).toThrow(expect.objectContaining({ code }));
  });

  it("refuses template names with the template codes", () => {
    expect(() => validateTemplateName(undefined)).toThrow(expect.objectContaining({ code: "ApprovalRuleTemplateNameRequiredException" }));
    expect(() => validateTemplateName("x*")).toThrow(expect.objectContaining({ code: "InvalidApprovalRuleTemplateNameException" }));
  });
});
