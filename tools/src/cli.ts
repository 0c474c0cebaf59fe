/**
 * What every command-line program here shares: `--help` or `-h` prints its usage on stdout and exits 0;
 * wrong usage (a `UsageError`) prints what was wrong and the usage on stderr and exits 2.
 */

/** Wrong usage of a command: reported with the command's usage, exit code 2. */
export class UsageError extends Error {}

export interface Command {
  /** The synopsis line (`usage: npm run …`), then what the command does. */
  usage: string;
  /** Runs the command on its arguments; may set `process.exitCode`. Throws `UsageError` for wrong usage. */
  run(args: string[]): Promise<void>;
  /** The message printed for any other error (default: the error's message). */
  describeError?(error: Error): string;
  /** Exit code after any other error (default 1). */
  failureExitCode?: number;
}

/** Runs `command` on `args` (default: the process's arguments) with the help and usage conventions above. */
export function runCommand(command: Command, args: string[] = process.argv.slice(2)): void {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return;
  }
  command.run(args).catch((error: Error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${command.usage}\n`);
      process.exit(2);
    }
    process.stderr.write(`${command.describeError?.(error) ?? error.message}\n`);
    process.exit(command.failureExitCode ?? 1);
  });
}
