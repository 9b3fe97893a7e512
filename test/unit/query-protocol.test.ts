import { describe, expect, it } from "vitest";
import { decodeQuery } from "../../src/aws/query-protocol.js";

describe("awsQuery parameter decoding", () => {
  it("decodes lists, maps and nested structures", () => {
    const q = decodeQuery(
      new URLSearchParams(
        "Action=CreateTopic&Version=2010-03-31&Name=t&Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=1" +
          "&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Shown&Empty=",
      ),
    );
    expect(q.action).toBe("CreateTopic");
    expect(q.version).toBe("2010-03-31");
    expect(q.input).toEqual({ Name: "t", Tags: [{ Key: "a", Value: "1" }, { Key: "b" }], Attributes: { DisplayName: "Shown" }, Empty: "" });
  });

  it("cannot reach Object.prototype through parameter names (they arrive before authentication)", () => {
    for (const name of ["__proto__.decidedBy", "constructor.prototype.decidedBy", "A.__proto__.decidedBy", "M.entry.1.__proto__.decidedBy", "__proto__"]) {
      const q = decodeQuery(new URLSearchParams(`Action=X&${encodeURIComponent(name)}=none`));
      expect(({} as Record<string, unknown>).decidedBy, name).toBeUndefined();
      expect(Object.getPrototypeOf(q.input), name).toBe(Object.prototype);
      expect((q.input as Record<string, unknown>).decidedBy, name).toBeUndefined();
    }
    const map = decodeQuery(new URLSearchParams("Action=X&M.entry.1.key=__proto__&M.entry.1.value=v&M.entry.2.key=k&M.entry.2.value=w"));
    expect(map.input.M).toEqual({ k: "w" });
    expect(Object.getPrototypeOf(map.input.M)).toBe(Object.prototype);
  });

  it("keeps the input a structure: a list or map at the top is no member of any operation's input", () => {
    for (const form of ["Action=X&member.1=a", "Action=X&entry.1.key=k&entry.1.value=v", "Action=X&member.10.member=&Name=n"]) {
      const q = decodeQuery(new URLSearchParams(form));
      expect(Array.isArray(q.input), form).toBe(false);
      expect(Object.getPrototypeOf(q.input), form).toBe(Object.prototype);
    }
    expect(decodeQuery(new URLSearchParams("Action=X&member.10.member=&Name=n")).input).toEqual({ Name: "n" });
  });
});
