/** Errors of the media helpers: every one names the file (or URL, credentials hidden) and the reason. */

/** A file, URL or device could not be opened, read or written. */
export class MediaFileError extends Error {
  override name = 'MediaFileError';
  /** The file, URL or device as given, with any `user:password@` removed. */
  readonly file: string;

  constructor(
    file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    const shown = hideCredentials(file);
    super(`${shown}: ${reason}`, options);
    this.file = shown;
  }
}

/** `rtsp://user:secret@host/x` → `rtsp://***@host/x`: error messages and logs must not carry passwords. */
export function hideCredentials(file: string): string {
  return file.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/@]*@/, '$1***@');
}
