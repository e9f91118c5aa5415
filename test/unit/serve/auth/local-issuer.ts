/**
 * A bare issuer on 127.0.0.1 for ServeAuth's unit tests: its metadata at the RFC 8414 and/or
 * OpenID locations and a JWKS, every request recorded, tokens from the shared TokenMinter.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, TokenMinter } from '../../../engine/helpers/oauth.js';

export const RESOURCE = 'https://mcp.example.test/mcp';

export interface LocalIssuerOptions {
  /** Which metadata documents exist; default both. */
  documents?: Array<'oauth' | 'openid'>;
  /** The issuer's path, e.g. /tenant. */
  path?: string;
  /** What the documents claim as `issuer`; default the real one. */
  documentIssuer?: string;
  /** Leave jwks_uri out of the documents. */
  noJwksUri?: boolean;
  /** Answer this many metadata requests with 503 first. */
  failFirst?: number;
}

export interface LocalIssuer {
  issuer: string;
  jwksUri: string;
  tokens: TokenMinter;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startLocalIssuer(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const path = options.path ?? '';
  const issuer = `${origin}${path}`;
  const jwksUri = `${origin}/keys`;
  const tokens = await TokenMinter.create({ issuer, audience: RESOURCE, scope: 'tools:call' });
  const documents = new Map<string, boolean>();
  if ((options.documents ?? ['oauth', 'openid']).includes('oauth')) documents.set(`/.well-known/oauth-authorization-server${path}`, true);
  if ((options.documents ?? ['oauth', 'openid']).includes('openid')) documents.set(`${path}/.well-known/openid-configuration`, true);
  const requests: string[] = [];
  let failures = options.failFirst ?? 0;
  server.on('request', (req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    void (async () => {
      if (url === '/keys') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await tokens.jwks()));
      if (!documents.has(url)) return res.writeHead(404).end();
      if (failures-- > 0) return res.writeHead(503).end();
      const document = { issuer: options.documentIssuer ?? issuer, ...(options.noJwksUri ? {} : { jwks_uri: jwksUri }), response_types_supported: ['code'] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
    })();
  });
  return { issuer, jwksUri, tokens, requests, close: () => closeServer(server) };
}
