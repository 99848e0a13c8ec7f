/** A forked or top-level bench entry: exit 0 when `run` settles, or print its error and exit 1. */
export function exitWhenDone(run: Promise<unknown>): void {
  run.then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
