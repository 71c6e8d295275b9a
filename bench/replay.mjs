// ydb-wasm's own requests, kept so that a bare `fetch` can send the very same bytes: the benchmarks' peer
// "bare fetch of the request ydb-wasm sends". Install before the client sends anything.

const realFetch = globalThis.fetch;
let last = null;

/**
 * Wraps the global `fetch` to keep the last request with a body; returns the runtime's own `fetch`. The
 * wrapper only keeps a reference to what it is given (a copy is made when `lastRequest` asks for it), so
 * that the client's measured requests do not pay for copying their headers and body.
 */
export function captureRequests() {
  globalThis.fetch = (url, init) => {
    if (init?.body) last = { url, init };
    return realFetch(url, init);
  };
  return realFetch;
}

/** The last request with a body that went through the wrapped `fetch`, copied. */
export const lastRequest = () =>
  last && { url: String(last.url), headers: [...new Headers(last.init.headers)], body: new Uint8Array(last.init.body) };

/** A bare round trip of `request` through `fetch` (the runtime's own by default), its answer read whole. */
export function bareFetchOf(request, fetch = realFetch) {
  return async () => {
    const r = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
    await r.arrayBuffer();
  };
}
