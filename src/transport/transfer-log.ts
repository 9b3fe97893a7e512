import type { ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import type { Denial } from "../errors.js";
import { clip, type Logger } from "../log.js";
import type { GitService } from "./git-service.js";

/** The IAM action a git service is authorized as. */
export function gitAction(service: GitService | undefined): string | null {
  if (!service) return null;
  return service === "git-receive-pack" ? "codecommit:GitPush" : "codecommit:GitPull";
}

/**
 * One git transfer's log line: a smart-HTTP request (info/refs, or one upload-pack or
 * receive-pack round) or an SSH command, written once when it is over. The transports fill it in
 * as they learn things; a refusal adds what was refused and why, and is written at warn. No
 * credential, header or transferred data is ever part of it, only byte counts.
 */
export class GitTransfer {
  service?: GitService;
  repository?: string;
  /** the caller's ARN, once authenticated */
  principal: string | null = null;
  /** SSH: the ID of the key the connection authenticated with */
  keyId?: string;
  /** smart HTTP: `info/refs` (the advertisement) or `rpc` (an upload-pack or receive-pack round) */
  step?: "info/refs" | "rpc";
  /** git's exit code (or signal); an SSH command's exit status */
  exitCode?: number | string;
  /** bytes git wrote for the client, and (pushes) bytes the client sent git */
  bytesOut?: number;
  bytesIn?: number;
  /** a push: references it names */
  refs?: number;
  /** a refused push: the reference refused */
  ref?: string;
  denial?: Denial;
  /** a refusal's text, as git prints it after `remote:` */
  message?: string;
  private written = false;

  constructor(
    readonly transport: "http" | "ssh",
    readonly sourceIp: string,
  ) {}

  /** Counts git's output and notes its exit; call once its stdout is piped or listened to. */
  watch(child: ChildProcess): void {
    this.bytesOut ??= 0;
    child.stdout?.on("data", (d: Buffer) => {
      this.bytesOut! += d.length;
    });
    child.once("close", (code, signal) => {
      this.exitCode ??= code ?? signal ?? undefined;
    });
  }

  /** Counts what a client sends once its stream is flowing (piped), after `already` bytes. */
  countIn(stream: Readable, already = 0): void {
    this.bytesIn = (this.bytesIn ?? 0) + already;
    stream.on("data", (d: Buffer) => {
      this.bytesIn! += d.length;
    });
  }

  /** Notes a refusal's text, and what it refused when it was a denial. */
  refused(message: string, denial?: Denial): void {
    this.message = message;
    if (denial) this.denial = denial;
  }

  /** Writes the line, once; `log` binds the request ID. */
  write(log: Logger, durationMs: number, http?: { status: number; aborted: boolean }): void {
    if (this.written) return;
    this.written = true;
    const d = this.denial;
    if (!d && !log.isLevelEnabled("info")) return;
    const line = {
      transport: this.transport,
      step: this.step,
      service: this.service,
      repository: clip(this.repository),
      principal: this.principal,
      keyId: this.keyId,
      status: http?.status,
      aborted: http?.aborted || undefined,
      exitCode: this.exitCode,
      refs: this.refs,
      bytesOut: this.bytesOut,
      bytesIn: this.bytesIn,
      durationMs: Math.round(durationMs * 10) / 10,
      sourceIp: this.sourceIp,
      message: clip(this.message, 1000),
    };
    const ref = clip(this.ref);
    if (d) log.warn({ ...line, action: d.action, resource: clip(d.resource), ref, reason: d.reason }, "git transfer");
    else log.info({ ...line, ref }, "git transfer");
  }
}
