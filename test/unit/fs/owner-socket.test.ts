import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeOwnerOnly, listenOwnerOnly } from '../../../src/fs/owner-socket.js';

describe('owner-only sockets', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'owner-sock-'));

  test('listened on in a 0700 directory; closing removes the socket and the directory', async () => {
    const socket = path.join(base, 'a.d', 's.sock');
    const server = await listenOwnerOnly(socket);
    expect(server).toBeDefined();
    expect(statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const closed = new Promise<void>((resolve) => closeOwnerOnly(server!, socket, resolve));
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(path.dirname(socket))).toBe(false);
    await closed;
  });

  test('a directory holding something else is left as it is', async () => {
    const socket = path.join(base, 'b.d', 's.sock');
    const server = await listenOwnerOnly(socket);
    writeFileSync(path.join(path.dirname(socket), 'other'), 'x');
    await new Promise<void>((resolve) => closeOwnerOnly(server!, socket, resolve));
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(path.join(path.dirname(socket), 'other'))).toBe(true);
  });
});
