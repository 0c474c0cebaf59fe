/** What the tests that run Care Graph's programs as real processes share: free ports, deadlines, spawning. */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { repoRoot, SERVICE_NODE_FLAGS } from '@care-graph/service-kit';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with `event`'s outcome, or rejects when `deadlineMs` passes first. */
export function within<T>(what: string, deadlineMs: number, event: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), deadlineMs);
  });
  return Promise.race([event, deadline]).finally(() => clearTimeout(timer));
}

/** A program of the repository running as its own process, its stdout and stderr collected together. */
export interface RunningProgram {
  process: ChildProcess;
  /** Everything it wrote so far. */
  output(): string;
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves once its output contains `text`; rejects, with the output, if it exits first. */
  printed(text: string): Promise<void>;
}

/**
 * Starts `entry` (a TypeScript file, from the repository root) as services start: run-ts.js with the service flags.
 * `detached` makes it the leader of a process group of its own, so that `killGroup` reaches it and every process it starts;
 * `nodeFlags` are extra Node.js flags, space-separated (as the supervisor's SERVICE_NODE_FLAGS, e.g. --cpu-prof).
 */
export function startProgram(
  entry: string,
  env: NodeJS.ProcessEnv,
  { detached = false, nodeFlags = '' }: { detached?: boolean; nodeFlags?: string } = {},
): RunningProgram {
  const extraFlags = nodeFlags.split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...extraFlags, path.join(repoRoot, 'scripts', 'run-ts.js'), entry], {
    cwd: repoRoot,
    env: { ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  let output = '';
  const waiting = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk;
    for (const check of waiting) check();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!output.includes(text)) return;
        waiting.delete(check);
        resolve();
      };
      waiting.add(check);
      check();
      void exited.then((code) => reject(new Error(`${entry} exited with code ${code} before printing "${text}":\n${output}`)));
    });
  return { process: child, output: () => output, exited, printed };
}

/** SIGKILLs every process of the group `program` leads (started with `detached`) at once: a power cut. */
export async function killGroup(program: RunningProgram): Promise<void> {
  try {
    process.kill(-program.process.pid!, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // ESRCH: the whole group is gone already
  }
  await program.exited;
}

/**
 * Resolves once `condition` holds, checking every `intervalMs`; rejects naming `what` (and the last error) after
 * `deadlineMs`. A thrown error is retried (a service may be down for a moment) unless it has `fatal: true`.
 */
export async function waitFor<T>(
  what: string,
  deadlineMs: number,
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let lastError: Error | undefined;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      if ((error as { fatal?: boolean }).fatal) throw error;
      lastError = error as Error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${deadlineMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
