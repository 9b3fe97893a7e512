import type { PushCommand } from "./pkt-line.js";
import { FLUSH, pktLine, sideband } from "./pkt-line.js";

/**
 * The receive-pack report for a push refused before git saw it: every ref `ng`, the refused one
 * with the reason, and the full reason on the progress band, which git prints as `remote: …`.
 * Nothing moved, so the push changes nothing; git exits non-zero and shows why.
 */
export function refusalReport(commands: PushCommand[], capabilities: string[], refusedRef: string, message: string): Buffer {
  if (!capabilities.includes("report-status") && !capabilities.includes("report-status-v2")) return Buffer.alloc(0);
  const short = message.length > 200 ? message.slice(0, 197) + "..." : message;
  const report = [pktLine("unpack ok\n")];
  for (const c of commands) {
    const reason = c.ref === refusedRef ? short : "another reference in this push was refused";
    report.push(pktLine(`ng ${c.ref} ${reason.replace(/\n/g, " ")}\n`));
  }
  report.push(FLUSH);
  const body = Buffer.concat(report);
  const bands = capabilities.includes("side-band-64k") ? 65515 : capabilities.includes("side-band") ? 995 : 0;
  if (!bands) return body;
  const out: Buffer[] = [];
  // errors go to band 2 even under `quiet` (which only silences progress), as receive-pack does
  out.push(sideband(2, `error: ${message}\n`));
  for (let i = 0; i < body.length; i += bands) out.push(sideband(1, body.subarray(i, i + bands)));
  out.push(FLUSH);
  return Buffer.concat(out);
}
