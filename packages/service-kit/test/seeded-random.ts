/**
 * A seeded random source for the kit's property tests: `TEST_SEED=<n>` replays a run (or tries another); the seed is printed
 * whenever a test using it fails (`withSeed`).
 */

/** mulberry32: small, fast, and good enough to spread test inputs. */
function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}
export type Random = ReturnType<typeof seededRandom>;

/** The seed of this run: `TEST_SEED` from the environment (as in every suite), else a fixed one, so that CI runs agree. */
const SEED = Number(process.env.TEST_SEED ?? 20261201);

/** Runs `body` with the run's random source; a failure names the seed that replays it. */
export async function withSeed(body: (random: Random) => Promise<void> | void): Promise<void> {
  try {
    await body(seededRandom(SEED));
  } catch (error) {
    (error as Error).message = `${(error as Error).message}\n(replay with SEED=${SEED})`;
    throw error;
  }
}
