import { describe, expect, it } from "vitest";
import { eventDocuments, eventTime, matchingReferences, type Trigger } from "../../src/domain/events/records.js";
import { DEFAULT_RETRY, effectivePlan, retryDelays } from "../../src/domain/sns/delivery-policy.js";
import { filterMatches, parseFilterPolicy } from "../../src/domain/sns/filter-policy.js";
import { renderEnvelope, stringToSign } from "../../src/domain/sns/signer.js";

const Z = "0".repeat(40);
const A = "a".repeat(40);
const B = "b".repeat(40);

describe("delivery policies", () => {
  it("retries 3 times 20 seconds apart by default", () => {
    expect(retryDelays(DEFAULT_RETRY)).toEqual([20, 20, 20]);
  });

  it("runs the four phases: immediate, minimum, backoff, maximum", () => {
    const d = retryDelays({ minDelayTarget: 2, maxDelayTarget: 10, numRetries: 7, numNoDelayRetries: 1, numMinDelayRetries: 1, numMaxDelayRetries: 2, backoffFunction: "linear" });
    expect(d).toEqual([0, 2, 2, 6, 10, 10, 10]);
    for (const fn of ["arithmetic", "geometric", "exponential"] as const) {
      const x = retryDelays({ ...DEFAULT_RETRY, minDelayTarget: 1, maxDelayTarget: 100, numRetries: 6, backoffFunction: fn });
      expect(x[0]).toBe(1);
      expect(x[5]).toBe(100);
      for (let i = 1; i < x.length; i++) expect(x[i]!).toBeGreaterThanOrEqual(x[i - 1]!);
    }
  });

  it("prefers the subscription's policy unless the topic disables overrides", () => {
    const topic = JSON.stringify({ http: { defaultHealthyRetryPolicy: { numRetries: 5 }, defaultRequestPolicy: { headerContentType: "application/json" } } });
    const sub = JSON.stringify({ healthyRetryPolicy: { numRetries: 1 }, throttlePolicy: { maxReceivesPerSecond: 2 } });
    expect(effectivePlan(topic, sub)).toMatchObject({ retry: { numRetries: 1 }, contentType: "application/json", maxReceivesPerSecond: 2 });
    const locked = JSON.stringify({ http: { defaultHealthyRetryPolicy: { numRetries: 5 }, disableSubscriptionOverrides: true } });
    expect(effectivePlan(locked, sub).retry.numRetries).toBe(5);
    expect(effectivePlan(undefined, undefined)).toEqual({ retry: DEFAULT_RETRY, contentType: "text/plain; charset=UTF-8" });
  });
});

describe("filter policies", () => {
  const attrs = (o: Record<string, [string, string]>) => Object.fromEntries(Object.entries(o).map(([k, [Type, Value]]) => [k, { Type, Value }]));

  it("matches message attributes: exact, prefix, anything-but, numeric, exists, arrays", () => {
    const p = parseFilterPolicy(
      JSON.stringify({
        kind: ["push", { prefix: "tag-" }],
        branch: [{ "anything-but": ["wip", "tmp"] }],
        size: [{ numeric: [">=", 10, "<", 20] }],
        secret: [{ exists: false }],
      }),
      "MessageAttributes",
    );
    const ok = attrs({ kind: ["String", "tag-v1"], branch: ["String", "main"], size: ["Number", "10"] });
    expect(filterMatches(p, ok, "")).toBe(true);
    expect(filterMatches(p, { ...ok, ...attrs({ branch: ["String", "wip"] }) }, "")).toBe(false);
    expect(filterMatches(p, { ...ok, ...attrs({ size: ["Number", "20"] }) }, "")).toBe(false);
    expect(filterMatches(p, { ...ok, ...attrs({ secret: ["String", "x"] }) }, "")).toBe(false);
    expect(filterMatches(p, attrs({ branch: ["String", "main"], size: ["Number", "12"] }), "")).toBe(false); // kind missing
    const arr = parseFilterPolicy(JSON.stringify({ labels: ["urgent"] }), "MessageAttributes");
    expect(filterMatches(arr, attrs({ labels: ["String.Array", '["minor","urgent"]'] }), "")).toBe(true);
    expect(filterMatches(arr, {}, "")).toBe(false);
  });

  it("matches nested message bodies and $or", () => {
    const p = parseFilterPolicy(JSON.stringify({ detail: { ref: [{ prefix: "refs/heads/" }] }, $or: [{ repo: ["a"] }, { repo: ["b"] }] }), "MessageBody");
    expect(filterMatches(p, {}, JSON.stringify({ detail: { ref: "refs/heads/main" }, repo: "b" }))).toBe(true);
    expect(filterMatches(p, {}, JSON.stringify({ detail: { ref: "refs/tags/v1" }, repo: "b" }))).toBe(false);
    expect(filterMatches(p, {}, JSON.stringify({ detail: { ref: "refs/heads/main" }, repo: "c" }))).toBe(false);
    expect(filterMatches(p, {}, "not json")).toBe(false);
  });

  it("refuses malformed policies", () => {
    for (const bad of ['{"a":"x"}', '{"a":[{"nope":1}]}', "[1]", '{"a":[{"numeric":[">"]}]}', JSON.stringify({ a: [1], b: [1], c: [1], d: [1], e: [1], f: [1] })]) {
      expect(() => parseFilterPolicy(bad, "MessageAttributes"), bad).toThrow(/FilterPolicy/);
    }
  });
});

describe("CodeCommit's event", () => {
  it("formats eventTime as yyyy-MM-dd'T'HH:mm:ss.SSS+0000", () => {
    expect(eventTime(Date.UTC(2019, 2, 12, 20, 58, 25, 400))).toBe("2019-03-12T20:58:25.400+0000");
  });

  it("filters references by branch and by event, per reference", () => {
    const changes = [
      { ref: "refs/heads/main", oldCommit: A, newCommit: B },
      { ref: "refs/heads/new", oldCommit: Z, newCommit: A },
      { ref: "refs/heads/old", oldCommit: A, newCommit: Z },
      { ref: "refs/tags/v1", oldCommit: Z, newCommit: A },
    ];
    const t = (branches: string[], events: string[]): Trigger => ({ name: "t", destinationArn: "x", branches, events });
    expect(matchingReferences(t([], ["all"]), changes)).toEqual([
      { commit: B, ref: "refs/heads/main" },
      { commit: A, ref: "refs/heads/new", created: true },
      { commit: A, ref: "refs/heads/old", deleted: true },
      { commit: A, ref: "refs/tags/v1", created: true },
    ]);
    expect(matchingReferences(t(["main", "old"], ["all"]), changes).map((r) => r.ref)).toEqual(["refs/heads/main", "refs/heads/old"]);
    expect(matchingReferences(t([], ["createReference"]), changes).map((r) => r.ref)).toEqual(["refs/heads/new", "refs/tags/v1"]);
    expect(matchingReferences(t(["main"], ["deleteReference"]), changes)).toEqual([]);
  });

  it("splits very large pushes into parts", () => {
    const refs = Array.from({ length: 2500 }, (_, i) => ({ commit: A, ref: `refs/heads/b${i}`, created: true as const }));
    const docs = eventDocuments(
      { region: "us-east-1", repositoryArn: "arn:aws:codecommit:us-east-1:000000000000:r", userIdentityArn: "u", time: 0, trigger: { name: "t", destinationArn: "d", branches: [], events: ["all"] }, configurationId: "c" },
      refs,
    ).map((d) => JSON.parse(d).Records[0]);
    expect(docs.map((d) => [d.eventPartNumber, d.eventTotalParts, d.codecommit.references.length])).toEqual([
      [1, 3, 1000],
      [2, 3, 1000],
      [3, 3, 500],
    ]);
  });
});

describe("SNS message bodies", () => {
  it("signs the documented fields in byte order, and lays the body out as SNS does", () => {
    const f = { Type: "Notification", MessageId: "m", TopicArn: "t", Subject: "s", Message: "a\nb", Timestamp: "ts", SignatureVersion: "1", UnsubscribeURL: "u" };
    expect(stringToSign(f)).toBe("Message\na\nb\nMessageId\nm\nSubject\ns\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n");
    const c = { Type: "SubscriptionConfirmation", MessageId: "m", Token: "k", TopicArn: "t", Message: "x", SubscribeURL: "s", Timestamp: "ts", SignatureVersion: "1" };
    expect(stringToSign(c)).toBe("Message\nx\nMessageId\nm\nSubscribeURL\ns\nTimestamp\nts\nToken\nk\nTopicArn\nt\nType\nSubscriptionConfirmation\n");
    const body = renderEnvelope(f, "SIG", "cert");
    expect(body.split("\n")[1]).toBe('  "Type" : "Notification",');
    expect(JSON.parse(body)).toEqual({ ...f, Signature: "SIG", SigningCertURL: "cert" });
  });
});
