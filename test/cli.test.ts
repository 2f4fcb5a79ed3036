import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createReceiptLog, signCheckpoint } from 'rxdaemon';

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
    expect(stdout).toMatch(/^enriching: 500 of 2000 done/m); // one instance per product: the total is known
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

  it('demo --seed N is the same run on any machine: the same counts and Merkle root', async () => {
    const runs = await Promise.all([rxdaemon(['demo', '--seed', '7']), rxdaemon(['demo', '--seed', '7'])]);
    const outcome = ({ stdout }: Outcome) =>
      stdout.split('\n').filter((line) => /^(decision|instances|failures|latency|receipts):/.test(line));
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(outcome(runs[0]!)).toEqual(outcome(runs[1]!));
    expect(outcome(runs[0]!)).toContain('decision: completed (threshold)');
    expect(outcome(runs[0]!).find((l) => l.startsWith('instances:'))).toMatch(/^instances: 1900 succeeded/);
    const other = await rxdaemon(['demo', '--seed', '8']);
    expect(outcome(other).at(-1)).not.toBe(outcome(runs[0]!).at(-1)); // another seed, another run
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
    expect(stdout).toMatch(/^SIGINT: stopping \(drain 500 ms; SIGINT again exits at once\)$/m);
    expect(stdout).toMatch(/^summary: \d+ succeeded, 0 failed/m);
  });

  it('answers --help for every command, and a bad call with one clear line and exit 2', async () => {
    const commands = ['demo', 'feed', 'run', 'verify', 'serve', 'worker'];
    const helps = await Promise.all(commands.map((command) => rxdaemon([command, '--help'])));
    helps.forEach(({ code, stdout }, i) => {
      expect(code, commands[i]).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: rxdaemon ${commands[i]}`));
    });
    expect(await rxdaemon(['--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/Commands:/) });
    const missing = await rxdaemon(['verify', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^rxdaemon: no such receipts file: .*nope\.jsonl$/),
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

  it('--version, extra arguments, a dash-leading value, 1e20, directories and unwritable receipts: exit 2, one line, before any work', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await rxdaemon(['--version'])).toMatchObject({ code: 0, stdout: `rxdaemon ${pkg.version}\n` });
    const oneLine = async (args: readonly string[], pattern: RegExp): Promise<void> => {
      const { code, stdout, stderr } = await rxdaemon(args);
      expect({ code, lines: stderr.trim().split('\n').length }, args.join(' ')).toEqual({
        code: 2,
        lines: 1,
      });
      expect(stderr, args.join(' ')).toMatch(pattern);
      expect(stdout, args.join(' ')).not.toMatch(/enriching|decision/); // nothing started
    };
    await oneLine(['demo', 'extra'], /demo takes no arguments; unexpected "extra"/);
    await oneLine(['verify', 'a.jsonl', 'b.jsonl'], /unexpected "b\.jsonl"/);
    await oneLine(['demo', '--concurrency', '-1'], /--concurrency must be a positive integer, got "-1"/);
    await oneLine(['demo', '--threshold', '1e20'], /--threshold must be a positive integer, got "1e20"/);
    await oneLine(['feed', dir], /patch file must be a file, not a directory/);
    await oneLine(['verify', dir], /receipts file must be a file, not a directory/);
    await oneLine(['demo', '--receipts', dir], /cannot write --receipts .*: it is a directory/);
    await oneLine(['demo', '--receipts', join(dir, 'missing', 'r.jsonl')], /its folder does not exist/);
  });

  it('a malformed patch and a bad operation config are exit 2 with one line; a failed run is exit 1 with its reasons', async () => {
    const bad = await rxdaemon(['feed', '-'], 'A <urn:a> <urn:p> .\n');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^rxdaemon: .*line 1/);
    const ops = join(dir, 'bad-ops.mjs');
    writeFileSync(ops, "export const operations = [{ id: 'x', run: () => 1, overlap: 'sometimes' }];\n");
    const config = await rxdaemon(['run', ops]);
    expect(config.code).toBe(2);
    expect(config.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^rxdaemon: Invalid operation "x": .*overlap/),
    ]);
    const failing = join(dir, 'failing.mjs');
    writeFileSync(
      failing,
      "export default (group) => { if (group.subject.value.endsWith('b')) throw new Error('no price for b'); return 1; };\n",
    );
    const patch = 'A <urn:a> <urn:p> "1" .\nA <urn:b> <urn:p> "2" .\nA <urn:c> <urn:p> "3" .\n';
    const failed = await rxdaemon(['feed', '-', '--handler', failing], patch);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^instances: 2 succeeded, 1 failed$/m);
    expect(failed.stdout).toMatch(/^failures: 1 × no price for b$/m);
  });

  it('a handler module whose default export returns a plain value works; run takes a TypeScript module', async () => {
    const plain = join(dir, 'plain.mjs');
    writeFileSync(plain, 'export default (group) => group.changes.length;\n');
    const fed = await rxdaemon(['feed', '-', '--handler', plain], 'A <urn:a> <urn:p> "1" .\n');
    expect(fed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^instances: 1 succeeded$/m) });
    const ops = join(dir, 'ops.ts');
    writeFileSync(
      ops,
      "const label: string = 'typed';\nexport const operations = [{ id: label, trigger: { type: 'interval' as const, ms: 20 }, run: (): string => label }];\n",
    );
    const { child, done } = start(['run', ops, '--drain-ms', '100']);
    await new Promise<void>((ready) =>
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('typed#1') && ready()),
    );
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
  });

  it('after SIGINT, run exits within --drain-ms and a second even when a task ignores its signal; a second SIGINT exits at once', async () => {
    const module = join(dir, 'stubborn.mjs');
    writeFileSync(
      module,
      "export const operations = [{ id: 'stubborn', trigger: { type: 'interval', ms: 10 }, run: () => new Promise((resolve) => setTimeout(resolve, 60_000)) }];\n",
    );
    const once = start(['run', module, '--drain-ms', '300']);
    await new Promise<void>((ready) =>
      once.child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('running') && ready()),
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // the run has started
    const signalled = Date.now();
    once.child.kill('SIGINT');
    const outcome = await once.done;
    expect(outcome.code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(300 + 1000 + 2000); // drain, the second, process start-up slack
    expect(outcome.stdout).toMatch(/^summary: .*1 cancelled/m);

    const twice = start(['run', module, '--drain-ms', '60000']);
    await new Promise<void>((ready) =>
      twice.child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('running') && ready()),
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // the run has started
    twice.child.kill('SIGINT');
    await new Promise<void>((ready) =>
      twice.child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('stopping') && ready()),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    twice.child.kill('SIGINT'); // while a 60 s drain is pending
    expect((await twice.done).code).toBe(130);
  }, 30_000);

  it('verify --checkpoint/--public-key and --root/--size detect a truncated log and one rewritten and re-hashed', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const log = createReceiptLog();
    for (let i = 0; i < 6; i++) log.append({ payment: i, amount: 10 * i });
    const checkpoint = signCheckpoint(log, privateKey);
    log.append({ payment: 6, amount: 60 }); // the log grew after the checkpoint: still consistent
    const files = {
      log: join(dir, 'anchored.jsonl'),
      checkpoint: join(dir, 'checkpoint.json'),
      key: join(dir, 'public.pem'),
      truncated: join(dir, 'truncated.jsonl'),
      rewritten: join(dir, 'rewritten.jsonl'),
      forged: join(dir, 'forged.json'),
    };
    writeFileSync(files.log, log.export());
    writeFileSync(files.checkpoint, JSON.stringify(checkpoint));
    writeFileSync(files.key, publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(files.truncated, log.export().split('\n').slice(0, 4).join('\n') + '\n');
    const rewritten = createReceiptLog(); // every hash recomputed: the chain alone cannot tell
    for (let i = 0; i < 7; i++) rewritten.append({ payment: i, amount: i === 2 ? 0 : 10 * i });
    writeFileSync(files.rewritten, rewritten.export());
    writeFileSync(files.forged, JSON.stringify({ ...checkpoint, root: rewritten.rootAt(6) }));
    const anchored = ['--checkpoint', files.checkpoint, '--public-key', files.key];
    expect(await rxdaemon(['verify', files.log, ...anchored])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^valid: 7 receipts, .*the first 6 match the checkpoint signed/),
    });
    expect(await rxdaemon(['verify', files.truncated, ...anchored])).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/truncated/),
    });
    expect(await rxdaemon(['verify', files.rewritten])).toMatchObject({ code: 0 }); // unanchored: undetectable
    expect(await rxdaemon(['verify', files.rewritten, ...anchored])).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/rewritten/),
    });
    expect(
      await rxdaemon(['verify', files.rewritten, '--checkpoint', files.forged, '--public-key', files.key]),
    ).toMatchObject({ code: 1, stdout: expect.stringMatching(/not signed by the key/) });
    expect(await rxdaemon(['verify', files.log, '--root', checkpoint.root, '--size', '6'])).toMatchObject({
      code: 0,
    });
    expect(
      await rxdaemon(['verify', files.rewritten, '--root', checkpoint.root, '--size', '6']),
    ).toMatchObject({
      code: 1,
    });
    expect((await rxdaemon(['verify', files.log, '--checkpoint', files.checkpoint])).code).toBe(2);
  });
});
