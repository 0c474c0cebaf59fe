/**
 * `npm run bench [-- since] [--rows N] [--samples N]`: runs the benchmarks and prints their figures with
 * the machine they ran on. Record the printed tables in bench/RESULTS.md.
 */
import { machine } from './lib';
import { runSinceBenchmark, sinceReport } from './since';

async function main() {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const value = Number(args[i + 1]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer.`);
    return value;
  };
  const only = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const wanted = (name: string) => only.length === 0 || only.includes(name);
  console.log(`Care Graph benchmarks — ${new Date().toISOString().slice(0, 10)} — ${machine()}\n`);
  if (wanted('since')) {
    const result = await runSinceBenchmark({ rows: option('rows', 1_000_000), samples: option('samples', 500), log: (l) => console.log(l) });
    console.log(`\n${sinceReport(result)}\n`);
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
