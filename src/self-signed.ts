import { Worker } from "node:worker_threads";

type Generate = typeof import("selfsigned").generate;
type Attributes = NonNullable<Parameters<Generate>[0]>;
type SelfsignedOptions = NonNullable<Parameters<Generate>[1]>;
type GenerateResult = Awaited<ReturnType<Generate>>;

/**
 * selfsigned's generate(), run in a worker thread that exits when done. Its X.509 stack
 * (@peculiar/*, tsyringe, …) is about 20 MB of resident memory once loaded, and a server needs
 * it once per data directory (the SNS signing certificate, a TLS certificate); in a worker, that
 * memory goes with the thread instead of staying in the server for good.
 */
export function generateSelfSigned(attrs: Attributes, options: SelfsignedOptions): Promise<GenerateResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./self-signed-worker.js", import.meta.url), { workerData: { attrs, options } });
    let result: GenerateResult | undefined;
    worker.once("message", (m: GenerateResult) => (result = m));
    worker.once("error", reject);
    worker.once("exit", (code) => (result ? resolve(result) : reject(new Error(`the certificate worker exited with ${code} and no certificate`))));
  });
}
