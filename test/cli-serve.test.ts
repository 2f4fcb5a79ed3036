import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateApiKey } from 'rxdaemon';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rxdaemon-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serve(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=rxdaemon-source', 'src/cli/main.ts', 'serve', ...args],
    {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test', ...env },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  const output = () => ({ stdout, stderr });
  const address = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /on (http:\/\/[\d.:]+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void done.then(() => reject(new Error(`serve exited: ${stderr}`)));
  });
  address.catch(() => undefined); // awaited only by the tests that expect it to listen
  return { child, done, output, address };
}

describe('rxdaemon serve', () => {
  it("serves a module's operations behind the API key, and SIGTERM closes and exits 0", async () => {
    const module = join(dir, 'ops.mjs');
    writeFileSync(
      module,
      "export const operations = [{ id: 'greet', run: ({ payload }) => `hello ${payload?.name}` }];\n",
    );
    const key = generateApiKey();
    const server = serve([module, '--port', '0'], { RXDAEMON_API_KEY: key });
    const base = await server.address;
    expect((await fetch(`${base}/api/operations`)).status).toBe(401);
    const response = await fetch(`${base}/api/operations/greet/execute`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"name":"Ada"}',
    });
    expect(await response.json()).toMatchObject({ status: 'succeeded', value: 'hello Ada' });
    const root = await (await fetch(`${base}/api/receipts/root`, { headers: { 'x-api-key': key } })).json();
    expect(root).toMatchObject({ size: 1 }); // the run's receipt
    expect((await fetch(`${base}/`)).headers.get('content-type')).toContain('text/html');
    server.child.kill('SIGTERM');
    expect(await server.done).toBe(0);
    expect(server.output().stdout).toMatch(/^SIGTERM: closing/m);
  });

  it('without a key configured, generates one and prints it once (stderr); bad flags and keys exit 2', async () => {
    const module = join(dir, 'ops2.mjs');
    writeFileSync(module, "export const operations = [{ id: 'noop', run: () => null }];\n");
    const server = serve([module, '--port', '0']);
    const base = await server.address;
    const key = /API key \(shown once[^)]*\): (rxd_\S+)/.exec(server.output().stderr)?.[1];
    expect(key).toBeDefined();
    expect((await fetch(`${base}/api/health`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(
      200,
    );
    server.child.kill('SIGINT');
    expect(await server.done).toBe(0);

    const badPort = serve([module, '--port', '70000']);
    expect(await badPort.done).toBe(2);
    expect(badPort.output().stderr).toMatch(/--port must be an integer from 0 to 65535/);
    const badKey = serve([module], { RXDAEMON_API_KEY: 'hunter2' });
    expect(await badKey.done).toBe(2);
    expect(badKey.output().stderr).toMatch(/RXDAEMON_API_KEY is not an rxdaemon key/);
    const noModule = serve([]);
    expect(await noModule.done).toBe(2);
  });
});
