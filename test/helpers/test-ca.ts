import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { tmpDir } from "./server.js";

export interface TestCa {
  /** the CA certificate's PEM file (for NODE_EXTRA_CA_CERTS) */
  caFile: string;
  /** a server certificate for 127.0.0.1 signed by the CA, and its key */
  cert: string;
  key: string;
}

/**
 * A private CA and a loopback server certificate it signed, made with the openssl CLI, as a
 * subscriber's own PKI would be (Jira behind a company CA): nothing Node trusts by default.
 */
export function makeTestCa(): TestCa {
  const dir = tmpDir("ca");
  const f = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl([
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Headwater test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout", f("ca.key"), "-out", f("ca.crt"),
  ]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f("leaf.key"), "-out", f("leaf.csr")]);
  fs.writeFileSync(f("leaf.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
  openssl(["x509", "-req", "-days", "2", "-in", f("leaf.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-extfile", f("leaf.ext"), "-out", f("leaf.crt")]);
  return { caFile: f("ca.crt"), cert: fs.readFileSync(f("leaf.crt"), "utf8"), key: fs.readFileSync(f("leaf.key"), "utf8") };
}
