/**
 * A test CA and one server certificate for the given names, made with openssl in `dir`: the
 * fake internet's HTTPS targets present it, and sandboxed servers trust the CA
 * (NODE_EXTRA_CA_CERTS). Readable by the sandboxes' unprivileged user (10001).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function makeTestCerts(dir: string, caName: string, names: readonly string[]): void {
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${caName}`);
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'req.pem', '-subj', `/CN=${names[0] ?? 'localhost'}`);
  writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
  ssl('x509', '-req', '-in', 'req.pem', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'san.ext');
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) chmodSync(path.join(dir, f), 0o644);
  chmodSync(dir, 0o755);
}
