/**
 * `npm run bench [-- since|matching|roster|limits|backfill|subscriptions] [--rows N] [--samples N] [--batch N] [--inflight N] [--disk]
 *  [--postgres postgres://…] [--quick] [--clients N] [--days N] [--joined-days N] [--profile] [--heap-snapshots] [--memory-only]`: runs the benchmarks and prints their figures with
 * the machine they ran on. Record the printed tables in bench/RESULTS.md. `backfill` (`npm run bench:backfill`) and
 * `subscriptions` (`npm run bench:subscriptions`) run only when named: they take minutes and cache their data under
 * `bench/.out/cache/`.
 */
import { backfillReport, runBackfillBenchmark } from './backfill';
import { machine } from './lib';
import { limitsReport, runLimitsBenchmark } from './limits';
import { MATCHING_SIZES, matchingSizeReport, runMatchingSize } from './matching';
import { rosterSpeedReport, runRosterSpeed } from './roster';
import { runSinceBenchmark, sinceReport } from './since';
import { runSubscriptionBenchmark, subscriptionsReport } from './subscriptions';

async function main() {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const value = Number(args[i + 1]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer.`);
    return value;
  };
  const urlOption = (name: string) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return undefined;
    if (!/^postgres(ql)?:\/\//.test(args[i + 1] ?? ''))
      throw new Error(`--${name} needs a postgres:// URL (a role that may create databases).`);
    return args[i + 1];
  };
  const flags = ['--disk', '--quick', '--e2e', '--profile', '--heap-snapshots', '--memory-only'];
  const only = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1]?.startsWith('--') && !flags.includes(args[i - 1])));
  const wanted = (name: string) => (only.length === 0 && name !== 'backfill' && name !== 'subscriptions') || only.includes(name);
  console.log(`Care Graph benchmarks — ${new Date().toISOString().slice(0, 10)} — ${machine()}\n`);
  if (wanted('since')) {
    const result = await runSinceBenchmark({
      rows: option('rows', 1_000_000),
      samples: option('samples', 500),
      log: (l) => console.log(l),
    });
    console.log(`\n${sinceReport(result)}\n`);
  }
  if (wanted('matching')) {
    // `--rows N` runs one size (N members and N patients, at most 200,000); without it, the three sizes of issue 15.
    const rows = args.includes('--rows') ? option('rows', 100_000) : null;
    const sizes = rows ? [{ rosterSize: rows, patients: Math.min(rows, 200_000) }] : MATCHING_SIZES;
    for (const size of sizes) console.log(`${matchingSizeReport(runMatchingSize(size))}\n`);
  }
  if (wanted('roster')) {
    const result = await runRosterSpeed({
      rows: option('rows', 100_000),
      batchSize: option('batch', 2000),
      inflight: option('inflight', 2),
      onDisk: args.includes('--disk'),
      postgres: urlOption('postgres'),
      log: (l) => console.log(l),
    });
    console.log(`${rosterSpeedReport(result)}\n`);
  }
  if (wanted('limits')) {
    const result = await runLimitsBenchmark({ samples: option('samples', 500), log: (l) => console.log(l) });
    console.log(`\n${limitsReport(result)}\n`);
  }
  if (wanted('backfill')) {
    const result = await runBackfillBenchmark({
      careRequests: option('rows', args.includes('--quick') ? 100_000 : 1_000_000),
      batchSize: option('batch', 2000),
      endToEndOnly: args.includes('--e2e'),
      log: (l) => console.log(l),
    });
    console.log(`\n${backfillReport(result)}\n`);
  }
  if (wanted('subscriptions')) {
    const quick = args.includes('--quick');
    const result = await runSubscriptionBenchmark({
      clients: option('clients', quick ? 50 : 1000),
      days: option('days', quick ? 18 : 90),
      joinedDays: option('joined-days', quick ? 9 : 18),
      profile: args.includes('--profile'),
      heapSnapshots: args.includes('--heap-snapshots'),
      memoryOnly: args.includes('--memory-only'),
      log: (l) => console.log(l),
    });
    console.log(`\n${subscriptionsReport(result)}\n`);
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
