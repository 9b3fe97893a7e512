import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    // two cores: two test files at a time, each against its own server process
    maxWorkers: 2,
    reporters: ["default"],
    // The pinned SDK warns that releases after January 2027 need Node 22; known, and noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
