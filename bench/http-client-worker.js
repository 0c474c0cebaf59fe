// The benchmark's HTTP client, in a worker thread: requests are timed from a thread of their own, as
// from a separate client program, so the client's own work does not queue behind the services' on the
// main thread (the machine has two cores).

const { parentPort } = require('node:worker_threads');

async function send({ url, headers, body }) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  if (!response.ok || text.includes('"errors"')) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/** Runs the requests in turn (a, b, a, b … when several), `warmup` rounds untimed, then `n` timed rounds. */
parentPort.on('message', async ({ requests, n, warmup }) => {
  try {
    for (let i = 0; i < warmup; i += 1) for (const request of requests) await send(request);
    const samples = requests.map(() => []);
    for (let i = 0; i < n; i += 1) {
      for (let r = 0; r < requests.length; r += 1) {
        const start = process.hrtime.bigint();
        await send(requests[r]);
        samples[r].push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
    parentPort.postMessage({ samples });
  } catch (error) {
    parentPort.postMessage({ error: error.message });
  }
});
