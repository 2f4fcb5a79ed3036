import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './usage-error.js';

const TYPESCRIPT = /\.(c|m)?tsx?$/;
/** Whether tsx's loader is on already (`node --import tsx`, `tsx …`): registering twice is not needed. */
let tsxRegistered = process.execArgv.some((arg) => /\btsx\b/.test(arg)) || 'TSX' in process.env;

/**
 * Imports a user's module (operations, handlers): JavaScript as is, TypeScript through tsx when it
 * is installed (its ESM loader is registered on first need).
 * @throws UsageError when the file is missing, a directory, or TypeScript without tsx
 */
export async function loadModule(path: string, what: string): Promise<Record<string, unknown>> {
  assertFile(path, what);
  if (TYPESCRIPT.test(path) && !tsxRegistered) {
    try {
      const { register } = (await import('tsx/esm/api')) as { register: () => unknown };
      register();
      tsxRegistered = true;
    } catch {
      throw new UsageError(`${path} is TypeScript: install tsx (npm i -D tsx) or give a .js module`);
    }
  }
  return (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
}

/** @throws UsageError unless `path` is an existing file (not a directory) */
export function assertFile(path: string, what: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`no such ${what}: ${path}`);
  }
  if (!isFile) throw new UsageError(`${what} must be a file, not a directory: ${path}`);
}
