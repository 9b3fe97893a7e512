import { describe, expect, it } from "vitest";
import { gitPassword, hostCandidates, signedGitPath } from "../../src/transport/git-auth.js";

describe("the SigV4 git password", () => {
  it("matches the published test vector (codecommit-wire.md §3.1)", () => {
    expect(
      gitPassword(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "20240102T030405",
        "us-east-1",
        "git-codecommit.us-east-1.amazonaws.com",
        "/v1/repos/MyDemoRepo",
      ),
    ).toBe("20240102T030405Z1799614b9b68764a809f2719c059de39446aa95c148190e0907d30632a0fb73f");
  });

  it("matches botocore for git-remote-codecommit's form: the host keeps its port, another region", () => {
    // computed with botocore's SigV4Auth exactly as git-remote-codecommit computes it
    expect(
      gitPassword("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20261201T120000", "eu-west-1", "git.example.com:8443", "/v1/repos/MyDemoRepo"),
    ).toBe("20261201T120000Z940c1311d7c87968ebde0865cc4cce41cba53fd75fd6d85bb062651fd04455e0");
  });

  it("signs the path git sends, without the smart-HTTP suffix, keeping .git", () => {
    expect(signedGitPath("/v1/repos/MyDemoRepo/info/refs")).toBe("/v1/repos/MyDemoRepo");
    expect(signedGitPath("/v1/repos/MyDemoRepo.git/git-upload-pack")).toBe("/v1/repos/MyDemoRepo.git");
    expect(signedGitPath("/v1/repos/MyDemoRepo/")).toBe("/v1/repos/MyDemoRepo");
  });

  it("tries the host with and without its port (the CLI helper strips it, git-remote-codecommit keeps it)", () => {
    expect(hostCandidates(["localhost:4720", undefined, "git.example.com"])).toEqual([
      "localhost",
      "localhost:4720",
      "git.example.com",
    ]);
  });
});
