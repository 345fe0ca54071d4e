// slowStartBatch (pkg/controller/replicaset): run `count` calls in batches of 1, 2, 4, ... each
// batch concurrently, stopping after the first batch with a failure, so a quota or admission error
// costs one failed call instead of hundreds.

/** Runs `fn` up to `count` times; resolves with how many succeeded and the first error, if any. */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: (i: number) => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  let index = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn(index++)));
    let error: unknown;
    let failed = false;
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else if (!failed) {
        failed = true;
        error = r.reason;
      }
    }
    if (failed) return { successes, error };
    remaining -= batch;
  }
  return { successes };
}

/** Upstream's SlowStartInitialBatchSize. */
export const slowStartInitialBatchSize = 1;
