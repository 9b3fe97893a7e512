import { describe, expect, it } from "vitest";
import { compileArnPattern, matchArn } from "../../src/domain/iam/policy/arn-pattern.js";
import { compileCondition, conditionHolds, parseOperator } from "../../src/domain/iam/policy/conditions.js";
import { parseDate } from "../../src/domain/iam/policy/dates.js";
import { RequestContext, type ContextInput } from "../../src/domain/iam/policy/context.js";
import { cidrContains, normaliseIp, parseCidr, parseIpAddress } from "../../src/domain/iam/policy/ip.js";
import { compilePattern, globMatch, resolveText } from "../../src/domain/iam/policy/pattern.js";

const none = RequestContext.empty;

/** Does `Condition: {op: {key: values}}` hold for this context? */
function holds(op: string, values: string | string[], context: ContextInput, key = "k:key", version2012 = true): boolean {
  const parsed = parseOperator(op);
  if (!parsed) throw new Error(`no operator ${op}`);
  const c = compileCondition(parsed, key, typeof values === "string" ? [values] : values, version2012);
  return conditionHolds(c, RequestContext.from(context));
}

describe("glob matching", () => {
  const glob = (pattern: string, text: string): boolean => globMatch(compilePattern(pattern, { variables: false, wildcards: true }).parts, text);
  it.each([
    ["*", "", true],
    ["*", "anything/at:all", true],
    ["a*", "a", true],
    ["a*b", "ab", true],
    ["a*b", "axxb", true],
    ["a*b", "axxbc", false],
    ["a*b*c", "abxbxc", true],
    ["a*b*c", "acb", false],
    ["?", "", false],
    ["?", "x", true],
    ["a?c", "abc", true],
    ["a?c", "abbc", false],
    ["*?", "", false],
    ["*?", "x", true],
    ["**a", "ba", true],
    ["a*a*a", "aaa", true],
    ["a*a*a", "aa", false],
    ["literal", "literal", true],
    ["literal", "Literal", false],
  ])("%s ~ %s → %s", (pattern, text, expected) => {
    expect(glob(pattern, text)).toBe(expected);
  });

  it("only matches within the given range", () => {
    const parts = compilePattern("b*", { variables: false, wildcards: true }).parts;
    expect(globMatch(parts, "abcd", 1, 3)).toBe(true);
    expect(globMatch(parts, "abcd", 0, 3)).toBe(false);
  });

  it("parses variables, defaults with doubled quotes, and escapes", () => {
    const p = compilePattern("x${aws:PrincipalTag/t, 'it''s'}${*}${?}${$}y", { variables: true, wildcards: true });
    expect(p.parts).toEqual(["x", { key: "aws:principaltag/t", fallback: "it's" }, "*?$y"]);
    expect(globMatch(p.parts, "xit's*?$y", 0, 9, none)).toBe(true);
    expect(globMatch(p.parts, "xred*?$y", 0, 8, RequestContext.from({ "aws:PrincipalTag/t": "red" }))).toBe(true);
    expect(globMatch(p.parts, "xred*?$y", 0, 8, none)).toBe(false);
    expect(resolveText(compilePattern("a${aws:username}b", { variables: true, wildcards: false }), RequestContext.from({ "aws:username": "x" }))).toBe("axb");
  });

  it("leaves malformed variables as text", () => {
    expect(compilePattern("${unclosed", { variables: true, wildcards: false }).literal).toBe("${unclosed");
    expect(compilePattern("${}", { variables: true, wildcards: false }).literal).toBe("${}");
    expect(compilePattern("${a b}", { variables: true, wildcards: false }).literal).toBe("${a b}");
  });

  it("a multivalued key is no variable", () => {
    const p = compilePattern("${aws:TagKeys}", { variables: true, wildcards: false });
    expect(resolveText(p, RequestContext.from({ "aws:TagKeys": ["a", "b"] }))).toBeUndefined();
    expect(resolveText(p, RequestContext.from({ "aws:TagKeys": ["a"] }))).toBe("a");
  });
});

describe("ARN patterns", () => {
  const arn = (pattern: string, value: string, ctx: ContextInput = {}): boolean => matchArn(compileArnPattern(pattern, true), value, RequestContext.from(ctx));
  it.each([
    ["*", "*", true],
    ["*", "arn:aws:s3:::b", true],
    ["arn:aws:s3:::b", "*", false],
    ["arn:aws:s3:::b", "arn:aws:s3:::b", true],
    ["arn:aws:s3:::b", "arn:aws:s3:::b2", false],
    ["arn:aws:s3:::b*", "arn:aws:s3:::b/x:y", true],
    ["arn:aws:codecommit:*:*:*", "arn:aws:codecommit:us-east-1:123456789012:r", true],
    ["arn:aws:codecommit:*:*:*", "arn:aws:codecommit:us-east-1:123456789012", false],
    ["arn:aws:codecommit:us-*:123456789012:r", "arn:aws:codecommit:us-east-1:123456789012:r", true],
    ["arn:aws:codecommit:us-*:123456789012:r", "arn:aws:codecommit:eu-west-1:123456789012:r", false],
    ["arn:aws:codecommit:*", "arn:aws:codecommit:us-east-1:123456789012:r", true],
    ["arn:aws:codecommit", "arn:aws:codecommit:us-east-1:123456789012:r", false],
    ["arn:aws:logs:*:*:log-group:app:*", "arn:aws:logs:us-east-1:1:log-group:app:log-stream:x", true],
    ["arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::123456789012:user/alice", true],
  ])("%s ~ %s → %s", (pattern, value, expected) => {
    expect(arn(pattern, value, { "aws:username": "alice" })).toBe(expected);
  });

  it("ArnLike matches part by part where StringLike would not (the guide's example)", () => {
    const value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
    const pattern = "arn:aws:someservice:*:111122223333:finance/*";
    expect(holds("StringLike", pattern, { "k:key": value })).toBe(true);
    expect(holds("ArnLike", pattern, { "k:key": value })).toBe(false);
    expect(holds("ArnEquals", pattern, { "k:key": value })).toBe(false);
    expect(holds("ArnNotLike", pattern, { "k:key": value })).toBe(true);
  });
});

describe("IP addresses", () => {
  it.each([
    ["203.0.113.0/24", "203.0.113.255", true],
    ["203.0.113.0/24", "203.0.112.255", false],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["10.1.2.3", "10.1.2.3", true],
    ["10.1.2.3/32", "10.1.2.4", false],
    ["2001:DB8:1234:5678::/64", "2001:db8:1234:5678:ffff:ffff:ffff:ffff", true],
    ["2001:DB8:1234:5678::/64", "2001:db8:1234:5679::", false],
    ["::/0", "::1", true],
    ["::1", "::1", true],
    ["203.0.113.0/24", "::ffff:203.0.113.9", true],
    ["203.0.113.0/24", "2001:db8::1", false],
    ["2001:db8::/32", "203.0.113.1", false],
    ["fe80::/10", "fe80::1%eth0", true],
    ["64:ff9b::/96", "64:ff9b::192.0.2.33", true],
  ])("%s contains %s → %s", (cidr, ip, expected) => {
    expect(cidrContains(parseCidr(cidr)!, parseIpAddress(ip)!)).toBe(expected);
  });

  it.each(["1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4/33", "::1/129", "1:2:3:4:5:6:7:8:9", "1::2::3", "g::1", "", "abc"])("refuses %s", (s) => {
    expect(parseCidr(s)).toBeUndefined();
  });

  it("normalises IPv4-mapped addresses to IPv4", () => {
    expect(normaliseIp("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(normaliseIp("::FFFF:c633:6407")).toBe("198.51.100.7");
    expect(normaliseIp("2001:db8::1")).toBe("2001:db8::1");
    expect(normaliseIp("not an ip")).toBe("not an ip");
  });
});

describe("dates", () => {
  it.each([
    ["2024", Date.UTC(2024, 0, 1)],
    ["2024-05", Date.UTC(2024, 4, 1)],
    ["2024-05-01", Date.UTC(2024, 4, 1)],
    ["2024-05-01T12:30Z", Date.UTC(2024, 4, 1, 12, 30)],
    ["2024-05-01T12:30:15Z", Date.UTC(2024, 4, 1, 12, 30, 15)],
    ["2024-05-01T12:30:15.5Z", Date.UTC(2024, 4, 1, 12, 30, 15, 500)],
    ["2024-05-01T12:30:15+02:00", Date.UTC(2024, 4, 1, 10, 30, 15)],
    ["2024-05-01T12:30:15-0130", Date.UTC(2024, 4, 1, 14, 0, 15)],
    ["2024-05-01T12:30:15", Date.UTC(2024, 4, 1, 12, 30, 15)],
    ["2024-02-29", Date.UTC(2024, 1, 29)],
    ["1714564800", 1714564800_000],
    ["0", 0],
  ])("%s", (s, ms) => {
    expect(parseDate(s)).toBe(ms);
  });

  it.each(["2023-02-29", "2024-13-01", "2024-05-32", "2024-05-01T24:00Z", "May 1 2024", "", "2024-5-1"])("refuses %s", (s) => {
    expect(parseDate(s)).toBeUndefined();
  });
});

describe("each operator family", () => {
  it("String", () => {
    expect(holds("StringEquals", ["a", "b"], { "k:key": "b" })).toBe(true);
    expect(holds("StringEquals", "a*", { "k:key": "abc" })).toBe(false);
    expect(holds("StringNotEquals", ["a", "b"], { "k:key": "b" })).toBe(false);
    expect(holds("StringNotEquals", ["a", "b"], { "k:key": "c" })).toBe(true);
    expect(holds("StringEqualsIgnoreCase", "ABC", { "k:key": "aBc" })).toBe(true);
    expect(holds("StringNotEqualsIgnoreCase", "ABC", { "k:key": "aBc" })).toBe(false);
    expect(holds("StringLike", "a*c", { "k:key": "abbc" })).toBe(true);
    expect(holds("StringLike", "a?c", { "k:key": "Abc" })).toBe(false);
    expect(holds("StringNotLike", ["x*", "a*"], { "k:key": "abc" })).toBe(false);
    expect(holds("StringNotLike", ["x*", "y*"], { "k:key": "abc" })).toBe(true);
  });

  it("Numeric", () => {
    expect(holds("NumericEquals", "10", { "k:key": "10.0" })).toBe(true);
    expect(holds("NumericNotEquals", "10", { "k:key": "11" })).toBe(true);
    expect(holds("NumericLessThan", "10", { "k:key": "9.5" })).toBe(true);
    expect(holds("NumericLessThan", "10", { "k:key": "10" })).toBe(false);
    expect(holds("NumericLessThanEquals", "10", { "k:key": "10" })).toBe(true);
    expect(holds("NumericGreaterThan", "10", { "k:key": "10" })).toBe(false);
    expect(holds("NumericGreaterThanEquals", "10", { "k:key": "10" })).toBe(true);
    expect(holds("NumericLessThan", "10", { "k:key": "not a number" })).toBe(false);
    expect(holds("NumericLessThan", ["1", "100"], { "k:key": "50" })).toBe(true);
  });

  it("Date", () => {
    const t = { "k:key": "2024-05-01T12:00:00Z" };
    expect(holds("DateEquals", "2024-05-01T12:00:00Z", t)).toBe(true);
    expect(holds("DateEquals", "1714564800", t)).toBe(true);
    expect(holds("DateNotEquals", "2024-05-01T12:00:00Z", t)).toBe(false);
    expect(holds("DateLessThan", "2024-05-01T12:00:01Z", t)).toBe(true);
    expect(holds("DateLessThanEquals", "2024-05-01T12:00:00Z", t)).toBe(true);
    expect(holds("DateGreaterThan", "2024-05-01", t)).toBe(true);
    expect(holds("DateGreaterThanEquals", "2024-05-02", t)).toBe(false);
    expect(holds("DateGreaterThan", "2024-05-01", { "k:key": "1714564800" })).toBe(true);
    expect(holds("DateGreaterThan", "2024-05-01", { "k:key": "garbage" })).toBe(false);
  });

  it("Bool", () => {
    expect(holds("Bool", "true", { "k:key": "true" })).toBe(true);
    expect(holds("Bool", "TRUE", { "k:key": "True" })).toBe(true);
    expect(holds("Bool", "false", { "k:key": "true" })).toBe(false);
    expect(holds("BoolIfExists", "false", {})).toBe(true);
    expect(holds("Bool", "false", {})).toBe(false);
  });

  it("BinaryEquals", () => {
    expect(holds("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", { "k:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA==" })).toBe(true);
    expect(holds("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", { "k:key": "QmluYXJ5VmFsdWVJbkJhc2U2NQ==" })).toBe(false);
  });

  it("IpAddress and NotIpAddress", () => {
    expect(holds("IpAddress", ["10.0.0.0/8", "192.168.0.0/16"], { "k:key": "192.168.3.4" })).toBe(true);
    expect(holds("NotIpAddress", ["10.0.0.0/8", "192.168.0.0/16"], { "k:key": "192.168.3.4" })).toBe(false);
    expect(holds("NotIpAddress", ["10.0.0.0/8"], { "k:key": "11.0.0.1" })).toBe(true);
    expect(holds("IpAddress", ["10.0.0.0/8"], { "k:key": "not an ip" })).toBe(false);
  });

  it("Null", () => {
    expect(holds("Null", "true", {})).toBe(true);
    expect(holds("Null", "true", { "k:key": "" })).toBe(false);
    expect(holds("Null", "false", { "k:key": "x" })).toBe(true);
    expect(holds("Null", "false", { "k:key": [] })).toBe(false);
    expect(holds("Null", ["true", "false"], {})).toBe(true);
  });

  it("missing keys: false, negated true, IfExists true, ForAllValues true, ForAnyValue false", () => {
    for (const op of ["StringEquals", "StringLike", "NumericEquals", "DateEquals", "Bool", "BinaryEquals", "IpAddress", "ArnLike"]) {
      const v = op === "IpAddress" ? "10.0.0.0/8" : op.startsWith("Numeric") ? "1" : op.startsWith("Date") ? "2024" : "x";
      expect(holds(op, v, {}), op).toBe(false);
      expect(holds(`${op}IfExists`, v, {}), `${op}IfExists`).toBe(true);
      expect(holds(`ForAllValues:${op}`, v, {}), `ForAllValues:${op}`).toBe(true);
      expect(holds(`ForAnyValue:${op}`, v, {}), `ForAnyValue:${op}`).toBe(false);
    }
    for (const op of ["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike"]) {
      const v = op === "NotIpAddress" ? "10.0.0.0/8" : op.startsWith("Numeric") ? "1" : op.startsWith("Date") ? "2024" : "x";
      expect(holds(op, v, {}), op).toBe(true);
      expect(holds(`ForAnyValue:${op}`, v, {}), `ForAnyValue:${op}`).toBe(false);
      expect(holds(`ForAllValues:${op}`, v, {}), `ForAllValues:${op}`).toBe(true);
    }
  });

  it("IfExists with the key present is the plain operator", () => {
    expect(holds("StringEqualsIfExists", "a", { "k:key": "b" })).toBe(false);
    expect(holds("StringEqualsIfExists", "a", { "k:key": "a" })).toBe(true);
    expect(holds("NumericLessThanIfExists", "5", { "k:key": "6" })).toBe(false);
  });

  it("a multivalued request value without a set qualifier: any value for positive, none for negated", () => {
    expect(holds("StringEquals", "a", { "k:key": ["b", "a"] })).toBe(true);
    expect(holds("StringNotEquals", "a", { "k:key": ["b", "a"] })).toBe(false);
    expect(holds("StringNotEquals", "a", { "k:key": ["b", "c"] })).toBe(true);
  });

  it("set qualifiers on a single value behave as the plain operator", () => {
    expect(holds("ForAllValues:StringEquals", "a", { "k:key": "a" })).toBe(true);
    expect(holds("ForAnyValue:StringEquals", "a", { "k:key": "b" })).toBe(false);
    expect(holds("ForAnyValue:StringNotEquals", "a", { "k:key": "b" })).toBe(true);
  });

  it("context keys are looked up case-insensitively", () => {
    expect(holds("StringEquals", "x", { "K:KEY": "x" }, "k:Key")).toBe(true);
  });

  it("variables only in Version 2012-10-17 policies", () => {
    expect(holds("StringEquals", "${aws:username}", { "k:key": "alice", "aws:username": "alice" })).toBe(true);
    expect(holds("StringEquals", "${aws:username}", { "k:key": "alice", "aws:username": "alice" }, "k:key", false)).toBe(false);
    expect(holds("StringEquals", "${aws:username}", { "k:key": "${aws:username}" }, "k:key", false)).toBe(true);
  });

  it("StringEqualsIgnoreCase lower-cases variable values and defaults too", () => {
    expect(holds("StringEqualsIgnoreCase", "team-${aws:PrincipalTag/t}", { "k:key": "TEAM-RED", "aws:PrincipalTag/t": "Red" })).toBe(true);
    expect(holds("StringEqualsIgnoreCase", "${aws:PrincipalTag/t, 'NONE'}", { "k:key": "none" })).toBe(true);
  });

  it("every documented operator name parses, with and without qualifiers", () => {
    const names = [
      "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
      "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
      "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
      "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    ];
    for (const n of names) {
      for (const name of [n, `${n}IfExists`, `ForAllValues:${n}`, `ForAnyValue:${n}IfExists`]) expect(parseOperator(name), name).toBeDefined();
    }
    expect(parseOperator("Null")).toBeDefined();
    expect(parseOperator("NullIfExists")).toBeUndefined();
  });
});
