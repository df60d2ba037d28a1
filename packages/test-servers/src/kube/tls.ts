import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ServerCertificates {
  /** The CA's certificate (PEM): what a kubeconfig's certificate-authority-data carries. */
  ca: string;
  key: string;
  cert: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];

/**
 * A throwaway CA and a certificate for 127.0.0.1 signed by it, made with the openssl binary (Node can read
 * certificates but not issue them), so the client verifies the server's TLS as against a real cluster.
 */
export async function makeCertificates(dir: string): Promise<ServerCertificates> {
  const openssl = (args: string[]) => promisify(execFile)('openssl', ['req', '-x509', ...EC_KEY, ...args]);
  const file = (name: string) => join(dir, name);
  try {
    await openssl(['-subj', '/CN=flowkit-test-ca', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await openssl([
      ...['-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-subj', '/CN=flowkit-test-apiserver', '-keyout', file('server.key'), '-out', file('server.crt')],
      ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth'],
    ]);
  } catch (error) {
    throw new Error(`the Kubernetes test server needs the openssl binary (3.0 or later) for its TLS certificates: ${(error as Error).message}`);
  }
  return { ca: readFileSync(file('ca.crt'), 'utf8'), key: readFileSync(file('server.key'), 'utf8'), cert: readFileSync(file('server.crt'), 'utf8') };
}
