// A TCP proxy on loopback in front of PostgreSQL that a test can take down and bring
// back, to simulate the database going away without stopping the shared test cluster.
// Down, it cuts every open connection, and new ones are refused (a stopped server), reset
// right after they are accepted (a load balancer with no healthy backend), or accepted and
// never answered (a hung server or a network black hole). Frozen, open connections stay open
// but carry nothing either way (a half-open connection: the peer vanished without a FIN), and
// new ones are black-holed.
import net from 'node:net';

export type DownMode = 'refuse' | 'reset' | 'blackhole' | 'freeze';

export interface TcpProxy {
  port: number;
  down(mode?: DownMode): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: DownMode | undefined;
  const sockets = new Set<net.Socket>();
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => {}).on('close', () => sockets.delete(client));
    if (mode === 'reset') return void client.resetAndDestroy();
    if (mode === 'blackhole' || mode === 'freeze') return; // accepted, never answered
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop).on('close', () => {
      sockets.delete(upstream);
      drop();
    });
    client.on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    port,
    async down(how: DownMode = 'refuse') {
      mode = how;
      if (how === 'freeze') {
        for (const [client, upstream] of pairs) {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.pause();
          upstream.pause();
        }
        return;
      }
      cut();
      if (how === 'refuse' && server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async up() {
      mode = undefined;
      if (!server.listening) await listen(port);
    },
    async close() {
      cut();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The same URL, pointing at the proxy. */
export function viaProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}
