/** The partition a region belongs to. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function repositoryArn(region: string, accountId: string, name: string): string {
  return `arn:${partitionOf(region)}:codecommit:${region}:${accountId}:${name}`;
}

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

export function parseArn(arn: string): ParsedArn | null {
  const m = /^arn:([\w-]+):([\w-]+):([\w-]*):(\d{12}|):(.+)$/.exec(arn);
  if (!m) return null;
  return { partition: m[1]!, service: m[2]!, region: m[3]!, accountId: m[4]!, resource: m[5]! };
}
