/** One HTTP POST of a delivery (the transport sends it; see transport/outbound-http.ts). */
export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface OutboundResult {
  /** the response status, when there was a response */
  status?: number;
  /** why there was none (timeout, refused, reset…) */
  error?: string;
  latencyMs: number;
}

export type Sender = (req: OutboundRequest) => Promise<OutboundResult>;
