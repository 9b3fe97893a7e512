import pino from "pino";

export type Logger = pino.Logger;

/** JSON logs on stdout; secrets never reach them (see the redaction paths). */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers['x-amz-security-token']",
        "headers.authorization",
        "*.secretAccessKey",
        "*.password",
      ],
      censor: "[redacted]",
    },
  });
}

/**
 * A client's text in a log line, bounded: request lines name what the client asked for (a
 * repository name, a resource ARN) before anything has checked its length.
 */
export function clip(s: string | null | undefined, max = 300): string | null | undefined {
  return typeof s === "string" && s.length > max ? s.slice(0, max) + "…" : s;
}
