// The bare baseline of bench/cold-edge.mjs in workerd: ydb-wasm's captured point-read request
// (BENCH_REQUEST: { url, headers, body in base64 }), sent again by the runtime's own fetch.
import { env } from 'cloudflare:workers';

const request = JSON.parse(env.BENCH_REQUEST);
const body = Uint8Array.from(atob(request.body), (c) => c.charCodeAt(0));

export default {
  async fetch() {
    const answer = await fetch(request.url, { method: 'POST', headers: request.headers, body });
    await answer.arrayBuffer();
    return new Response(answer.ok ? 'ok' : `status ${answer.status}`, { status: answer.ok ? 200 : 502 });
  },
};
