/** Errors the peer connection raises beyond the common helpers. */
import { domError } from '../common/errors.js';

export const invalidModification = (message: string): DOMException =>
  domError('InvalidModificationError', message);
