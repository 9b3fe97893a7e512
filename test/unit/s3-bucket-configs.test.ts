import { describe, expect, it } from "vitest";
import { ConfigRefusal } from "../../src/domain/s3/config-refusal.js";
import { checkLifecycleConfiguration, dueAt, ruleApplies, type LifecycleRule } from "../../src/domain/s3/lifecycle.js";
import { checkNotificationConfiguration, eventKey, eventMatches, type TopicConfiguration } from "../../src/domain/s3/notifications.js";

const DAY = 86_400_000;
const TOPIC = "arn:aws:sns:us-east-1:000000000000:t";

describe("lifecycle days", () => {
  it("count from creation, rounded up to the next midnight UTC, as S3 does", () => {
    const created = Date.parse("2026-01-10T15:30:00Z");
    expect(new Date(dueAt(created, 1, DAY)).toISOString()).toBe("2026-01-12T00:00:00.000Z");
    expect(new Date(dueAt(Date.parse("2026-01-10T00:00:00Z"), 1, DAY)).toISOString()).toBe("2026-01-11T00:00:00.000Z");
    // a shortened day keeps the rule: multiples of the day since the epoch are its midnights
    expect(dueAt(1500, 1, 1000)).toBe(3000);
    expect(dueAt(2000, 2, 1000)).toBe(4000);
  });
});

describe("lifecycle filters", () => {
  const rule = (Filter: LifecycleRule["Filter"]): LifecycleRule => ({ ID: "r", Status: "Enabled", Filter, Expiration: { Days: 1 } });
  const tags = (t: Record<string, string>) => JSON.stringify(Object.entries(t).map(([Key, Value]) => ({ Key, Value })));

  it("read s3_versions.tags: every tag of the rule must be on the version (null is no tags)", () => {
    const r = rule({ And: { Prefix: "logs/", Tags: [{ Key: "env", Value: "dev" }, { Key: "tier", Value: "tmp" }] } });
    expect(ruleApplies(r, { key: "logs/a", size: 1, tags: tags({ env: "dev", tier: "tmp", other: "x" }) })).toBe(true);
    expect(ruleApplies(r, { key: "logs/a", size: 1, tags: tags({ env: "dev" }) })).toBe(false);
    expect(ruleApplies(r, { key: "logs/a", size: 1, tags: null })).toBe(false);
    expect(ruleApplies(r, { key: "data/a", size: 1, tags: tags({ env: "dev", tier: "tmp" }) })).toBe(false);
    expect(ruleApplies(rule({ Tag: { Key: "env", Value: "dev" } }), { key: "x", size: 0, tags: tags({ env: "prod" }) })).toBe(false);
  });

  it("sizes are strict bounds; the legacy Prefix and an empty Filter work", () => {
    const r = rule({ And: { ObjectSizeGreaterThan: 10, ObjectSizeLessThan: 20 } });
    expect([10, 11, 19, 20].map((size) => ruleApplies(r, { key: "k", size, tags: null }))).toEqual([false, true, true, false]);
    expect(ruleApplies({ ID: "l", Status: "Enabled", Prefix: "a/", Expiration: { Days: 1 } }, { key: "b/x", size: 1, tags: null })).toBe(false);
    expect(ruleApplies(rule({}), { key: "anything", size: 1, tags: null })).toBe(true);
  });

  it("refuses duplicate tag keys, tags with ExpiredObjectDeleteMarker, and inverted size bounds", () => {
    const refused = (r: LifecycleRule) => {
      try {
        checkLifecycleConfiguration({ Rules: [r] });
      } catch (e) {
        return e instanceof ConfigRefusal ? e.code : "other";
      }
      return "accepted";
    };
    expect(refused({ ...rule({ And: { Tags: [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }] } }) })).toBe("InvalidRequest");
    expect(refused({ ID: "m", Status: "Enabled", Filter: { Tag: { Key: "a", Value: "1" } }, Expiration: { ExpiredObjectDeleteMarker: true } })).toBe("InvalidArgument");
    expect(refused(rule({ And: { ObjectSizeGreaterThan: 20, ObjectSizeLessThan: 10 } }))).toBe("InvalidArgument");
    expect(refused(rule({ Prefix: "a", Tag: { Key: "a", Value: "1" } }))).toBe("MalformedXML");
    expect(refused(rule({ Prefix: "a" }))).toBe("accepted");
  });
});

describe("notification configurations", () => {
  const cfg = (prefix: string, suffix: string, events: string[]): TopicConfiguration => ({
    Id: "",
    TopicArn: TOPIC,
    Events: events,
    Filter: { Key: { FilterRules: [{ Name: "Prefix", Value: prefix }, { Name: "Suffix", Value: suffix }] } },
  });
  const overlap = (a: TopicConfiguration, b: TopicConfiguration) => {
    try {
      checkNotificationConfiguration({ TopicConfigurations: [a, b] });
      return false;
    } catch (e) {
      if (e instanceof ConfigRefusal && e.message.startsWith("Configurations overlap")) return true;
      throw e;
    }
  };

  it("overlap when some key and event could match both", () => {
    expect(overlap(cfg("a/", "", ["s3:ObjectCreated:*"]), cfg("a/b/", "", ["s3:ObjectCreated:Put"]))).toBe(true);
    expect(overlap(cfg("", ".jpg", ["s3:ObjectCreated:Put"]), cfg("", "x.jpg", ["s3:ObjectCreated:Put"]))).toBe(true);
    // different prefixes, different suffixes, or different event types: no key fires both
    expect(overlap(cfg("a/", "", ["s3:ObjectCreated:*"]), cfg("b/", "", ["s3:ObjectCreated:*"]))).toBe(false);
    expect(overlap(cfg("", ".jpg", ["s3:ObjectCreated:*"]), cfg("", ".png", ["s3:ObjectCreated:*"]))).toBe(false);
    expect(overlap(cfg("a/", "", ["s3:ObjectCreated:*"]), cfg("a/", "", ["s3:ObjectRemoved:*"]))).toBe(false);
  });

  it("a missing Id is made; wildcards match only their own family", () => {
    const out = checkNotificationConfiguration({ TopicConfigurations: [{ Id: "", TopicArn: TOPIC, Events: ["s3:ObjectRemoved:*"] }] });
    expect(out.TopicConfigurations[0]!.Id).not.toBe("");
    expect(eventMatches("s3:ObjectRemoved:*", "ObjectRemoved:DeleteMarkerCreated")).toBe(true);
    expect(eventMatches("s3:ObjectRemoved:*", "LifecycleExpiration:Delete")).toBe(false);
    expect(eventMatches("s3:ObjectCreated:Put", "ObjectCreated:Copy")).toBe(false);
  });

  it("keys in records are form-encoded as S3 does: a space is +, slashes stay", () => {
    expect(eventKey("photos/red flower.jpg")).toBe("photos/red+flower.jpg");
    expect(eventKey("a@b+c")).toBe("a%40b%2Bc");
  });
});
