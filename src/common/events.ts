/**
 * One event system for every public object: W3C EventTarget semantics (addEventListener, dispatchEvent,
 * `on<event>` handler properties) with typed event maps. `on(type, fn)` is kept for aiortc users as a
 * plain alias of addEventListener, not a second system.
 */

type NativeListener = Parameters<EventTarget['addEventListener']>[1];
/** The DOM EventInit dictionary (bubbles, cancelable, composed) that event init dictionaries extend. */
export type EventInit = NonNullable<ConstructorParameters<typeof Event>[1]>;
export type AddListenerOptions =
  | boolean
  | { once?: boolean; passive?: boolean; capture?: boolean; signal?: AbortSignal };
export type RemoveListenerOptions = boolean | { capture?: boolean };

export type TypedListener<E extends Event> = ((event: E) => void) | { handleEvent(event: E): void };
export type EventHandler<E extends Event> = ((event: E) => void) | null;

export class RtcEventTarget<M extends { [K in keyof M]: Event }> extends EventTarget {
  private readonly handlers = new Map<
    string,
    { current: EventHandler<Event>; listener: (e: Event) => void }
  >();

  override addEventListener<K extends keyof M & string>(
    type: K,
    listener: TypedListener<M[K]> | null,
    options?: AddListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: TypedListener<Event> | null,
    options?: AddListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: TypedListener<Event> | null,
    options?: AddListenerOptions,
  ): void {
    super.addEventListener(type, listener as NativeListener, options);
  }

  override removeEventListener<K extends keyof M & string>(
    type: K,
    listener: TypedListener<M[K]> | null,
    options?: RemoveListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: TypedListener<Event> | null,
    options?: RemoveListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: TypedListener<Event> | null,
    options?: RemoveListenerOptions,
  ): void {
    super.removeEventListener(type, listener as NativeListener, options);
  }

  /** aiortc-style alias of addEventListener; returns this for chaining. */
  on<K extends keyof M & string>(type: K, listener: (event: M[K]) => void): this {
    this.addEventListener(type, listener);
    return this;
  }

  /** aiortc-style alias of removeEventListener. */
  off<K extends keyof M & string>(type: K, listener: (event: M[K]) => void): this {
    this.removeEventListener(type, listener);
    return this;
  }

  /** Listener for `type` that is called once, then removed. */
  once<K extends keyof M & string>(type: K, listener: (event: M[K]) => void): this {
    this.addEventListener(type, listener, { once: true });
    return this;
  }

  protected getHandler<K extends keyof M & string>(type: K): EventHandler<M[K]> {
    return (this.handlers.get(type)?.current as EventHandler<M[K]> | undefined) ?? null;
  }

  /** W3C event handler IDL attribute: the listener is registered when first set and keeps its place. */
  protected setHandler<K extends keyof M & string>(type: K, handler: EventHandler<M[K]>): void {
    const fn = typeof handler === 'function' ? (handler as (e: Event) => void) : null;
    const entry = this.handlers.get(type);
    if (entry) {
      entry.current = fn;
      if (!fn) {
        super.removeEventListener(type, entry.listener);
        this.handlers.delete(type);
      }
      return;
    }
    if (!fn) return;
    const record = {
      current: fn as EventHandler<Event>,
      listener: (e: Event) => {
        record.current?.call(this, e);
      },
    };
    this.handlers.set(type, record);
    super.addEventListener(type, record.listener);
  }

  /** Dispatch a typed event (internal helper for subclasses). */
  protected emit<K extends keyof M & string>(event: M[K] & { type: K }): boolean {
    return this.dispatchEvent(event);
  }
}
