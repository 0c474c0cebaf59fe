/** Waiting in tests: poll a condition until it holds, with a deadline (never a fixed sleep). */

/** Polls `check` every `everyMs` until it holds, failing with `what` after `deadlineMs`. */
export async function eventually(what: string, check: () => Promise<boolean>, deadlineMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
