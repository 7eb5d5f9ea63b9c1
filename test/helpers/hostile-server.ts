import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A relying party's key server on 127.0.0.1 whose paths misbehave the ways an
 * attacker would choose: a redirect, 200 MB never announced (written only as fast
 * as it is read), a huge declared length, a stall, a drip, HTML, a 500. `/jwks`
 * answers `jwks()`. It counts hits, connections and bytes written.
 */
export async function startHostileServer(jwks: () => unknown) {
  const hits: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const counts = { written: 0, connections: 0 };
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/jwks': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwks()));
    },
    '/redirect': (_req, res) => {
      res.writeHead(302, { location: '/jwks' });
      res.end();
    },
    '/huge': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (counts.written < 200 * 1024 * 1024 && !res.destroyed) {
          counts.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    },
    '/declared': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) });
      res.write('{');
    },
    '/stall': () => {},
    '/drip': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 50);
    },
    '/html': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>admin</title><p>internal dashboard</p>');
    },
    '/error': (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{}');
    },
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits[path] = (hits[path] ?? 0) + 1;
    (routes[path] ?? routes['/error']!)(req, res);
  });
  server.on('connection', (socket) => {
    counts.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  // A port that was just free: connecting to it is refused.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const refusedPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    refused: `http://127.0.0.1:${refusedPort}/jwks`,
    hits,
    counts,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
