// The worker behind self-signed.ts: makes one certificate and posts it back.
import { parentPort, workerData } from "node:worker_threads";
import { generate } from "selfsigned";

const { attrs, options } = workerData as { attrs: Parameters<typeof generate>[0]; options: Parameters<typeof generate>[1] };
parentPort!.postMessage(await generate(attrs, options));
