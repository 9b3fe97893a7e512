/**
 * Virtual-hosted addressing: a request to `BUCKET.<public host>` names its bucket in the Host
 * and its key in the path. The public hosts are the host of `--public-url` and `localhost` (the
 * SDK v3 goes virtual-hosted for any hostname endpoint, and `*.localhost` resolves to the
 * loopback address); an IP address or the public host itself is path style.
 */
export function virtualHostBucket(hostHeader: string | undefined, publicHostnames: readonly string[]): string | undefined {
  if (!hostHeader) return undefined;
  // drop the port (an IPv6 literal in brackets is never a bucket's host)
  if (hostHeader.startsWith("[")) return undefined;
  const hostname = hostHeader.replace(/:\d*$/, "").toLowerCase().replace(/\.$/, "");
  // the public host itself is path style, even when it is a subdomain of another (s3.localhost)
  if (publicHostnames.some((base) => base.toLowerCase() === hostname)) return undefined;
  for (const base of publicHostnames) {
    const suffix = "." + base.toLowerCase();
    if (hostname.length > suffix.length && hostname.endsWith(suffix)) return hostname.slice(0, -suffix.length);
  }
  return undefined;
}

/** The hostnames virtual-hosted requests are told by: the public URL's, then `localhost`. */
export function publicHostnames(publicUrl: string | undefined): string[] {
  const names = ["localhost"];
  if (publicUrl) {
    const h = new URL(publicUrl).hostname.replace(/^\[|\]$/g, "");
    if (!/^[\d.]+$/.test(h) && !h.includes(":") && h !== "localhost") names.unshift(h);
  }
  return names;
}
