// Test helper: makes 'node-av' unresolvable in this process, as on a machine where the optional dependency is
// not installed. Used with `node --import ./test/media/block-node-av.mjs`.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      if (specifier === 'node-av' || specifier.startsWith('node-av/')) {
        const error = new Error("Cannot find package 'node-av' imported from " + context.parentURL);
        error.code = 'ERR_MODULE_NOT_FOUND';
        throw error;
      }
      return next(specifier, context);
    }
  `)}`,
);
