/**
 * W3C error helpers. Public API misuse throws a DOMException with the W3C name, or a TypeError,
 * always with a message that says what was wrong.
 */

export type DomErrorName =
  | 'InvalidStateError'
  | 'InvalidAccessError'
  | 'InvalidModificationError'
  | 'InvalidCharacterError'
  | 'NotSupportedError'
  | 'OperationError'
  | 'SyntaxError'
  | 'TypeError'
  | 'RangeError'
  | 'NotFoundError'
  | 'DataError'
  | 'NetworkError'
  | 'AbortError';

export function domError(
  name: Exclude<DomErrorName, 'TypeError' | 'RangeError'>,
  message: string,
): DOMException {
  return new DOMException(message, name);
}

export const invalidState = (message: string): DOMException => domError('InvalidStateError', message);
export const invalidAccess = (message: string): DOMException => domError('InvalidAccessError', message);
export const operationError = (message: string): DOMException => domError('OperationError', message);
export const syntaxError = (message: string): DOMException => domError('SyntaxError', message);
export const notSupported = (message: string): DOMException => domError('NotSupportedError', message);

/** Raised inside protocol engines for malformed network input; the engine catches it, counts and drops. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}
