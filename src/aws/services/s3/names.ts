/**
 * S3's general purpose bucket naming rules: 3–63 characters of lowercase letters, digits, dots
 * and hyphens, starting and ending with a letter or digit; no two adjacent dots, not shaped like
 * an IP address, and none of the prefixes and suffixes S3 reserves.
 */
export function isValidBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes("..") || name.includes(".-") || name.includes("-.")) return false;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return false;
  for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"]) if (name.startsWith(prefix)) return false;
  for (const suffix of ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]) if (name.endsWith(suffix)) return false;
  return true;
}
