/**
 * The legacy callback forms of RTCPeerConnection's methods (W3C webrtc-pc §11.2.1), which browsers keep
 * and old code still calls: `createOffer(success, failure, options)` and friends. Each runs the promise
 * method, hands its outcome to the callbacks and returns a promise resolved with undefined.
 */

export type RTCSessionDescriptionCallback<T> = (description: T) => void;
export type RTCPeerConnectionErrorCallback = (error: DOMException) => void;

/** Run `operation` for the callback form; the callbacks must be functions (WebIDL callback conversion). */
export function withCallbacks<T>(
  success: unknown,
  failure: unknown,
  operation: () => Promise<T>,
): Promise<undefined> {
  if (typeof success !== 'function' || typeof failure !== 'function') {
    return Promise.reject(new TypeError('the legacy form needs a success and a failure callback'));
  }
  operation().then(
    (value) => (success as (v: T) => void)(value),
    (err: DOMException) => (failure as RTCPeerConnectionErrorCallback)(err),
  );
  return Promise.resolve(undefined);
}
