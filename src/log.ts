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
