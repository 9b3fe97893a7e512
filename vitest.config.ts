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
  },
});
