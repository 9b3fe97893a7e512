import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand, AttachUserPolicyCommand, AddUserToGroupCommand } from "@aws-sdk/client-iam";
import type { Creds } from "./clients.js";
import { ADMIN } from "./server.js";

export function iamClient(endpoint: string, creds: Creds = ADMIN) {
  return new IAMClient({ endpoint, region: "us-east-1", credentials: creds, maxAttempts: 1 });
}

/** A user with an access key and the given inline policy, managed policies and groups. */
export async function userWith(
  endpoint: string,
  name: string,
  opts: { inline?: object; managed?: string[]; groups?: string[] } = {},
): Promise<Creds> {
  const iam = iamClient(endpoint);
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (opts.inline) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "inline", PolicyDocument: JSON.stringify(opts.inline) }));
  for (const arn of opts.managed ?? []) await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
  for (const g of opts.groups ?? []) await iam.send(new AddUserToGroupCommand({ GroupName: g, UserName: name }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
}

export const managed = (name: string) => `arn:aws:iam::aws:policy/${name}`;
