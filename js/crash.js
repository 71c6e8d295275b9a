// Crash containment: what happens if the wasm instance traps anyway.
//
// The Rust side is written so that no input can trap it (bounded recursion, no panics on data), but a
// trap — an `unreachable`, running out of memory — would leave the instance with half-updated state,
// and every later call would run on that. So every method of the wasm classes is guarded here: at a
// trap the instance is replaced at once with a fresh one (the glue is built with wasm-bindgen's
// `--experimental-reset-state-function`), the calls that were in flight are rejected (their futures
// lived in the dead instance and would never settle), the objects of the dead instance fail with one
// clear, catchable error, and a new Driver works. `scripts/build-wasm.sh` patches the glue so that a
// callback of the dead instance (a timer, a fetch it awaited) does nothing instead of throwing.

let lastCrash = null; // what the calls of a crashed instance's objects get
let generation = 0; // wasm-bindgen's instance id: objects carry the one they were made in
const inFlight = new Set(); // the reject functions of promises not yet settled

function crashError(makeError, cause) {
  const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return makeError({
    kind: 'ydb', status: 'CLIENT_INTERNAL_ERROR', code: 401040,
    message: `the ydb-wasm client crashed (${what}); the Driver in use and everything made from it no longer work: create a new Driver`,
    issues: [], retryable: false,
  });
}

/**
 * The methods of the wasm classes that return at once rather than a promise (getters aside). What a
 * method returned when it last ran overrides this; it only decides for methods not yet called.
 */
const ANSWER_AT_ONCE = new Set([
  'Driver.schemeClient', 'Driver.tableClient', 'Driver.querySessionPool', 'SessionPool.release',
  'QuerySessionPool.release', 'Session.transaction', 'Session.readTable', 'QuerySession.executeQuery',
  'QueryResultStream.cancel', 'ReadTableStream.cancel',
]);

/** Whether an exception says the instance trapped. */
function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError;
}

/**
 * Guards every method and getter of the wasm classes. At a trap the instance is replaced at once by a
 * fresh one (and `setup` runs on it): nothing more runs in the dead one — its memory may be
 * half-updated — its objects fail with the crash error, and a new Driver works.
 */
export function contain(wasm, classes, makeError, setup) {
  const noteTrap = (e) => {
    const crash = crashError(makeError, e);
    lastCrash = crash;
    for (const reject of inFlight) reject(crash);
    inFlight.clear();
    wasm.__wbg_reset_state();
    generation++;
    setup();
    return crash;
  };
  // An object of a crashed instance passed as an argument (`new QuerySessionPool(oldDriver)`) is refused
  // by the glue itself: that is the same crash.
  const translate = (e) => {
    if (isTrap(e)) return noteTrap(e);
    // The glue's own check of a class argument (`new SessionPool(notADriver)`) is a plain Error.
    if (e instanceof Error && e.constructor === Error && e.message.startsWith('expected instance of ')) {
      return new TypeError(`${e.message} (an argument of the wrong kind)`);
    }
    if (e instanceof Error && e.message.startsWith('Invalid stale object from previous Wasm instance')) {
      return lastCrash ?? e;
    }
    return e;
  };
  const track = (promise) => new Promise((resolve, reject) => {
    inFlight.add(reject);
    promise.then(
      (v) => { inFlight.delete(reject); resolve(v); },
      (e) => { inFlight.delete(reject); reject(translate(e)); },
    );
  });
  // An object of a crashed instance fails at once — throwing from the methods that answer at once,
  // rejecting from the rest — except for the methods that let go (`stop`, `free`): there is nothing
  // left to stop, and cleanup code must not fail.
  const guard = (fn, name, className) => {
    let returnsPromise = !ANSWER_AT_ONCE.has(`${className}.${name}`) && name !== 'free';
    const letsGo = name === 'stop' || name === 'free';
    return function (...args) {
      if (this != null && this.__wbg_inst !== undefined && this.__wbg_inst !== generation) {
        if (letsGo) return returnsPromise ? Promise.resolve() : undefined;
        if (returnsPromise) return Promise.reject(lastCrash);
        throw lastCrash;
      }
      let result;
      try {
        result = fn.apply(this, args);
      } catch (e) {
        throw translate(e);
      }
      returnsPromise = result instanceof Promise;
      return returnsPromise ? track(result) : result;
    };
  };
  for (const C of classes) {
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(C.prototype))) {
      if (name === 'constructor') continue;
      if (typeof d.value === 'function') C.prototype[name] = guard(d.value, name, C.name);
      else if (d.get) Object.defineProperty(C.prototype, name, { ...d, get: guard(d.get, name, C.name) });
    }
  }
  return {
    /** The class with its constructor guarded too (a Proxy keeps `instanceof`, statics and the name). */
    constructible(C) {
      return new Proxy(C, {
        construct(target, args, newTarget) {
          try {
            return Reflect.construct(target, args, newTarget);
          } catch (e) {
            throw translate(e);
          }
        },
      });
    },
    /** Forces a trap (tests only): at once, or in a background task. */
    trap(inBackground = false) {
      try {
        wasm.__testTrap(inBackground);
      } catch (e) {
        throw translate(e);
      }
    },
  };
}
