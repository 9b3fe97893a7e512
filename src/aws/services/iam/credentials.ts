import type { IamDeps } from "../../../domain/iam/deps.js";
import * as profiles from "../../../domain/iam/login-profiles.js";
import * as creds from "../../../domain/iam/service-credentials.js";
import * as ssh from "../../../domain/iam/ssh-keys.js";
import { userOrCaller } from "../../../domain/iam/users.js";
import { asBool } from "../../query-protocol.js";
import type { OperationHandler } from "../../service.js";
import { pageIn, pageOut, type IamInput } from "./shapes.js";

type Op = OperationHandler<IamInput, Record<string, unknown> | undefined>;

/** SSH public keys, HTTPS Git credentials (service-specific credentials) and login profiles. */
export function credentialOperations(deps: IamDeps): Record<string, Op> {
  const sshOut = (k: ssh.SshPublicKey) => ({
    UserName: k.userName,
    SSHPublicKeyId: k.id,
    Fingerprint: k.fingerprint,
    SSHPublicKeyBody: k.body,
    Status: k.status,
    UploadDate: k.uploadedAt,
  });
  const credOut = (c: creds.ServiceCredential) => ({
    CreateDate: c.createdAt,
    ServiceName: c.serviceName,
    ServiceUserName: c.serviceUserName,
    ServicePassword: c.password,
    ServiceSpecificCredentialId: c.id,
    UserName: c.userName,
    Status: c.status,
  });
  return {
    UploadSSHPublicKey: async (_c, i) => ({ SSHPublicKey: sshOut(await ssh.uploadSshPublicKey(deps, i.UserName, i.SSHPublicKeyBody)) }),
    GetSSHPublicKey: async (_c, i) => ({ SSHPublicKey: sshOut(await ssh.getSshPublicKey(deps, i.UserName, i.SSHPublicKeyId, i.Encoding)) }),
    ListSSHPublicKeys: async (c, i) => {
      const page = await ssh.listSshPublicKeys(deps, userOrCaller(i.UserName, c.principal), pageIn(i).marker, pageIn(i).maxItems);
      return {
        SSHPublicKeys: page.items.map((k) => ({ UserName: k.userName, SSHPublicKeyId: k.id, Status: k.status, UploadDate: k.uploadedAt })),
        ...pageOut(page),
      };
    },
    UpdateSSHPublicKey: async (_c, i) => {
      await ssh.updateSshPublicKey(deps, i.UserName, i.SSHPublicKeyId, i.Status);
      return undefined;
    },
    DeleteSSHPublicKey: async (_c, i) => {
      await ssh.deleteSshPublicKey(deps, i.UserName, i.SSHPublicKeyId);
      return undefined;
    },

    CreateServiceSpecificCredential: async (_c, i) => ({
      ServiceSpecificCredential: credOut(await creds.createServiceCredential(deps, i.UserName, i.ServiceName)),
    }),
    ListServiceSpecificCredentials: async (c, i) => {
      const page = await creds.listServiceCredentials(deps, userOrCaller(i.UserName, c.principal), i.ServiceName);
      return { ServiceSpecificCredentials: page.items.map((x) => ({ ...credOut(x), ServicePassword: undefined })), ...pageOut(page) };
    },
    ResetServiceSpecificCredential: async (c, i) => ({
      ServiceSpecificCredential: credOut(await creds.resetServiceCredential(deps, userOrCaller(i.UserName, c.principal), i.ServiceSpecificCredentialId)),
    }),
    UpdateServiceSpecificCredential: async (c, i) => {
      await creds.updateServiceCredential(deps, userOrCaller(i.UserName, c.principal), i.ServiceSpecificCredentialId, i.Status);
      return undefined;
    },
    DeleteServiceSpecificCredential: async (c, i) => {
      await creds.deleteServiceCredential(deps, userOrCaller(i.UserName, c.principal), i.ServiceSpecificCredentialId);
      return undefined;
    },

    CreateLoginProfile: async (_c, i) => {
      const p = await profiles.createLoginProfile(deps, i.UserName, i.Password, asBool(i.PasswordResetRequired) ?? false);
      return { LoginProfile: { UserName: p.userName, CreateDate: p.createdAt, PasswordResetRequired: p.passwordResetRequired } };
    },
    GetLoginProfile: async (c, i) => {
      const p = await profiles.getLoginProfile(deps, userOrCaller(i.UserName, c.principal));
      return { LoginProfile: { UserName: p.userName, CreateDate: p.createdAt, PasswordResetRequired: p.passwordResetRequired } };
    },
    UpdateLoginProfile: async (_c, i) => {
      await profiles.updateLoginProfile(deps, i.UserName, i.Password, asBool(i.PasswordResetRequired));
      return undefined;
    },
    DeleteLoginProfile: async (_c, i) => {
      await profiles.deleteLoginProfile(deps, i.UserName);
      return undefined;
    },
  };
}
