import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** A Redis server of the test's own, on a free loopback port, without persistence. */
export interface TestRedis {
  readonly host: string;
  readonly port: number;
  /** Stops it (SIGTERM), or kills it (SIGKILL) as a crash would. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = `${dir}/${command}`;
    if (dir && existsSync(path)) return path;
  }
  return undefined;
}

/** `redis-server` from PATH, or Debian's package installed now (as root, as CI runs): never a skip. */
function redisServer(): string {
  const found =
    which('redis-server') ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : undefined);
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('redis-server is not installed and this is not root: apt-get install redis-server');
  }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 180_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], {
    stdio: 'ignore',
    timeout: 300_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return '/usr/bin/redis-server';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `redis-server` and resolves once it accepts connections; fails loudly otherwise. */
export async function startRedis(): Promise<TestRedis> {
  const binary = redisServer();
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timeout = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timeout);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timeout);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return {
    host: '127.0.0.1',
    port,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
