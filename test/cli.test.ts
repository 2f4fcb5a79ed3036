import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rxdaemon-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function start(args: readonly string[], input?: string): { child: ChildProcess; done: Promise<Outcome> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=rxdaemon-source', 'src/cli/main.ts', ...args],
    {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (input !== undefined) child.stdin!.end(input);
  const done = new Promise<Outcome>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const rxdaemon = (args: readonly string[], input?: string): Promise<Outcome> => start(args, input).done;

describe('the rxdaemon command', () => {
  it('demo enriches the bundled feed, prints plain progress off a terminal and a summary, exits 0', async () => {
    const receipts = join(dir, 'receipts.jsonl');
    const { code, stdout } = await rxdaemon(['demo', '--receipts', receipts]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^enriching: 500 done/m);
    expect(stdout).toMatch(/^decision: completed \(threshold\)$/m);
    expect(stdout).toMatch(/^instances: 1900 succeeded/m);
    expect(stdout).toMatch(/^latency: p50 \d+ ms, p99 \d+ ms$/m);
    expect(stdout).toMatch(/^receipts: 1, Merkle root [0-9a-f]{64}$/m);
    const verified = await rxdaemon(['verify', receipts]);
    expect(verified).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^valid: 1 receipts, Merkle root [0-9a-f]{64}/),
    });
    writeFileSync(receipts, readFileSync(receipts, 'utf8').replace('threshold', 'forced'));
    expect(await rxdaemon(['verify', receipts])).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/^invalid: receipt 0 \(line 1\): hash/),
    });
  });

  it('feed reads a patch from stdin with a handler module', async () => {
    const handler = join(dir, 'handler.mjs');
    writeFileSync(handler, 'export default async (group) => group.changes.length;\n');
    const patch = 'A <urn:a> <urn:p> "1" .\nA <urn:b> <urn:p> "2" .\nTX .\nA <urn:a> <urn:q> "3" .\nTC .\n';
    const { code, stdout } = await rxdaemon(['feed', '-', '--handler', handler, '--concurrency', '2'], patch);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^decision: completed \(all-settled\)$/m);
    expect(stdout).toMatch(/^instances: 2 succeeded$/m);
  });

  it('run loads a module, runs its operations until SIGINT, drains and prints a summary', async () => {
    const module = join(dir, 'ops.mjs');
    writeFileSync(
      module,
      "export const operations = [{ id: 'tick', trigger: { type: 'interval', ms: 20 }, run: async () => 'ok' }];\nexport const daemon = { maxConcurrent: 2 };\n",
    );
    const { child, done } = start(['run', module, '--drain-ms', '500']);
    let seen = '';
    await new Promise<void>((ready) =>
      child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()).includes('tick#2') && ready()),
    );
    child.kill('SIGINT');
    const { code, stdout } = await done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^running 1 operation\(s\)/m);
    expect(stdout).toMatch(/^SIGINT: stopping \(drain 500 ms\)$/m);
    expect(stdout).toMatch(/^summary: \d+ succeeded, 0 failed/m);
  });

  it('answers --help for every command, and a bad call with one clear line and exit 2', async () => {
    const commands = ['demo', 'feed', 'run', 'verify'];
    const helps = await Promise.all(commands.map((command) => rxdaemon([command, '--help'])));
    helps.forEach(({ code, stdout }, i) => {
      expect(code, commands[i]).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: rxdaemon ${commands[i]}`));
    });
    expect(await rxdaemon(['--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/Commands:/) });
    const missing = await rxdaemon(['verify', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^rxdaemon: no such file: .*nope\.jsonl$/),
    ]);
    expect(await rxdaemon(['demo', '--concurrency', 'many'])).toMatchObject({
      code: 2,
      stderr: 'rxdaemon: --concurrency must be a positive integer, got "many"\n',
    });
    expect(await rxdaemon(['feed'])).toMatchObject({ code: 2 });
    expect(await rxdaemon(['launch'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown command "launch"/),
    });
    expect((await rxdaemon(['demo', '--bogus'])).code).toBe(2);
  });
});
