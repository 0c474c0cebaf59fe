/**
 * Waits for a condition with a deadline (tests never sleep for a fixed time): polls `check` every
 * `intervalMs` until it returns a truthy value, which it resolves to; throws naming `what` after `deadlineMs`.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | null | false | undefined>,
  { deadlineMs = 10_000, intervalMs = 20 }: { deadlineMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
