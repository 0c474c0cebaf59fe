/**
 * Jest globalTeardown: scans every line the run captured (see log-scan-setup.ts) with the rules of
 * log-scan.ts. A clean run prints one summary line and removes the captures; a leak fails `npm test` with
 * each offending line — file, line number, rules, the line itself redacted — and keeps the captures.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { findLeaks, leakRules, patientNames } from './log-scan';

const MAX_REPORTED = 40;

export default function scanCapturedLogs(): void {
  const directory = process.env.LOG_CAPTURE_DIR;
  if (process.env.LOG_SCAN === 'off' || !directory) return;
  const rules = leakRules(patientNames());
  const files = readdirSync(directory).sort();
  let lines = 0;
  const report: string[] = [];
  let leaks = 0;
  for (const file of files) {
    const text = readFileSync(path.join(directory, file), 'utf8');
    lines += text.split('\n').filter(Boolean).length;
    for (const leak of findLeaks(text, rules)) {
      leaks += 1;
      if (report.length < MAX_REPORTED) report.push(`  ${file}:${leak.lineNumber} [${leak.rules.join(', ')}]\n    ${leak.excerpt}`);
    }
  }
  const scanned = `${lines.toLocaleString('en-US')} log lines from ${files.length} capture files`;
  if (leaks === 0) {
    if (process.env.LOG_SCAN_KEEP !== 'true') rmSync(directory, { recursive: true, force: true });
    process.stdout.write(`Log scan: ${scanned}; no full SSN, request body or patient name.\n`);
    return;
  }
  const more = leaks > report.length ? `\n  … and ${leaks - report.length} more.` : '';
  process.stderr.write(
    `\nLog scan: ${leaks} log line(s) with PHI in ${scanned} (captures kept in ${directory}):\n${report.join('\n')}${more}\n` +
      'Log ids, counts and codes, never a request body, a record or a value a user sent (packages/service-kit/src/server/logger.ts).\n',
  );
  const failure = new Error(`the log scan found PHI in ${leaks} log line(s), listed above.`);
  // The report above says where; a stack through jest's hook runner would only bury it.
  failure.stack = failure.message;
  throw failure;
}
